//! One rule for the characters text may hold, applied where input enters: the path, the
//! query string and every form or JSON body are read before any handler, and a field
//! holding a control character is refused with a 422 that names it. PostgreSQL cannot
//! store NUL and XML (the feeds) can hold no control character but tab and line breaks,
//! so refusing them here gives the same answer on both databases. Multipart text fields
//! are checked where they are read (`files::read_form`); received mail keeps its message
//! and loses the characters (`portal::inbound`, with [`without_refused`]). A JSON body
//! that is not an object is refused here too.

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::error::AppError;

/// The largest body read to be checked; no form or JSON body the routes take is larger.
const MAX_CHECKED: usize = 1 << 20;

/// Whether text may not hold `c`: the C0 controls other than tab, line feed and
/// carriage return, and the noncharacters U+FFFE and U+FFFF.
pub fn refused(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// The first refused character of `text`.
pub fn first_refused(text: &str) -> Option<char> {
    text.chars().find(|c| refused(*c))
}

/// What a person is told about a field holding `c`.
pub fn message(c: char) -> String {
    if c < ' ' {
        format!(
            "Remove the control character U+{:04X}: text may hold tabs and line breaks, but no other control character.",
            c as u32
        )
    } else {
        format!("Remove the character U+{:04X}: it is not text.", c as u32)
    }
}

/// `text` without its refused characters, and how many there were.
pub fn without_refused(text: &str) -> (String, usize) {
    let kept: String = text.chars().filter(|c| !refused(*c)).collect();
    let dropped = text.chars().count() - kept.chars().count();
    (kept, dropped)
}

/// The middleware.
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(err) = check_request(&mut req).await {
        return Ok(req.error_response(err).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

async fn check_request(req: &mut ServiceRequest) -> Result<(), AppError> {
    if let Some(c) = first_refused(&percent_decoded(req.path())) {
        return Err(AppError::field("path", message(c)));
    }
    if let Some((name, c)) = in_pairs(req.query_string().as_bytes()) {
        return Err(AppError::field(&name, message(c)));
    }
    let content_type = super::content_type(req).to_ascii_lowercase();
    // Files may hold any byte (their text fields are checked as they are read), and
    // mail is cleaned, never refused.
    if content_type.starts_with("multipart/") || content_type.starts_with("message/") {
        return Ok(());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_CHECKED {
            return Err(AppError::TooLarge(format!(
                "The body is larger than {MAX_CHECKED} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    // Every JSON body the API takes is an object (or nothing, `null` included): an array
    // or another bare value would be read field by field in order, which no client means.
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if json && first.is_some_and(|b| !matches!(b, b'{' | b'n')) {
        req.set_payload(actix_web::dev::Payload::from(body));
        return Err(AppError::BadRequest(
            "Send the body as a JSON object: {\"field\": value, ...}.".into(),
        ));
    }
    let found = if content_type.starts_with("application/x-www-form-urlencoded") {
        in_pairs(&body)
    } else {
        in_json(&body)
    };
    // `1.0` is the integer 1 in JSON Schema, as many clients write it: the handlers,
    // which read integers, get it as one.
    let body = match json.then(|| integral_numbers(&body)).flatten() {
        Some(rewritten) => rewritten,
        None => body,
    };
    req.set_payload(actix_web::dev::Payload::from(body));
    match found {
        Some((name, c)) => Err(AppError::field(&name, message(c))),
        None => Ok(()),
    }
}

/// The first name or value of a urlencoded list holding a refused character, by name.
fn in_pairs(encoded: &[u8]) -> Option<(String, char)> {
    url::form_urlencoded::parse(encoded).find_map(|(k, v)| {
        first_refused(&k)
            .or_else(|| first_refused(&v))
            .map(|c| (k.chars().filter(|c| !refused(*c)).collect(), c))
    })
}

/// The first string of a JSON body holding a refused character, by its path
/// (`title`, `items[2].name`). A body that is not JSON is left to the handler, which
/// says what is wrong with it.
fn in_json(body: &[u8]) -> Option<(String, char)> {
    // JSON escapes every control character in its strings, and most bodies hold no
    // escape at all: those are not parsed twice.
    let escaped = body.windows(2).any(|w| w == b"\\u");
    let raw = body
        .iter()
        .any(|b| *b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r'));
    let nonchar = body
        .windows(3)
        .any(|w| w == [0xef, 0xbf, 0xbe] || w == [0xef, 0xbf, 0xbf]);
    if !escaped && !raw && !nonchar {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut path = String::new();
    walk(&value, &mut path).map(|c| (if path.is_empty() { "body".into() } else { path }, c))
}

fn walk(value: &serde_json::Value, path: &mut String) -> Option<char> {
    match value {
        serde_json::Value::String(s) => first_refused(s),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = walk(v, path);
            if found.is_none() {
                path.truncate(len);
            }
            found
        }),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.extend(k.chars().filter(|c| !refused(*c)));
            let found = first_refused(k).or_else(|| walk(v, path));
            if found.is_none() {
                path.truncate(len);
            }
            found
        }),
        _ => None,
    }
}

/// The JSON body with every number that has a fraction or an exponent but a whole
/// value (`587.0`, `1e3`) written as an integer, when it holds one; `None` otherwise
/// (and for a body that is not JSON, left to the handler).
fn integral_numbers(body: &[u8]) -> Option<Bytes> {
    let maybe = body
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && matches!(w[1], b'.' | b'e' | b'E'));
    if !maybe {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !whole(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

/// Turns whole floats into integers, in place; says whether it turned any.
fn whole(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => match n.as_f64() {
            // Within the range an f64 holds every integer exactly.
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                *value = serde_json::Value::from(f as i64);
                true
            }
            _ => false,
        },
        // Every element is visited: each may hold a number to turn.
        serde_json::Value::Array(items) => items.iter_mut().map(whole).filter(|turned| *turned).count() > 0,
        serde_json::Value::Object(fields) => {
            fields.values_mut().map(whole).filter(|turned| *turned).count() > 0
        }
        _ => false,
    }
}

/// Text with its %XX escapes decoded (bytes that are not UTF-8 become U+FFFD).
pub fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_but_tab_and_line_breaks() {
        assert!(refused('\0') && refused('\u{1b}') && refused('\u{ffff}'));
        assert!(!refused('\t') && !refused('\n') && !refused('\r') && !refused('é'));
        assert_eq!(without_refused("a\0b\u{7}c\n"), ("abc\n".to_string(), 2));
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let rewritten = integral_numbers(br#"{"value": 1.0, "ids": [2.0, 3.5], "n": 1e3, "v": "1.0"}"#)
            .expect("rewritten");
        let value: serde_json::Value = serde_json::from_slice(&rewritten).expect("json");
        assert_eq!(value["value"], serde_json::json!(1));
        assert!(value["value"].is_i64());
        assert_eq!(value["ids"], serde_json::json!([2, 3.5]));
        assert_eq!(value["n"], serde_json::json!(1000));
        assert_eq!(value["v"], "1.0");
        assert!(integral_numbers(br#"{"value": 1, "title": "v2.0 notes"}"#).is_none());
        assert!(integral_numbers(br#"{"ratio": 0.5}"#).is_none());
    }

    #[test]
    fn names_the_field_that_holds_one() {
        assert_eq!(in_pairs(b"title=ok&body=a%00b"), Some(("body".into(), '\0')));
        assert_eq!(in_pairs(b"a=1&b=2"), None);
        assert_eq!(
            in_json(br#"{"title":"ok","items":[{"name":"x"},{"name":"y\u0000"}]}"#),
            Some(("items[1].name".into(), '\0'))
        );
        assert_eq!(in_json(br#"{"title":"tab\tand \u00e9"}"#), None);
        assert_eq!(in_json(br#""\u0001""#), Some(("body".into(), '\u{1}')));
        assert_eq!(in_json(b"not json \\u0000"), None);
        assert_eq!(percent_decoded("/t/1/a%00b%zz"), "/t/1/a\0b%zz");
    }
}
