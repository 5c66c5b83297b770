//! The BERT encoder's forward pass for one text or several at once: embeddings, then
//! self-attention and feed-forward layers, each followed by a residual sum and layer
//! normalization.

use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};

use crate::matmul::Packed;
use crate::safetensors::Tensors;

/// The model's shape, from its `config.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_types")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f32,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_positions")]
    pub position_embedding_type: String,
}

fn default_positions() -> String {
    "absolute".into()
}

fn default_types() -> usize {
    2
}
fn default_eps() -> f32 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}

struct Linear {
    weight: Packed,
    bias: Vec<f32>,
}

impl Linear {
    fn load(t: &Tensors, name: &str, inputs: usize, outputs: usize) -> Result<Self, String> {
        let weight = t.f32(&format!("{name}.weight"), &[outputs, inputs])?;
        Ok(Self {
            weight: Packed::new(&weight, outputs, inputs),
            bias: t.f32(&format!("{name}.bias"), &[outputs])?,
        })
    }

    fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let x = x.as_standard_layout();
        let (rows, outputs) = (x.nrows(), self.weight.outputs());
        let mut y = Array2::zeros((rows, outputs));
        if let (Some(input), Some(output)) = (x.as_slice(), y.as_slice_mut()) {
            self.weight.product(input, &self.bias, output);
        }
        y
    }
}

struct LayerNorm {
    weight: Array1<f32>,
    bias: Array1<f32>,
    eps: f32,
}

impl LayerNorm {
    fn load(t: &Tensors, name: &str, size: usize, eps: f32) -> Result<Self, String> {
        Ok(Self {
            weight: Array1::from(t.f32(&format!("{name}.weight"), &[size])?),
            bias: Array1::from(t.f32(&format!("{name}.bias"), &[size])?),
            eps,
        })
    }

    fn apply(&self, x: &mut Array2<f32>) {
        let n = x.ncols() as f32;
        for mut row in x.rows_mut() {
            let mean = row.sum() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub struct Bert {
    arch: pulp::Arch,
    config: Config,
    /// The word table, `vocab_size` rows of `hidden_size` bfloat16 values (half the
    /// memory of floats: 23 MB for all-MiniLM-L6-v2; see [`crate::bf16`]).
    words: Vec<u16>,
    positions: Array2<f32>,
    token_type: Array1<f32>,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
}

fn matrix(t: &Tensors, name: &str, rows: usize, cols: usize) -> Result<Array2<f32>, String> {
    Array2::from_shape_vec((rows, cols), t.f32(name, &[rows, cols])?).map_err(|e| e.to_string())
}

impl Bert {
    pub fn new(config: Config, t: &Tensors) -> Result<Self, String> {
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        if config.num_attention_heads == 0 || !h.is_multiple_of(config.num_attention_heads) {
            return Err(format!(
                "{} attention heads do not divide {h} dimensions",
                config.num_attention_heads
            ));
        }
        if config.hidden_act != "gelu" {
            return Err(format!("activation {} is not supported", config.hidden_act));
        }
        if config.position_embedding_type != "absolute" {
            return Err(format!(
                "position embeddings of type {} are not supported",
                config.position_embedding_type
            ));
        }
        if config.max_position_embeddings < 2 || config.vocab_size == 0 {
            return Err("the model reads fewer than two tokens".into());
        }
        let types = matrix(
            t,
            "embeddings.token_type_embeddings.weight",
            config.type_vocab_size,
            h,
        )?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let m = config.intermediate_size;
            layers.push(Layer {
                query: Linear::load(t, &format!("{p}.attention.self.query"), h, h)?,
                key: Linear::load(t, &format!("{p}.attention.self.key"), h, h)?,
                value: Linear::load(t, &format!("{p}.attention.self.value"), h, h)?,
                attention_out: Linear::load(t, &format!("{p}.attention.output.dense"), h, h)?,
                attention_norm: LayerNorm::load(t, &format!("{p}.attention.output.LayerNorm"), h, eps)?,
                intermediate: Linear::load(t, &format!("{p}.intermediate.dense"), h, m)?,
                output: Linear::load(t, &format!("{p}.output.dense"), m, h)?,
                output_norm: LayerNorm::load(t, &format!("{p}.output.LayerNorm"), h, eps)?,
            });
        }
        Ok(Self {
            arch: pulp::Arch::new(),
            words: t
                .f32("embeddings.word_embeddings.weight", &[config.vocab_size, h])?
                .into_iter()
                .map(crate::bf16::from_f32)
                .collect(),
            positions: matrix(
                t,
                "embeddings.position_embeddings.weight",
                config.max_position_embeddings,
                h,
            )?,
            token_type: types.row(0).to_owned(),
            embeddings_norm: LayerNorm::load(t, "embeddings.LayerNorm", h, eps)?,
            layers,
            config,
        })
    }

    pub fn hidden(&self) -> usize {
        self.config.hidden_size
    }

    pub fn vocab_size(&self) -> usize {
        self.config.vocab_size
    }

    pub fn max_positions(&self) -> usize {
        self.config.max_position_embeddings
    }

    /// The mean of the last hidden states of `ids` (every token counts: one text, no
    /// padding).
    pub fn mean_pooled(&self, ids: &[u32]) -> Vec<f32> {
        self.mean_pooled_many(&[ids]).pop().unwrap_or_default()
    }

    /// [`mean_pooled`](Self::mean_pooled) of several texts in one pass: their tokens
    /// are stacked, so each layer's weights are read once for all of them (for short
    /// texts, reading 42 MB of weights costs more than the arithmetic), while each
    /// text's tokens attend to its own alone. Every vector is the one its text gets by
    /// itself, to the bit: each row's sums are taken in the same order either way.
    pub fn mean_pooled_many(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.config.hidden_size;
        let mut spans = Vec::with_capacity(texts.len());
        let mut rows = 0;
        for ids in texts {
            let n = ids.len().min(self.config.max_position_embeddings);
            spans.push(rows..rows + n);
            rows += n;
        }
        let mut x = Array2::<f32>::zeros((rows, h));
        for (ids, span) in texts.iter().zip(&spans) {
            for (i, &id) in ids.iter().take(span.len()).enumerate() {
                let id = (id as usize).min(self.config.vocab_size - 1);
                let word = &self.words[id * h..(id + 1) * h];
                let mut row = x.row_mut(span.start + i);
                for (x, &w) in row.iter_mut().zip(word) {
                    *x += crate::bf16::to_f32(w);
                }
                row += &self.positions.row(i);
                row += &self.token_type;
            }
        }
        self.embeddings_norm.apply(&mut x);
        for layer in &self.layers {
            x = self.layer(layer, x, &spans);
        }
        spans
            .iter()
            .map(|span| {
                x.slice_axis(Axis(0), Slice::from(span.clone()))
                    .mean_axis(Axis(0))
                    .map_or_else(|| vec![0.0; h], |m| m.to_vec())
            })
            .collect()
    }

    fn layer(&self, l: &Layer, x: Array2<f32>, spans: &[std::ops::Range<usize>]) -> Array2<f32> {
        let heads = self.config.num_attention_heads;
        let d = self.config.hidden_size / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let view = x.view();
        let q = l.query.forward(&view);
        let k = l.key.forward(&view);
        let v = l.value.forward(&view);
        let mut context = Array2::<f32>::zeros(x.raw_dim());
        // Each text's tokens attend to that text's alone.
        for span in spans {
            let rows = Slice::from(span.clone());
            let (q, k, v) = (
                q.slice_axis(Axis(0), rows),
                k.slice_axis(Axis(0), rows),
                v.slice_axis(Axis(0), rows),
            );
            let mut context = context.slice_axis_mut(Axis(0), rows);
            for head in 0..heads {
                let cols = Slice::from(head * d..(head + 1) * d);
                let mut scores = q.slice_axis(Axis(1), cols).dot(&k.slice_axis(Axis(1), cols).t());
                for mut row in scores.rows_mut() {
                    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    if let Some(values) = row.as_slice_mut() {
                        self.arch
                            .dispatch(|| values.iter_mut().for_each(|s| *s = exp((*s - max) * scale)));
                    }
                    let sum = row.sum();
                    row /= sum;
                }
                context
                    .slice_axis_mut(Axis(1), cols)
                    .assign(&scores.dot(&v.slice_axis(Axis(1), cols)));
            }
        }
        let mut attended = l.attention_out.forward(&context.view());
        attended += &x;
        l.attention_norm.apply(&mut attended);
        let mut inner = l.intermediate.forward(&attended.view());
        if let Some(values) = inner.as_slice_mut() {
            self.arch
                .dispatch(|| values.iter_mut().for_each(|v| *v = gelu(*v)));
        }
        let mut out = l.output.forward(&inner.view());
        out += &attended;
        l.output_norm.apply(&mut out);
        out
    }
}

/// GELU with the error function, as BERT was trained. Written without calls into the
/// maths library, so that a loop over a layer's values runs on vectors.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function (Abramowitz and Stegun 7.1.26, absolute error under 1.5e-7).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    sign * (1.0 - poly * exp(-x * x))
}

/// `e^x` to within 4e-6 relative over -87 to 88 (the rounding of `x log2 e` in 32-bit
/// floats; far closer near 0, where GELU and softmax put most values): `2^n` from the
/// exponent bits times a polynomial for the remaining fraction of a power of two.
/// Arguments below -87 give 0.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let t = x.clamp(-87.0, 88.0) * std::f32::consts::LOG2_E;
    let n = (t + 0.5).floor();
    let f = (t - n) * std::f32::consts::LN_2;
    // e^f for |f| <= ln 2 / 2, Taylor to the 7th power.
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f / 5040.0))))));
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    let e = p * scale;
    if x < -87.0 { 0.0 } else { e }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_and_gelu_match_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!(gelu(-10.0).abs() < 1e-6);
        for x in [
            -100.0f32, -87.5, -20.0, -3.3, -0.7, 0.0, 0.2, 1.0, 5.5, 40.0, 88.0,
        ] {
            let (got, want) = (exp(x), x.exp());
            let within = if x.abs() > 1.0 { 4e-6 } else { 4e-7 };
            assert!(
                (got - want).abs() <= want * within + 1e-37,
                "exp({x}) = {got}, not {want}"
            );
        }
    }
}
