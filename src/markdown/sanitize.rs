//! The sanitizer: the tags and attributes a post may keep.

use super::*;

/// The only tags a rendered post may contain.
pub const ALLOWED_TAGS: [&str; 36] = [
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

pub(super) fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = ALLOWED_TAGS.into_iter().collect();
        let mut builder = ammonia::Builder::default();
        builder
            .tags(tags)
            .generic_attributes(HashSet::new())
            .tag_attributes(
                [
                    ("a", ["href", "title"].into_iter().collect()),
                    ("img", ["src", "alt", "title"].into_iter().collect()),
                    ("code", ["class"].into_iter().collect()),
                    ("span", ["class"].into_iter().collect()),
                    ("ol", ["start"].into_iter().collect()),
                ]
                .into_iter()
                .collect(),
            )
            .attribute_filter(|element, attribute, value| match (element, attribute) {
                ("code", "class") => {
                    let ok = value.strip_prefix("language-").is_some_and(|l| {
                        !l.is_empty()
                            && l.len() <= 30
                            && l.chars().all(|c| c.is_ascii_alphanumeric() || "+-_#".contains(c))
                    });
                    ok.then(|| value.into())
                }
                ("span", "class") => matches!(value, "task" | "task done").then(|| value.into()),
                _ => Some(value.into()),
            })
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(Some("nofollow ugc noopener"));
        builder
    })
}
