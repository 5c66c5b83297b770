//! The checked values settings are made of: database URLs, secrets, mail servers,
//! rate limits, and the error that names the variable an operator set wrong.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that could not be used, named as the operator set it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {env} (--{flag}): {message}")]
pub struct ConfigError {
    pub env: &'static str,
    pub flag: &'static str,
    pub message: String,
}

pub(super) fn bad(env: &'static str, flag: &'static str, message: impl Into<String>) -> ConfigError {
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
