//! `Settings`: every setting checked once at start, and the secret kept in the data
//! directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

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
    /// Form visits are kept this many days for the deflection report.
    pub deflection_retention_days: u64,
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
            deflection_retention_days: parse_number(
                &args.deflection_retention_days,
                1,
                3650,
                "PARLEY_DEFLECTION_RETENTION_DAYS",
                "deflection-retention-days",
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

pub(super) fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Secret> {
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
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
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
pub(super) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
