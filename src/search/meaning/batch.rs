//! Questions encoded together when they arrive together.
//!
//! Encoding a short question reads every weight of the model (42 MB) for a few rows of
//! arithmetic, so one question alone is bound by memory, not by the processor. When
//! several are asked at once, the thread that encodes takes every question waiting
//! and encodes them in one pass ([`embedding::Encoder::embed_ids_many`]), which costs
//! little more than one. At most [`ENCODERS`] passes run at once (the cores); the
//! others' threads wait for their answer or for a free turn, whichever comes first. A
//! question asked alone is encoded at once, by its own thread, as before.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};

use embedding::Encoder;

use crate::search::costs::{Costs, Part};

/// Passes that run at once.
const ENCODERS: usize = 2;

/// Most questions in one pass (each at most 32 tokens).
const PER_PASS: usize = 16;

#[derive(Default)]
struct State {
    waiting: VecDeque<(u64, Vec<u32>)>,
    /// Vectors computed for their askers, by ticket (`None`: the pass failed).
    done: HashMap<u64, Option<Vec<f32>>>,
    encoding: usize,
    next: u64,
}

/// The questions waiting to be encoded.
#[derive(Default)]
pub struct Batcher {
    state: Mutex<State>,
    turn: Condvar,
}

impl Batcher {
    /// The vector of token ids `ids`, encoded with whatever else is waiting; `None`
    /// only if encoding failed (a panic in the encoder), and then search goes on by
    /// words alone.
    pub fn encode(&self, encoder: &Encoder, costs: &Costs, ids: Vec<u32>) -> Option<Vec<f32>> {
        let mut state = self.state.lock().ok()?;
        let ticket = state.next;
        state.next += 1;
        state.waiting.push_back((ticket, ids));
        loop {
            if let Some(found) = state.done.remove(&ticket) {
                return found;
            }
            if state.encoding < ENCODERS && !state.waiting.is_empty() {
                let take = state.waiting.len().min(PER_PASS);
                let pass: Vec<(u64, Vec<u32>)> = state.waiting.drain(..take).collect();
                state.encoding += 1;
                drop(state);
                let vectors = encode_pass(encoder, costs, &pass);
                state = self.state.lock().ok()?;
                state.encoding -= 1;
                for (i, (t, _)) in pass.iter().enumerate() {
                    let v = vectors.as_ref().and_then(|vs| vs.get(i).cloned());
                    state.done.insert(*t, v);
                }
                self.turn.notify_all();
                continue;
            }
            state = self.turn.wait(state).ok()?;
        }
    }
}

/// One pass over `pass`'s questions, its processor time counted as theirs; `None` if
/// the encoder panicked.
fn encode_pass(encoder: &Encoder, costs: &Costs, pass: &[(u64, Vec<u32>)]) -> Option<Vec<Vec<f32>>> {
    let texts: Vec<&[u32]> = pass.iter().map(|(_, ids)| ids.as_slice()).collect();
    let run = || {
        costs.measure_many(Part::Encode, texts.len() as u64, || {
            encoder.embed_ids_many(&texts)
        })
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(vectors) => Some(vectors),
        Err(_) => {
            tracing::error!("encoding questions panicked; they are searched by words alone");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Questions asked from many threads at once get the vectors they get alone, each
    /// counted once.
    #[test]
    fn questions_asked_at_once_get_their_own_vectors() {
        let Some(encoder) = crate::search::meaning::tests::test_encoder() else {
            return;
        };
        let (batcher, costs) = (Batcher::default(), Costs::new());
        let texts: Vec<String> = (0..40)
            .map(|i| format!("backup agent {i} stops after the upgrade to 4.2.{}", i % 7))
            .collect();
        let got: Vec<Option<Vec<f32>>> = std::thread::scope(|s| {
            let asked: Vec<_> = texts
                .iter()
                .map(|t| {
                    let ids = encoder.tokens(t, 32);
                    let (b, e, c) = (&batcher, &encoder, &costs);
                    s.spawn(move || b.encode(e, c, ids))
                })
                .collect();
            asked.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, v) in texts.iter().zip(got) {
            assert_eq!(v, Some(encoder.embed_ids(&encoder.tokens(t, 32))), "{t}");
        }
        assert_eq!(costs.spent(Part::Encode).1, 40);
        let state = batcher.state.lock().unwrap();
        assert!(state.done.is_empty() && state.waiting.is_empty() && state.encoding == 0);
    }
}
