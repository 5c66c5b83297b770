//! What a hit shows: the snippet with the query's words marked, and a thread as a
//! suggestion.

use super::*;

/// What a snippet marks: every word's stems in the body (a code's parts, a phrase's
/// words, a misspelling's correction), whichever field the query matched them in.
pub(super) fn highlights(f: &Fields, text: &str, fixes: &Fixes) -> BooleanQuery {
    let mut out: Vec<Clause> = Vec::new();
    for piece in pieces(text) {
        let (Piece::Word(words) | Piece::Phrase(words)) = &piece;
        let (mut stems, _) = plan::analyze(words);
        for stem in stems.iter_mut() {
            if let Some(fix) = fixes.get(stem) {
                *stem = fix.clone();
            }
        }
        if !stems.is_empty() {
            out.push((Occur::Should, phrase_or_term(f.body, &stems)));
        }
    }
    BooleanQuery::new(out)
}

/// Escapes text for HTML and marks the highlighted byte ranges.
pub(super) fn marked(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    fn escape(s: &str, out: &mut String) {
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for r in ranges {
        if r.start < at
            || r.end > fragment.len()
            || !fragment.is_char_boundary(r.start)
            || !fragment.is_char_boundary(r.end)
        {
            continue;
        }
        escape(&fragment[at..r.start], &mut out);
        out.push_str("<mark>");
        escape(&fragment[r.clone()], &mut out);
        out.push_str("</mark>");
        at = r.end;
    }
    escape(&fragment[at..], &mut out);
    out
}

pub(super) fn text_of(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

pub(super) fn u64_of(doc: &TantivyDocument, field: Field) -> u64 {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or_default()
}

pub(crate) fn suggestion(f: &Fields, doc: &TantivyDocument) -> Suggestion {
    Suggestion {
        topic_id: u64_of(doc, f.topic_id),
        title: text_of(doc, f.topic_title),
        slug: text_of(doc, f.slug),
        kind: text_of(doc, f.kind),
        category: text_of(doc, f.category),
        solved: u64_of(doc, f.solved) == 1,
        official: u64_of(doc, f.official) == 1,
        votes: doc
            .get_first(f.votes)
            .and_then(|v| v.as_i64())
            .unwrap_or_default(),
    }
}
