//! Settings: command-line flags with environment fallbacks, checked once at start.
//!
//! Every flag can also be given as an environment variable (shown in `--help`). Raw
//! values are read as text and checked here rather than by clap, so that a bad value
//! stops the start with a message that names the environment variable an operator set.
//!
//! - `cli.rs`: the commands; `args.rs`: the settings as flags and variables, read as text;
//! - `settings.rs`: [`Settings`], checked from those; `parse.rs`: reading one value;
//! - `values.rs`: the checked values ([`DatabaseUrl`], [`Secret`], mail servers, rates).

mod args;
mod cli;
mod parse;
mod settings;
mod values;

pub use args::*;
pub use cli::*;
use parse::*;
pub use settings::*;
pub use values::*;

#[cfg(test)]
mod tests;
