//! Administration: users and roles, organizations and their domains, refused signup
//! domains, the team lists that hear of Critical tickets; as pages and as a JSON API
//! for onboarding scripts.

pub mod api;
pub mod pages;
pub mod service;
pub mod teams;

use actix_web::web;

/// Mounts the admin pages and API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    pages::configure(cfg);
    api::configure(cfg);
}
