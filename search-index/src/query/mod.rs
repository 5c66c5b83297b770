//! Queries: full search with filters, snippets and category counts; suggestions for a
//! title being typed; topics similar to one.
//!
//! A query's words must all match (in the title or the body, stemmed or exact); when
//! none do, typos are forgiven (a word matches terms one or two edits away); when still
//! nothing matches, any one word is enough. Scores are BM25 with the title weighted
//! above the body, then lifted for accepted answers, official articles and votes.

use crate::boosts;
use crate::index::{SearchError, SearchIndex};
use crate::plan::{self, Fixes};
use crate::schema::{self, Fields};
use std::collections::HashMap;
use std::ops::Bound;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

mod clauses;
mod rank;
mod snippet;

use clauses::*;
use rank::*;
pub(crate) use snippet::*;

/// Most results one page may ask for.
pub const MAX_LIMIT: usize = 50;

/// Deepest a page may start: past it, refine the query.
pub const MAX_OFFSET: usize = 1000;

/// A full search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Any of these category slugs (a category and its sub-categories).
    pub categories: Vec<String>,
    pub product: Option<String>,
    pub tag: Option<String>,
    pub solved: Option<bool>,
    /// A username.
    pub author: Option<String>,
    /// Seconds since the epoch, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

/// How far the query had to be relaxed to find anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Every word, as typed.
    AllWords,
    /// Every word, forgiving typos.
    Typos,
    /// Any word.
    AnyWord,
}

/// One post found.
#[derive(Debug, Clone)]
pub struct Hit {
    pub post_id: u64,
    pub topic_id: u64,
    pub number: u64,
    pub title: String,
    pub slug: String,
    pub kind: String,
    pub category: String,
    pub author: String,
    pub author_name: String,
    pub created_at: i64,
    pub votes: i64,
    pub solved: bool,
    pub accepted: bool,
    pub official: bool,
    pub status: Option<String>,
    pub tags: Vec<String>,
    /// A piece of the body with the matched words in `<mark>`, everything escaped.
    pub snippet_html: String,
    pub score: f32,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Matches per category slug, the category filter left out.
    pub categories: Vec<(String, u64)>,
    pub matched: Match,
    /// The total and the counts are estimated from a sample (very broad queries).
    pub approximate: bool,
}

/// A topic suggested for a title being typed, or similar to another.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub topic_id: u64,
    pub title: String,
    pub slug: String,
    pub kind: String,
    pub category: String,
    pub solved: bool,
    pub official: bool,
    pub votes: i64,
}

/// Pieces of the text of a query: words, and phrases in double quotes.
#[derive(Debug, PartialEq)]
pub(crate) enum Piece {
    Word(String),
    Phrase(String),
}

pub(crate) fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            if !part.trim().is_empty() {
                out.push(Piece::Phrase(part.trim().to_string()));
            }
        } else {
            out.extend(part.split_whitespace().map(|w| Piece::Word(w.to_string())));
        }
    }
    out.truncate(32);
    out
}

impl SearchIndex {
    /// A page of posts matching `q`, with snippets and counts per category.
    pub fn search(&self, q: &SearchQuery) -> Result<Results, SearchError> {
        let f = self.fields();
        let searcher = self.reader().searcher();
        let limit = q.limit.clamp(1, MAX_LIMIT);
        let offset = q.offset.min(MAX_OFFSET);
        let none = Fixes::new();
        if !q.text.trim().is_empty() && text_query(f, &q.text, Match::AllWords, false, &none).is_none() {
            // Only punctuation: nothing to look for.
            return Ok(Results {
                total: 0,
                hits: Vec::new(),
                categories: Vec::new(),
                matched: Match::AllWords,
                approximate: false,
            });
        }
        let filtered = !filters(f, q, true).is_empty();
        // Every word as typed; then, if some word is in no post, every word with those
        // corrected; then every word forgiving typos anywhere; then any word.
        let mut chosen = None;
        for attempt in 0..4 {
            let (mode, strict, fixes) = match attempt {
                0 => (Match::AllWords, true, none.clone()),
                1 => {
                    let fixes = plan::corrections(&searcher, f, &q.text)?;
                    if fixes.is_empty() {
                        continue;
                    }
                    (Match::Typos, true, fixes)
                }
                2 => (Match::Typos, false, none.clone()),
                _ => (Match::AnyWord, false, none.clone()),
            };
            let query_mode = if strict { Match::AllWords } else { mode };
            let text = text_query(f, &q.text, query_mode, false, &fixes);
            let has_text = text.is_some();
            let query = combine(text, filters(f, q, true));
            let units = if strict {
                plan::units(f, &q.text, &fixes)
            } else {
                None
            };
            let narrow = units.as_deref().filter(|_| !filtered);
            let (top, titled) = top_ranked(&searcher, f, &*query, narrow, limit, offset)?;
            if !top.is_empty() || !has_text || mode == Match::AnyWord {
                chosen = Some((top, titled, mode, strict, fixes, units));
                break;
            }
        }
        let Some((top, titled, matched, strict, fixes, units)) = chosen else {
            unreachable!("the last attempt always chooses")
        };
        // The total and the counts per category need every match, but no scores:
        // tantivy then only walks the posting lists. When the words are so common that
        // even that is long, they are counted in one of 64 buckets of posts (an even
        // sample fixed by post id) and scaled up.
        let approximate =
            strict && likely_matches(&searcher, f, &q.text, Match::AllWords, &fixes) > EXACT_COUNT_LIMIT;
        let sampled = |query: Box<dyn Query>| -> Box<dyn Query> {
            if approximate {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, query),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(
                            Term::from_field_u64(f.bucket, 0),
                            IndexRecordOption::Basic,
                        )),
                    ),
                ]))
            } else {
                query
            }
        };
        let scale = if approximate { schema::BUCKETS as usize } else { 1 };
        // The posts with a word in the title and not every word in the body were
        // counted while their page was found (and all of them, never a sample).
        let parts: Vec<Option<Box<dyn Query>>> = match (&units, &titled) {
            (Some(units), Some(_)) => vec![Some(plan::all_in_body(units))],
            (Some(units), None) => plan::counting(units).into_iter().map(Some).collect(),
            (None, _) => vec![text_query(
                f,
                &q.text,
                if strict { Match::AllWords } else { matched },
                false,
                &fixes,
            )],
        };
        let mut total = 0;
        let mut counts: HashMap<String, u64> = HashMap::new();
        for part in parts {
            let counted = sampled(combine(part.as_ref().map(|p| p.box_clone()), filters(f, q, true)));
            let part_counts = if q.categories.is_empty() {
                let (n, c) = searcher.search(&*counted, &(Count, CategoryCounts))?;
                total += n;
                c
            } else {
                total += searcher.search(&*counted, &Count)?;
                searcher.search(&*sampled(combine(part, filters(f, q, false))), &CategoryCounts)?
            };
            for (k, v) in part_counts {
                *counts.entry(k).or_insert(0) += v;
            }
        }
        let mut counts: HashMap<String, u64> =
            counts.into_iter().map(|(k, v)| (k, v * scale as u64)).collect();
        let mut total = total * scale;
        if let Some((n, titled_counts)) = titled {
            total += n;
            for (k, v) in titled_counts {
                *counts.entry(k).or_insert(0) += v;
            }
        }
        // A sample can miss what the page shows: never say fewer than that.
        let total = total.max(offset + top.len());
        let mut categories: Vec<(String, u64)> = counts.into_iter().collect();
        categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut snippets = SnippetGenerator::create(&searcher, &highlights(f, &q.text, &fixes), f.body)?;
        snippets.set_max_num_chars(240);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let snippet = snippets.snippet_from_doc(&doc);
            let snippet_html = if snippet.fragment().is_empty() {
                let body = text_of(&doc, f.body);
                let cut = body.char_indices().nth(240).map_or(body.len(), |(i, _)| i);
                marked(&body[..cut], &[])
            } else {
                marked(snippet.fragment(), snippet.highlighted())
            };
            hits.push(Hit {
                post_id: u64_of(&doc, f.post_id),
                topic_id: u64_of(&doc, f.topic_id),
                number: u64_of(&doc, f.number),
                title: text_of(&doc, f.topic_title),
                slug: text_of(&doc, f.slug),
                kind: text_of(&doc, f.kind),
                category: text_of(&doc, f.category),
                author: text_of(&doc, f.author),
                author_name: text_of(&doc, f.author_name),
                created_at: doc
                    .get_first(f.created_at)
                    .and_then(|v| v.as_datetime())
                    .map_or(0, |d| d.into_timestamp_secs()),
                votes: doc
                    .get_first(f.votes)
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default(),
                solved: u64_of(&doc, f.solved) == 1,
                accepted: u64_of(&doc, f.accepted) == 1,
                official: u64_of(&doc, f.official) == 1,
                status: doc
                    .get_first(f.status)
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                tags: doc
                    .get_all(f.tags)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                snippet_html,
                score,
            });
        }
        Ok(Results {
            total,
            hits,
            categories,
            matched,
            approximate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_phrases_stay_together() {
        assert_eq!(
            pieces(r#"backup "disk full" ERR-7"#),
            [
                Piece::Word("backup".into()),
                Piece::Phrase("disk full".into()),
                Piece::Word("ERR-7".into())
            ]
        );
    }

    #[test]
    fn snippets_escape_everything_but_the_marks() {
        assert_eq!(
            marked("<b>x</b> & y", std::slice::from_ref(&(3..4))),
            "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; y"
        );
        // A range off a character boundary is ignored, never a panic.
        assert_eq!(marked("é", std::slice::from_ref(&(0..1))), "é");
    }
}
