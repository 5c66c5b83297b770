//! Tera templates, embedded in the binary and registered in one place with every
//! filter and function they use. Autoescaping stays on.

use std::collections::HashMap;

use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::error::AppError;

static TEMPLATE_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    /// Compiles every embedded template (`static/` excluded).
    pub fn load() -> anyhow::Result<Self> {
        let mut files = Vec::new();
        collect(&TEMPLATE_DIR, &mut files);
        let mut tera = tera::Tera::default();
        // Plain-text mail bodies are not HTML: escaping them would show &amp; to readers.
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_templates(files)
            .map_err(|e| anyhow::anyhow!("compiling templates: {e:?}"))?;
        tera.register_filter("datetime", TimeShown::Ago);
        tera.register_filter("clock", TimeShown::Clock);
        tera.register_filter("avatar", Avatar);
        tera.register_filter("filesize", filesize);
        tera.register_filter("compact", compact);
        tera.register_filter("day", day);
        tera.register_filter("ticket_status", ticket_status);
        tera.register_filter("minutes", minutes);
        Ok(Self { tera })
    }

    /// Renders `name` with the fields of `view`.
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String, AppError> {
        Ok(self.render_plain(name, view)?)
    }

    /// Renders `name`, for callers outside a request.
    pub fn render_plain(&self, name: &str, view: &impl Serialize) -> anyhow::Result<String> {
        let ctx =
            tera::Context::from_serialize(view).map_err(|e| anyhow::anyhow!("template context: {e:?}"))?;
        self.tera
            .render(name, &ctx)
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e:?}"))
    }
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        if path.starts_with("static/") {
            continue;
        }
        if let Some(text) = file.contents_utf8() {
            out.push((path, text));
        }
    }
    for sub in dir.dirs() {
        if !sub.path().starts_with("static") {
            collect(sub, out);
        }
    }
}

/// `{{ t | datetime }}` and `{{ t | clock }}`: a stored UTC time as a `<time>` element
/// with the absolute time on hover. `datetime` says how long ago (or how soon) it is,
/// right when the page is rendered; `clock` gives a day and a time of day ("Tue 14:00
/// UTC"), for due times. `app.js` keeps both right in pages kept longer (the topic-page
/// cache) and shows them in the reader's time zone (their setting, else the browser's).
#[derive(Clone, Copy)]
enum TimeShown {
    Ago,
    Clock,
}

impl tera::Filter for TimeShown {
    fn filter(&self, value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let raw = value.as_str().unwrap_or_default();
        let Some(t) = super::time::parse(raw) else {
            return Ok(tera::Value::String(tera::escape_html(raw)));
        };
        let (mark, text) = match self {
            Self::Ago => (
                "data-when",
                super::time::relative(t, chrono::Utc::now().naive_utc()),
            ),
            Self::Clock => ("data-clock", t.format("%a %H:%M UTC").to_string()),
        };
        Ok(tera::Value::String(format!(
            r#"<time datetime="{}" title="{}" {mark}>{text}</time>"#,
            super::time::rfc3339(&t),
            t.format("%Y-%m-%d %H:%M UTC"),
        )))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `{{ person | avatar }}`: the person's own picture when they chose one, else a round
/// badge with their initials, in one of twelve colours chosen by their id (or their
/// name, when only a name is known), so that the same person has the same colour on
/// every page. Hidden from screen readers (an empty `alt`): the name stands beside it.
struct Avatar;

/// The colours an avatar may take (`.avatar.c0` to `.c11` in the stylesheet).
const AVATAR_COLOURS: u64 = 12;

impl tera::Filter for Avatar {
    fn filter(&self, value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        // A name alone may come with its person's id and picture as arguments:
        // `{{ e.actor | avatar(id=e.actor_id, picture=e.actor_avatar) }}`.
        let picture = args.get("picture").and_then(|v| v.as_str());
        if let Some(picture) = picture {
            return Ok(tera::Value::String(picture_img(picture)));
        }
        let (name, key) = match value {
            tera::Value::Object(o) => {
                if let Some(picture) = o.get("avatar").and_then(|v| v.as_str()) {
                    return Ok(tera::Value::String(picture_img(picture)));
                }
                let name = o.get("display_name").and_then(|v| v.as_str()).unwrap_or_default();
                let key = o.get("id").and_then(tera::Value::as_u64);
                (name.to_string(), key)
            }
            tera::Value::String(s) => (s.clone(), args.get("id").and_then(tera::Value::as_u64)),
            _ => (String::new(), None),
        };
        let colour = key.unwrap_or_else(|| {
            name.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        }) % AVATAR_COLOURS;
        Ok(tera::Value::String(format!(
            r#"<span class="avatar c{colour}" aria-hidden="true">{}</span>"#,
            tera::escape_html(&initials(&name))
        )))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// A person's picture as an avatar: decorative, since their name stands beside it.
fn picture_img(src: &str) -> String {
    format!(
        r#"<img class="avatar" src="{}" alt="" width="28" height="28" loading="lazy">"#,
        tera::escape_html(src)
    )
}

/// Up to two initials: of the first and last words of a name, else its first letter.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default()
    };
    match words.as_slice() {
        [] => "?".into(),
        [one] => first(one),
        [a, .., b] => format!("{}{}", first(a), first(b)),
    }
}

/// `{{ bytes | filesize }}`: "912 B", "14.2 KiB", "1.3 GiB".
fn filesize(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(human_size(value.as_u64().unwrap_or(0))))
}

fn compact(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(compact_count(value.as_i64().unwrap_or(0))))
}

/// A count as lists show it: exact under a thousand, then "1.2k", "12k", "3.4M".
pub fn compact_count(n: i64) -> String {
    let (scaled, unit) = match n.unsigned_abs() {
        m if m >= 1_000_000 => (n as f64 / 1_000_000.0, "M"),
        m if m >= 1_000 => (n as f64 / 1_000.0, "k"),
        _ => return n.to_string(),
    };
    if scaled.abs() < 10.0 {
        // Rounded down, so that 1,999 reads 1.9k and never 2.0k.
        format!("{:.1}{unit}", (scaled * 10.0).trunc() / 10.0)
    } else {
        format!("{}{unit}", scaled.trunc())
    }
}

/// `{{ date | day }}`: a calendar day ("2026-12-06") as people write it ("6 December
/// 2026"); anything else as it is.
fn day(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    Ok(tera::Value::String(
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| d.format("%-d %B %Y").to_string())
            .unwrap_or_else(|_| text.to_string()),
    ))
}

/// `{{ id | ticket_status }}`: a ticket status's name as its badge shows it
/// ("solution_provided" → "Solution Provided/Monitoring").
fn ticket_status(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let id = value.as_str().unwrap_or_default();
    Ok(tera::Value::String(
        crate::portal::ticket_status::Status::parse(id)
            .map_or_else(|| id.replace('_', " "), |s| s.label().to_string()),
    ))
}

fn minutes(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(human_minutes(value.as_i64().unwrap_or(0))))
}

/// A span of minutes for people, to the two largest units ("1 day 4 h", "3 h 5 min",
/// "12 min"); negative spans are shown by their length.
pub fn human_minutes(minutes: i64) -> String {
    let m = minutes.unsigned_abs();
    let (days, hours, mins) = (m / 1440, m % 1440 / 60, m % 60);
    let day_word = if days == 1 { "day" } else { "days" };
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} {day_word}"),
        (d, h, _) => format!("{d} {day_word} {h} h"),
    }
}

/// A byte count for people.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_minutes() {
        assert_eq!(human_minutes(0), "0 min");
        assert_eq!(human_minutes(12), "12 min");
        assert_eq!(human_minutes(120), "2 h");
        assert_eq!(human_minutes(185), "3 h 5 min");
        assert_eq!(human_minutes(1440), "1 day");
        assert_eq!(human_minutes(2878), "1 day 23 h");
        assert_eq!(human_minutes(-3000), "2 days 2 h");
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ann Lee"), "AL");
        assert_eq!(initials("Jean-Luc de la Croix"), "JC");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("élodie martin"), "ÉM");
    }

    #[test]
    fn times_and_avatars_render_as_elements_and_escape_names() {
        use tera::Filter;
        let none = HashMap::new();
        let when = TimeShown::Ago
            .filter(&tera::Value::from("2026-12-01T09:30:00Z"), &none)
            .expect("when");
        let when = when.as_str().unwrap_or_default();
        assert!(
            when.starts_with(
                r#"<time datetime="2026-12-01T09:30:00Z" title="2026-12-01 09:30 UTC" data-when>"#
            ),
            "{when}"
        );
        let person = serde_json::json!({"id": 14, "display_name": "<b>Eve</b> Smith"});
        let badge = Avatar.filter(&person, &none).expect("avatar");
        assert_eq!(
            badge.as_str(),
            Some(r#"<span class="avatar c2" aria-hidden="true">&lt;S</span>"#)
        );
        let pictured = serde_json::json!({"id": 14, "display_name": "Eve", "avatar": "/avatars/14/ab\"c"});
        let picture = Avatar.filter(&pictured, &none).expect("picture");
        assert_eq!(
            picture.as_str(),
            Some(
                r#"<img class="avatar" src="&#x2F;avatars&#x2F;14&#x2F;ab&quot;c" alt="" width="28" height="28" loading="lazy">"#
            )
        );
    }

    #[test]
    fn counts_in_lists() {
        assert_eq!(compact_count(0), "0");
        assert_eq!(compact_count(999), "999");
        assert_eq!(compact_count(1_000), "1.0k");
        assert_eq!(compact_count(1_999), "1.9k");
        assert_eq!(compact_count(12_345), "12k");
        assert_eq!(compact_count(999_999), "999k");
        assert_eq!(compact_count(3_456_789), "3.4M");
        let none = HashMap::new();
        assert_eq!(
            day(&tera::Value::from("2026-12-06"), &none).ok(),
            Some("6 December 2026".into())
        );
        assert_eq!(day(&tera::Value::from("soon"), &none).ok(), Some("soon".into()));
    }

    #[test]
    fn ticket_statuses_by_their_names() {
        let none = HashMap::new();
        let name = |id: &str| ticket_status(&tera::Value::from(id), &none).ok();
        assert_eq!(
            name("solution_provided"),
            Some("Solution Provided/Monitoring".into())
        );
        assert_eq!(name("open"), Some("Open".into()));
        assert_eq!(name("not_a_status"), Some("not a status".into()));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(912), "912 B");
        assert_eq!(human_size(14_540), "14.2 KiB");
        assert_eq!(human_size(1_395_864_371), "1.3 GiB");
    }

    #[test]
    fn all_templates_compile_and_escape() {
        let t = Templates::load().expect("templates");
        #[derive(Serialize)]
        struct V {
            status: u16,
            title: &'static str,
            message: &'static str,
        }
        let html = t
            .render_plain(
                "errors/404.html",
                &V {
                    status: 404,
                    title: "Not Found",
                    message: "<script>x</script>",
                },
            )
            .expect("render");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>x"));
    }
}
