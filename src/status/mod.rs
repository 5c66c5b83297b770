//! The system status page (`/status`, public): components with their state and 90
//! days of history, incidents and scheduled maintenance with timed updates, an Atom
//! feed, and subscriptions by mail. The portal shows active incidents on its
//! dashboard and above the ticket forms, before anyone files.

pub mod api;
pub mod demo;
pub mod feed;
pub mod incidents;
pub mod pages;
pub mod service;
pub mod subscriptions;

/// Mounts the status pages and API.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    api::configure(cfg);
    pages::configure(cfg);
}
