//! What the hostile test sends, and the member who keeps using the site meanwhile.

use super::*;

pub(super) const INBOUND: &str = "inbound-secret-0123456789abcdef";

/// The largest post body (`forum::MAX_BODY`).
pub(super) const POST: usize = 64 * 1024;

pub(super) async fn ask(app: &TestApp, token: &str, title: &str) -> i64 {
    let topic = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(token),
            Some(json!({"category": "questions", "title": title, "body": "It stops after the upgrade."})),
        )
        .await;
    topic["topic"]["id"].as_i64().unwrap()
}

pub(super) fn fields_of(body: &Value) -> Vec<String> {
    body["errors"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

/// The pathological bodies, each as large as a post may be.
pub(super) fn pathological() -> Vec<(&'static str, String)> {
    let fill = |piece: &str| piece.repeat(POST / piece.len());
    vec![
        ("deep quotes", fill(">")),
        ("deep ordered lists", fill("1. ")),
        (
            "deep bullet lists",
            (0..POST / 40)
                .map(|i| format!("{}- x\n", "  ".repeat(i % 2000)))
                .collect::<String>()
                .chars()
                .take(POST - 1)
                .collect(),
        ),
        ("deep brackets", fill("[")),
        ("deep emphasis", fill("*a ")),
        ("a line of backticks", fill("`")),
        ("raw HTML", fill("<div>")),
        ("deep links", fill("[a](")),
    ]
}

/// What another member saw while the hostile input ran.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) requests: usize,
    pub(super) worst: Duration,
    pub(super) wrong: Vec<String>,
}

/// Another member reading a topic page, searching, checking health and replying, in
/// a loop until `stop`.
pub(super) async fn bystander(app: Arc<TestApp>, token: String, topic: i64, stop: Arc<AtomicBool>) -> Seen {
    let mut b = app.browser();
    b.login("bea@acme.test", PW).await;
    let mut seen = Seen::default();
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let started = Instant::now();
        let (what, status) = match round % 4 {
            0 => ("topic page", b.page(&format!("/t/{topic}/x")).await.0),
            1 => ("healthz", b.get("/healthz").await.status()),
            2 => (
                "search",
                app.call(
                    Method::GET,
                    "/api/v1/search?q=upgrade%20stops",
                    Some(&token),
                    None,
                )
                .await
                .0,
            ),
            _ => (
                "reply",
                app.call(
                    Method::POST,
                    &format!("/api/v1/topics/{topic}/posts"),
                    Some(&token),
                    Some(json!({"body": format!("Still happening, round {round}.")})),
                )
                .await
                .0,
            ),
        };
        let took = started.elapsed();
        seen.requests += 1;
        seen.worst = seen.worst.max(took);
        if !status.is_success() {
            seen.wrong.push(format!("{what}: {status}"));
        }
        if took > Duration::from_secs(1) {
            seen.wrong.push(format!("{what} took {took:?}"));
        }
    }
    seen
}
