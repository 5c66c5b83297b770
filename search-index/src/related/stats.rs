//! Scores for the thread fields as if they were the body's.
//!
//! `thread_body` and `thread_body_exact` hold the text of openings and accepted answers
//! only. BM25 over them alone would weigh a word by how rare it is among those posts,
//! and measure length against their mean. [`BodyStatistics`] answers tantivy's
//! questions about them with the figures of `body` and `body_exact`, so that a post
//! scores exactly what it would in the body fields: the short lists change how fast
//! threads are found, not which.

use crate::schema::Fields;
use tantivy::Searcher;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, Term};

pub(super) struct BodyStatistics<'a> {
    pub(super) searcher: &'a Searcher,
    pub(super) fields: &'a Fields,
}

impl BodyStatistics<'_> {
    /// The field whose figures `field` scores with.
    fn scored_as(&self, field: Field) -> Field {
        let f = self.fields;
        if field == f.thread_body {
            f.body
        } else if field == f.thread_body_exact {
            f.body_exact
        } else {
            field
        }
    }
}

impl Bm25StatisticsProvider for BodyStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_tokens(self.searcher, self.scored_as(field))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_docs(self.searcher)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let field = self.scored_as(term.field());
        if field == term.field() {
            return self.searcher.doc_freq(term);
        }
        match term.value().as_str() {
            Some(text) => self.searcher.doc_freq(&Term::from_field_text(field, text)),
            None => self.searcher.doc_freq(term),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::{PostDoc, SearchIndex};
    use std::collections::HashMap;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Term, Value};

    fn post(post_id: u64, topic_id: u64, number: u64, accepted: bool, body: &str) -> PostDoc {
        PostDoc {
            post_id,
            topic_id,
            number,
            kind: "questions".into(),
            category: "questions".into(),
            title: format!("Topic {topic_id} about proxy settings"),
            body: body.into(),
            accepted,
            ..PostDoc::default()
        }
    }

    /// A thread scores in the thread fields what its opening and accepted answer score
    /// in the body fields, and the replies around them are not found.
    #[test]
    fn threads_score_as_their_posts_do_in_the_body() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let mut w = index.writer(20_000_000).unwrap();
        let mut id = 0;
        for topic in 1..=30u64 {
            for number in 1..=6u64 {
                id += 1;
                // Replies mention the proxy far more often than the posts threads are
                // found by, so statistics of the thread fields alone would differ.
                let body = match (topic % 3, number) {
                    (0, 1) => "The backup job stops with ERR-1042 behind the proxy".to_string(),
                    (_, 1) => format!("Question {topic} on timeouts"),
                    (_, 2) => "Set the proxy timeout to 30 seconds, then the backup runs".to_string(),
                    _ => "proxy proxy proxy backup and more words about nothing".to_string(),
                };
                w.add(&post(id, topic, number, number == 2 && topic % 2 == 0, &body))
                    .unwrap();
            }
        }
        w.commit(1).unwrap();
        index.reload().unwrap();

        let text = "proxy backup ERR-1042 timeout";
        let found = index.related_by_words(text, None, 20).unwrap();
        assert!(!found.ranked.is_empty());

        // The same words over every post's body fields, kept to openings and accepted
        // answers afterwards, summed per thread.
        let f = index.fields();
        let searcher = index.reader().searcher();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for stem in ["proxi", "backup", "err", "1042", "timeout"] {
            for field in [f.title, f.body] {
                let term = Term::from_field_text(field, stem);
                should.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        for field in [f.title_exact, f.body_exact] {
            let term = Term::from_field_text(field, "err-1042");
            should.push((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            ));
        }
        let all = searcher
            .search(
                &BooleanQuery::new(should),
                &TopDocs::with_limit(1000).order_by_score(),
            )
            .unwrap();
        let mut expected: HashMap<u64, f32> = HashMap::new();
        for (score, addr) in all {
            let doc: tantivy::TantivyDocument = searcher.doc(addr).unwrap();
            let value = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap();
            let (topic, number) = (value(f.topic_id), value(f.number));
            let accepted = number == 2 && topic % 2 == 0;
            if number == 1 || accepted {
                *expected.entry(topic).or_default() += score;
            }
        }
        assert_eq!(
            found.ranked.len(),
            expected.len().min(20 * super::super::CANDIDATES_PER_RESULT)
        );
        for (topic, score, _, _) in &found.ranked {
            let want = expected[topic];
            assert!(
                (score - want).abs() <= want * 1e-5,
                "topic {topic}: {score} against {want}"
            );
        }
    }
}
