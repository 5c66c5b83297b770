//! Products of a few rows with a layer's weights, the encoder's whole cost.
//!
//! A question is 5 to 30 tokens, so each product is a short matrix times a wide one. A
//! general matrix product copies both into its own layout on every call: for a question,
//! that copy of 42 MB of weights cost more than the arithmetic. Here the weights are laid
//! out once, when the model loads, in panels of [`PANEL`] outputs, each panel holding
//! every input's [`PANEL`] weights side by side; a product then reads the weights once,
//! straight through, and keeps a block of rows' sums in registers. The arithmetic is
//! written once for any vector width and runs with the widest the CPU offers (AVX-512,
//! AVX2 with FMA, NEON, or plain floats), chosen when the program runs.

use pulp::{Arch, Simd, WithSimd};

/// Outputs per panel: two AVX-512 vectors, four AVX2 ones, eight of NEON.
const PANEL: usize = 32;

/// Rows whose inputs are read together while one panel of weights is in cache.
const ROWS_PER_PASS: usize = 60;

/// A layer's weights `[outputs][inputs]` laid out for [`Packed::product`].
pub struct Packed {
    inputs: usize,
    outputs: usize,
    /// `ceil(outputs / PANEL)` panels of `inputs * PANEL` floats; the last is padded
    /// with zeros.
    panels: Vec<f32>,
    arch: Arch,
}

impl Packed {
    /// Lays out `weight`, stored `[outputs][inputs]` as checkpoints keep it.
    pub fn new(weight: &[f32], outputs: usize, inputs: usize) -> Self {
        debug_assert_eq!(weight.len(), outputs * inputs);
        let count = outputs.div_ceil(PANEL);
        let mut panels = vec![0.0; count * inputs * PANEL];
        for (p, panel) in panels.chunks_exact_mut(inputs * PANEL).enumerate() {
            for (j, out) in (p * PANEL..outputs.min((p + 1) * PANEL)).enumerate() {
                let row = &weight[out * inputs..(out + 1) * inputs];
                for (k, w) in row.iter().enumerate() {
                    panel[k * PANEL + j] = *w;
                }
            }
        }
        Self {
            inputs,
            outputs,
            panels,
            arch: Arch::new(),
        }
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `y = x · weightᵀ + bias` for `x` of `rows` rows of [`inputs`](Self::inputs)
    /// floats; `y` gets `rows` rows of [`outputs`](Self::outputs).
    pub fn product(&self, x: &[f32], bias: &[f32], y: &mut [f32]) {
        let rows = x.len() / self.inputs.max(1);
        debug_assert_eq!(x.len(), rows * self.inputs);
        debug_assert_eq!(y.len(), rows * self.outputs);
        debug_assert_eq!(bias.len(), self.outputs);
        self.arch.dispatch(Product {
            w: self,
            x,
            bias,
            y,
            rows,
        });
    }
}

struct Product<'a> {
    w: &'a Packed,
    x: &'a [f32],
    bias: &'a [f32],
    y: &'a mut [f32],
    rows: usize,
}

impl WithSimd for Product<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        // Rows per block: as many sums as the registers hold beside one panel row.
        match S::F32_LANES {
            16 => self.run::<S, 5, 2>(simd),
            8 => self.run::<S, 3, 4>(simd),
            4 => self.run::<S, 2, 8>(simd),
            _ => self.run_plain(),
        }
    }
}

impl Product<'_> {
    /// `R` rows at a time against panels of `V` vectors (`V * lanes == PANEL`).
    #[inline(always)]
    fn run<S: Simd, const R: usize, const V: usize>(mut self, simd: S) {
        let k = self.w.inputs;
        let n = self.w.outputs;
        if V * S::F32_LANES != PANEL {
            return self.run_plain();
        }
        for first in (0..self.rows).step_by(ROWS_PER_PASS) {
            let last = (first + ROWS_PER_PASS).min(self.rows);
            for (p, panel) in self.w.panels.chunks_exact(k * PANEL).enumerate() {
                let (panel, _) = S::as_simd_f32s(panel);
                let cols = p * PANEL..n.min((p + 1) * PANEL);
                let mut row = first;
                while row + R <= last {
                    self.rows::<S, R, V>(simd, panel, row, cols.clone());
                    row += R;
                }
                // The rows left over, in one block of their own size.
                match last - row {
                    0 => {}
                    1 => self.rows::<S, 1, V>(simd, panel, row, cols),
                    2 => self.rows::<S, 2, V>(simd, panel, row, cols),
                    3 => self.rows::<S, 3, V>(simd, panel, row, cols),
                    4 => self.rows::<S, 4, V>(simd, panel, row, cols),
                    _ => {
                        for row in row..last {
                            self.rows::<S, 1, V>(simd, panel, row, cols.clone());
                        }
                    }
                }
            }
        }
    }

    /// Rows `first..first + R` against one panel, written to the panel's `cols`.
    #[inline(always)]
    fn rows<S: Simd, const R: usize, const V: usize>(
        &mut self,
        simd: S,
        panel: &[S::f32s],
        first: usize,
        cols: std::ops::Range<usize>,
    ) {
        let k = self.w.inputs;
        let sums = block::<S, R, V>(simd, panel, &self.x[first * k..(first + R) * k], k);
        self.store::<S, R, V>(&sums, first, cols);
    }

    #[inline(always)]
    fn store<S: Simd, const R: usize, const V: usize>(
        &mut self,
        sums: &[[S::f32s; V]; R],
        first_row: usize,
        cols: std::ops::Range<usize>,
    ) {
        let n = self.w.outputs;
        let mut flat = [0.0f32; PANEL];
        for (r, sum) in sums.iter().enumerate() {
            let (vectors, _) = S::as_mut_simd_f32s(&mut flat);
            vectors.copy_from_slice(sum);
            let start = (first_row + r) * n;
            let out = &mut self.y[start + cols.start..start + cols.end];
            for ((y, s), b) in out.iter_mut().zip(&flat).zip(&self.bias[cols.clone()]) {
                *y = s + b;
            }
        }
    }

    /// Without vectors of a width that divides a panel: the same sums, one float at a time.
    fn run_plain(self) {
        let k = self.w.inputs;
        let n = self.w.outputs;
        for (p, panel) in self.w.panels.chunks_exact(k * PANEL).enumerate() {
            for row in 0..self.rows {
                let mut sums = [0.0f32; PANEL];
                for (w, x) in panel.chunks_exact(PANEL).zip(&self.x[row * k..(row + 1) * k]) {
                    for (s, w) in sums.iter_mut().zip(w) {
                        *s += x * w;
                    }
                }
                for (j, col) in (p * PANEL..n.min((p + 1) * PANEL)).enumerate() {
                    self.y[row * n + col] = sums[j] + self.bias[col];
                }
            }
        }
    }
}

/// The sums of `R` rows of `x` (each `k` floats) with one panel (`k` rows of `V`
/// vectors).
#[inline(always)]
fn block<S: Simd, const R: usize, const V: usize>(
    simd: S,
    panel: &[S::f32s],
    x: &[f32],
    k: usize,
) -> [[S::f32s; V]; R] {
    let mut sums = [[simd.splat_f32s(0.0); V]; R];
    let rows: [&[f32]; R] = std::array::from_fn(|r| &x[r * k..(r + 1) * k]);
    for (i, w) in panel.chunks_exact(V).enumerate().take(k) {
        for r in 0..R {
            let a = simd.splat_f32s(rows[r][i]);
            for v in 0..V {
                sums[r][v] = simd.mul_add_e_f32s(a, w[v], sums[r][v]);
            }
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain product, to compare with.
    fn reference(w: &[f32], outputs: usize, inputs: usize, x: &[f32], bias: &[f32]) -> Vec<f32> {
        let rows = x.len() / inputs;
        let mut y = vec![0.0; rows * outputs];
        for r in 0..rows {
            for o in 0..outputs {
                let mut s = bias[o] as f64;
                for i in 0..inputs {
                    s += x[r * inputs + i] as f64 * w[o * inputs + i] as f64;
                }
                y[r * outputs + o] = s as f32;
            }
        }
        y
    }

    #[test]
    fn products_match_the_plain_sums_for_every_shape() {
        // Shapes that fill panels and blocks exactly, and ones that leave remainders.
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((seed >> 8) as f32 / (1 << 24) as f32) - 0.5
        };
        for (rows, inputs, outputs) in [
            (1, 1, 1),
            (1, 384, 384),
            (7, 384, 1536),
            (13, 50, 33),
            (70, 96, 64),
            (3, 5, 100),
        ] {
            let w: Vec<f32> = (0..inputs * outputs).map(|_| next()).collect();
            let x: Vec<f32> = (0..rows * inputs).map(|_| next()).collect();
            let bias: Vec<f32> = (0..outputs).map(|_| next()).collect();
            let packed = Packed::new(&w, outputs, inputs);
            let mut y = vec![f32::NAN; rows * outputs];
            packed.product(&x, &bias, &mut y);
            let want = reference(&w, outputs, inputs, &x, &bias);
            for (i, (a, b)) in y.iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() < 1e-4,
                    "{rows}x{inputs}x{outputs} at {i}: {a} vs {b}"
                );
            }
        }
    }
}
