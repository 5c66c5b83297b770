//! Bounding how deep a post's blocks and raw HTML nest, so that no post costs more
//! to render than its size.

use super::*;

/// How deep elements may nest in a rendered post. Parsing is linear whatever the
/// nesting, but the sanitizer's cost grows with the square of the depth: 50,000 `>`
/// took 15 s. Past this depth, markdown's tags are left out (their text stays) and raw
/// HTML is shown as text.
pub const MAX_NESTING: usize = 32;

/// Elements that never hold others.
pub(super) const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
];

/// The nesting of the events written so far: which starts were kept, and how deep
/// raw HTML has opened elements.
#[derive(Default)]
pub(super) struct Depth {
    pub(super) kept: Vec<bool>,
    pub(super) open: usize,
    pub(super) html: usize,
}

impl Depth {
    /// The event as it is written, or nothing when it is a tag past [`MAX_NESTING`].
    pub(super) fn keep<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        match event {
            Event::Start(_) => {
                let keep = self.open + self.html < MAX_NESTING;
                self.kept.push(keep);
                self.open += usize::from(keep);
                keep.then_some(event)
            }
            Event::End(_) => {
                let kept = self.kept.pop().unwrap_or(false);
                self.open -= usize::from(kept);
                kept.then_some(event)
            }
            Event::Html(ref raw) | Event::InlineHtml(ref raw) => {
                let (deepest, after) = html_depth(raw, self.html);
                if self.open + deepest > MAX_NESTING {
                    return Some(Event::Text(raw.clone()));
                }
                self.html = after;
                Some(event)
            }
            other => Some(other),
        }
    }
}

/// How deep the elements of a piece of raw HTML nest, from `depth` before it: the
/// deepest it goes and where it ends (void and self-closed elements left out).
pub(super) fn html_depth(raw: &str, depth: usize) -> (usize, usize) {
    let (mut deepest, mut depth) = (depth, depth);
    for (i, _) in raw.match_indices('<') {
        let rest = &raw[i + 1..];
        if rest.starts_with('/') {
            depth = depth.saturating_sub(1);
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        // A tag ends within a few hundred bytes; looking no further keeps a text of
        // unclosed '<' linear.
        let self_closed = rest
            .bytes()
            .take(512)
            .position(|b| b == b'>')
            .is_some_and(|end| rest.as_bytes()[..end].ends_with(b"/"));
        if !self_closed {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    (deepest, depth)
}
