//! Settings: command-line flags with environment fallbacks, checked once at start.
//!
//! Every flag can also be given as an environment variable (shown in `--help`). Raw
//! values are read as text and checked here rather than by clap, so that a bad value
//! stops the start with a message that names the environment variable an operator set.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The `parley` command line.
#[derive(Debug, Parser)]
#[command(
    name = "parley",
    version,
    about = "Parley: customer community and support platform in one binary",
    long_about = "Parley: customer community and support platform in one binary.\n\nWith no command, `parley` serves the site (the same as `parley serve`). Every option can also be set by the environment variable shown beside it."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `parley` should do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the site (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check every setting and the database connection, print a summary and exit.
    CheckConfig,
    /// Import users, topics and posts from a JSON-lines file ('-' for standard input).
    Import {
        /// The file to read.
        file: std::path::PathBuf,
    },
    /// Build a new search index from the database beside the serving one, then swap
    /// it in (a running server follows within a second).
    Reindex,
    /// Mail received for the support address.
    #[command(subcommand)]
    Mail(MailCommand),
}

/// `parley mail ...`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Take in one message (RFC 822) from standard input, as an MTA delivers to a
    /// program: a ticket, a note on the ticket it answers, or refused with a reason.
    /// Exits 0 when the message was dealt with (refusals included), 75 (EX_TEMPFAIL)
    /// when Parley could not, so that the MTA tries again.
    Ingest,
    /// Read the support mailbox (PARLEY_IMAP_URL) once: take in every message in its
    /// folder and move each to the processed or refused folder once its outcome is
    /// stored; for cron, when no `parley serve` reads it.
    Fetch,
}

/// `parley user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a verified account. The password is read from standard input when it is
    /// not a terminal; otherwise one is generated and printed.
    Create(UserCreateArgs),
}

/// Arguments of `parley user create`.
#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// Email address of the new account.
    #[arg(long, env = "PARLEY_USER_EMAIL")]
    pub email: String,
    /// Display name shown beside the user's posts.
    #[arg(long, env = "PARLEY_USER_NAME")]
    pub name: String,
    /// Role: member, staff or admin.
    #[arg(long, env = "PARLEY_USER_ROLE", default_value = "member")]
    pub role: String,
    /// Organization to join, by name or id (created, approved, when no such name exists).
    #[arg(long, env = "PARLEY_USER_ORG")]
    pub org: Option<String>,
    /// Mark the user as an authorized contact of the organization.
    #[arg(long, env = "PARLEY_USER_AUTHORIZED_CONTACT")]
    pub authorized_contact: bool,
}

/// Settings shared by every command, as given on the command line or in the environment.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Directory for runtime data: database, secret, search index, files, mail.
    #[arg(long, env = "PARLEY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB (default: parley.db in the data directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "PARLEY_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// Public address of the site, used in links sent by mail (default: http://BIND).
    #[arg(long, env = "PARLEY_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Key that signs sessions and links, at least 32 characters (default: generated
    /// once and kept in DATA_DIR/secret).
    #[arg(long, env = "PARLEY_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,
    /// SMTP server for outgoing mail; without it mail is written to DATA_DIR/mail/*.eml.
    #[arg(long, env = "PARLEY_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP port (default: 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, env = "PARLEY_SMTP_PORT", global = true)]
    pub smtp_port: Option<String>,
    /// SMTP transport security: starttls, tls or none.
    #[arg(long, env = "PARLEY_SMTP_TLS", default_value = "starttls", global = true)]
    pub smtp_tls: String,
    /// SMTP user name.
    #[arg(long, env = "PARLEY_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "PARLEY_SMTP_PASSWORD", hide_env_values = true, global = true)]
    pub smtp_password: Option<String>,
    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "PARLEY_MAIL_FROM",
        default_value = "Parley <parley@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Rate limits on signup, sign-in and password reset: on or off (off for load tests).
    #[arg(long, env = "PARLEY_RATE_LIMITS", default_value = "on", global = true)]
    pub rate_limits: String,
    /// Signups allowed per client address, as COUNT/PERIOD (PERIOD: second, minute, hour, day).
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_SIGNUP",
        default_value = "10/hour",
        global = true
    )]
    pub rate_limit_signup: String,
    /// Sign-in attempts allowed per client address and per account.
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_LOGIN",
        default_value = "10/minute",
        global = true
    )]
    pub rate_limit_login: String,
    /// Password-reset and verification mails allowed per client address and per account.
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_RESET",
        default_value = "5/hour",
        global = true
    )]
    pub rate_limit_reset: String,
    /// New topics and replies allowed per member (staff are not limited).
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_POST",
        default_value = "10/minute",
        global = true
    )]
    pub rate_limit_post: String,
    /// Largest release download that staff may upload, in MiB.
    #[arg(long, env = "PARLEY_MAX_DOWNLOAD_MB", default_value = "512", global = true)]
    pub max_download_mb: String,
    /// Largest image or file a member may attach to a post, in MiB.
    #[arg(long, env = "PARLEY_MAX_UPLOAD_MB", default_value = "10", global = true)]
    pub max_upload_mb: String,
    /// Days after which a closed ticket is archived (final; a follow-up ticket links
    /// to it).
    #[arg(long, env = "PARLEY_ARCHIVE_AFTER_DAYS", default_value = "14", global = true)]
    pub archive_after_days: String,
    /// Memory for rendered topic pages kept between requests, in MiB (0 turns the
    /// cache off). Pages are rebuilt as soon as their topic changes.
    #[arg(long, env = "PARLEY_PAGE_CACHE_MB", default_value = "64", global = true)]
    pub page_cache_mb: String,
    /// Serve the release feeds (/releases.atom) to anyone, not only signed-in members
    /// and API tokens: on or off.
    #[arg(long, env = "PARLEY_PUBLIC_FEEDS", default_value = "off", global = true)]
    pub public_feeds: String,
    /// Deliver queued mail from this process: on, or off to leave it to other nodes
    /// (mail is still queued).
    #[arg(long, env = "PARLEY_SEND_MAIL", default_value = "on", global = true)]
    pub send_mail: String,
    /// A sentence-embedding model folder (config.json, vocab.txt, model.safetensors of a
    /// BERT encoder such as all-MiniLM-L6-v2): questions then find threads by meaning as
    /// well as by words. Without it, related threads are found by words alone.
    #[arg(long, env = "PARLEY_EMBEDDING_MODEL", global = true)]
    pub embedding_model: Option<PathBuf>,
    /// Secret a mail service sends as `Authorization: Bearer <secret>` when it posts a
    /// received message to /api/v1/inbound-mail; without it the webhook is closed.
    #[arg(long, env = "PARLEY_INBOUND_MAIL_TOKEN", global = true)]
    pub inbound_mail_token: Option<String>,
    /// The authserv-id (comma-separated, for several) of the receiving mail server whose
    /// Authentication-Results header Parley trusts to say whether a sender is authentic.
    /// Without it no sender counts as verified.
    #[arg(long, env = "PARLEY_MAIL_TRUSTED_AUTHSERV_ID", global = true)]
    pub mail_trusted_authserv_id: Option<String>,
    /// A support mailbox Parley reads itself: imaps://USER@HOST[:PORT][/FOLDER] (TLS),
    /// imap://USER@HOST[:PORT][/FOLDER] (STARTTLS), with ?tls=none for a server on this
    /// machine without TLS. Each message is taken in as `parley mail ingest` does.
    #[arg(long, env = "PARLEY_IMAP_URL", global = true)]
    pub imap_url: Option<String>,
    /// The mailbox's password (or PARLEY_IMAP_PASSWORD_FILE, a file holding it).
    #[arg(long, env = "PARLEY_IMAP_PASSWORD", hide_env_values = true, global = true)]
    pub imap_password: Option<String>,
    /// A file holding the mailbox's password.
    #[arg(long, env = "PARLEY_IMAP_PASSWORD_FILE", global = true)]
    pub imap_password_file: Option<PathBuf>,
    /// PEM certificates of a private authority the IMAP server's certificate is signed
    /// by, trusted beside the public ones.
    #[arg(long, env = "PARLEY_IMAP_CA_FILE", global = true)]
    pub imap_ca_file: Option<PathBuf>,
    /// Where messages go once their outcome is stored: a ticket or note, and refused.
    #[arg(
        long,
        env = "PARLEY_IMAP_PROCESSED_FOLDER",
        default_value = "Processed",
        global = true
    )]
    pub imap_processed_folder: String,
    #[arg(
        long,
        env = "PARLEY_IMAP_REFUSED_FOLDER",
        default_value = "Refused",
        global = true
    )]
    pub imap_refused_folder: String,
    /// What a signup from an unknown company domain does: pending (an admin approves the
    /// new organization) or refuse.
    #[arg(
        long,
        env = "PARLEY_UNKNOWN_DOMAINS",
        default_value = "pending",
        global = true
    )]
    pub unknown_domains: String,
    /// Shortest password accepted.
    #[arg(long, env = "PARLEY_MIN_PASSWORD_LENGTH", default_value = "10", global = true)]
    pub min_password_length: String,
    /// How long a sign-in lasts, in days.
    #[arg(long, env = "PARLEY_SESSION_DAYS", default_value = "30", global = true)]
    pub session_days: String,
    /// How long an address-verification link stays valid, in hours.
    #[arg(long, env = "PARLEY_VERIFY_LINK_HOURS", default_value = "48", global = true)]
    pub verify_link_hours: String,
    /// How long a password-reset link stays valid, in minutes.
    #[arg(long, env = "PARLEY_RESET_LINK_MINUTES", default_value = "60", global = true)]
    pub reset_link_minutes: String,
    /// Database connections per process.
    #[arg(long, env = "PARLEY_DB_POOL_SIZE", default_value = "8", global = true)]
    pub db_pool_size: String,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    #[arg(long, env = "PARLEY_TRUST_PROXY", default_value = "false", global = true)]
    pub trust_proxy: String,
    /// Log format: text or json.
    #[arg(long, env = "PARLEY_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// Fill the site with a demo organization, accounts and content, printing the
    /// passwords, then serve.
    #[arg(long, env = "PARLEY_DEMO", global = true)]
    pub demo: bool,
}

/// A setting that could not be used, named as the operator set it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {env} (--{flag}): {message}")]
pub struct ConfigError {
    pub env: &'static str,
    pub flag: &'static str,
    pub message: String,
}

fn bad(env: &'static str, flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        env,
        flag,
        message: message.into(),
    }
}

/// Which database backend, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://...`, `postgresql://...`, or a
    /// bare file path (SQLite).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("is not a valid PostgreSQL URL ({e})"))?;
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.contains("://") {
            return Err(format!(
                "'{}' is neither sqlite://PATH nor postgres://...",
                redact_url(raw)
            ));
        }
        if path.is_empty() {
            return Err("names no SQLite file".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Self::Postgres(u) => f.write_str(&redact_url(u)),
        }
    }
}

/// Hides the password of a URL, for logs and summaries.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("********"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// A value that must never be printed or logged.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

/// Where outgoing mail goes when an SMTP server is set.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// How a connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapTls {
    /// TLS from the first byte (imaps://, port 993).
    Tls,
    /// Plain, then STARTTLS before signing in (imap://, port 143).
    StartTls,
    /// No TLS (imap://...?tls=none), for a server on this machine.
    None,
}

/// The support mailbox Parley reads, when one is set.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: ImapTls,
    pub username: String,
    pub password: Secret,
    /// The folder read (INBOX unless the URL names one).
    pub folder: String,
    pub processed_folder: String,
    pub refused_folder: String,
    /// A private certificate authority trusted beside the public ones.
    pub ca_file: Option<PathBuf>,
}

impl ImapSettings {
    /// The mailbox, as logs and `check-config` name it (never the password).
    pub fn describe(&self) -> String {
        let scheme = if self.tls == ImapTls::Tls { "imaps" } else { "imap" };
        let note = match self.tls {
            ImapTls::Tls => "",
            ImapTls::StartTls => " (STARTTLS)",
            ImapTls::None => " (no TLS)",
        };
        format!(
            "{scheme}://{}@{}:{}/{}{note}",
            self.username, self.host, self.port, self.folder
        )
    }
}

/// A number of events allowed per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    /// Reads `COUNT/PERIOD`, where PERIOD is second, minute, hour or day (or s, m, h, d).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (count, period) = raw
            .split_once('/')
            .ok_or_else(|| format!("'{raw}' is not COUNT/PERIOD, for example 10/minute"))?;
        let count: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| format!("'{count}' is not a whole number above 0"))?;
        let secs = match period.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            other => {
                return Err(format!(
                    "'{other}' is not a period; use second, minute, hour or day"
                ));
            }
        };
        Ok(Self {
            count,
            period: Duration::from_secs(secs),
        })
    }
}

/// The limits on the endpoints that attackers hammer.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub enabled: bool,
    pub signup: Rate,
    pub login: Rate,
    pub reset: Rate,
    pub post: Rate,
}

/// What a signup from a company domain no organization owns does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownDomainPolicy {
    /// A pending organization is created for the domain; an admin approves or refuses it.
    Pending,
    /// The signup is refused.
    Refuse,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Checked settings, the only form the rest of Parley sees.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub base_url: url::Url,
    pub secret: Secret,
    pub smtp: Option<SmtpSettings>,
    pub mail_from: lettre::message::Mailbox,
    pub rate_limits: RateLimits,
    pub unknown_domains: UnknownDomainPolicy,
    pub min_password_length: usize,
    pub session_ttl: Duration,
    pub verify_link_ttl: Duration,
    pub reset_link_ttl: Duration,
    pub db_pool_size: u32,
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    pub demo: bool,
    pub max_download_bytes: u64,
    pub max_upload_bytes: u64,
    pub public_feeds: bool,
    /// Whether this process delivers the mail outbox.
    pub send_mail: bool,
    /// The secret of the inbound-mail webhook, when it is open.
    pub inbound_mail_token: Option<Secret>,
    /// The receiving mail servers whose Authentication-Results are trusted.
    pub mail_trusted_authserv_ids: Vec<String>,
    /// The support mailbox read over IMAP, when one is set.
    pub imap: Option<ImapSettings>,
    /// Memory for the topic page cache; 0 turns it off.
    pub page_cache_bytes: u64,
    /// Closed tickets are archived this many days after closing.
    pub archive_after_days: u64,
    /// The sentence-embedding model folder, when one is set.
    pub embedding_model: Option<PathBuf>,
}

impl Settings {
    /// Whether cookies must carry the Secure flag.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Checks every setting. The secret is not resolved here (see [`resolve_secret`]),
    /// so that a check does not write to the data directory.
    pub fn from_args(args: &SettingsArgs) -> Result<Self, ConfigError> {
        let data_dir = args.data_dir.clone();
        if data_dir.as_os_str().is_empty() {
            return Err(bad("PARLEY_DATA_DIR", "data-dir", "is empty"));
        }
        let database = match &args.database_url {
            Some(raw) => DatabaseUrl::parse(raw).map_err(|m| bad("DATABASE_URL", "database-url", m))?,
            None => DatabaseUrl::Sqlite(data_dir.join("parley.db")),
        };
        let bind: SocketAddr = args.bind.trim().parse().map_err(|_| {
            bad(
                "PARLEY_BIND",
                "bind",
                format!("'{}' is not an address and port like 127.0.0.1:8080", args.bind),
            )
        })?;
        let base_url = match &args.base_url {
            Some(raw) => parse_base_url(raw)?,
            None => parse_base_url(&format!("http://{bind}"))?,
        };
        let secret = match &args.secret {
            Some(s) if s.chars().count() < 32 => {
                return Err(bad(
                    "PARLEY_SECRET",
                    "secret",
                    "must be at least 32 characters; leave it unset to have one generated",
                ));
            }
            Some(s) => Secret::new(s.clone()),
            // Filled in by resolve_secret before serving.
            None => Secret::new(String::new()),
        };
        let smtp = parse_smtp(args)?;
        let mail_from = args.mail_from.parse().map_err(|e| {
            bad(
                "PARLEY_MAIL_FROM",
                "mail-from",
                format!(
                    "'{}' is not a mailbox like 'Parley <help@example.com>' ({e})",
                    args.mail_from
                ),
            )
        })?;
        let rate_limits = RateLimits {
            enabled: parse_switch(&args.rate_limits, "PARLEY_RATE_LIMITS", "rate-limits")?,
            signup: Rate::parse(&args.rate_limit_signup)
                .map_err(|m| bad("PARLEY_RATE_LIMIT_SIGNUP", "rate-limit-signup", m))?,
            login: Rate::parse(&args.rate_limit_login)
                .map_err(|m| bad("PARLEY_RATE_LIMIT_LOGIN", "rate-limit-login", m))?,
            reset: Rate::parse(&args.rate_limit_reset)
                .map_err(|m| bad("PARLEY_RATE_LIMIT_RESET", "rate-limit-reset", m))?,
            post: Rate::parse(&args.rate_limit_post)
                .map_err(|m| bad("PARLEY_RATE_LIMIT_POST", "rate-limit-post", m))?,
        };
        let unknown_domains = match args.unknown_domains.trim().to_ascii_lowercase().as_str() {
            "pending" => UnknownDomainPolicy::Pending,
            "refuse" => UnknownDomainPolicy::Refuse,
            other => {
                return Err(bad(
                    "PARLEY_UNKNOWN_DOMAINS",
                    "unknown-domains",
                    format!("'{other}' is not one of: pending, refuse"),
                ));
            }
        };
        let min_password_length = parse_number(
            &args.min_password_length,
            8,
            128,
            "PARLEY_MIN_PASSWORD_LENGTH",
            "min-password-length",
        )?;
        let session_days = parse_number(&args.session_days, 1, 365, "PARLEY_SESSION_DAYS", "session-days")?;
        let verify_hours = parse_number(
            &args.verify_link_hours,
            1,
            24 * 30,
            "PARLEY_VERIFY_LINK_HOURS",
            "verify-link-hours",
        )?;
        let reset_minutes = parse_number(
            &args.reset_link_minutes,
            5,
            24 * 60,
            "PARLEY_RESET_LINK_MINUTES",
            "reset-link-minutes",
        )?;
        let db_pool_size = parse_number(&args.db_pool_size, 1, 256, "PARLEY_DB_POOL_SIZE", "db-pool-size")?;
        let log_format = match args.log_format.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(bad(
                    "PARLEY_LOG_FORMAT",
                    "log-format",
                    format!("'{other}' is not one of: text, json"),
                ));
            }
        };
        Ok(Self {
            data_dir,
            database,
            bind,
            base_url,
            secret,
            smtp,
            mail_from,
            rate_limits,
            unknown_domains,
            min_password_length: min_password_length as usize,
            session_ttl: Duration::from_secs(session_days * 86_400),
            verify_link_ttl: Duration::from_secs(verify_hours * 3600),
            reset_link_ttl: Duration::from_secs(reset_minutes * 60),
            db_pool_size: db_pool_size as u32,
            trust_proxy: parse_switch(&args.trust_proxy, "PARLEY_TRUST_PROXY", "trust-proxy")?,
            log_format,
            demo: args.demo,
            max_download_bytes: parse_number(
                &args.max_download_mb,
                1,
                64 * 1024,
                "PARLEY_MAX_DOWNLOAD_MB",
                "max-download-mb",
            )? * 1024
                * 1024,
            max_upload_bytes: parse_number(
                &args.max_upload_mb,
                1,
                1024,
                "PARLEY_MAX_UPLOAD_MB",
                "max-upload-mb",
            )? * 1024
                * 1024,
            embedding_model: match &args.embedding_model {
                Some(dir) if dir.as_os_str().is_empty() => None,
                Some(dir) if !dir.join("config.json").is_file() => {
                    return Err(bad(
                        "PARLEY_EMBEDDING_MODEL",
                        "embedding-model",
                        format!(
                            "{} is not a model folder (it has no config.json); leave it unset to find threads by words alone",
                            dir.display()
                        ),
                    ));
                }
                other => other.clone(),
            },
            public_feeds: parse_switch(&args.public_feeds, "PARLEY_PUBLIC_FEEDS", "public-feeds")?,
            send_mail: parse_switch(&args.send_mail, "PARLEY_SEND_MAIL", "send-mail")?,
            inbound_mail_token: match args.inbound_mail_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) if t.len() < 24 => {
                    return Err(bad(
                        "PARLEY_INBOUND_MAIL_TOKEN",
                        "inbound-mail-token",
                        "use at least 24 characters, for example from `openssl rand -hex 24`",
                    ));
                }
                Some(t) => Some(Secret::new(t.to_string())),
            },
            imap: imap_settings(args)?,
            mail_trusted_authserv_ids: args
                .mail_trusted_authserv_id
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(|id| id.trim().to_ascii_lowercase())
                .filter(|id| !id.is_empty())
                .collect(),
            archive_after_days: parse_number(
                &args.archive_after_days,
                0,
                3650,
                "PARLEY_ARCHIVE_AFTER_DAYS",
                "archive-after-days",
            )?,
            page_cache_bytes: parse_number(
                &args.page_cache_mb,
                0,
                65536,
                "PARLEY_PAGE_CACHE_MB",
                "page-cache-mb",
            )? * 1024
                * 1024,
        })
    }

    /// Uses the configured secret, or the one kept in `DATA_DIR/secret`, generating and
    /// storing it (mode 0600) on first start.
    pub fn resolve_secret(&mut self) -> anyhow::Result<()> {
        if !self.secret.expose().is_empty() {
            return Ok(());
        }
        self.secret = load_or_create_secret(&self.data_dir)?;
        Ok(())
    }
}

fn parse_base_url(raw: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        bad(
            "PARLEY_BASE_URL",
            "base-url",
            format!("'{raw}' is not an absolute URL like https://community.example.com ({e})"),
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(
            "PARLEY_BASE_URL",
            "base-url",
            "must start with http:// or https://",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "PARLEY_BASE_URL",
            "base-url",
            "must not have a query or fragment",
        ));
    }
    let mut url = url;
    // Links are joined onto the base, which needs its trailing slash to keep its path.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn parse_smtp(args: &SettingsArgs) -> Result<Option<SmtpSettings>, ConfigError> {
    let tls = match args.smtp_tls.trim().to_ascii_lowercase().as_str() {
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Tls,
        "none" => SmtpTls::None,
        other => {
            return Err(bad(
                "PARLEY_SMTP_TLS",
                "smtp-tls",
                format!("'{other}' is not one of: starttls, tls, none"),
            ));
        }
    };
    let Some(host) = args
        .smtp_host
        .as_ref()
        .map(|h| h.trim())
        .filter(|h| !h.is_empty())
    else {
        return Ok(None);
    };
    let port = match &args.smtp_port {
        Some(p) => parse_number(p, 1, 65_535, "PARLEY_SMTP_PORT", "smtp-port")? as u16,
        None => match tls {
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        },
    };
    if args.smtp_password.is_some() && args.smtp_username.is_none() {
        return Err(bad(
            "PARLEY_SMTP_USERNAME",
            "smtp-username",
            "is needed when PARLEY_SMTP_PASSWORD is set",
        ));
    }
    Ok(Some(SmtpSettings {
        host: host.to_string(),
        port,
        tls,
        username: args.smtp_username.clone(),
        password: args.smtp_password.clone().map(Secret::new),
    }))
}

fn imap_settings(args: &SettingsArgs) -> Result<Option<ImapSettings>, ConfigError> {
    const ENV: &str = "PARLEY_IMAP_URL";
    const FLAG: &str = "imap-url";
    let Some(raw) = args.imap_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    // The URL is not repeated: a mistyped one may hold a password.
    let url = url::Url::parse(raw).map_err(|e| bad(ENV, FLAG, format!("not a URL: {e}")))?;
    let plain = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
    let (tls, default_port) = match (url.scheme(), plain) {
        ("imaps", false) => (ImapTls::Tls, 993),
        ("imap", false) => (ImapTls::StartTls, 143),
        ("imap", true) => (ImapTls::None, 143),
        _ => {
            return Err(bad(
                ENV,
                FLAG,
                "use imaps://USER@HOST/FOLDER (TLS) or imap://USER@HOST/FOLDER (STARTTLS; ?tls=none without TLS)",
            ));
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad(ENV, FLAG, "name the IMAP server: imaps://USER@HOST/FOLDER"))?
        .to_string();
    let username = crate::web::characters::percent_decoded(url.username());
    if username.is_empty() {
        return Err(bad(
            ENV,
            FLAG,
            "name the mailbox's user: imaps://USER@HOST/FOLDER",
        ));
    }
    if url.password().is_some() {
        return Err(bad(
            ENV,
            FLAG,
            "keep the password out of the URL: set PARLEY_IMAP_PASSWORD or PARLEY_IMAP_PASSWORD_FILE",
        ));
    }
    let password = match (&args.imap_password, &args.imap_password_file) {
        (Some(p), _) if !p.is_empty() => p.clone(),
        (_, Some(path)) => std::fs::read_to_string(path)
            .map(|p| p.trim_end_matches(['\r', '\n']).to_string())
            .map_err(|e| {
                bad(
                    "PARLEY_IMAP_PASSWORD_FILE",
                    "imap-password-file",
                    format!("{}: {e}", path.display()),
                )
            })?,
        _ => {
            return Err(bad(
                "PARLEY_IMAP_PASSWORD",
                "imap-password",
                "the mailbox needs a password: set PARLEY_IMAP_PASSWORD or PARLEY_IMAP_PASSWORD_FILE",
            ));
        }
    };
    let folder = url.path().trim_start_matches('/');
    let folder = if folder.is_empty() {
        "INBOX".to_string()
    } else {
        crate::web::characters::percent_decoded(folder)
    };
    Ok(Some(ImapSettings {
        host,
        port: url.port().unwrap_or(default_port),
        tls,
        username,
        password: Secret::new(password),
        folder,
        processed_folder: args.imap_processed_folder.trim().to_string(),
        refused_folder: args.imap_refused_folder.trim().to_string(),
        ca_file: args.imap_ca_file.clone(),
    }))
}

fn parse_switch(raw: &str, env: &'static str, flag: &'static str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        other => Err(bad(env, flag, format!("'{other}' is not on or off"))),
    }
}

fn parse_number(
    raw: &str,
    min: u64,
    max: u64,
    env: &'static str,
    flag: &'static str,
) -> Result<u64, ConfigError> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            bad(
                env,
                flag,
                format!("'{raw}' is not a whole number from {min} to {max}"),
            )
        })
}

fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    use anyhow::Context;
    use base64::Engine;
    use rand::RngCore;

    let path = data_dir.join("secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.chars().count() >= 32 {
            return Ok(Secret::new(existing));
        }
        anyhow::bail!(
            "{} holds fewer than 32 characters; delete it to have a new secret made",
            path.display()
        );
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new signing secret");
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> SettingsArgs {
        let mut argv = vec!["parley"];
        argv.extend_from_slice(extra);
        Cli::parse_from(argv).settings
    }

    #[test]
    fn an_imap_url_names_its_mailbox() {
        let s = Settings::from_args(&args(&[
            "--imap-url",
            "imaps://support@vendor.test@imap.mail.test/Support%20Mail",
            "--imap-password",
            "secret",
        ]))
        .expect("valid");
        let imap = s.imap.expect("a mailbox");
        assert_eq!(imap.username, "support@vendor.test");
        assert_eq!(
            (imap.host.as_str(), imap.port, imap.tls),
            ("imap.mail.test", 993, ImapTls::Tls)
        );
        assert_eq!(imap.folder, "Support Mail");
        assert!(!imap.describe().contains("secret"));
        let s = Settings::from_args(&args(&[
            "--imap-url",
            "imap://u@localhost:1143?tls=none",
            "--imap-password",
            "p",
        ]))
        .expect("valid");
        let imap = s.imap.expect("a mailbox");
        assert_eq!(
            (imap.port, imap.tls, imap.folder.as_str()),
            (1143, ImapTls::None, "INBOX")
        );
        let s = Settings::from_args(&args(&[
            "--imap-url",
            "imap://u@mail.test",
            "--imap-password",
            "p",
        ]))
        .expect("valid");
        assert_eq!(s.imap.expect("a mailbox").tls, ImapTls::StartTls);
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::from_args(&args(&[])).expect("defaults");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database, DatabaseUrl::Sqlite(PathBuf::from("data/parley.db")));
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(s.smtp.is_none());
        assert!(s.rate_limits.enabled);
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (flags, env) in [
            (vec!["--bind", "nowhere"], "PARLEY_BIND"),
            (vec!["--database-url", "mysql://x"], "DATABASE_URL"),
            (vec!["--secret", "short"], "PARLEY_SECRET"),
            (vec!["--rate-limit-login", "ten"], "PARLEY_RATE_LIMIT_LOGIN"),
            (vec!["--unknown-domains", "maybe"], "PARLEY_UNKNOWN_DOMAINS"),
            (vec!["--base-url", "ftp://x"], "PARLEY_BASE_URL"),
            (
                vec!["--smtp-host", "mx", "--smtp-port", "99999"],
                "PARLEY_SMTP_PORT",
            ),
            (vec!["--imap-url", "pop3://u@mail.test"], "PARLEY_IMAP_URL"),
            (
                vec!["--imap-url", "imaps://mail.test/INBOX", "--imap-password", "x"],
                "PARLEY_IMAP_URL",
            ),
            (vec!["--imap-url", "imaps://u:pw@mail.test"], "PARLEY_IMAP_URL"),
            (vec!["--imap-url", "imaps://u@mail.test"], "PARLEY_IMAP_PASSWORD"),
        ] {
            let err = Settings::from_args(&args(&flags)).expect_err("should be refused");
            assert_eq!(err.env, env, "{err}");
            assert!(err.to_string().contains(env));
        }
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://x/y.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("x/y.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("y.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("y.db")))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("").is_err());
        let shown = DatabaseUrl::parse("postgres://u:hunter2@h/db")
            .expect("pg")
            .to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn rates() {
        assert_eq!(
            Rate::parse("5/hour"),
            Ok(Rate {
                count: 5,
                period: Duration::from_secs(3600)
            })
        );
        assert!(Rate::parse("0/hour").is_err());
        assert!(Rate::parse("5/fortnight").is_err());
    }

    #[test]
    fn secret_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create_secret(dir.path()).expect("create");
        let second = load_or_create_secret(dir.path()).expect("load");
        assert_eq!(first.expose(), second.expose());
        assert!(first.expose().len() >= 32);
        assert!(!format!("{first:?}").contains(first.expose()));
    }
}
