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

    /// The ids of `text` between the start and end markers, at most `max` in all. Only
    /// as much of the text is read as the tokens need.
    pub fn encode(&self, text: &str, max: usize) -> Vec<u32> {
        let room = max.saturating_sub(2);
        let mut out = Vec::with_capacity(room.min(512) + 2);
        out.push(self.start);
        words(text, |word| {
            self.pieces(word, &mut out);
            out.len() <= room
        });
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

/// The words of `text` as BERT's basic tokenizer cuts them, given to `each` in order
/// until it returns false: lower case, no accents, every punctuation mark and CJK
/// ideograph a word of its own, control and invisible format characters dropped.
fn words(text: &str, mut each: impl FnMut(&str) -> bool) {
    let mut cur = String::new();
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) || is_format(c) {
            continue;
        }
        if c.is_whitespace() || is_punctuation(c) || is_cjk(c) {
            if !cur.is_empty() {
                if !each(&cur) {
                    return;
                }
                cur.clear();
            }
            if !c.is_whitespace() && !each(c.encode_utf8(&mut [0; 4])) {
                return;
            }
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
    if !cur.is_empty() {
        each(&cur);
    }
}

/// Invisible format characters (zero-width spaces and joiners, soft hyphen, byte order
/// mark, direction marks), which BERT's cleaning drops.
fn is_format(c: char) -> bool {
    matches!(c as u32, 0xad | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0xfeff)
}

/// ASCII symbols count as punctuation (as BERT has it), with Unicode's punctuation blocks.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0xa1 | 0xa7 | 0xab | 0xb6 | 0xb7 | 0xbb | 0xbf | 0x2010..=0x2027 | 0x2030..=0x205e
            | 0x060c | 0x061b | 0x061f | 0x3001..=0x3003 | 0x3008..=0x3011
            | 0xff01..=0xff0f | 0xff1a..=0xff20 | 0xff3b..=0xff40 | 0xff5b..=0xff65)
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

    fn all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        words(text, |w| {
            out.push(w.to_string());
            true
        });
        out
    }

    #[test]
    fn words_split_at_punctuation_lower_cased_without_accents() {
        assert_eq!(
            all("How do I list.sort()?"),
            ["how", "do", "i", "list", ".", "sort", "(", ")", "?"]
        );
        assert_eq!(all("Café\u{0}  ÉTÉ"), ["cafe", "ete"]);
        // Invisible characters are dropped; a degree sign is part of a word.
        assert_eq!(
            all("zero\u{200b}width soft\u{ad}hyphen 20°C"),
            ["zerowidth", "softhyphen", "20°c"]
        );
        // Reading stops when the tokens are enough.
        let mut seen = 0;
        words("one two three four", |_| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
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
