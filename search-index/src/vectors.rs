//! The meaning of each thread, as a unit vector from a sentence encoder, held in memory
//! and searched by brute force: a dot product per thread is cheap next to encoding the
//! question.
//!
//! Each vector is kept as 8-bit integers with one scale (its largest value maps to
//! 127): a quarter of the memory of 32-bit floats, and a scan over every thread reads a
//! quarter of the bytes, which is what bounds its speed. The cosines it gives are within
//! about 0.01 of the exact ones.
//!
//! Beside its whole text, each thread may have a vector of its title alone: the
//! question as its author put it, which a question in other words often matches more
//! closely than the whole thread, answer included ([`Vectors::title_cosine`]). And the
//! sum of every thread's vector is kept, so that how near a question is to the forum as
//! a whole costs one dot product ([`Vectors::cosine_sum`]).
//!
//! The vectors come from outside (the application computes them and keeps them in its
//! database); this crate only keeps them and finds the nearest.

use pulp::{Arch, Simd, WithSimd};
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
    /// Slot `i` is `codes[i * dimensions..(i + 1) * dimensions]` times `scales[i]`.
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// The titles' vectors, slot for slot as `codes` and `scales` (zeros and a scale of
    /// 0 for a thread whose title has none).
    title_codes: Vec<i8>,
    title_scales: Vec<f32>,
    /// The sum of every slot's vector (as its codes read back), kept in 64 bits so that
    /// adding and taking away leave no drift worth a thought.
    sum: Vec<f64>,
}

impl Inner {
    /// Adds (`sign` 1) or takes away (-1) slot `slot`'s vector from the sum.
    fn add_to_sum(&mut self, slot: usize, sign: f64) {
        let d = self.dimensions;
        let scale = f64::from(self.scales[slot]) * sign;
        if self.sum.len() != d {
            self.sum = vec![0.0; d];
        }
        for (s, &c) in self.sum.iter_mut().zip(&self.codes[slot * d..(slot + 1) * d]) {
            *s += f64::from(c) * scale;
        }
    }
}

/// `v` as 8-bit codes and the scale that turns them back.
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 127.0;
    (
        v.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
            .collect(),
        scale,
    )
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
        let (codes, scale) = quantize(vector);
        let slot = match g.slots.get(&topic).copied() {
            Some(slot) => {
                g.add_to_sum(slot, -1.0);
                g.codes[slot * d..(slot + 1) * d].copy_from_slice(&codes);
                g.scales[slot] = scale;
                slot
            }
            None => {
                let slot = g.topics.len();
                g.topics.push(topic);
                g.codes.extend_from_slice(&codes);
                g.scales.push(scale);
                g.title_codes.resize((slot + 1) * d, 0);
                g.title_scales.push(0.0);
                g.slots.insert(topic, slot);
                slot
            }
        };
        g.add_to_sum(slot, 1.0);
    }

    /// Sets the vector of `topic`'s title; ignored for a thread with no vector (set
    /// that first) or a vector of another length.
    pub fn set_title(&self, topic: u64, vector: &[f32]) {
        let Ok(mut g) = self.inner.write() else { return };
        let d = g.dimensions;
        let Some(slot) = g.slots.get(&topic).copied() else {
            return;
        };
        if vector.len() != d {
            return;
        }
        let (codes, scale) = quantize(vector);
        g.title_codes[slot * d..(slot + 1) * d].copy_from_slice(&codes);
        g.title_scales[slot] = scale;
    }

    /// Forgets the vector of `topic` (the thread was deleted or hidden).
    pub fn remove(&self, topic: u64) {
        let Ok(mut g) = self.inner.write() else { return };
        let Some(slot) = g.slots.remove(&topic) else {
            return;
        };
        g.add_to_sum(slot, -1.0);
        let d = g.dimensions;
        let last = g.topics.len() - 1;
        if slot != last {
            let moved = g.topics[last];
            g.topics[slot] = moved;
            g.codes.copy_within(last * d..(last + 1) * d, slot * d);
            g.scales[slot] = g.scales[last];
            g.title_codes.copy_within(last * d..(last + 1) * d, slot * d);
            g.title_scales[slot] = g.title_scales[last];
            g.slots.insert(moved, slot);
        }
        g.topics.pop();
        g.scales.pop();
        g.codes.truncate(last * d);
        g.title_scales.pop();
        g.title_codes.truncate(last * d);
        if g.topics.is_empty() {
            // Nothing left to sum: start again from exact zeros.
            g.sum.clear();
        }
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
        let scale = g.scales[slot];
        Some(
            g.codes[slot * d..(slot + 1) * d]
                .iter()
                .map(|&c| f32::from(c) * scale)
                .collect(),
        )
    }

    /// The cosine of `query` (a unit vector) with the vector of `topic`, if it has one.
    pub fn cosine(&self, query: &[f32], topic: u64) -> Option<f32> {
        let g = self.inner.read().ok()?;
        let d = g.dimensions;
        let slot = *g.slots.get(&topic)?;
        if query.len() != d {
            return None;
        }
        let (q, qs) = quantize(query);
        Some(dot(&q, &g.codes[slot * d..(slot + 1) * d]) as f32 * qs * g.scales[slot])
    }

    /// The cosine of `query` (a unit vector) with the vector of `topic`'s title, if it
    /// has one.
    pub fn title_cosine(&self, query: &[f32], topic: u64) -> Option<f32> {
        let g = self.inner.read().ok()?;
        let d = g.dimensions;
        let slot = *g.slots.get(&topic)?;
        if query.len() != d || g.title_scales[slot] == 0.0 {
            return None;
        }
        let (q, qs) = quantize(query);
        Some(dot(&q, &g.title_codes[slot * d..(slot + 1) * d]) as f32 * qs * g.title_scales[slot])
    }

    /// The sum of the cosines of `query` (a unit vector) with every thread, and how
    /// many threads that is: one dot product with the sum of their vectors.
    pub fn cosine_sum(&self, query: &[f32]) -> (f32, usize) {
        let Ok(g) = self.inner.read() else {
            return (0.0, 0);
        };
        if query.len() != g.dimensions || g.sum.len() != query.len() {
            return (0.0, g.topics.len());
        }
        let sum: f64 = query.iter().zip(&g.sum).map(|(&q, &s)| f64::from(q) * s).sum();
        (sum as f32, g.topics.len())
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
        let (q, qs) = quantize(query);
        let mut dots = Vec::with_capacity(g.topics.len());
        Arch::new().dispatch(Scan {
            query: &q,
            codes: &g.codes,
            dots: &mut dots,
        });
        // The best k so far, worst first once full.
        let mut best: Vec<(f32, u64)> = Vec::with_capacity(k + 1);
        let mut floor = f32::NEG_INFINITY;
        for (slot, &dot) in dots.iter().enumerate() {
            let c = dot as f32 * qs * g.scales[slot];
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

/// The dot product of a question's codes with every thread's, in slot order.
struct Scan<'a> {
    query: &'a [i8],
    codes: &'a [i8],
    dots: &'a mut Vec<i32>,
}

impl WithSimd for Scan<'_> {
    type Output = ();

    /// Compiled once for each vector width the CPU may have and run with the widest
    /// it has: the same loop, which the compiler turns into that width's instructions
    /// (a scan of every thread reads 384 bytes a thread, and is bound by how many it
    /// multiplies at once).
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let d = self.query.len();
        if d == 0 {
            return;
        }
        for chunk in self.codes.chunks_exact(d) {
            self.dots.push(dot(self.query, chunk));
        }
    }
}

/// Dot product of two code vectors, in sixteen lanes of 32-bit sums, which the
/// compiler turns into vector instructions.
#[inline(always)]
fn dot(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            lanes[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    lanes.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_cosines_within_a_hundredth() {
        let mut seed = 3u64;
        let mut random = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 2001) as f32 / 1000.0 - 1.0
        };
        let vs = Vectors::new(384);
        let mut exact = Vec::new();
        for t in 0..50 {
            let v = unit(&(0..384).map(|_| random()).collect::<Vec<_>>());
            vs.set(t, &v);
            exact.push(v);
        }
        let q = unit(&(0..384).map(|_| random()).collect::<Vec<_>>());
        for (t, v) in exact.iter().enumerate() {
            let want: f32 = q.iter().zip(v).map(|(a, b)| a * b).sum();
            let got = vs.cosine(&q, t as u64).unwrap();
            assert!((want - got).abs() < 0.01, "{want} {got}");
            let own = vs.cosine(v, t as u64).unwrap();
            assert!((own - 1.0).abs() < 0.01, "{own}");
        }
        assert_eq!(quantize(&[0.0, 0.0]), (vec![0, 0], 0.0));
    }

    #[test]
    fn titles_and_the_sum_follow_every_change() {
        let vs = Vectors::new(3);
        let (a, b) = (unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0]));
        vs.set_title(1, &a);
        assert_eq!(vs.title_cosine(&a, 1), None, "no thread, no title");
        vs.set(1, &a);
        vs.set(2, &b);
        assert_eq!(vs.title_cosine(&a, 1), None, "no title yet");
        vs.set_title(1, &b);
        vs.set_title(2, &a);
        let near = |x: Option<f32>, want: f32| (x.unwrap() - want).abs() < 0.01;
        assert!(near(vs.title_cosine(&b, 1), 1.0));
        assert!(near(vs.title_cosine(&b, 2), 0.0));
        let q = unit(&[1.0, 1.0, 0.0]);
        let (sum, n) = vs.cosine_sum(&q);
        assert_eq!(n, 2);
        assert!((sum - 2.0f32.sqrt()).abs() < 0.01, "{sum}");
        // Replacing and removing take the old vector out of the sum; the moved slot
        // keeps its title.
        vs.set(1, &b);
        assert!((vs.cosine_sum(&a).0).abs() < 0.01);
        vs.remove(1);
        assert!(near(vs.title_cosine(&a, 2), 1.0));
        assert!(near(Some(vs.cosine_sum(&b).0), 1.0));
        vs.remove(2);
        assert_eq!(vs.cosine_sum(&b), (0.0, 0));
    }

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
        assert!(vs.cosine(&q, 3).is_some_and(|c| c.abs() < 0.01));
        assert!(vs.cosine(&q, 1).is_none());
        vs.set(2, &unit(&[0.0, 1.0, 0.0]));
        assert_eq!(vs.nearest(&unit(&[0.0, 1.0, 0.1]), 1, None)[0].0, 2);
        let back = vs.get(2).unwrap();
        assert!(
            back.iter()
                .zip(unit(&[0.0, 1.0, 0.0]))
                .all(|(a, b)| (a - b).abs() < 0.01)
        );
    }
}
