//! How a query is run fast on a large index, beside what it means (`query`):
//!
//! - **Narrowing.** A query's full form (each word in the title, the body, the exact
//!   title, with boosts) is an intersection of unions, which tantivy must score on
//!   every match. For a query of single words, its best page is found exactly from two
//!   smaller sets ([`best_page`]): every post with a word in its title, few since only
//!   opening posts have titles, scored in full; then the posts with every word in the
//!   body that beat the page's worth of best of those (the 100th, for a first page),
//!   a bare intersection that block-max WAND walks from that bar without scoring most
//!   matches (when a word is a code, whose boost differs, it is scored on every post
//!   of the intersection, short since codes are rare).
//! - **Counting** without scores, in parts that add up to the query's matches and that
//!   avoid walking unions of long lists.
//! - **Corrections.** A word the index does not know is replaced by the most common
//!   known word one or two edits from it ("did you mean"), so that a misspelling runs
//!   as fast as the word spelled right.

use crate::boosts;
use crate::query::{Piece, pieces};
use crate::schema::{self, Fields};
use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::postings::SegmentPostings;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScorer, EnableScoring, Explanation, FuzzyTermQuery, Occur, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

pub(crate) mod best;
mod candidates;
mod titled;

pub(crate) use candidates::best_page;

/// A document and its score.
pub(crate) type Scored = (Score, DocAddress);

use titled::*;

/// Corrections of misspelled stems: the stem typed, the known stem meant.
pub(crate) type Fixes = HashMap<String, String>;

/// One word of a query as the index holds it.
pub(crate) struct Unit {
    /// Its term in the body: the stem, or the whole code in the body's exact field.
    body: Term,
    /// Its term in the title: the stem, or the whole code in the exact title.
    title: Term,
    /// The terms that score the word in the full query, with their boosts: the same
    /// as `query::text_query` builds for it in every-word mode.
    scoring: Vec<(Term, Score)>,
}

impl Unit {
    /// Those of the scoring terms that are in the body fields.
    fn body_scoring(&self, f: &Fields) -> Vec<&(Term, Score)> {
        let in_body = |t: &Term| t.field() == f.body || t.field() == f.body_exact;
        self.scoring.iter().filter(|(t, _)| in_body(t)).collect()
    }
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
                let mut scoring = vec![
                    (Term::from_field_text(f.title, stem), boosts::TITLE),
                    (Term::from_field_text(f.body, stem), boosts::BODY),
                ];
                if let Some(e) = one_exact.filter(|_| fixed.is_none()) {
                    scoring.push((Term::from_field_text(f.title_exact, e), boosts::TITLE_EXACT));
                    if code.is_some() {
                        scoring.push((Term::from_field_text(f.body_exact, e), boosts::BODY_EXACT));
                    }
                }
                Unit {
                    body: Term::from_field_text(f.body, stem),
                    title: Term::from_field_text(f.title, stem),
                    scoring,
                }
            }
            (_, Some(code)) => {
                // A code matches whole in the exact fields; a word with a code and more
                // than one exact term ("ERR-1042's") matches nothing as typed.
                let e = one_exact?;
                let scoring = vec![
                    (Term::from_field_text(f.title_exact, e), boosts::TITLE_EXACT),
                    (Term::from_field_text(f.body_exact, e), boosts::BODY_EXACT),
                ];
                Unit {
                    body: Term::from_field_text(f.body_exact, code),
                    title: Term::from_field_text(f.title_exact, code),
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

/// The parts of an every-word query for counting (see the module's doc): the posts
/// with every word in the body, a bare intersection; and the others, which must have
/// a word in the title ([`Titled`]), so that walk starts from the short title lists.
pub(crate) fn counting(units: &[Unit]) -> Vec<Box<dyn Query>> {
    vec![all_in_body(units), Box::new(titled(units, false))]
}

/// The posts with every word in the body, unscored.
pub(crate) fn all_in_body(units: &[Unit]) -> Box<dyn Query> {
    all_of(&bodies(units), IndexRecordOption::Basic)
}

/// Each word's term in the body.
fn bodies(units: &[Unit]) -> Vec<&Term> {
    units.iter().map(|u| &u.body).collect()
}

fn titled(units: &[Unit], all_in_body: bool) -> Titled {
    Titled {
        titles: units.iter().map(|u| u.title.clone()).collect(),
        bodies: units.iter().map(|u| u.body.clone()).collect(),
        all_in_body,
    }
}

/// Every word in the body, scored as the full query scores a post that has none in
/// its title: a bare intersection when each word is one body term of weight one
/// (which block-max WAND prunes), else each word's body terms with their boosts.
fn in_body(f: &Fields, units: &[Unit]) -> Box<dyn Query> {
    let plain = units
        .iter()
        .all(|u| matches!(u.body_scoring(f).as_slice(), [(t, b)] if *t == u.body && *b == 1.0));
    if plain {
        return all_of(&bodies(units), IndexRecordOption::WithFreqs);
    }
    Box::new(BooleanQuery::new(
        units
            .iter()
            .map(|u| {
                let mut word: Vec<(Occur, Box<dyn Query>)> = vec![(
                    Occur::Must,
                    Box::new(BoostQuery::new(bare(&u.body, IndexRecordOption::Basic), 0.0)),
                )];
                for (term, boost) in u.body_scoring(f) {
                    let scored = bare(term, IndexRecordOption::WithFreqs);
                    word.push((Occur::Should, Box::new(BoostQuery::new(scored, *boost))));
                }
                (Occur::Must, Box::new(BooleanQuery::new(word)) as Box<dyn Query>)
            })
            .collect(),
    ))
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
