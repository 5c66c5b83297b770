//! What a person wrote, read out of a received message: its headers, its text without
//! quotes, signatures or MIME lines, the ticket it answers, and its files.

use crate::config::Settings;
use crate::error::AppError;
use crate::files::FileStore;
use crate::files::{Upload, attachable, clean_filename, extension_for};
use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders};
use std::borrow::Cow;

pub(super) fn header_text<'a>(m: &'a Message<'a>, name: &'static str) -> Option<&'a str> {
    m.header_raw(name).map(str::trim)
}

/// `text` without the control characters a database cannot store (a NUL on
/// PostgreSQL): they are dropped, so that no message is refused, or retried forever,
/// for its content.
pub(super) fn clean(text: &str) -> String {
    crate::web::characters::without_refused(text).0
}

/// A message's sender (lower case) and subject (spaces folded), cleaned.
pub(super) fn headline(m: &Message) -> (String, String) {
    let from = clean(sender(m)).trim().to_lowercase();
    let subject = clean(m.subject().unwrap_or_default())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (from, subject)
}

/// The sender's address: the first From line that holds one. A second From line (a
/// malformed `From :` further down) never replaces it.
pub(super) fn sender<'a>(m: &'a Message<'a>) -> &'a str {
    m.header_values(HeaderName::From)
        .find_map(|v| v.as_address().and_then(|a| a.first()).and_then(|a| a.address()))
        .unwrap_or_default()
}

/// Why a message is machine-made and must not become a ticket, nor be answered, if it
/// is.
pub(super) fn machine_made(m: &Message) -> Option<&'static str> {
    if let Some(v) = header_text(m, "Auto-Submitted")
        && !v.eq_ignore_ascii_case("no")
    {
        return Some("an automatic reply (Auto-Submitted)");
    }
    if header_text(m, "X-Autoreply").is_some() || header_text(m, "X-Autorespond").is_some() {
        return Some("an automatic reply");
    }
    if let Some(p) = header_text(m, "Precedence")
        && ["bulk", "junk", "list", "auto_reply"].contains(&p.to_ascii_lowercase().as_str())
    {
        return Some("bulk or list mail (Precedence)");
    }
    if m.is_content_type("multipart", "report") {
        return Some("a delivery report (bounce)");
    }
    // The envelope sender a receiving server records: empty for bounces and other
    // notices that must never be answered.
    if let Some(path) = header_text(m, "Return-Path")
        && path
            .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    {
        return Some("a notice with no return path (<>)");
    }
    if ["List-Id", "List-Unsubscribe", "List-Post"]
        .iter()
        .any(|h| header_text(m, h).is_some())
    {
        return Some("mailing-list mail (List headers)");
    }
    let from = sender(m).to_ascii_lowercase();
    if from.starts_with("mailer-daemon@") || from.starts_with("postmaster@") {
        return Some("a delivery report (bounce)");
    }
    None
}

/// The text the sender wrote: every text part of the body in order (a message whose
/// first part is an image has its text after it), HTML turned into text, and lines of
/// a broken multipart's structure that leaked into it taken out.
pub(super) fn written_text(m: &Message) -> String {
    let texts: Vec<Cow<str>> = (0..m.text_body_count())
        .filter_map(|i| m.body_text(i))
        .filter(|t| !t.trim().is_empty())
        .collect();
    let boundaries: std::collections::HashSet<String> = m
        .parts
        .iter()
        .filter_map(|p| p.content_type()?.attribute("boundary"))
        .map(|b| format!("--{b}"))
        .collect();
    without_mime_lines(&texts.join("\n\n").replace("\r\n", "\n"), &boundaries)
}

/// Whether `line` is a MIME header a part starts with (`Content-Type: ...`).
pub(super) fn mime_header(line: &str) -> bool {
    let Some((name, _)) = line.split_once(':') else {
        return false;
    };
    let name = name.trim().to_ascii_lowercase();
    name.starts_with("content-") && !name.contains(' ') || name == "mime-version"
}

/// `text` without what a broken multipart leaks into it: boundary lines (those of
/// `boundaries`, or any `--token` line followed by MIME headers), the headers of the
/// part they open, and a base64 body such a part carries.
pub fn without_mime_lines(text: &str, boundaries: &std::collections::HashSet<String>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let known =
            boundaries.contains(line) || line.strip_suffix("--").is_some_and(|l| boundaries.contains(l));
        let looks_like = line.len() > 3
            && line.starts_with("--")
            && !line.contains(char::is_whitespace)
            && lines.get(i + 1).is_some_and(|n| mime_header(n));
        if !(known || looks_like) {
            kept.push(lines[i]);
            i += 1;
            continue;
        }
        // The boundary, then the part's headers (folded lines too) and the blank line.
        i += 1;
        let mut base64 = false;
        while let Some(next) = lines.get(i) {
            if mime_header(next) {
                base64 |= next.to_ascii_lowercase().contains("base64");
            } else if !next.starts_with([' ', '\t']) || next.trim().is_empty() {
                break;
            }
            i += 1;
        }
        if lines.get(i).is_some_and(|l| l.trim().is_empty()) {
            i += 1;
        }
        if base64 {
            while lines.get(i).is_some_and(|l| {
                let l = l.trim();
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            }) {
                i += 1;
            }
        }
    }
    kept.join("\n")
}

/// The new text of a reply: quoted lines, the quoted original under an "On ... wrote:"
/// line or an Outlook header block, and the signature are cut.
pub fn new_text(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        // A signature follows "-- " (or a bare "--"), but only under something written:
        // a message that starts with the mark is all text.
        let written = kept.iter().any(|l| !l.trim().is_empty());
        if written && (t == "--" || line.trim_end() == "-- ") {
            break;
        }
        if t.starts_with("-----Original Message-----") {
            break;
        }
        // "On Mon, 2 Nov 2026 at 10:00, Ann <ann@acme.test> wrote:", possibly over two lines.
        let joined = match lines.get(i + 1) {
            Some(next) => format!("{t} {}", next.trim()),
            None => t.to_string(),
        };
        if t.starts_with("On ") && (t.ends_with("wrote:") || (joined.ends_with("wrote:") && !t.is_empty())) {
            break;
        }
        // Outlook: "From: ..." followed by "Sent:" or "Date:" starts the quoted original.
        if t.starts_with("From:")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("Sent:") || n.trim_start().starts_with("Date:"))
        {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    kept.join("\n")
}

/// The ticket a message answers: `[#N]` in the subject, or a Parley thread id
/// (`<ticket-N...@host>`) in In-Reply-To or References.
pub(super) fn answered_ticket(m: &Message, subject: &str) -> Option<i64> {
    let in_subject = subject.find("[#").and_then(|at| {
        let digits: String = subject[at + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        subject[at + 2 + digits.len()..]
            .starts_with(']')
            .then(|| digits.parse().ok())
            .flatten()
    });
    in_subject.or_else(|| {
        [header_text(m, "In-Reply-To"), header_text(m, "References")]
            .into_iter()
            .flatten()
            .flat_map(|v| v.split_whitespace())
            .find_map(|id| {
                let rest = id.trim_start_matches('<').strip_prefix("ticket-")?;
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
    })
}

/// Stores the message's attachments that may be attached; names the others.
pub(super) async fn attachments(
    settings: &Settings,
    store: &FileStore,
    m: &Message<'_>,
) -> Result<(Vec<Upload>, Vec<String>), AppError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (n, part) in m.attachments().enumerate() {
        let name = part_name(part, n + 1);
        let bytes = part.contents().to_vec();
        if !attachable(&name) {
            skipped.push(format!("{name} (type not accepted)"));
            continue;
        }
        if files.len() == crate::portal::attachments::MAX_FILES {
            skipped.push(format!(
                "{name} (more than {} files)",
                crate::portal::attachments::MAX_FILES
            ));
            continue;
        }
        match store.store_bytes(bytes, settings.max_upload_bytes).await {
            Ok(stored) => files.push(Upload {
                filename: name,
                stored,
            }),
            Err(AppError::Invalid { message, .. }) => skipped.push(format!("{name} ({message})")),
            Err(e) => return Err(e),
        }
    }
    Ok((files, skipped))
}

/// The name a mail part is kept under: its own file name; one made from its
/// description or its place, with the extension of its type, when it has none Parley can
/// keep (an image named only by its description); a forwarded message is an `.eml`.
pub(super) fn part_name(part: &MessagePart, n: usize) -> String {
    let own = part.attachment_name().map(clean_filename);
    if let Some(name) = &own
        && attachable(name)
    {
        return name.clone();
    }
    let content_type = part
        .content_type()
        .map(|t| format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default()))
        .unwrap_or_default();
    let forwarded = part.message();
    let ext = if forwarded.is_some() {
        Some("eml")
    } else {
        extension_for(&content_type)
    };
    let base = own
        .or_else(|| forwarded.and_then(|m| m.subject()).map(clean_filename))
        .or_else(|| part.content_description().map(clean_filename))
        .unwrap_or_else(|| format!("attachment-{n}"));
    match ext {
        Some(ext) => format!("{}.{ext}", base.chars().take(100).collect::<String>()),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::new_text;

    #[test]
    fn quoted_text_and_signatures_are_cut() {
        let reply = "Still broken after the restart.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <help@vendor.test> wrote:\n> Please restart it.\n";
        assert_eq!(new_text(reply), "Still broken after the restart.");
        let outlook = "Works now, thanks!\n\nFrom: Support <help@vendor.test>\nSent: Monday\nSubject: [#4] Export\n\nold text";
        assert_eq!(new_text(outlook), "Works now, thanks!");
        let signed = "Here are the logs.\n-- \nAnn Smith\nAcme Corp";
        assert_eq!(new_text(signed), "Here are the logs.");
        let inline = "> what version?\n4.2.1\n> and the OS?\nDebian 12";
        assert_eq!(new_text(inline), "4.2.1\nDebian 12");
    }
}
