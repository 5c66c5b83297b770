//! Threads that may already answer a question being written: what the ask and ticket
//! forms show while people type, and the similar topics of a topic page.
//!
//! A question in a person's own words rarely repeats a thread's title, so every word
//! counts on its own (none is required), over the title, the question and the accepted
//! answer of each thread, scored by BM25 and summed per thread. Words that carry no
//! meaning ("how", "the", "in") are left out unless nothing else is left; a word the
//! index does not know is read as the nearest one it does, and a word it knows is never
//! changed. Codes and versions match whole in the exact fields, and by their parts.
//!
//! Each thread also gets a **share**: the part of the question's weight (the inverse
//! document frequency of its words) that the thread holds. A word nothing holds (the
//! "kubernetes" of a question the forum cannot answer) keeps its full weight, so a
//! thread that shares only the common words of such a question has a small share.
//! Threads are ordered by score and share together. The forms show threads only when
//! one of the first five holds at least [`SHOWN_SHARE`] of the question, and then leave
//! out those under [`KEPT_SHARE`] ([`shown`]): nothing rather than something unrelated.
//!
//! When the application has a sentence encoder, the question's meaning is compared
//! with each thread's ([`Meaning`]): the threads nearest in meaning join those found by
//! words, and every candidate is ranked by its **fit**, the cosine of the two meanings
//! plus [`TITLE_MEANING_WEIGHT`] times the cosine with its title's, plus
//! [`SHARE_WEIGHT`] times its share. Meaning finds the thread that says the same in
//! other words; the title, the question as its author put it, often says it most
//! closely; the share keeps a thread that names the question's rare words (an error
//! code, a command) above one that is merely on the same subject. The forms then show
//! threads only when the best one's fit, less [`TYPICAL_WEIGHT`] times the question's
//! mean cosine with every thread of the forum, is at least [`SHOWN_FIT`]: a question
//! near everything the forum holds (its general subject, with a detail nothing
//! answers) must fit better than one near little of it. They leave out threads whose
//! fit is under [`KEPT_FIT`]. Every figure here is calibrated on the labelled questions of
//! `benches/relevance/` and checked on its held-out set.

use crate::columns::Columns;
use crate::index::{SearchError, SearchIndex};
use crate::plan::{self, analyze};
use crate::query::{Piece, Suggestion, pieces, suggestion};
use crate::schema::Fields;
use crate::vectors::Vectors;
use std::collections::{HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocAddress, DocId, DocSet, Score, TERMINATED};

mod fit;
mod stats;
mod words;

pub use fit::*;
use stats::BodyStatistics;
use words::*;

/// The share one of the first five threads must hold for the forms to show any.
pub const SHOWN_SHARE: f32 = 0.45;

/// The share under which a thread is left out of a list that is shown.
pub const KEPT_SHARE: f32 = 0.2;

/// How much the share adds to the cosine in a thread's fit.
pub const SHARE_WEIGHT: f32 = 0.4;

/// How much the cosine with a thread's title adds to its fit.
pub const TITLE_MEANING_WEIGHT: f32 = 0.1;

/// How much the question's mean cosine with the forum's threads ([`Related::typical`])
/// raises the fit the best thread needs to be shown.
pub const TYPICAL_WEIGHT: f32 = 0.5;

/// The fewest threads the mean cosine is taken over: in a forum with fewer, the sum is
/// divided by this, so that a handful of threads do not make the bar swing.
pub const TYPICAL_OVER: usize = 100;

/// The fit the best thread must have, less [`TYPICAL_WEIGHT`] times the question's
/// typical cosine, for the forms to show any, when meaning is used.
pub const SHOWN_FIT: f32 = 0.6;

/// The fit under which a thread is left out of a list that is shown.
pub const KEPT_FIT: f32 = 0.4;

/// What the forms show of `found`: nothing when the best thread falls short of
/// [`SHOWN_FIT`] (by meaning, its typical cosine weighed in) or no thread among the first five holds [`SHOWN_SHARE`] of
/// the question (by words alone); else the threads that clear [`KEPT_FIT`] or
/// [`KEPT_SHARE`].
pub fn shown(found: Vec<Related>) -> Vec<Related> {
    let by_meaning = found.first().is_some_and(|r| r.cosine.is_some());
    if by_meaning {
        if found
            .first()
            .is_none_or(|r| r.fit - TYPICAL_WEIGHT * r.typical.unwrap_or(0.0) < SHOWN_FIT)
        {
            return Vec::new();
        }
        return found.into_iter().filter(|r| r.fit >= KEPT_FIT).collect();
    }
    if !found.iter().take(5).any(|r| r.share >= SHOWN_SHARE) {
        return Vec::new();
    }
    found.into_iter().filter(|r| r.share >= KEPT_SHARE).collect()
}

/// A question's meaning and the threads' meanings to compare it with.
#[derive(Clone, Copy)]
pub struct Meaning<'a> {
    /// The question as a unit vector of the same model as `threads`.
    pub query: &'a [f32],
    /// The threads' vectors, their titles' too when set.
    pub threads: &'a Vectors,
}

/// Most words of a question that are looked up.
const MAX_TERMS: usize = 32;

/// How strongly the share orders threads beside their score (0: by score alone).
const SHARE_POWER: f32 = 1.0;

/// Threads, per result asked for, whose share is weighed before the final order.
const CANDIDATES_PER_RESULT: usize = 4;

/// Threads nearest in meaning, per result asked for, that join the candidates.
const NEAREST_PER_RESULT: usize = 3;

/// Posts (openings and accepted answers) read before threads are ranked.
const WINDOW: usize = 200;

/// A thread that may answer, with its score, share (0 to 1), and when meaning was
/// compared, its cosine with the question and its fit.
#[derive(Debug, Clone)]
pub struct Related {
    pub thread: Suggestion,
    pub score: f32,
    pub share: f32,
    pub cosine: Option<f32>,
    /// With meaning, the cosine with the thread's title (0 while it has none).
    pub title_cosine: Option<f32>,
    /// With meaning, the question's mean cosine with every thread of the forum (over at
    /// least [`TYPICAL_OVER`]): the same for every thread of one answer.
    pub typical: Option<f32>,
    /// What the order follows: with meaning the cosine, plus [`TITLE_MEANING_WEIGHT`]
    /// times the title's cosine, plus [`SHARE_WEIGHT`] times the share; else the score
    /// weighed by the share.
    pub fit: f32,
}

/// A thread found by words: its summed score, its posts found, and its opening post
/// when found.
type Candidate = (u64, Score, Vec<DocAddress>, Option<DocAddress>);

impl SearchIndex {
    /// Threads (questions, articles, ideas, releases: by their opening post) that may
    /// answer `text`, best first, with their score and share; `exclude` leaves one
    /// topic out (the one being read). With `meaning`, threads near the question in
    /// meaning join the candidates and the order follows the fit. The caller applies
    /// [`shown`].
    pub fn related(
        &self,
        text: &str,
        meaning: Option<Meaning<'_>>,
        exclude: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Related>, SearchError> {
        self.related_by_words(text, exclude, limit)?.rank(self, meaning)
    }

    /// The first half of [`SearchIndex::related`]: the threads the words of `text` find.
    pub fn related_by_words(
        &self,
        text: &str,
        exclude: Option<u64>,
        limit: usize,
    ) -> Result<Found, SearchError> {
        let f = self.fields();
        let searcher = self.reader().searcher();
        let limit = limit.clamp(1, 20);
        let words = words_of(text);
        let mut found = Found {
            searcher,
            looked_up: Vec::new(),
            total_weight: 0.0,
            ranked: Vec::new(),
            exclude,
            limit,
        };
        if words.is_empty() {
            return Ok(found);
        }
        let searcher = &found.searcher;
        // Unknown words read as the nearest known one; known words stay as they are.
        let fixes = plan::corrections(searcher, f, text)?;
        let total_docs = searcher.num_docs().max(1) as f32;
        let idf = |n: u64| ((total_docs - n as f32 + 0.5) / (n as f32 + 0.5) + 1.0).ln();
        let unknown_idf = idf(0);
        // Each word: the terms that find it and its weight in the share.
        let mut looked_up: Vec<LookedUp> = Vec::new();
        for w in &words {
            let mut terms = Vec::new();
            let mut df = 0u64;
            for stem in &w.stems {
                let stem = fixes.get(stem).unwrap_or(stem);
                df = df.max(searcher.doc_freq(&Term::from_field_text(f.body, stem))?);
                terms.push(Term::from_field_text(f.title, stem));
                terms.push(Term::from_field_text(f.thread_body, stem));
            }
            if let Some(code) = &w.code {
                df = df.max(searcher.doc_freq(&Term::from_field_text(f.body_exact, code))?);
                terms.push(Term::from_field_text(f.title_exact, code));
                terms.push(Term::from_field_text(f.thread_body_exact, code));
            }
            let weight = if df == 0 { unknown_idf } else { idf(df) };
            looked_up.push((terms, weight));
        }
        // Only openings and accepted answers hold the title and thread fields, so the
        // union of the words' terms finds only them. A title word weighs as a body word
        // (heavier titles measured worse), and the terms stay bare (no boost), so that
        // tantivy skips the blocks that cannot reach the best (block-max WAND), with
        // the bar carried from one segment to the next.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = looked_up
            .iter()
            .flat_map(|(terms, _)| terms.iter())
            .map(|term| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        if let Some(t) = exclude {
            clauses.push((Occur::MustNot, flag(f.topic_id, t)));
        }
        let statistics = BodyStatistics { searcher, fields: f };
        let scoring = EnableScoring::enabled_from_statistics_provider(&statistics, searcher);
        let weight = BooleanQuery::new(clauses).weight(scoring)?;
        let top = plan::best::best(searcher, weight.as_ref(), WINDOW, Score::MIN)?;

        // Per thread: its summed score and the posts of it that were found.
        let mut threads: HashMap<u64, (Score, Vec<DocAddress>, Option<DocAddress>)> = HashMap::new();
        let mut topics = Columns::u64(searcher, "topic_id");
        let mut openings = Columns::u64(searcher, "opening");
        for (score, addr) in top {
            let topic = topics.first(addr)?.unwrap_or_default();
            let opening = openings.first(addr)? == Some(1);
            let entry = threads.entry(topic).or_insert((0.0, Vec::new(), None));
            entry.0 += score;
            entry.1.push(addr);
            if opening {
                entry.2 = Some(addr);
            }
        }
        let mut ranked: Vec<Candidate> = threads
            .into_iter()
            .map(|(t, (s, docs, opening))| (t, s, docs, opening))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit * CANDIDATES_PER_RESULT);
        found.total_weight = looked_up.iter().map(|(_, w)| w).sum();
        found.looked_up = looked_up;
        found.ranked = ranked;
        Ok(found)
    }
}

impl SearchIndex {
    /// The opening post and accepted answer of `topic`, as the index holds them.
    fn thread_posts(
        &self,
        searcher: &tantivy::Searcher,
        f: &Fields,
        topic: u64,
    ) -> Result<Vec<DocAddress>, SearchError> {
        let q = BooleanQuery::new(vec![
            (Occur::Must, flag(f.topic_id, topic)),
            (Occur::Must, opening_or_accepted(f)),
        ]);
        Ok(searcher
            .search(&q, &TopDocs::with_limit(4).order_by_score())?
            .into_iter()
            .map(|(_, addr)| addr)
            .collect())
    }

    fn opening_of(
        &self,
        searcher: &tantivy::Searcher,
        f: &Fields,
        topic: u64,
    ) -> Result<Option<tantivy::TantivyDocument>, SearchError> {
        let q = BooleanQuery::new(vec![
            (Occur::Must, flag(f.topic_id, topic)),
            (Occur::Must, flag(f.opening, 1)),
        ]);
        match searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())?
            .first()
        {
            Some((_, addr)) => Ok(Some(searcher.doc(*addr)?)),
            None => Ok(None),
        }
    }
}

/// Posts whose `field` is `value`.
fn flag(field: Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Opening posts and accepted answers: what a thread is found by.
fn opening_or_accepted(f: &Fields) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, flag(f.opening, 1)),
        (Occur::Should, flag(f.accepted, 1)),
    ]))
}

/// Whether post `doc` of `segment` holds `term`.
fn holds(segment: &tantivy::SegmentReader, term: &Term, doc: DocId) -> tantivy::Result<bool> {
    let Some(mut postings) = segment
        .inverted_index(term.field())?
        .read_postings(term, IndexRecordOption::Basic)?
    else {
        return Ok(false);
    };
    // A list starts on its first post, and seeking never goes back.
    let at = if postings.doc() >= doc {
        postings.doc()
    } else {
        postings.seek(doc)
    };
    Ok(at != TERMINATED && at == doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_go_unless_nothing_else_is_left() {
        let stems =
            |text: &str| -> Vec<String> { words_of(text).into_iter().flat_map(|w| w.stems).collect() };
        assert_eq!(
            stems("How do I round a number in Perl?"),
            ["round", "number", "perl"]
        );
        assert_eq!(stems("what is this"), ["what", "is", "this"]);
        let codes: Vec<Option<String>> = words_of("list.sort() fails with ERR-1042")
            .into_iter()
            .map(|w| w.code)
            .collect();
        assert!(codes.contains(&Some("err-1042".into())), "{codes:?}");
        assert_eq!(stems("list.sort() fails")[..2], ["list", "sort"]);
    }
}
