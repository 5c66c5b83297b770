//! The test harness: a real Parley server on a free port, with its own data directory
//! and its own database (a temp SQLite file, or a fresh PostgreSQL database when
//! `PARLEY_TEST_PG_URL` is set), and a browser-like client that keeps cookies and
//! fills in CSRF tokens.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // Helpers shared by test files; a failed step should stop the test loudly.

use actix_web::web;
use diesel::{Connection, RunQueryDsl};
use parley::app::AppState;
use parley::config::{Cli, DatabaseUrl, Settings};
use parley::db::Db;
use parley::server::serve;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

mod browser;
mod databases;
mod turns;

pub use browser::*;
pub use databases::*;
pub use turns::*;

pub use reqwest::Response;

/// Says, past the test harness's capture, that a test did not run its checks here and
/// why (a PostgreSQL-only test on SQLite, no Dovecot, no model), so a skip is seen
/// rather than passed silently. Under CI none of these may skip.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The password of every account the harness makes.
pub const PW: &str = "operator password 1";

/// The mails among `mails` addressed to `address`.
pub fn mails_to<'a>(mails: &'a [String], address: &str) -> Vec<&'a String> {
    mails
        .iter()
        .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(address)))
        .collect()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The `parley` binary with only the data directory and database set (and a quiet log).
pub fn parley_cmd(data_dir: &std::path::Path, db: &DatabaseUrl) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PARLEY_DATA_DIR", data_dir)
        .env(
            "DATABASE_URL",
            match db {
                DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
                DatabaseUrl::Postgres(u) => u.clone(),
            },
        )
        .env("PARLEY_LOG", "warn");
    cmd
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

static MACHINE: std::sync::Mutex<Machine> = std::sync::Mutex::new(Machine {
    sharing: 0,
    alone: false,
});

static MACHINE_CHANGED: std::sync::Condvar = std::sync::Condvar::new();

/// How long a client keeps an idle connection for another request: less than the
/// server's keep-alive (5 s), so that a slow test never sends a request on a connection
/// the server is closing at that moment.
const IDLE_CONNECTION: std::time::Duration = std::time::Duration::from_secs(3);

/// A running server.
pub struct TestApp {
    pub base: String,
    pub state: web::Data<AppState>,
    pub data_dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    /// The settings given at start, which another node of the same site gets too.
    args: Vec<String>,
    /// Dropped with the first node: another node of its site is dropped before it.
    _db: Option<TestDb>,
    _turn: Option<Turn>,
}

/// Settings a test may change before the server starts.
pub struct Options {
    pub args: Vec<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts a server; `args` are extra command-line settings such as
    /// `--rate-limit-login=2/minute`.
    pub async fn spawn_with(args: &[&str]) -> Self {
        Self::start(args, false).await
    }

    /// Starts a server once no other test's server runs, and keeps the machine to this
    /// test until it is dropped: for a test that measures how fast others are answered.
    pub async fn spawn_alone(args: &[&str]) -> Self {
        Self::start(args, true).await
    }

    async fn start(args: &[&str], alone: bool) -> Self {
        let turn = Turn::take(alone).await;
        // PARLEY_TEST_LOG=warn (or any filter) shows the server's log while debugging.
        if let Ok(filter) = std::env::var("PARLEY_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let data_dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::new(data_dir.path());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut app = Self::launch(data_dir, &db.url, args).await;
        app._db = Some(db);
        app._turn = Some(turn);
        app
    }

    /// Another node of the same site: a server with a data directory of its own on the
    /// same database, with the same secret and settings.
    pub async fn another_node(&self) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        Self::launch(data_dir, &self.state.settings.database, self.args.clone()).await
    }

    async fn launch(data_dir: tempfile::TempDir, url: &DatabaseUrl, args: Vec<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut argv: Vec<String> = vec![
            "parley".into(),
            format!("--data-dir={}", data_dir.path().display()),
            format!("--database-url={url}"),
            format!("--bind={addr}"),
            "--secret=test-secret-test-secret-test-secret-0123".into(),
            "--db-pool-size=4".into(),
        ];
        if let DatabaseUrl::Postgres(u) = url {
            argv[2] = format!("--database-url={u}");
        }
        argv.extend(args.iter().cloned());
        let cli = <Cli as clap::Parser>::parse_from(argv);
        let settings = Settings::from_args(&cli.settings).expect("settings");
        let url = url.clone();
        let pool = settings.db_pool_size;
        let database = tokio::task::spawn_blocking(move || {
            let database = Db::connect(&url, pool).expect("connect");
            parley::app::prepare(&database).expect("migrate and seed");
            database
        })
        .await
        .expect("join");
        let state = web::Data::new(AppState::new(settings, database).expect("state"));
        let (tx, rx) = std::sync::mpsc::channel();
        let server_state = state.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = serve(server_state, listener, 2).expect("serve");
                tx.send(server.handle()).expect("send handle");
                let _ = server.await;
            })
        });
        let handle = tokio::task::spawn_blocking(move || rx.recv().expect("server handle"))
            .await
            .expect("join");
        Self {
            base: format!("http://{addr}"),
            state,
            data_dir,
            handle,
            args,
            _db: None,
            _turn: None,
        }
    }

    /// A new browser with no cookies.
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.base.clone(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .pool_idle_timeout(IDLE_CONNECTION)
                .build()
                .expect("client"),
            csrf: None,
        }
    }

    /// A browser signed in as an account that exists already (password [`PW`]).
    pub async fn browser_as(&self, email: &str) -> Browser {
        let mut b = self.browser();
        b.login(email, PW).await;
        b
    }

    /// A client for the JSON API, with no cookies.
    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .pool_idle_timeout(IDLE_CONNECTION)
            .build()
            .expect("client")
    }

    /// A JSON call, with a bearer token when given; the status and the body (`Null`
    /// when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = self.api().request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A JSON call that must answer `expected`; the answer's body. A failure names the
    /// call, the status and the body.
    pub async fn expect(
        &self,
        expected: StatusCode,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let what = format!("{method} {path}");
        let (status, answer) = self.call(method, path, token, body).await;
        assert_eq!(status, expected, "{what}: {answer}");
        answer
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every mail written so far, oldest first, decoded from quoted-printable.
    pub fn mails(&self) -> Vec<String> {
        let dir: PathBuf = self.data_dir.path().join("mail");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| decode_qp(&std::fs::read_to_string(f).expect("read mail")))
            .collect()
    }

    /// The newest mail to `address`.
    pub fn last_mail_to(&self, address: &str) -> String {
        self.mails()
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("<{address}>")))
            .unwrap_or_else(|| panic!("no mail to {address}"))
    }

    /// The first link in `mail` to `path` (such as "/verify"), as a local path and query.
    pub fn link_in(&self, mail: &str, path: &str) -> String {
        let start = format!("{}{}", self.base, path);
        let at = mail
            .find(&start)
            .unwrap_or_else(|| panic!("no {start} link in:\n{mail}"));
        let link: String = mail[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect();
        link[self.base.len()..].to_string()
    }

    /// Signs up through the API and verifies through the mailed link; returns a browser
    /// signed in as that user.
    pub async fn verified_member(&self, email: &str, password: &str) -> Browser {
        let res = self
            .api()
            .post(self.url("/api/v1/auth/signup"))
            .json(&serde_json::json!({"email": email, "password": password, "display_name": "Test User"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let link = self.link_in(&self.last_mail_to(email), "/verify");
        let mut b = self.browser();
        assert_eq!(b.get(&link).await.status(), StatusCode::SEE_OTHER);
        b.login(email, password).await;
        b
    }

    /// Makes an account directly (as `parley user create` does) and signs it in.
    pub async fn user_with_role(
        &self,
        email: &str,
        role: parley::accounts::Role,
        org: Option<&str>,
    ) -> Browser {
        self.account(email, role, org, false).await
    }

    /// Uploads a file for a post through the API (`/api/v1/uploads`) as the token's
    /// owner; the answer names its `sha256`, `url` and `markdown`.
    pub async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> serde_json::Value {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
        let res = self
            .api()
            .post(self.url("/api/v1/uploads"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// A member of Acme made directly, and an API token for them.
    pub async fn member_token(&self, email: &str) -> String {
        self.user_with_role(email, parley::accounts::Role::Member, Some("Acme"))
            .await;
        self.token(email, PW).await
    }

    /// An authorized contact of `org` (which is approved), signed in.
    pub async fn contact(&self, email: &str, org: &str) -> Browser {
        self.account(email, parley::accounts::Role::Member, Some(org), true)
            .await
    }

    async fn account(
        &self,
        email: &str,
        role: parley::accounts::Role,
        org: Option<&str>,
        authorized_contact: bool,
    ) -> Browser {
        let state = self.state.clone();
        let (email_s, org_s) = (email.to_string(), org.map(str::to_string));
        tokio::task::spawn_blocking(move || {
            let mut conn = state.db.get_write().unwrap();
            parley::accounts::service::upsert_operator_user(
                &mut conn,
                &parley::accounts::service::OperatorUser {
                    email: email_s,
                    name: "Operator Made".into(),
                    role,
                    organization: org_s,
                    authorized_contact,
                    password: PW.into(),
                },
                true,
            )
            .unwrap();
        })
        .await
        .unwrap();
        let mut b = self.browser();
        b.login(email, PW).await;
        b
    }

    /// An API token for an account made with [`TestApp::user_with_role`] or [`TestApp::contact`].
    pub async fn token(&self, email: &str, password: &str) -> String {
        let res = self
            .api()
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"email": email, "password": password, "name": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: serde_json::Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the server thread ends on its own, and the
        // search threads after their current round, so that no thread of a finished
        // test still talks to its database when the test process exits.
        drop(self.handle.stop(false));
        self.state.search.stop();
    }
}

/// Calls the API and insists on success; the answer's JSON.
pub async fn ok(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let (status, v) = app.call(method, path, Some(token), body).await;
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// Delivers the queued mail now; every mail on disk, decoded. Mail the node's own
/// sender claimed a moment before is in its hands, not this call's: waited for (up to
/// ten seconds) until none is being sent.
pub async fn delivered(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use parley::db::schema::mail_outbox;
    for _ in 0..200 {
        parley::outbox::deliver_due(&app.state.db, &app.state.mailer, &app.state.node.claims())
            .await
            .unwrap();
        let sending: i64 = app
            .state
            .db
            .read(|c| {
                Ok(mail_outbox::table
                    .filter(mail_outbox::status.eq("sending"))
                    .count()
                    .get_result(c)?)
            })
            .await
            .unwrap();
        if sending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.mails()
}
