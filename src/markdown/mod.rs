//! Markdown to safe HTML, once, when a post is written.
//!
//! One pulldown-cmark event pass adds what CommonMark leaves out (bare URLs become
//! links, `@handles` of existing users link to their profiles, task-list boxes become
//! marks); then ammonia keeps only a known set of tags and attributes. [`SafeHtml`] is
//! the only type templates may print unescaped, and this module is the only place
//! that makes one from new input.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::OnceLock;

mod nesting;
mod plain;
mod sanitize;

pub use nesting::*;
pub use plain::*;
pub use sanitize::*;

/// HTML that went through the sanitizer (or was stored after going through it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Wraps HTML read back from the database. Only columns this module filled
    /// (`posts.body_html`) may come through here.
    pub fn from_stored(html: String) -> Self {
        Self(html)
    }
}

/// A rendered post.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: SafeHtml,
    /// Handles that were linked (existing users), lower case, each once.
    pub mentions: Vec<String>,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// The `@handles` a text mentions, lower case, each once, in order; code is skipped.
pub fn mentions(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::Link { .. }) => in_code += 1,
            Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::Link) => in_code = in_code.saturating_sub(1),
            Event::Text(t) if in_code == 0 => {
                for piece in split_text(&t) {
                    if let Piece::Mention(h) = piece {
                        let h = h.to_lowercase();
                        if !found.contains(&h) {
                            found.push(h);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Renders markdown to sanitized HTML. `known` holds the handles (lower case) of users
/// that exist; only those mentions become links.
pub fn render(markdown: &str, known: &HashSet<String>) -> Rendered {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut mentioned = Vec::new();
    // Inside a link or code, text is left alone.
    let mut protected = 0usize;
    let mut depth = Depth::default();
    for event in Parser::new_ext(markdown, options()) {
        let Some(event) = depth.keep(event) else { continue };
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::Link { .. }) => {
                protected += 1;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::Link) => {
                protected = protected.saturating_sub(1);
                events.push(event);
            }
            Event::TaskListMarker(done) => events.push(Event::InlineHtml(CowStr::Borrowed(if done {
                "<span class=\"task done\">☑</span> "
            } else {
                "<span class=\"task\">☐</span> "
            }))),
            Event::Text(text) if protected == 0 => {
                for piece in split_text(&text) {
                    match piece {
                        Piece::Text(t) => events.push(Event::Text(CowStr::from(t.to_string()))),
                        Piece::Url(u) => {
                            let dest = if u.starts_with("www.") {
                                format!("https://{u}")
                            } else {
                                u.to_string()
                            };
                            push_link(&mut events, dest, u.to_string());
                        }
                        Piece::Mention(h) => {
                            let handle = h.to_lowercase();
                            if known.contains(&handle) {
                                push_link(&mut events, format!("/u/{handle}"), format!("@{h}"));
                                if !mentioned.contains(&handle) {
                                    mentioned.push(handle);
                                }
                            } else {
                                events.push(Event::Text(CowStr::from(format!("@{h}"))));
                            }
                        }
                    }
                }
            }
            other => events.push(other),
        }
    }
    let mut raw = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    // A code block scrolls sideways on a narrow screen: it takes the keyboard focus so
    // that the keyboard can scroll it too. Added after sanitizing, to the sanitizer's
    // own `<pre>` tags only (a `<pre>` typed as text is escaped by then).
    let clean = sanitizer()
        .clean(&raw)
        .to_string()
        .replace("<pre>", "<pre tabindex=\"0\">");
    Rendered {
        html: SafeHtml(clean),
        mentions: mentioned,
    }
}

fn push_link(events: &mut Vec<Event<'_>>, dest: String, text: String) {
    events.push(Event::Start(Tag::Link {
        link_type: LinkType::Inline,
        dest_url: CowStr::from(dest),
        title: CowStr::Borrowed(""),
        id: CowStr::Borrowed(""),
    }));
    events.push(Event::Text(CowStr::from(text)));
    events.push(Event::End(TagEnd::Link));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        let known: HashSet<String> = ["ann".to_string(), "bo.b".to_string()].into_iter().collect();
        render(md, &known).html.into_string()
    }

    #[test]
    fn nesting_stops_at_the_limit_and_the_text_stays() {
        let deepest = |h: &str, open: &str, close: &str| {
            let (mut depth, mut most) = (0i64, 0i64);
            for (i, _) in h.match_indices('<') {
                if h[i..].starts_with(open) {
                    depth += 1;
                    most = most.max(depth);
                } else if h[i..].starts_with(close) {
                    depth -= 1;
                }
            }
            most
        };
        let quotes = html(&format!("{}deep", ">".repeat(5000)));
        assert_eq!(
            deepest(&quotes, "<blockquote", "</blockquote"),
            MAX_NESTING as i64
        );
        assert!(quotes.contains("deep"), "{quotes}");
        let lists = html(&"1. ".repeat(3000));
        assert!(
            deepest(&lists, "<ol", "</ol") <= MAX_NESTING as i64 / 2,
            "{lists}"
        );
        let divs = html(&format!(
            "{}inside{}",
            "<div>".repeat(3000),
            "</div>".repeat(3000)
        ));
        assert!(deepest(&divs, "<div", "</div") <= MAX_NESTING as i64, "{divs}");
        assert!(divs.contains("inside") && divs.contains("&lt;div&gt;"), "{divs}");
        // Shallow raw HTML and void elements are untouched.
        assert_eq!(html_depth("<b>x</b><br><img src=a /><p/>", 2), (3, 2));
        let fine = html("> quote\n>> inner\n\n- a\n  - b\n\nline<br>break");
        assert!(fine.contains("<blockquote>") && fine.contains("<br>"), "{fine}");
    }

    #[test]
    fn commonmark_and_extensions() {
        let h = html(
            "# Title\n\n**bold** ~~gone~~ `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n",
        );
        assert!(h.contains("<h1>Title</h1>"), "{h}");
        assert!(
            h.contains("<strong>bold</strong>")
                && h.contains("<del>gone</del>")
                && h.contains("<code>code</code>")
        );
        assert!(h.contains("<table>") && h.contains("<td>1</td>"));
        assert!(
            h.contains("<span class=\"task done\">☑</span>") && h.contains("<span class=\"task\">☐</span>")
        );
        let code = html("```rust\nfn main() {}\n```");
        assert!(
            code.contains("<pre tabindex=\"0\"><code class=\"language-rust\">"),
            "{code}"
        );
    }

    #[test]
    fn links_get_rel_and_bare_urls_become_links() {
        let h = html("see https://example.com/a?b=1. and www.example.org, or [x](https://x.test)");
        assert!(h.contains("<a href=\"https://example.com/a?b=1\" rel=\"nofollow ugc noopener\">https://example.com/a?b=1</a>."), "{h}");
        assert!(h.contains("href=\"https://www.example.org\""), "{h}");
        assert!(h.contains("href=\"https://x.test\" rel=\"nofollow ugc noopener\""));
        // Inside code nothing is linked.
        assert!(!html("`https://example.com`").contains("<a "));
    }

    #[test]
    fn mentions_link_only_known_users() {
        let known: HashSet<String> = ["ann".to_string()].into_iter().collect();
        let r = render("hi @Ann and @nobody, mail me at me@ann.test", &known);
        let h = r.html.as_str();
        assert!(
            h.contains("<a href=\"/u/ann\" rel=\"nofollow ugc noopener\">@Ann</a>"),
            "{h}"
        );
        assert!(h.contains("@nobody") && !h.contains("/u/nobody"));
        assert!(!h.contains("/u/ann.test"), "an address is not a mention: {h}");
        assert_eq!(r.mentions, vec!["ann"]);
        assert_eq!(mentions("@Ann @ann `@code` @bo.b."), vec!["ann", "bo.b"]);
    }

    /// Hostile input: nothing executable may survive.
    #[test]
    fn hostile_input_is_neutralized() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](data:image/svg+xml;base64,PHN2Zz4=)",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.test\"></iframe>",
            "<form action=\"https://evil.test\"><input name=x></form>",
            "<style>body{display:none}</style>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "<div onclick=\"alert(1)\">x</div>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<<script>script>alert(1)<</script>/script>",
            "<a href=\"https://ok.test\" onmouseover=\"alert(1)\">x</a>",
            "https://evil.test/\"onmouseover=\"alert(1)",
            "<https://evil.test/\"onmouseover=\"alert(1)>",
            "<object data=\"x\"></object><embed src=\"x\">",
            "<base href=\"https://evil.test/\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.test\">",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<code class=\"x onmouseover=alert(1)\">x</code>",
            "<span class=\"evil\">x</span>",
            "<details open ontoggle=alert(1)>x</details>",
        ];
        let allowed = ALLOWED_TAGS;
        for attack in attacks {
            let out = html(attack).to_lowercase();
            // Every tag left is an allowed one, with no handler, script URL or style.
            for tag in out
                .split('<')
                .skip(1)
                .map(|t| t.split('>').next().unwrap_or_default())
            {
                let name = tag
                    .trim_start_matches('/')
                    .split([' ', '/'])
                    .next()
                    .unwrap_or_default();
                assert!(allowed.contains(&name), "{attack:?} left tag {name:?} in {out:?}");
                let attrs = &tag[name.len().min(tag.len())..];
                for bad in [
                    " on",
                    "javascript:",
                    "data:",
                    "style=",
                    "class=\"evil",
                    "class=\"x",
                ] {
                    assert!(!attrs.contains(bad), "{attack:?} left {bad:?} in <{tag}>");
                }
            }
        }
    }

    #[test]
    fn plain_text_and_excerpts() {
        assert_eq!(to_plain_text("# Hi\n\nSome **bold** `x`."), "Hi\nSome bold x.");
        assert_eq!(excerpt("one two three four", 9), "one two…");
        assert_eq!(excerpt("short", 50), "short");
    }
}
