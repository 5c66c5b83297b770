//! A question's words: the ones that carry meaning, and their weights.

use super::*;

/// Words that say how a question is asked, not what it is about.
pub(super) const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "being",
    "but", "by", "can", "could", "did", "do", "does", "doing", "done", "for", "from", "get", "gets",
    "getting", "got", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "if",
    "im", "in", "into", "is", "it", "its", "just", "me", "my", "need", "of", "on", "or", "our", "please",
    "she", "should", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "too", "trying", "us", "use", "using", "want", "was", "way", "we", "were", "what",
    "when", "where", "which", "while", "who", "why", "will", "with", "would", "you", "your",
];

/// A word of a question: the terms that find it (in the title and the thread fields,
/// each weighing as much) and its weight in the share.
pub(super) type LookedUp = (Vec<Term>, f32);

/// One word of a question, as the index holds it.
pub(super) struct Word {
    /// Stemmed terms, each looked up in the title and the bodies.
    pub(super) stems: Vec<String>,
    /// The whole code or version, looked up in the exact fields.
    pub(super) code: Option<String>,
}

pub(super) fn words_of(text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut seen = HashSet::new();
    let mut stop = Vec::new();
    for piece in pieces(text) {
        let raw = match piece {
            Piece::Word(w) => w,
            Piece::Phrase(p) => p,
        };
        for word in raw.split_whitespace() {
            let (stems, code) = analyze(word);
            let stems: Vec<String> = stems.into_iter().filter(|s| seen.insert(s.clone())).collect();
            if stems.is_empty() && code.is_none() {
                continue;
            }
            let bare = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
            let item = Word { stems, code };
            if item.code.is_none() && STOPWORDS.contains(&bare.as_str()) {
                stop.push(item);
            } else {
                out.push(item);
            }
        }
    }
    if out.is_empty() {
        out = stop;
    }
    out.truncate(MAX_TERMS);
    out
}
