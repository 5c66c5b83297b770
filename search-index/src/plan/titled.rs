//! A query matching documents whose title holds some of the words and whose body
//! holds the rest, walked without scoring.

use super::*;

/// The posts that have every word in the title or the body and some in the title;
/// unless `all_in_body`, only those that do not have every word in the body (which
/// counting finds apart). It walks the title lists (short: titles are on opening
/// posts only) and seeks each body list to them; as a query of tantivy's, filters and
/// the counting sample apply to it as to any other.
#[derive(Clone, Debug)]
pub(super) struct Titled {
    pub(super) titles: Vec<Term>,
    pub(super) bodies: Vec<Term>,
    pub(super) all_in_body: bool,
}

impl Query for Titled {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Titled {
    /// Its documents in one segment.
    pub(super) fn docs(&self, reader: &SegmentReader) -> tantivy::Result<TitledDocs> {
        let postings = |terms: &[Term]| -> tantivy::Result<Vec<Option<SegmentPostings>>> {
            terms
                .iter()
                .map(|t| {
                    Ok(reader
                        .inverted_index(t.field())?
                        .read_postings(t, IndexRecordOption::Basic)?)
                })
                .collect()
        };
        let mut docs = TitledDocs {
            titles: postings(&self.titles)?,
            bodies: postings(&self.bodies)?,
            all_in_body: self.all_in_body,
            here_all_in_body: false,
            doc: 0,
        };
        docs.find_from_current();
        Ok(docs)
    }
}

impl Weight for Titled {
    fn scorer(&self, reader: &SegmentReader, _: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ConstScorer::new(self.docs(reader)?, 0.0)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("titled", 0.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

pub(super) struct TitledDocs {
    /// Per word: its title postings and its body postings (`None`: in no post).
    titles: Vec<Option<SegmentPostings>>,
    bodies: Vec<Option<SegmentPostings>>,
    all_in_body: bool,
    /// Whether the current document has every word in its body.
    here_all_in_body: bool,
    doc: DocId,
}

impl TitledDocs {
    /// Moves to the first match at or after the title lists' current documents.
    fn find_from_current(&mut self) {
        loop {
            let doc = self
                .titles
                .iter()
                .flatten()
                .map(DocSet::doc)
                .min()
                .unwrap_or(TERMINATED);
            if doc == TERMINATED {
                self.doc = TERMINATED;
                return;
            }
            let mut every = true;
            let mut all_in_body = true;
            for (title, body) in self.titles.iter_mut().zip(self.bodies.iter_mut()) {
                let in_title = title.as_ref().is_some_and(|t| t.doc() == doc);
                let in_body = body.as_mut().is_some_and(|b| {
                    if b.doc() < doc {
                        b.seek(doc);
                    }
                    b.doc() == doc
                });
                every &= in_title || in_body;
                all_in_body &= in_body;
            }
            if every && (self.all_in_body || !all_in_body) {
                self.doc = doc;
                self.here_all_in_body = all_in_body;
                return;
            }
            self.step_titles_past(doc);
        }
    }

    /// Whether the current document has every word in its body.
    pub(super) fn all_in_body_here(&self) -> bool {
        self.here_all_in_body
    }

    fn step_titles_past(&mut self, doc: DocId) {
        for t in self.titles.iter_mut().flatten() {
            if t.doc() == doc {
                t.advance();
            }
        }
    }
}

impl DocSet for TitledDocs {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.step_titles_past(self.doc);
        self.find_from_current();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.titles.iter().flatten().map(DocSet::size_hint).sum()
    }
}
