//! Which files are served inline, which only as downloads, and what a name says a
//! file is.

/// Types a browser may show inline; everything else downloads as bytes.
pub(super) const INLINE: [(&str, &str); 5] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
];

/// Known download types, sent as such but always as an attachment.
pub(super) const ATTACHMENT: [(&str, &str); 9] = [
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("txt", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("eml", "message/rfc822"),
];

/// The content type Parley stores for a file name (never one a browser would run).
pub fn content_type_for(filename: &str) -> &'static str {
    let ext = filename
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    INLINE
        .iter()
        .chain(ATTACHMENT.iter())
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| *t)
        .unwrap_or("application/octet-stream")
}

/// The extension Parley gives a file of `content_type` that came without a usable
/// name (a mail part named only by its type), if the type is one it keeps.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let wanted = content_type.split(';').next().unwrap_or_default().trim();
    INLINE
        .iter()
        .chain(ATTACHMENT.iter())
        .find(|(_, t)| {
            t.split(';')
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case(wanted))
        })
        .map(|(e, _)| *e)
}

/// Whether members may attach a file of this name to a post (images and a few
/// document types; never HTML, SVG or programs).
pub fn attachable(filename: &str) -> bool {
    content_type_for(filename) != "application/octet-stream"
}

/// Whether a browser shows this type inline (images).
pub fn is_image(content_type: &str) -> bool {
    INLINE.iter().any(|(_, t)| *t == content_type)
}

/// Keeps the last path part of an uploaded name, in safe characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// The message for a file of a type that may not be attached.
pub fn refused_type(filename: &str) -> String {
    format!(
        "{filename} is not a type you can attach: use an image (PNG, JPEG, GIF, WebP), PDF, text, log, CSV, JSON, XML or ZIP."
    )
}
