//! The meaning of each thread, as a unit vector from a sentence encoder, held in memory
//! and searched by brute force: a dot product per thread is cheap next to encoding the
//! question, and exact.
//!
//! The vectors come from outside (the application computes them and keeps them in its
//! database); this crate only keeps them and finds the nearest.

use std::collections::HashMap;
use std::sync::RwLock;

/// Thread vectors of one model, all of one length.
#[derive(Debug, Default)]
pub struct Vectors {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    dimensions: usize,
    /// Slot of each topic.
    slots: HashMap<u64, usize>,
    /// Topic of each slot.
    topics: Vec<u64>,
    /// Slot `i` is `data[i * dimensions..(i + 1) * dimensions]`.
    data: Vec<f32>,
}

impl Vectors {
    pub fn new(dimensions: usize) -> Self {
        Self {
            inner: RwLock::new(Inner {
                dimensions,
                ..Inner::default()
            }),
        }
    }

    /// Sets (or replaces) the vector of `topic`; a vector of another length is ignored.
    pub fn set(&self, topic: u64, vector: &[f32]) {
        let Ok(mut g) = self.inner.write() else { return };
        let d = g.dimensions;
        if vector.len() != d || d == 0 {
            return;
        }
        match g.slots.get(&topic).copied() {
            Some(slot) => g.data[slot * d..(slot + 1) * d].copy_from_slice(vector),
            None => {
                let slot = g.topics.len();
                g.topics.push(topic);
                g.data.extend_from_slice(vector);
                g.slots.insert(topic, slot);
            }
        }
    }

    /// Forgets the vector of `topic` (the thread was deleted or hidden).
    pub fn remove(&self, topic: u64) {
        let Ok(mut g) = self.inner.write() else { return };
        let Some(slot) = g.slots.remove(&topic) else {
            return;
        };
        let d = g.dimensions;
        let last = g.topics.len() - 1;
        if slot != last {
            let moved = g.topics[last];
            g.topics[slot] = moved;
            g.data.copy_within(last * d..(last + 1) * d, slot * d);
            g.slots.insert(moved, slot);
        }
        g.topics.pop();
        g.data.truncate(last * d);
    }

    /// Threads with a vector.
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |g| g.topics.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The vector of `topic`, if it has one.
    pub fn get(&self, topic: u64) -> Option<Vec<f32>> {
        let g = self.inner.read().ok()?;
        let d = g.dimensions;
        let slot = *g.slots.get(&topic)?;
        Some(g.data[slot * d..(slot + 1) * d].to_vec())
    }

    /// The cosine of `query` (a unit vector) with the vector of `topic`, if it has one.
    pub fn cosine(&self, query: &[f32], topic: u64) -> Option<f32> {
        let g = self.inner.read().ok()?;
        let d = g.dimensions;
        let slot = *g.slots.get(&topic)?;
        Some(dot(query, &g.data[slot * d..(slot + 1) * d]))
    }

    /// The `k` threads nearest `query`, nearest first, with their cosines.
    pub fn nearest(&self, query: &[f32], k: usize, exclude: Option<u64>) -> Vec<(u64, f32)> {
        let Ok(g) = self.inner.read() else {
            return Vec::new();
        };
        let d = g.dimensions;
        if query.len() != d || d == 0 || k == 0 {
            return Vec::new();
        }
        // The best k so far, worst first once full.
        let mut best: Vec<(f32, u64)> = Vec::with_capacity(k + 1);
        let mut floor = f32::NEG_INFINITY;
        for (slot, chunk) in g.data.chunks_exact(d).enumerate() {
            let c = dot(query, chunk);
            if c <= floor {
                continue;
            }
            let topic = g.topics[slot];
            if Some(topic) == exclude {
                continue;
            }
            best.push((c, topic));
            if best.len() > k {
                best.sort_by(|a, b| b.0.total_cmp(&a.0));
                best.truncate(k);
                floor = best[k - 1].0;
            }
        }
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        best.into_iter().map(|(c, t)| (t, c)).collect()
    }
}

/// Dot product in eight lanes, which the compiler turns into vector instructions.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn nearest_first_and_removal_keeps_the_others() {
        let vs = Vectors::new(3);
        vs.set(1, &unit(&[1.0, 0.0, 0.0]));
        vs.set(2, &unit(&[1.0, 1.0, 0.0]));
        vs.set(3, &unit(&[0.0, 0.0, 1.0]));
        vs.set(4, &[1.0, 2.0]); // wrong length: ignored
        let q = unit(&[1.0, 0.2, 0.0]);
        let found: Vec<u64> = vs.nearest(&q, 2, None).into_iter().map(|(t, _)| t).collect();
        assert_eq!(found, [1, 2]);
        assert_eq!(vs.nearest(&q, 5, Some(1))[0].0, 2);
        vs.remove(1);
        assert_eq!(vs.len(), 2);
        assert_eq!(vs.nearest(&q, 1, None)[0].0, 2);
        assert!(vs.cosine(&q, 3).is_some_and(|c| c.abs() < 1e-6));
        assert!(vs.cosine(&q, 1).is_none());
        vs.set(2, &unit(&[0.0, 1.0, 0.0]));
        assert_eq!(vs.nearest(&unit(&[0.0, 1.0, 0.1]), 1, None)[0].0, 2);
        assert_eq!(vs.get(2), Some(unit(&[0.0, 1.0, 0.0])));
    }
}
