//! Ranking the threads found: score, share and meaning together, and whether the
//! forms show them.

use super::*;

/// The threads the words of a question find, before meaning is compared: looked up
/// while the question is encoded ([`SearchIndex::related_by_words`]), then ranked with
/// its meaning ([`Found::rank`]).
pub struct Found {
    pub(super) searcher: tantivy::Searcher,
    pub(super) looked_up: Vec<LookedUp>,
    pub(super) total_weight: f32,
    pub(super) ranked: Vec<Candidate>,
    pub(super) exclude: Option<u64>,
    pub(super) limit: usize,
}

impl Found {
    /// The second half of [`SearchIndex::related`]: the threads nearest in meaning join
    /// those found by words, and all are ranked by their share and, with meaning, their
    /// fit. `index` is the one that found them.
    pub fn rank(
        self,
        index: &SearchIndex,
        meaning: Option<Meaning<'_>>,
    ) -> Result<Vec<Related>, SearchError> {
        let Found {
            searcher,
            looked_up,
            total_weight,
            mut ranked,
            exclude,
            limit,
        } = self;
        if looked_up.is_empty() && meaning.is_none() {
            return Ok(Vec::new());
        }
        let f = index.fields();
        if let Some(m) = meaning {
            // Threads near in meaning that no word found: their opening post and
            // accepted answer are read so that their share is weighed like the others'.
            let mut openings = Columns::u64(&searcher, "opening");
            for (topic, _) in m.threads.nearest(m.query, limit * NEAREST_PER_RESULT, exclude) {
                if ranked.iter().any(|r| r.0 == topic) {
                    continue;
                }
                let docs = index.thread_posts(&searcher, f, topic)?;
                let Some(&first) = docs.first() else { continue };
                let opening = docs
                    .iter()
                    .copied()
                    .find(|a| openings.first(*a).ok().flatten() == Some(1));
                ranked.push((topic, 0.0, docs, opening.or(Some(first))));
            }
        }

        // Each candidate's share, then the order by score and share together: a thread
        // that repeats one common word in its question and answer does not pass one
        // that holds the question's rare words.
        // How near the question is to the forum as a whole, for the cut (see `shown`).
        let typical = meaning.map(|m| {
            let (sum, n) = m.threads.cosine_sum(m.query);
            sum / n.max(TYPICAL_OVER) as f32
        });
        let mut scored = Vec::with_capacity(ranked.len());
        for (topic, score, docs, opening) in ranked {
            let mut held = 0.0;
            for (terms, weight) in &looked_up {
                let mut found = false;
                for addr in &docs {
                    if found {
                        break;
                    }
                    let segment = searcher.segment_reader(addr.segment_ord);
                    for term in terms {
                        if holds(segment, term, addr.doc_id)? {
                            found = true;
                            break;
                        }
                    }
                }
                if found {
                    held += weight;
                }
            }
            let share = if total_weight > 0.0 {
                held / total_weight
            } else {
                0.0
            };
            let cosine = meaning.map(|m| m.threads.cosine(m.query, topic).unwrap_or(0.0));
            let title_cosine = meaning.map(|m| m.threads.title_cosine(m.query, topic).unwrap_or(0.0));
            let fit = match (cosine, title_cosine) {
                (Some(c), Some(t)) => c + TITLE_MEANING_WEIGHT * t + SHARE_WEIGHT * share,
                _ => score * share.powf(SHARE_POWER),
            };
            scored.push(Scored {
                topic,
                score,
                share,
                cosine,
                title_cosine,
                fit,
                opening,
            });
        }
        scored.sort_by(|a, b| b.fit.total_cmp(&a.fit).then(a.topic.cmp(&b.topic)));
        scored.truncate(limit);
        let mut out = Vec::with_capacity(scored.len());
        for s in scored {
            // The thread's card comes from its opening post, found or not.
            let card = match s.opening {
                Some(addr) => searcher.doc(addr)?,
                None => match index.opening_of(&searcher, f, s.topic)? {
                    Some(doc) => doc,
                    None => continue,
                },
            };
            out.push(Related {
                thread: suggestion(f, &card),
                score: s.score,
                share: s.share,
                cosine: s.cosine,
                title_cosine: s.title_cosine,
                typical,
                fit: s.fit,
            });
        }
        Ok(out)
    }
}

/// A candidate with its figures, before its card is read.
struct Scored {
    topic: u64,
    score: Score,
    share: f32,
    cosine: Option<f32>,
    title_cosine: Option<f32>,
    fit: f32,
    opening: Option<DocAddress>,
}
