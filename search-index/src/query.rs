//! Queries: full search with filters, snippets and category counts; suggestions for a
//! title being typed; topics similar to one.
//!
//! A query's words must all match (in the title or the body, stemmed or exact); when
//! none do, typos are forgiven (a word matches terms one or two edits away); when still
//! nothing matches, any one word is enough. Scores are BM25 with the title weighted
//! above the body, then lifted for accepted answers, official articles and votes.

use std::collections::HashMap;
use std::ops::Bound;

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DateTime, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

use crate::boosts;
use crate::index::{SearchError, SearchIndex};
use crate::plan::{self, Fixes};
use crate::schema::{self, Fields};

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

type Clause = (Occur, Box<dyn Query>);

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn phrase_or_term(field: Field, terms: &[String]) -> Box<dyn Query> {
    if terms.len() == 1 {
        term(field, &terms[0])
    } else {
        Box::new(PhraseQuery::new(
            terms.iter().map(|t| Term::from_field_text(field, t)).collect(),
        ))
    }
}

fn any(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
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
fn text_query(
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

/// What a snippet marks: every word's stems in the body (a code's parts, a phrase's
/// words, a misspelling's correction), whichever field the query matched them in.
fn highlights(f: &Fields, text: &str, fixes: &Fixes) -> BooleanQuery {
    let mut out: Vec<Clause> = Vec::new();
    for piece in pieces(text) {
        let (Piece::Word(words) | Piece::Phrase(words)) = &piece;
        let (mut stems, _) = plan::analyze(words);
        for stem in stems.iter_mut() {
            if let Some(fix) = fixes.get(stem) {
                *stem = fix.clone();
            }
        }
        if !stems.is_empty() {
            out.push((Occur::Should, phrase_or_term(f.body, &stems)));
        }
    }
    BooleanQuery::new(out)
}

/// The filters of a query, each scoring nothing: they choose posts, and must not
/// change how the chosen ones rank.
fn filters(f: &Fields, q: &SearchQuery, with_category: bool) -> Vec<Clause> {
    filter_clauses(f, q, with_category)
        .into_iter()
        .map(|(occur, q)| (occur, boosted(q, 0.0)))
        .collect()
}

fn filter_clauses(f: &Fields, q: &SearchQuery, with_category: bool) -> Vec<Clause> {
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

fn combine(text: Option<Box<dyn Query>>, filters: Vec<Clause>) -> Box<dyn Query> {
    let mut clauses = filters;
    clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    Box::new(BooleanQuery::new(clauses))
}

/// Past this many likely matches, totals and counts per category are estimated.
const EXACT_COUNT_LIMIT: f64 = 5_000.0;

/// About how many posts the words of `text` match, from how many posts each word is
/// in (title or body; a code, whole in the exact fields), taking the words as
/// independent: cheap, from the term dictionary alone.
fn likely_matches(searcher: &tantivy::Searcher, f: &Fields, text: &str, mode: Match, fixes: &Fixes) -> f64 {
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

/// Past this many likely matches, an every-word query finds its candidates with
/// pruned single-field queries first (see `plan`).
const NARROW_FROM: f64 = 2_000.0;

/// How many of the best matches by text alone are re-ranked with the community lifts.
const RERANK_WINDOW: usize = 100;

/// What the community said of a post, as a factor on its text score: accepted
/// answers, official articles and votes lift it; negative votes lower it.
fn lift(votes: i64, accepted: bool, official: bool) -> Score {
    let mut lift = 1.0;
    if accepted {
        lift += 0.6;
    }
    if official {
        lift += 0.4;
    }
    let votes_factor = 1.0 + 0.15 * (1.0 + votes.unsigned_abs() as f32).ln();
    if votes >= 0 {
        lift * votes_factor
    } else {
        lift / votes_factor
    }
}

/// A page of results: the best `RERANK_WINDOW` (or more, for deep pages) by BM25,
/// then re-ranked with [`lift`].
///
/// With `narrow` (the units of `query`), the best of each narrowing query are the
/// candidates, and `query`'s score is computed on them alone: a broad query then costs
/// a few pruned walks of posting lists instead of scoring every one of its matches. Without, `query` is scored over every
/// match (tantivy prunes what it can).
fn top_ranked(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    narrow: Option<&[plan::Unit]>,
    limit: usize,
    offset: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let window = (offset + limit).max(RERANK_WINDOW);
    let found = match narrow {
        None => searcher.search(query, &TopDocs::with_limit(window).order_by_score())?,
        Some(units) => {
            let chosen = plan::candidates(searcher, units, window)?;
            let mut scored = plan::rescore(searcher, units, &chosen)?;
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            scored.truncate(window);
            scored
        }
    };
    let mut lifted = Vec::with_capacity(found.len());
    for (score, address) in found {
        let ff = searcher.segment_reader(address.segment_ord).fast_fields();
        let doc = address.doc_id;
        let votes = ff.i64("votes").ok().and_then(|c| c.first(doc)).unwrap_or(0);
        let accepted = ff.u64("accepted").ok().and_then(|c| c.first(doc)) == Some(1);
        let official = ff.u64("official").ok().and_then(|c| c.first(doc)) == Some(1);
        lifted.push((score * lift(votes, accepted, official), address));
    }
    lifted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(lifted.into_iter().skip(offset).take(limit).collect())
}

/// Counts matches per category.
struct CategoryCounts;

struct SegmentCounts {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl Collector for CategoryCounts {
    type Fruit = HashMap<String, u64>;
    type Child = SegmentCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentCounts> {
        let column = segment.fast_fields().str("category")?;
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        Ok(SegmentCounts {
            column,
            counts: vec![0; terms],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<String, u64>>) -> tantivy::Result<HashMap<String, u64>> {
        let mut all = HashMap::new();
        for fruit in fruits {
            for (k, v) in fruit {
                *all.entry(k).or_insert(0) += v;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentCounts {
    type Fruit = HashMap<String, u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let ord = self.column.as_ref().and_then(|c| c.term_ords(doc).next());
        if let Some(n) = ord.and_then(|o| self.counts.get_mut(o as usize)) {
            *n += 1;
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        if let Some(column) = &self.column {
            let mut name = String::new();
            for (ord, n) in self.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                name.clear();
                if column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                    out.insert(name.clone(), *n);
                }
            }
        }
        out
    }
}

/// Escapes text for HTML and marks the highlighted byte ranges.
fn marked(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    fn escape(s: &str, out: &mut String) {
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for r in ranges {
        if r.start < at
            || r.end > fragment.len()
            || !fragment.is_char_boundary(r.start)
            || !fragment.is_char_boundary(r.end)
        {
            continue;
        }
        escape(&fragment[at..r.start], &mut out);
        out.push_str("<mark>");
        escape(&fragment[r.clone()], &mut out);
        out.push_str("</mark>");
        at = r.end;
    }
    escape(&fragment[at..], &mut out);
    out
}

fn text_of(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn u64_of(doc: &TantivyDocument, field: Field) -> u64 {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or_default()
}

pub(crate) fn suggestion(f: &Fields, doc: &TantivyDocument) -> Suggestion {
    Suggestion {
        topic_id: u64_of(doc, f.topic_id),
        title: text_of(doc, f.topic_title),
        slug: text_of(doc, f.slug),
        kind: text_of(doc, f.kind),
        category: text_of(doc, f.category),
        solved: u64_of(doc, f.solved) == 1,
        official: u64_of(doc, f.official) == 1,
        votes: doc
            .get_first(f.votes)
            .and_then(|v| v.as_i64())
            .unwrap_or_default(),
    }
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
            let likely = likely_matches(&searcher, f, &q.text, query_mode, &fixes);
            let narrow = units.as_deref().filter(|_| !filtered && likely > NARROW_FROM);
            let top = top_ranked(&searcher, &*query, narrow, limit, offset)?;
            if !top.is_empty() || !has_text || mode == Match::AnyWord {
                chosen = Some((top, mode, strict, fixes, units, likely));
                break;
            }
        }
        let Some((top, matched, strict, fixes, units, likely)) = chosen else {
            unreachable!("the last attempt always chooses")
        };
        // The total and the counts per category need every match, but no scores:
        // tantivy then only walks the posting lists. When the words are so common that
        // even that is long, they are counted in one of 64 buckets of posts (an even
        // sample fixed by post id) and scaled up.
        let approximate = strict && likely > EXACT_COUNT_LIMIT;
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
        let parts: Vec<Option<Box<dyn Query>>> = match &units {
            Some(units) => plan::counting(units).into_iter().map(Some).collect(),
            None => vec![text_query(
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
        // A sample can miss what the page shows: never say fewer than that.
        let total = (total * scale).max(offset + top.len());
        let counts: HashMap<String, u64> = counts.into_iter().map(|(k, v)| (k, v * scale as u64)).collect();
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
