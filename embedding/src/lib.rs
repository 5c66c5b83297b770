//! Sentence embeddings, computed in process on the CPU.
//!
//! Parley finds the thread that answers a question by meaning as well as by words: a
//! question and each thread are turned into a vector, and the cosine of two vectors says
//! how close their meanings are. The model is a small BERT encoder trained for sentence
//! similarity (all-MiniLM-L6-v2 is the one Parley is measured with), read from a folder
//! holding its `config.json`, `vocab.txt` and `model.safetensors`.
//!
//! This crate knows nothing of Parley: [`Encoder::load`] reads a model folder and
//! [`Encoder::embed`] turns text into a unit vector. It is plain Rust (matrix products
//! through `ndarray`), so it builds everywhere Parley builds and downloads nothing.

mod bert;
mod bf16;
mod matmul;
mod safetensors;
mod tokenizer;

use std::path::{Path, PathBuf};

use bert::Bert;
pub use bert::Config;
use tokenizer::Tokenizer;

/// Why a model folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl LoadError {
    fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// A loaded sentence encoder: tokenizer and weights.
pub struct Encoder {
    tokenizer: Tokenizer,
    model: Bert,
    max_tokens: usize,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dimensions", &self.dimensions())
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

/// Tokens a text is cut to when the model folder does not say (the length the model was
/// trained on).
const DEFAULT_MAX_TOKENS: usize = 256;

impl Encoder {
    /// Reads the model in `dir`: `config.json`, `vocab.txt`, `model.safetensors`, and the
    /// optional `sentence_bert_config.json` for the longest text it reads.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let read = |name: &str| -> Result<Vec<u8>, LoadError> {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| LoadError::Io { path, source })
        };
        let config_path = dir.join("config.json");
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| LoadError::invalid(&config_path, e.to_string()))?;
        let vocab_path = dir.join("vocab.txt");
        let vocab = String::from_utf8(read("vocab.txt")?)
            .map_err(|_| LoadError::invalid(&vocab_path, "not UTF-8"))?;
        let tokenizer = Tokenizer::new(&vocab).map_err(|e| LoadError::invalid(&vocab_path, e))?;
        let weights_path = dir.join("model.safetensors");
        let tensors = safetensors::Tensors::parse(read("model.safetensors")?)
            .map_err(|e| LoadError::invalid(&weights_path, e))?;
        let model = Bert::new(config, &tensors).map_err(|e| LoadError::invalid(&weights_path, e))?;
        let max_tokens = std::fs::read(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
            .and_then(|v| v.get("max_seq_length").and_then(|n| n.as_u64()))
            .map_or(DEFAULT_MAX_TOKENS, |n| n as usize)
            .clamp(2, model.max_positions());
        if tokenizer.len() != model.vocab_size() {
            return Err(LoadError::invalid(
                &vocab_path,
                format!(
                    "{} words, but the model has {}",
                    tokenizer.len(),
                    model.vocab_size()
                ),
            ));
        }
        Ok(Self {
            tokenizer,
            model,
            max_tokens,
        })
    }

    /// Length of the vectors [`embed`](Self::embed) returns.
    pub fn dimensions(&self) -> usize {
        self.model.hidden()
    }

    /// The longest text read, in tokens; the rest of a longer text is left out.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The unit vector of `text`: the mean of its tokens' last hidden states, normalized.
    /// Cost grows with the text's length up to [`max_tokens`](Self::max_tokens).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_start(text, self.max_tokens)
    }

    /// The unit vector of the first `tokens` tokens of `text` (at most
    /// [`max_tokens`](Self::max_tokens)): a bound on the cost where time matters more
    /// than the end of a long text.
    pub fn embed_start(&self, text: &str, tokens: usize) -> Vec<f32> {
        self.embed_ids(&self.tokens(text, tokens))
    }

    /// The token ids [`embed_start`](Self::embed_start) reads of `text`: what decides
    /// its vector, and so a key to keep it by.
    pub fn tokens(&self, text: &str, tokens: usize) -> Vec<u32> {
        self.tokenizer.encode(text, tokens.clamp(2, self.max_tokens))
    }

    /// The unit vector of token ids from [`tokens`](Self::tokens).
    pub fn embed_ids(&self, ids: &[u32]) -> Vec<f32> {
        let mut v = self.model.mean_pooled(ids);
        normalize(&mut v);
        v
    }

    /// [`embed_ids`](Self::embed_ids) of several texts in one pass, each vector the same
    /// as alone: several short questions cost little more than one, since the weights
    /// are read once for all of them.
    pub fn embed_ids_many(&self, texts: &[&[u32]]) -> Vec<Vec<f32>> {
        let mut out = self.model.mean_pooled_many(texts);
        for v in &mut out {
            normalize(v);
        }
        out
    }
}

/// Scales `v` to length 1 (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
