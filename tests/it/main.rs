//! The integration tests, in one binary: a module per feature, each driving a real
//! server (see `tests/common/`) on SQLite, or on PostgreSQL when `PARLEY_TEST_PG_URL`
//! is set. Run one module with `cargo test --test it forum::`, one test by its name.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod admin;
mod backup;
mod cluster;
mod db;
mod escalate;
mod forum;
mod hostile;
mod imap;
mod inbound;
mod kept_lists;
mod mail;
mod notify;
mod openapi;
mod ops;
mod portal;
mod search;
mod status;
mod topic_pages;
