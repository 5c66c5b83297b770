//! The best documents of a query over all segments, with the bar to enter carried from
//! one segment to the next: tantivy's collector starts each segment from nothing, so
//! its block-max pruning would find the best of every segment.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use tantivy::query::Weight;
use tantivy::{DocAddress, Score, SegmentOrdinal};

struct Ranked {
    score: Score,
    address: DocAddress,
}

/// Higher scores first; of equal scores, the earlier document.
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// The best `window` documents by `weight`'s score of those that score more than
/// `floor`, best first (of equal scores, the earlier document), deleted ones left out.
pub(crate) fn best(
    searcher: &tantivy::Searcher,
    weight: &dyn Weight,
    window: usize,
    floor: Score,
) -> tantivy::Result<Vec<super::Scored>> {
    let mut kept: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(window + 1);
    // The score a document must beat to be kept: the worst kept once there are enough.
    let bar = |kept: &BinaryHeap<Reverse<Ranked>>| match kept.peek() {
        Some(Reverse(worst)) if kept.len() >= window => worst.score.max(floor),
        _ => floor,
    };
    for (s, reader) in searcher.segment_readers().iter().enumerate() {
        let alive = reader.alive_bitset();
        let segment_ord = s as SegmentOrdinal;
        weight.for_each_pruning(bar(&kept), reader, &mut |doc, score| {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                kept.push(Reverse(Ranked {
                    score,
                    address: DocAddress::new(segment_ord, doc),
                }));
                if kept.len() > window {
                    kept.pop();
                }
            }
            bar(&kept)
        })?;
    }
    Ok(kept
        .into_sorted_vec()
        .into_iter()
        .map(|Reverse(r)| (r.score, r.address))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::{PostDoc, SearchIndex};
    use tantivy::collector::TopDocs;
    use tantivy::query::{EnableScoring, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Term};

    /// Over several segments, some posts deleted, the best are tantivy's own best, in
    /// its order; and a floor keeps only those above it.
    #[test]
    fn the_best_over_segments_are_tantivys() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let mut w = index.writer(20_000_000).unwrap();
        for id in 1..=300u64 {
            let body = format!(
                "{} {}",
                "proxy ".repeat((id % 5 + 1) as usize),
                "filler ".repeat((id % 7) as usize)
            );
            w.add(&PostDoc {
                post_id: id,
                topic_id: id,
                number: 1,
                body,
                ..PostDoc::default()
            })
            .unwrap();
            if id % 100 == 0 {
                w.commit(id as i64).unwrap();
            }
        }
        for id in (1..=300u64).filter(|id| id % 9 == 0) {
            w.delete_post(id);
        }
        w.commit(301).unwrap();
        index.reload().unwrap();
        let searcher = index.reader().searcher();
        assert!(searcher.segment_readers().len() > 1);
        let query = TermQuery::new(
            Term::from_field_text(index.fields().body, "proxi"),
            IndexRecordOption::WithFreqs,
        );
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let theirs = searcher
            .search(&query, &TopDocs::with_limit(25).order_by_score())
            .unwrap();
        let ours = best(&searcher, weight.as_ref(), 25, Score::MIN).unwrap();
        assert_eq!(ours, theirs);
        let floor = theirs[10].0;
        let above = best(&searcher, weight.as_ref(), 25, floor).unwrap();
        assert!(!above.is_empty() && above.iter().all(|(score, _)| *score > floor));
        assert_eq!(above, theirs[..above.len()]);
    }
}
