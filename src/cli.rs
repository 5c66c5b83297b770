//! The commands behind `parley ...`.

use std::io::{IsTerminal, Read};
use std::net::TcpListener;

use actix_web::web;
use anyhow::Context;

use crate::accounts::Role;
use crate::accounts::service::{OperatorUser, upsert_operator_user};
use crate::app::AppState;
use crate::config::{Command, MailCommand, Settings, UserCommand, UserCreateArgs};
use crate::db::Db;
use crate::error::AppError;
use crate::server::serve;

/// Runs a parsed command line.
pub async fn run(mut settings: Settings, command: Option<Command>) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => run_serve(&mut settings).await,
        Command::Migrate => {
            let db = open(&settings)?;
            report_migrations(&crate::app::prepare(&db)?);
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => create_user(&settings, args),
        Command::CheckConfig => check_config(&mut settings),
        Command::Import { file } => import(&settings, &file),
        Command::Reindex => reindex(&settings),
        Command::Mail(MailCommand::Ingest) => mail_ingest(settings).await,
        Command::Mail(MailCommand::Fetch) => mail_fetch(settings).await,
        Command::Backup { dir } => backup(&settings, &dir),
        Command::Restore { dir } => restore(&settings, &dir),
    }
}

/// Opens the database, making the data directory first when it does not exist yet.
fn open(settings: &Settings) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("making the data directory {}", settings.data_dir.display()))?;
    Db::connect(&settings.database, settings.db_pool_size)
}

fn report_migrations(applied: &[String]) {
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
}

async fn run_serve(settings: &mut Settings) -> anyhow::Result<()> {
    settings.resolve_secret()?;
    let db = open(settings)?;
    let applied = crate::app::prepare(&db)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    if settings.demo {
        let accounts = crate::demo::populate(&db)?;
        crate::demo::print(&accounts, &settings.base_url);
    }
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("listening on {} (PARLEY_BIND)", settings.bind))?;
    let state = web::Data::new(AppState::new(settings.clone(), db)?);
    if let Err(reason) = state.disk.check_now() {
        tracing::error!(
            reason = %reason,
            "the disk does not take writes: pages are read, but posts, sign-ins and uploads fail, and /readyz answers 503 until it does"
        );
    }
    tracing::info!(
        address = %settings.bind,
        base_url = %settings.base_url,
        database = %settings.database,
        "Parley is serving"
    );
    println!("Parley is serving at {}", settings.base_url);
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    serve(state.clone(), listener, workers)?.await?;
    // Views counted since the last write are kept across a clean stop.
    if let Err(e) = state.views.flush(&state.db).await {
        tracing::warn!(error = ?e, "writing topic views at stop");
    }
    Ok(())
}

fn create_user(settings: &Settings, args: UserCreateArgs) -> anyhow::Result<()> {
    let role = Role::parse(&args.role)
        .ok_or_else(|| anyhow::anyhow!("--role must be member, staff or admin, not '{}'", args.role))?;
    let (password, generated) = if std::io::stdin().is_terminal() {
        (crate::accounts::password::generate(), true)
    } else {
        let mut typed = String::new();
        std::io::stdin()
            .read_to_string(&mut typed)
            .context("reading the password from standard input")?;
        let typed = typed.trim_end_matches(['\r', '\n']).to_string();
        if typed.is_empty() {
            (crate::accounts::password::generate(), true)
        } else {
            (typed, false)
        }
    };
    if !generated {
        crate::accounts::password::check_policy(&password, &args.email, settings.min_password_length)
            .map_err(|m| anyhow::anyhow!(m))?;
    }
    let db = open(settings)?;
    crate::app::prepare(&db)?;
    let mut conn = db.get_write()?;
    let user = OperatorUser {
        email: args.email.clone(),
        name: args.name.trim().to_string(),
        role,
        organization: args.org.clone(),
        authorized_contact: args.authorized_contact,
        password: password.clone(),
    };
    if user.name.is_empty() {
        anyhow::bail!("--name must not be empty");
    }
    let created = upsert_operator_user(&mut conn, &user, false).map_err(|e| match e {
        AppError::Invalid { message, .. } => anyhow::anyhow!(message),
        other => anyhow::anyhow!("creating the user: {other:?}"),
    })?;
    println!(
        "Created {} <{}> as {} (id {}).",
        created.display_name, created.email, created.role, created.id
    );
    if generated {
        println!("Password: {password}");
    }
    Ok(())
}

fn check_config(settings: &mut Settings) -> anyhow::Result<()> {
    println!("data directory   {}", settings.data_dir.display());
    println!("database         {}", settings.database);
    println!("listen on        {}", settings.bind);
    println!("base URL         {}", settings.base_url);
    println!(
        "secret           {}",
        if settings.secret.expose().is_empty() {
            "from the data directory (made on first start)"
        } else {
            "set (hidden)"
        }
    );
    match &settings.smtp {
        Some(s) => println!("mail             SMTP {}:{} ({:?})", s.host, s.port, s.tls),
        None => println!(
            "mail             written to {}",
            settings.data_dir.join("mail").display()
        ),
    }
    match &settings.imap {
        Some(imap) => match tokio_check(imap) {
            Ok(()) => println!("support mailbox  {} (signed in and opened)", imap.describe()),
            Err(e) => anyhow::bail!("support mailbox {}: {e:#}", imap.describe()),
        },
        None => println!("support mailbox  none read (mail comes by `parley mail ingest` or the webhook)"),
    }
    if settings.mail_trusted_authserv_ids.is_empty() {
        println!(
            "mail senders     none verified: tickets by mail are marked \"sender not verified\" (set PARLEY_MAIL_TRUSTED_AUTHSERV_ID)"
        );
    } else {
        println!(
            "mail senders     verified by the Authentication-Results of {}",
            settings.mail_trusted_authserv_ids.join(", ")
        );
    }
    println!(
        "rate limits      {}",
        if settings.rate_limits.enabled { "on" } else { "off" }
    );
    match &settings.embedding_model {
        Some(dir) => {
            let started = std::time::Instant::now();
            let (encoder, model) = crate::search::meaning::load(dir)?;
            println!(
                "related threads  by words and meaning: {model} ({} dimensions, loads in {:.1} s)",
                encoder.dimensions(),
                started.elapsed().as_secs_f64()
            );
        }
        None => println!("related threads  by words alone (set PARLEY_EMBEDDING_MODEL to add meaning)"),
    }
    let db = open(settings)?;
    let pending = db.pending_migrations()?;
    if pending.is_empty() {
        println!("migrations       all applied");
    } else {
        println!(
            "migrations       {} pending (applied at start): {}",
            pending.len(),
            pending.join(", ")
        );
    }
    crate::mail::Mailer::from_settings(settings)?;
    println!("The configuration is valid.");
    Ok(())
}

/// The application, for a command that takes mail in.
async fn mail_state(settings: Settings) -> anyhow::Result<crate::app::AppState> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<crate::app::AppState> {
        let db = open(&settings)?;
        crate::app::prepare(&db)?;
        crate::app::AppState::new(settings, db)
    })
    .await?
}

async fn mail_fetch(settings: Settings) -> anyhow::Result<()> {
    let Some(imap) = settings.imap.clone() else {
        anyhow::bail!("no mailbox to read: set PARLEY_IMAP_URL (docs/MAIL.md)");
    };
    let state = mail_state(settings).await?;
    let pass = crate::imap::fetch_once(crate::imap::Mailbox::of(&state, &imap)).await?;
    if pass.busy {
        println!("another reader holds {}; nothing read", imap.describe());
    } else {
        println!(
            "{} message(s) taken in from {} ({} refused)",
            pass.taken,
            imap.describe(),
            pass.refused
        );
    }
    Ok(())
}

/// Signs in to the mailbox, from the synchronous `check-config`.
/// (on a thread of its own, whose runtime may block).
fn tokio_check(imap: &crate::config::ImapSettings) -> anyhow::Result<()> {
    let imap = imap.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(crate::imap::check(&imap))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the mailbox check stopped"))?
}

async fn mail_ingest(settings: Settings) -> anyhow::Result<()> {
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin()
        .take(crate::portal::inbound::MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut raw)?;
    let state = mail_state(settings).await?;
    match crate::portal::inbound::ingest(&state.db, &state.mailing, &state.settings, &state.files, &raw).await
    {
        Ok(o) => {
            let ticket = o.ticket_id.map(|t| format!(" #{t}")).unwrap_or_default();
            let reason = o.reason.map(|r| format!(": {r}")).unwrap_or_default();
            println!("{}{ticket}{reason}", o.outcome);
            Ok(())
        }
        Err(e) => {
            eprintln!("parley: could not take the message in, try again later: {e}");
            std::process::exit(75);
        }
    }
}

fn backup(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let db = open(settings)?;
    let started = std::time::Instant::now();
    let m = crate::backup::backup(settings, &db, dir)?;
    println!(
        "Backed up the {} database (schema {}) and {} files ({:.1} MiB){} into {} in {:.1} s.",
        m.backend,
        m.schema.as_deref().unwrap_or("empty"),
        m.files,
        m.file_bytes as f64 / 1048576.0,
        if m.secret {
            " with the secret"
        } else {
            "; the secret is PARLEY_SECRET's, keep it"
        },
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn restore(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let m = crate::backup::restore(settings, dir)?;
    println!(
        "Restored the backup of {} ({} database, {} files); building the search index.",
        m.taken_at.format("%Y-%m-%d %H:%M UTC"),
        m.backend,
        m.files
    );
    let db = open(settings)?;
    report_migrations(&crate::app::prepare(&db)?);
    drop(db);
    reindex(settings)
}

fn reindex(settings: &Settings) -> anyhow::Result<()> {
    use crate::search::rebuild::{self, Progress};
    use indicatif::{ProgressBar, ProgressStyle};
    let db = open(settings)?;
    crate::app::prepare(&db)?;
    let layout = search_index::IndexLayout::new(settings.data_dir.join("search-index"));
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent}% of posts ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let built = rebuild::rebuild(&db, &layout, &|p| match p {
        Progress::Total(n) => bar.set_length(n),
        Progress::At(n) => bar.set_position(n),
    })?;
    bar.finish_and_clear();
    let removed = layout.remove_stale()?;
    println!(
        "Indexed {} posts in {:.1} s ({:.0} posts/s); the index takes {:.1} MiB in {}{}.",
        built.posts,
        built.seconds,
        built.posts as f64 / built.seconds.max(0.001),
        built.bytes as f64 / 1048576.0,
        built.dir.display(),
        if removed > 0 {
            format!("; {removed} older build(s) removed")
        } else {
            String::new()
        }
    );
    if let Some(dir) = &settings.embedding_model {
        bar.reset();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent}% of threads embedded ({eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let done = crate::search::meaning::backfill(&db, dir, &|p| match p {
            Progress::Total(n) => bar.set_length(n),
            Progress::At(n) => bar.set_position(n),
        })?;
        bar.finish_and_clear();
        println!(
            "{} threads have a vector of {} ({} computed, the others already stored) in {:.1} s.",
            done.threads, done.model, done.embedded, done.seconds
        );
    }
    Ok(())
}

fn import(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let db = open(settings)?;
    crate::app::prepare(&db)?;
    let started = std::time::Instant::now();
    let (reader, bar): (Box<dyn std::io::BufRead>, ProgressBar) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), ProgressBar::new_spinner())
    } else {
        let open = || std::fs::File::open(file).with_context(|| format!("opening {}", file.display()));
        let lines = std::io::BufRead::lines(std::io::BufReader::new(open()?)).count() as u64;
        (
            Box::new(std::io::BufReader::new(open()?)),
            ProgressBar::new(lines),
        )
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} lines ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = crate::import::run(&db, reader, |n| {
        if n % 1000 == 0 {
            bar.set_position(n);
        }
    })?;
    bar.finish_and_clear();
    println!(
        "Imported {} users, {} topics and {} posts in {:.1} s; {} lines skipped.",
        summary.users,
        summary.topics,
        summary.posts,
        started.elapsed().as_secs_f64(),
        summary.skipped
    );
    for p in &summary.problems {
        println!("  {p}");
    }
    Ok(())
}
