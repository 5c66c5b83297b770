//! A query's words as tantivy clauses: every word in the title or the body (stemmed
//! or exact, with typos forgiven when asked), the filters, and an estimate of the
//! matches.

use super::*;

pub(super) type Clause = (Occur, Box<dyn Query>);

pub(super) fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

pub(super) fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

pub(super) fn phrase_or_term(field: Field, terms: &[String]) -> Box<dyn Query> {
    if terms.len() == 1 {
        term(field, &terms[0])
    } else {
        Box::new(PhraseQuery::new(
            terms.iter().map(|t| Term::from_field_text(field, t)).collect(),
        ))
    }
}

pub(super) fn any(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// Builds the text part of a query, with misspelled stems replaced by `fixes`; `None`
/// when the text has no searchable word.
///
/// Every word must match (any word, in [`Match::AnyWord`]), in the title, the body or
/// the exact title. A code (`ERR-1042`, `4.2.1`) must match whole in the exact fields;
/// only when that finds nothing do the looser modes also take it as a phrase of its
/// parts (`ERR 1042`).
pub(super) fn text_query(
    f: &Fields,
    text: &str,
    mode: Match,
    title_only: bool,
    fixes: &Fixes,
) -> Option<Box<dyn Query>> {
    let mut exact = schema::exact();
    let mut clauses: Vec<Clause> = Vec::new();
    let occur = if mode == Match::AnyWord {
        Occur::Should
    } else {
        Occur::Must
    };
    for piece in pieces(text) {
        let (words, is_phrase) = match &piece {
            Piece::Word(w) => (w.as_str(), false),
            Piece::Phrase(p) => (p.as_str(), true),
        };
        let (mut stems, code) = plan::analyze(words);
        if stems.is_empty() {
            continue;
        }
        let fixed = match stems.as_mut_slice() {
            [stem] if !is_phrase => fixes.get(stem).map(|fix| *stem = fix.clone()).is_some(),
            _ => false,
        };
        let whole_code = !is_phrase && stems.len() > 1 && code.is_some();
        let mut options = Vec::new();
        if !(whole_code && mode == Match::AllWords) {
            options.push(boosted(phrase_or_term(f.title, &stems), boosts::TITLE));
            if !title_only {
                options.push(phrase_or_term(f.body, &stems));
            }
        }
        let exacts = schema::terms(&mut exact, words);
        if !is_phrase && !fixed && exacts.len() == 1 {
            options.push(boosted(term(f.title_exact, &exacts[0]), boosts::TITLE_EXACT));
            if !title_only && code.is_some() {
                options.push(boosted(term(f.body_exact, &exacts[0]), boosts::BODY_EXACT));
            }
        }
        if mode != Match::AllWords && !is_phrase && stems.len() == 1 && stems[0].chars().count() >= 4 {
            let distance = if stems[0].chars().count() >= 6 { 2 } else { 1 };
            for (field, boost) in [(f.title, boosts::TITLE_FUZZY), (f.body, boosts::BODY_FUZZY)] {
                if title_only && field == f.body {
                    continue;
                }
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, &stems[0]), distance, true);
                options.push(boosted(Box::new(fuzzy), boost));
            }
        }
        clauses.push((occur, any(options)));
    }
    if clauses.is_empty() {
        None
    } else {
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// The filters of a query, each scoring nothing: they choose posts, and must not
/// change how the chosen ones rank.
pub(super) fn filters(f: &Fields, q: &SearchQuery, with_category: bool) -> Vec<Clause> {
    filter_clauses(f, q, with_category)
        .into_iter()
        .map(|(occur, q)| (occur, boosted(q, 0.0)))
        .collect()
}

pub(super) fn filter_clauses(f: &Fields, q: &SearchQuery, with_category: bool) -> Vec<Clause> {
    let mut out: Vec<Clause> = Vec::new();
    if with_category && !q.categories.is_empty() {
        out.push((
            Occur::Must,
            any(q.categories.iter().map(|c| term(f.category, c)).collect()),
        ));
    }
    if let Some(p) = &q.product {
        out.push((Occur::Must, term(f.product, &p.to_lowercase())));
    }
    if let Some(t) = &q.tag {
        out.push((Occur::Must, term(f.tags, &t.to_lowercase())));
    }
    if let Some(a) = &q.author {
        out.push((Occur::Must, term(f.author, &a.to_lowercase())));
    }
    if let Some(s) = q.solved {
        out.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_u64(f.solved, u64::from(s)),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if q.since.is_some() || q.until.is_some() {
        let bound = |v: Option<i64>| match v {
            Some(s) => Bound::Included(Term::from_field_date(
                f.created_at,
                DateTime::from_timestamp_secs(s),
            )),
            None => Bound::Unbounded,
        };
        out.push((
            Occur::Must,
            Box::new(RangeQuery::new(bound(q.since), bound(q.until))),
        ));
    }
    out
}

pub(super) fn combine(text: Option<Box<dyn Query>>, filters: Vec<Clause>) -> Box<dyn Query> {
    let mut clauses = filters;
    clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    Box::new(BooleanQuery::new(clauses))
}

/// Past this many likely matches, totals and counts per category are estimated.
pub(super) const EXACT_COUNT_LIMIT: f64 = 5_000.0;

/// About how many posts the words of `text` match, from how many posts each word is
/// in (title or body; a code, whole in the exact fields), taking the words as
/// independent: cheap, from the term dictionary alone.
pub(super) fn likely_matches(
    searcher: &tantivy::Searcher,
    f: &Fields,
    text: &str,
    mode: Match,
    fixes: &Fixes,
) -> f64 {
    let n = searcher.num_docs().max(1) as f64;
    let df = |field: Field, t: &str| searcher.doc_freq(&Term::from_field_text(field, t)).unwrap_or(0) as f64;
    let mut shares = Vec::new();
    for piece in pieces(text) {
        let words = match &piece {
            Piece::Word(w) | Piece::Phrase(w) => w.as_str(),
        };
        let (stems, code) = plan::analyze(words);
        let posts = match (&piece, stems.as_slice(), code) {
            (_, [], _) => continue,
            (Piece::Word(_), [_, _, ..], Some(code)) => df(f.body_exact, &code) + df(f.title_exact, &code),
            (Piece::Word(_), [stem], _) => {
                let stem = fixes.get(stem).unwrap_or(stem);
                df(f.body, stem) + df(f.title, stem)
            }
            // Several stems (a phrase): the rarest bounds them.
            _ => stems
                .iter()
                .map(|s| df(f.body, s) + df(f.title, s))
                .fold(f64::INFINITY, f64::min),
        };
        shares.push(posts.min(n) / n);
    }
    if shares.is_empty() {
        return n;
    }
    let share = match mode {
        Match::AnyWord => 1.0 - shares.iter().map(|p| 1.0 - p).product::<f64>(),
        _ => shares.iter().product(),
    };
    share * n
}
