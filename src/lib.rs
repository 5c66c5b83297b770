//! Parley: a vendor's customer community and support platform in one binary.
//!
//! Read the modules in this order for a tour: how it starts (`config`, `app`,
//! `server`, `jobs`), how it stores (`db`), how a request is handled (`web`, `error`),
//! then the features.

/// The `AppState`: the infrastructure every request and job shares.
pub mod app;
pub mod backup;
/// The commands behind `parley ...`: serve, migrate, user create, check-config.
pub mod cli;
/// Settings from flags and environment variables, checked once at start.
pub mod config;
/// Both database backends behind one connection type; pools; migrations.
pub mod db;
/// Whether the disk takes writes (for `/readyz` and the jobs that write).
pub mod disk;
/// One error type, its status codes, and its rendering as a page or JSON problem.
pub mod error;
/// Uploaded files, stored by their SHA-256 and served with safe headers.
pub mod files;
/// The support mailbox, read over IMAP.
pub mod imap;
/// `parley import`: an existing forum from JSON lines.
pub mod import;
/// The background jobs of a serving node, each owning its loop.
pub mod jobs;
/// Signing keys for sessions, mailed links and CSRF tokens.
pub mod keys;
/// Outgoing mail over SMTP, or into `.eml` files.
pub mod mail;
/// Markdown to sanitized HTML (`SafeHtml`), plain text and excerpts.
pub mod markdown;
/// This process's name among the nodes sharing a database, kept across restarts.
pub mod node;
/// The OpenAPI document of the JSON API, checked against the mounted routes.
pub mod openapi;
/// The mail outbox: messages queued with their events and delivered in the background.
pub mod outbox;
/// The HTTP server: every route, middleware and extractor setting.
pub mod server;
/// What every handler shares: templates, sessions, CSRF, rate limits, headers, assets.
pub mod web;

/// Accounts: signup with company addresses, verification, sign-in, reset, API tokens.
pub mod accounts;
/// Administration of users, organizations and refused domains.
pub mod admin;
/// `--demo`: demo organizations and accounts.
pub mod demo;
/// The community forum: categories, topics, posts, votes and accepted answers.
pub mod forum;
/// Forum notifications: the in-site list, watches, mail at once or as a digest.
pub mod notify;
/// The support portal: tickets, statuses, SLAs on a business calendar.
pub mod portal;
/// Search: the tantivy replica of the public forum, its indexer, pages and API.
pub mod search;
/// The public system status page: components, incidents, subscriptions.
pub mod status;
