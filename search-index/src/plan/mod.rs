//! How a query is run fast on a large index, beside what it means (`query`):
//!
//! - **Narrowing.** A query's full form (each word in the title, the body, the exact
//!   title, with boosts) is a union per word, which tantivy must score on every match.
//!   For a broad query of single words, the candidates come first from intersections
//!   of bare terms (all the words in the body; some in the title, with the others or
//!   all in the body; all exact in the title), shapes that block-max WAND walks without
//!   scoring most matches; the full query is then scored on those candidates alone.
//! - **Counting** without scores, in parts that add up to the query's matches and that
//!   avoid walking unions of long lists.
//! - **Corrections.** A word the index does not know is replaced by the most common
//!   known word one or two edits from it ("did you mean"), so that a misspelling runs
//!   as fast as the word spelled right.

use crate::boosts;
use crate::query::{Piece, pieces};
use crate::schema::{self, Fields};
use std::collections::HashMap;
use tantivy::collector::{Collector, TopDocs};
use tantivy::postings::SegmentPostings;
use tantivy::query::{
    BooleanQuery, ConstScorer, EnableScoring, Explanation, FuzzyTermQuery, Occur, Query, Scorer, TermQuery,
    Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

mod titled;

use titled::*;

/// Corrections of misspelled stems: the stem typed, the known stem meant.
pub(crate) type Fixes = HashMap<String, String>;

/// One word of a query as the index holds it.
pub(crate) struct Unit {
    /// Its term in the body: the stem, or the whole code in the body's exact field.
    body: Term,
    /// Its term in the title: the stem, or the whole code in the exact title.
    title: Term,
    /// The word exact in the title, when it is a plain word.
    title_exact: Option<Term>,
    /// The terms that score the word in the full query, with their boosts: the same
    /// as `query::text_query` builds for it in every-word mode.
    scoring: Vec<(Term, Score)>,
}

/// What a word is to the analyzers: its stems, and its one code when it is a code
/// (`ERR-1042`, `4.2.1`: a code is one exact term however many stems it cuts into).
pub(crate) fn analyze(word: &str) -> (Vec<String>, Option<String>) {
    let stems = schema::terms(&mut schema::stemmed(), word);
    let mut codes = schema::terms(&mut schema::codes(), word);
    let code = (codes.len() == 1).then(|| codes.remove(0));
    (stems, code)
}

/// The units of a query made only of words (no phrase) that are each one stem or one
/// code, corrections applied; `None` for any other query.
pub(crate) fn units(f: &Fields, text: &str, fixes: &Fixes) -> Option<Vec<Unit>> {
    let mut exact = schema::exact();
    let mut out = Vec::new();
    for piece in pieces(text) {
        let Piece::Word(word) = piece else {
            return None;
        };
        let (stems, code) = analyze(&word);
        let exacts = schema::terms(&mut exact, &word);
        let one_exact = match exacts.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        };
        let unit = match (stems.as_slice(), &code) {
            ([], _) => continue,
            ([stem], _) => {
                let fixed = fixes.get(stem);
                let stem = fixed.unwrap_or(stem);
                let title_exact = one_exact
                    .filter(|_| fixed.is_none())
                    .map(|e| Term::from_field_text(f.title_exact, e));
                let mut scoring = vec![
                    (Term::from_field_text(f.title, stem), boosts::TITLE),
                    (Term::from_field_text(f.body, stem), boosts::BODY),
                ];
                if let Some(t) = &title_exact {
                    scoring.push((t.clone(), boosts::TITLE_EXACT));
                    if let (Some(e), Some(_)) = (one_exact, &code) {
                        scoring.push((Term::from_field_text(f.body_exact, e), boosts::BODY_EXACT));
                    }
                }
                Unit {
                    body: Term::from_field_text(f.body, stem),
                    title: Term::from_field_text(f.title, stem),
                    title_exact,
                    scoring,
                }
            }
            (_, Some(code)) => {
                let mut scoring = Vec::new();
                if let Some(e) = one_exact {
                    scoring.push((Term::from_field_text(f.title_exact, e), boosts::TITLE_EXACT));
                    scoring.push((Term::from_field_text(f.body_exact, e), boosts::BODY_EXACT));
                }
                Unit {
                    body: Term::from_field_text(f.body_exact, code),
                    title: Term::from_field_text(f.title_exact, code),
                    title_exact: None,
                    scoring,
                }
            }
            _ => return None,
        };
        out.push(unit);
    }
    (!out.is_empty()).then_some(out)
}

fn bare(term: &Term, option: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(term.clone(), option))
}

/// All of `terms`: a bare term, or an intersection of bare terms.
fn all_of(terms: &[&Term], option: IndexRecordOption) -> Box<dyn Query> {
    match terms {
        [one] => bare(one, option),
        _ => Box::new(BooleanQuery::new(
            terms.iter().map(|t| (Occur::Must, bare(t, option))).collect(),
        )),
    }
}

/// The candidate queries of a broad every-word query (see the module's doc): every
/// word in the body; and for each way of putting some words in the title (every way
/// for two words; past that, one word or all), those in the title with every
/// word in the body, and those in the title with the rest in the body; every word
/// exact in the title. Each ranks its posts close to how the full query would, so the
/// best of the full query are among the best of one of them.
fn narrowing(units: &[Unit]) -> Vec<Box<dyn Query>> {
    let scored = IndexRecordOption::WithFreqs;
    let n = units.len().min(16);
    let body: Vec<&Term> = units.iter().map(|u| &u.body).collect();
    let mut out = vec![all_of(&body, scored)];
    let full = (1u32 << n) - 1;
    let splits: Vec<u32> = if n <= 2 {
        (1..=full).collect()
    } else {
        (0..n).map(|i| 1u32 << i).chain([full]).collect()
    };
    for split in splits {
        let in_title = |i: usize| i < n && split & (1 << i) != 0;
        let titled: Vec<&Term> = units
            .iter()
            .enumerate()
            .filter(|(i, _)| in_title(*i))
            .map(|(_, u)| &u.title)
            .collect();
        let with_all: Vec<&Term> = titled.iter().copied().chain(body.iter().copied()).collect();
        out.push(all_of(&with_all, scored));
        let with_rest: Vec<&Term> = units
            .iter()
            .enumerate()
            .map(|(i, u)| if in_title(i) { &u.title } else { &u.body })
            .collect();
        out.push(all_of(&with_rest, scored));
    }
    let exact: Vec<&Term> = units.iter().filter_map(|u| u.title_exact.as_ref()).collect();
    if exact.len() == units.len() {
        out.push(all_of(&exact, scored));
    }
    out
}

/// The parts of an every-word query for counting (see the module's doc): the posts
/// with every word in the body, a bare intersection; and the others, which must have
/// a word in the title ([`Titled`]), so that walk starts from the short title lists.
pub(crate) fn counting(units: &[Unit]) -> Vec<Box<dyn Query>> {
    let body: Vec<&Term> = units.iter().map(|u| &u.body).collect();
    let titled = Titled {
        titles: units.iter().map(|u| u.title.clone()).collect(),
        bodies: units.iter().map(|u| u.body.clone()).collect(),
    };
    vec![all_of(&body, IndexRecordOption::Basic), Box::new(titled)]
}

/// Corrections for the words of `text` that are in no post: for each, the stem in the
/// body nearest to it (one edit, else two for words of six letters or more), the one
/// in the most posts when several are as near. Words under four letters, codes and
/// phrases are left as they are.
pub(crate) fn corrections(searcher: &tantivy::Searcher, f: &Fields, text: &str) -> tantivy::Result<Fixes> {
    let mut fixes = Fixes::new();
    for piece in pieces(text) {
        let Piece::Word(word) = piece else { continue };
        let (stems, _) = analyze(&word);
        let [stem] = stems.as_slice() else { continue };
        let letters = stem.chars().count();
        let known = |field: Field| searcher.doc_freq(&Term::from_field_text(field, stem));
        if letters < 4 || fixes.contains_key(stem) || known(f.body)? + known(f.title)? > 0 {
            continue;
        }
        let max = if letters >= 6 { 2 } else { 1 };
        for distance in 1..=max {
            if let Some(best) = nearest(searcher, f.body, stem, distance)? {
                fixes.insert(stem.clone(), best);
                break;
            }
        }
    }
    Ok(fixes)
}

/// The term of `field` within `distance` edits of `stem` that is in the most posts.
fn nearest(
    searcher: &tantivy::Searcher,
    field: Field,
    stem: &str,
    distance: u8,
) -> tantivy::Result<Option<String>> {
    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, stem), distance, true);
    let mut freq: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().search(fuzzy.automaton()?).into_stream()?;
        while stream.advance() {
            *freq.entry(stream.key().to_vec()).or_insert(0) += u64::from(stream.value().doc_freq);
        }
    }
    Ok(freq
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .and_then(|(bytes, _)| String::from_utf8(bytes).ok()))
}

/// The candidates of a broad every-word query, per segment and in order: the best
/// `window` of each narrowing query (the full query ranks its best `window` before
/// the community lifts re-rank them, so each narrowing query must offer as many).
pub(crate) fn candidates(
    searcher: &tantivy::Searcher,
    units: &[Unit],
    window: usize,
) -> tantivy::Result<HashMap<SegmentOrdinal, Vec<DocId>>> {
    let best = TopDocs::with_limit(window).order_by_score();
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = narrowing(units)
        .iter()
        .map(|q| q.weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    // Each query on each segment is a task of its own: the small ones then share the
    // threads with the large one instead of each waiting on its slowest segment.
    let readers = searcher.segment_readers();
    let tasks = weights
        .iter()
        .enumerate()
        .flat_map(|(q, w)| readers.iter().enumerate().map(move |(s, r)| (q, w, s, r)));
    let found = searcher.index().search_executor().map(
        |(q, w, s, r)| Ok((q, best.collect_segment(w.as_ref(), s as SegmentOrdinal, r)?)),
        tasks,
    )?;
    let mut per_query: Vec<Vec<_>> = weights.iter().map(|_| Vec::new()).collect();
    for (q, fruit) in found {
        per_query[q].push(fruit);
    }
    let mut chosen: HashMap<SegmentOrdinal, Vec<DocId>> = HashMap::new();
    for fruits in per_query {
        for (_, address) in best.merge_fruits(fruits)? {
            chosen
                .entry(address.segment_ord)
                .or_default()
                .push(address.doc_id);
        }
    }
    for docs in chosen.values_mut() {
        docs.sort_unstable();
        docs.dedup();
    }
    Ok(chosen)
}

/// The full query's score of each chosen document. That score is a sum over the
/// terms that match (boolean clauses add their children's scores), so each scoring
/// term's postings are sought to the chosen documents in order and their boosted BM25
/// added: a skip through each list, where scoring the query's nested unions on the
/// chosen documents would walk them.
pub(crate) fn rescore(
    searcher: &tantivy::Searcher,
    units: &[Unit],
    chosen: &HashMap<SegmentOrdinal, Vec<DocId>>,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let mut weights = Vec::new();
    for (term, boost) in units.iter().flat_map(|u| &u.scoring) {
        let weight = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs).weight(scoring)?;
        weights.push((weight, *boost));
    }
    let mut out = Vec::new();
    for (&segment_ord, docs) in chosen {
        let reader = searcher.segment_reader(segment_ord);
        let mut scores = vec![0.0; docs.len()];
        for (weight, boost) in &weights {
            let mut scorer = weight.scorer(reader, *boost)?;
            for (doc, score) in docs.iter().zip(scores.iter_mut()) {
                if scorer.doc() < *doc {
                    scorer.seek(*doc);
                }
                if scorer.doc() == *doc {
                    *score += scorer.score();
                }
            }
        }
        out.extend(
            docs.iter()
                .zip(scores)
                .map(|(&doc_id, score)| (score, DocAddress::new(segment_ord, doc_id))),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_one_unit_and_phrases_are_not_plain() {
        let (_, f) = schema::build();
        let found = units(&f, "ERR-1042 backups", &Fixes::new()).unwrap_or_default();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].body, Term::from_field_text(f.body_exact, "err-1042"));
        assert_eq!(found[1].body, Term::from_field_text(f.body, "backup"));
        assert!(units(&f, "\"disk full\" backup", &Fixes::new()).is_none());
    }
}
