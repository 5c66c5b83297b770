//! Ranking: BM25 lifted for votes, accepted answers and official articles over the
//! first window of hits; and the counts per category.

use super::*;
use crate::columns::Columns;

/// How many of the best matches by text alone are re-ranked with the community lifts.
pub(super) const RERANK_WINDOW: usize = 100;

/// What the community said of a post, as a factor on its text score: accepted
/// answers, official articles and votes lift it; negative votes lower it.
pub(super) fn lift(votes: i64, accepted: bool, official: bool) -> Score {
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

/// Matches and their count per category.
pub(super) type Counted = (usize, HashMap<String, u64>);

/// A page of results: the best `RERANK_WINDOW` (or more, for deep pages) by BM25,
/// then re-ranked with [`lift`].
///
/// With `narrow` (the units of `query`), `query`'s score is computed on the
/// candidates of `plan::best_page` alone, which hold its best: a query then costs a
/// pruned walk of its words' body lists and a walk of their title lists instead of
/// scoring every one of its matches; and the matches found on the way that have a
/// word in the title and not every word in the body are counted. Without, `query` is
/// scored over every match (tantivy prunes what it can).
pub(super) fn top_ranked(
    searcher: &tantivy::Searcher,
    f: &Fields,
    query: &dyn Query,
    narrow: Option<&[plan::Unit]>,
    limit: usize,
    offset: usize,
) -> tantivy::Result<(Vec<plan::Scored>, Option<Counted>)> {
    let window = (offset + limit).max(RERANK_WINDOW);
    let (found, titled) = match narrow {
        None => (
            searcher.search(query, &TopDocs::with_limit(window).order_by_score())?,
            None,
        ),
        Some(units) => {
            let (scored, titled) = plan::best_page(searcher, f, units, window, &(Count, CategoryCounts))?;
            (scored, Some(titled))
        }
    };
    let mut lifted = Vec::with_capacity(found.len());
    let mut votes = Columns::i64(searcher, "votes");
    let (mut accepted, mut official) = (
        Columns::u64(searcher, "accepted"),
        Columns::u64(searcher, "official"),
    );
    for (score, address) in found {
        let votes = votes.first(address).ok().flatten().unwrap_or(0);
        let accepted = accepted.first(address).ok().flatten() == Some(1);
        let official = official.first(address).ok().flatten() == Some(1);
        lifted.push((score * lift(votes, accepted, official), address));
    }
    lifted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok((lifted.into_iter().skip(offset).take(limit).collect(), titled))
}

/// Counts matches per category.
pub(super) struct CategoryCounts;

pub(super) struct SegmentCounts {
    pub(super) column: Option<StrColumn>,
    pub(super) counts: Vec<u64>,
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
