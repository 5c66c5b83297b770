//! The best page of an every-word query of plain words, from two sets of candidates
//! that hold it for sure, each scored as the full query scores it.

use super::*;

/// The full query's scoring terms, weighted once for every segment.
struct FullScore {
    weights: Vec<(Box<dyn Weight>, Score)>,
}

impl FullScore {
    fn new(searcher: &tantivy::Searcher, units: &[Unit]) -> tantivy::Result<Self> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let mut weights = Vec::new();
        for (term, boost) in units.iter().flat_map(|u| &u.scoring) {
            let weight = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs).weight(scoring)?;
            weights.push((weight, *boost));
        }
        Ok(Self { weights })
    }

    fn in_segment(&self, reader: &SegmentReader) -> tantivy::Result<SegmentScore> {
        let scorers = self
            .weights
            .iter()
            .map(|(weight, boost)| weight.scorer(reader, *boost))
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentScore { scorers })
    }
}

/// The scoring terms' postings in one segment, sought forward document by document.
struct SegmentScore {
    scorers: Vec<Box<dyn Scorer>>,
}

impl SegmentScore {
    /// The full query's score of `doc`, asked in increasing order of documents: the
    /// sum of its terms' boosted BM25, as boolean clauses add their children's scores.
    /// Seeking each list to the documents skips through it, where scoring the query's
    /// nested unions would walk them.
    fn of(&mut self, doc: DocId) -> Score {
        let mut score = 0.0;
        for scorer in &mut self.scorers {
            if scorer.doc() < doc {
                scorer.seek(doc);
            }
            if scorer.doc() == doc {
                score += scorer.score();
            }
        }
        score
    }
}

/// The best `window` of an every-word query of plain words, by the full query's
/// score, best first. The posts found with a word in the title and not every word in
/// the body, which counting would otherwise walk again, go to `titled_only`.
///
/// First every post with some word in its title ([`Titled`]): titles are on opening
/// posts only, so the walk is short; each is scored in full. If there are `window` of
/// them, the last of the page scores at least the `window`-th best of them, the bar.
/// Every other post has every word in the body and scores in the full query just
/// what it scores in [`in_body`]; so of the best `window` in `in_body` that beat the
/// bar (those titled are scored already), the others complete the page. Block-max
/// WAND finds them, starting from the bar and skipping every block that cannot reach
/// it, when `in_body` is a bare intersection (no word is a code).
pub(crate) fn best_page<C: Collector>(
    searcher: &tantivy::Searcher,
    f: &Fields,
    units: &[Unit],
    window: usize,
    titled_only: &C,
) -> tantivy::Result<(Vec<Scored>, C::Fruit)> {
    let full = FullScore::new(searcher, units)?;
    let titled = titled(units, true);
    let mut found = Vec::new();
    let mut fruits = Vec::new();
    for (s, reader) in searcher.segment_readers().iter().enumerate() {
        let segment_ord = s as SegmentOrdinal;
        let alive = reader.alive_bitset();
        let mut docs = titled.docs(reader)?;
        let mut score = full.in_segment(reader)?;
        let mut only = titled_only.for_segment(segment_ord, reader)?;
        while docs.doc() != TERMINATED {
            let doc = docs.doc();
            if alive.is_none_or(|a| a.is_alive(doc)) {
                found.push((score.of(doc), DocAddress::new(segment_ord, doc)));
                if !docs.all_in_body_here() {
                    only.collect(doc, 0.0);
                }
            }
            docs.advance();
        }
        fruits.push(only.harvest());
    }
    let bar = if found.len() >= window {
        let mut scores: Vec<Score> = found.iter().map(|(score, _)| *score).collect();
        let (_, nth, _) = scores.select_nth_unstable_by(window - 1, |a, b| b.total_cmp(a));
        *nth
    } else {
        Score::MIN
    };
    let weight = in_body(f, units).weight(EnableScoring::enabled_from_searcher(searcher))?;
    // The walk found the titled posts segment by segment, each in order: already
    // sorted by address.
    let titled_count = found.len();
    debug_assert!(found.is_sorted_by_key(|(_, address)| *address));
    let is_titled = |address: &DocAddress| {
        found[..titled_count]
            .binary_search_by(|(_, a)| a.cmp(address))
            .is_ok()
    };
    let mut from_body: Vec<DocAddress> = best::best(searcher, weight.as_ref(), window, bar)?
        .into_iter()
        .map(|(_, address)| address)
        .filter(|address| !is_titled(address))
        .collect();
    from_body.sort_unstable();
    let mut segment: Option<(SegmentOrdinal, SegmentScore)> = None;
    for address in from_body {
        let score = match &mut segment {
            Some((ord, score)) if *ord == address.segment_ord => score,
            _ => {
                let reader = searcher.segment_reader(address.segment_ord);
                &mut segment.insert((address.segment_ord, full.in_segment(reader)?)).1
            }
        };
        found.push((score.of(address.doc_id), address));
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found.truncate(window);
    Ok((found, titled_only.merge_fruits(fruits)?))
}
