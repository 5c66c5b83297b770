//! Reading one raw setting: the base URL, the SMTP and IMAP servers, switches and
//! numbers.

use super::*;

pub(super) fn parse_base_url(raw: &str) -> Result<url::Url, ConfigError> {
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

pub(super) fn parse_smtp(args: &SettingsArgs) -> Result<Option<SmtpSettings>, ConfigError> {
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

pub(super) fn imap_settings(args: &SettingsArgs) -> Result<Option<ImapSettings>, ConfigError> {
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

pub(super) fn parse_switch(raw: &str, env: &'static str, flag: &'static str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        other => Err(bad(env, flag, format!("'{other}' is not on or off"))),
    }
}

pub(super) fn parse_number(
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
