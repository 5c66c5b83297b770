use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

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
