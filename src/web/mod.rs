//! What every feature's handlers share: templates, sessions and the signed-in user,
//! CSRF protection, the characters text may hold, rate limits, security headers, static
//! assets and operations endpoints.

pub mod assets;
pub mod characters;
pub mod csrf;
pub mod errors;
pub mod forms;
pub mod headers;
pub mod kept;
pub mod ops;
pub mod page;
pub mod rate_limit;
pub mod session;
pub mod sessions;
pub mod templates;
pub mod time;

pub use page::PageCtx;
pub use session::{ApiUser, AuthUser, CurrentUser, MaybeUser};

/// A CSV file to download under `name`.
pub fn csv_download(name: &str, body: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// A request's `Content-Type` as sent (a multipart boundary is case-sensitive); empty
/// when it has none.
pub fn content_type(req: &actix_web::dev::ServiceRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A local path to return to after signing in; anything else (another host, a
/// protocol-relative `//host`, a backslash trick) becomes `/`.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n'])
        && !next.starts_with("/login")
        && !next.starts_with("/logout");
    if ok { next } else { "/" }
}

/// The client's address: the peer, or the first X-Forwarded-For hop when the operator
/// says a proxy they run sits in front.
pub fn client_ip(req: &actix_web::HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy && let Some(ip) = req.connection_info().realip_remote_addr() {
        return ip.to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Whether `s` is a web address a page may link to: http or https, at most 500
/// characters. Checked where an admin gives one (a partner's site, a documentation link).
pub fn is_web_address(s: &str) -> bool {
    s.chars().count() <= 500 && url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_local() {
        assert_eq!(safe_next("/t/42?page=2"), "/t/42?page=2");
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
            "/login?next=/x",
        ] {
            assert_eq!(safe_next(evil), "/", "{evil}");
        }
    }
}
