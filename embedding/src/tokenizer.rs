//! BERT's uncased tokenizer: text cleaned, lower-cased, accents removed, split at spaces
//! and punctuation, then each word cut into the longest pieces the vocabulary holds
//! (WordPiece, continuations marked `##`).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word longer than this many characters is one unknown token.
const MAX_WORD_CHARS: usize = 100;

pub struct Tokenizer {
    ids: HashMap<String, u32>,
    unknown: u32,
    start: u32,
    end: u32,
}

impl Tokenizer {
    /// The tokenizer of `vocab` (one token a line, the line number its id).
    pub fn new(vocab: &str) -> Result<Self, String> {
        let ids: HashMap<String, u32> = vocab
            .lines()
            .enumerate()
            .map(|(i, w)| (w.to_string(), i as u32))
            .collect();
        let id = |w: &str| {
            ids.get(w)
                .copied()
                .ok_or_else(|| format!("the vocabulary has no {w}"))
        };
        Ok(Self {
            unknown: id("[UNK]")?,
            start: id("[CLS]")?,
            end: id("[SEP]")?,
            ids,
        })
    }

    /// Words in the vocabulary.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The ids of `text` between the start and end markers, at most `max` in all.
    pub fn encode(&self, text: &str, max: usize) -> Vec<u32> {
        let room = max.saturating_sub(2);
        let mut out = Vec::with_capacity(room.min(512) + 2);
        out.push(self.start);
        for word in words(text) {
            if out.len() > room {
                break;
            }
            self.pieces(&word, &mut out);
        }
        out.truncate(room + 1);
        out.push(self.end);
        out
    }

    /// Appends the WordPiece ids of one word.
    fn pieces(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            out.push(self.unknown);
            return;
        }
        let mark = out.len();
        let mut start = 0;
        let mut piece = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                if let Some(&id) = self.ids.get(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(mark);
                    out.push(self.unknown);
                    return;
                }
            }
        }
    }
}

/// The words of `text` as BERT's basic tokenizer cuts them: lower case, no accents, every
/// punctuation mark and CJK ideograph a word of its own.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut cur, &mut out);
        } else if is_punctuation(c) || is_cjk(c) {
            flush(&mut cur, &mut out);
            out.push(c.to_string());
        } else {
            for l in c.to_lowercase() {
                for d in l.nfd() {
                    if !is_combining_mark(d) {
                        cur.push(d);
                    }
                }
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// ASCII symbols count as punctuation (as BERT has it), with Unicode's punctuation blocks.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0xa1..=0xbf | 0x2010..=0x2027 | 0x2030..=0x205e | 0x3001..=0x3003 | 0x3008..=0x3011
            | 0xff01..=0xff0f | 0xff1a..=0xff20)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4e00..=0x9fff | 0x3400..=0x4dbf | 0x20000..=0x2a6df | 0x2a700..=0x2b73f
        | 0x2b740..=0x2b81f | 0x2b820..=0x2ceaf | 0xf900..=0xfaff | 0x2f800..=0x2fa1f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok() -> Tokenizer {
        let vocab =
            "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhow\ndo\ni\nsort\na\nlist\n.\n(\n)\nun\n##sort\n##ed\ncafe\n?";
        Tokenizer::new(vocab).unwrap()
    }

    #[test]
    fn words_split_at_punctuation_lower_cased_without_accents() {
        assert_eq!(
            words("How do I list.sort()?"),
            ["how", "do", "i", "list", ".", "sort", "(", ")", "?"]
        );
        assert_eq!(words("Café\u{0}  ÉTÉ"), ["cafe", "ete"]);
    }

    #[test]
    fn wordpiece_takes_the_longest_known_pieces() {
        let t = tok();
        assert_eq!(
            t.encode("How do I sort a list?", 64),
            [2, 4, 5, 6, 7, 8, 9, 17, 3]
        );
        assert_eq!(t.encode("unsorted", 64), [2, 13, 14, 15, 3]);
        assert_eq!(t.encode("unknownish café", 64), [2, 1, 16, 3]);
        // Cut to the room there is, end marker kept.
        assert_eq!(t.encode("how do i sort a list", 4), [2, 4, 5, 3]);
        assert_eq!(t.encode("", 4), [2, 3]);
    }
}
