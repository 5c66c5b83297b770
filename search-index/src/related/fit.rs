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
            for (topic, _) in m.threads.nearest(m.query, limit * NEAREST_PER_RESULT, exclude) {
                if ranked.iter().any(|r| r.0 == topic) {
                    continue;
                }
                let docs = index.thread_posts(&searcher, f, topic)?;
                let Some(&first) = docs.first() else { continue };
                let opening = docs.iter().copied().find(|a| {
                    let ff = searcher.segment_reader(a.segment_ord).fast_fields();
                    ff.u64("opening").ok().and_then(|c| c.first(a.doc_id)) == Some(1)
                });
                ranked.push((topic, 0.0, docs, opening.or(Some(first))));
            }
        }

        // Each candidate's share, then the order by score and share together: a thread
        // that repeats one common word in its question and answer does not pass one
        // that holds the question's rare words.
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
                    for (field, term, _) in terms {
                        if holds(segment, *field, term, addr.doc_id)? {
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
            let fit = match cosine {
                Some(c) => c + SHARE_WEIGHT * share,
                None => score * share.powf(SHARE_POWER),
            };
            scored.push((topic, score, share, cosine, fit, opening));
        }
        scored.sort_by(|a, b| b.4.total_cmp(&a.4).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        let mut out = Vec::with_capacity(scored.len());
        for (topic, score, share, cosine, fit, opening) in scored {
            // The thread's card comes from its opening post, found or not.
            let card = match opening {
                Some(addr) => searcher.doc(addr)?,
                None => match index.opening_of(&searcher, f, topic)? {
                    Some(doc) => doc,
                    None => continue,
                },
            };
            out.push(Related {
                thread: suggestion(f, &card),
                score,
                share,
                cosine,
                fit,
            });
        }
        Ok(out)
    }
}
