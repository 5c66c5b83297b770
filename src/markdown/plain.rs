//! Markdown as plain text: for excerpts, mail and the search index; and the bare
//! URLs and @handles found in text.

use super::*;

/// Plain text of a post, for search, mail and summaries.
pub fn to_plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableRow,
            ) => out.push('\n'),
            Event::End(TagEnd::TableCell) => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// A short plain-text excerpt, cut at a word boundary.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let text = to_plain_text(markdown)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{cut}…")
}

pub(super) enum Piece<'a> {
    Text(&'a str),
    Url(&'a str),
    Mention(&'a str),
}

/// Splits text into plain runs, bare URLs and `@handles`.
pub(super) fn split_text(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let at_word_start = i == 0 || !is_word_byte(bytes[i - 1]);
        let rest = &text[i..];
        let found = if at_word_start
            && (rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www."))
        {
            url_len(rest).map(|n| (Piece::Url(&text[i..i + n]), n))
        } else if at_word_start && bytes[i] == b'@' {
            mention_len(&rest[1..]).map(|n| (Piece::Mention(&text[i + 1..i + 1 + n]), n + 1))
        } else {
            None
        };
        match found {
            Some((piece, n)) => {
                if start < i {
                    pieces.push(Piece::Text(&text[start..i]));
                }
                pieces.push(piece);
                i += n;
                start = i;
            }
            None => i += text[i..].chars().next().map(char::len_utf8).unwrap_or(1),
        }
    }
    if start < text.len() {
        pieces.push(Piece::Text(&text[start..]));
    }
    pieces
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'/' || b == b'.'
}

/// Length of a bare URL at the start of `s`, without trailing punctuation; quotes and
/// angle brackets end it.
pub(super) fn url_len(s: &str) -> Option<usize> {
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
        .unwrap_or(s.len());
    let url = s[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '*', '_']);
    let scheme_len = if url.starts_with("https://") {
        8
    } else if url.starts_with("http://") {
        7
    } else {
        0
    };
    (url.len() > scheme_len + 3 && url[scheme_len..].contains('.')).then_some(url.len())
}

/// Length of a handle (letters, digits, `_`, `-`, `.` inside) at the start of `s`.
pub(super) fn mention_len(s: &str) -> Option<usize> {
    let n = s
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    let handle = s[..n].trim_end_matches(['.', '-']);
    (handle.len() >= 2 && handle.len() <= 30).then_some(handle.len())
}
