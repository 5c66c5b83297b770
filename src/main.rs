//! `parley`: parse the command line, start logging, run the command.

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use parley::config::{Cli, LogFormat, Settings};

/// jemalloc rather than the system's allocator: glibc's keeps a heap per thread and
/// returns little of it, so a burst of writes across the blocking threads left the
/// process at twice the memory serving needs; jemalloc's background thread hands
/// freed pages back within seconds, busy or idle.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("PARLEY_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // The request span closing gives one access-log line per request, with method,
    // route, status, client and time taken.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_args(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("parley: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(settings.log_format);
    match parley::cli::run(settings, cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parley: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
