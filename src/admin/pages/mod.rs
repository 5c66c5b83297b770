//! Admin pages: users, organizations, refused domains, team lists, received mail.

use super::service::{
    self, AdminUser, OrganizationChanges, OrganizationResource, PAGE_SIZE, UserChanges, UserQuery,
};
use crate::accounts::service::OrgRef;
use crate::app::AppState;
use crate::db::Db;
use crate::db::models::BlockedDomain;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

mod community_pages;
mod domain_pages;
mod org_pages;
mod partner_pages;
mod plan_pages;
mod received;
mod team_pages;
mod user_pages;

use community_pages::*;
use domain_pages::*;
use org_pages::*;
use partner_pages::*;
use plan_pages::*;
use received::*;
use team_pages::*;
use user_pages::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(|| async { see_other("/admin/users") }))
        .route("/admin/users", web::get().to(users))
        .route("/admin/users/{id}", web::get().to(user))
        .route("/admin/users/{id}", web::post().to(update_user))
        .route("/admin/organizations", web::get().to(organizations))
        .route("/admin/organizations", web::post().to(create_organization))
        .route("/admin/organizations/{id}", web::get().to(organization))
        .route("/admin/organizations/{id}", web::post().to(update_organization))
        .route("/admin/organizations/{id}/approve", web::post().to(approve))
        .route("/admin/organizations/{id}/refuse", web::post().to(refuse))
        .route(
            "/admin/organizations/{id}/support",
            web::post().to(update_support),
        )
        .route("/admin/plans", web::get().to(plans_list))
        .route("/admin/plans", web::post().to(create_plan))
        .route("/admin/plans/new", web::get().to(new_plan))
        .route("/admin/plans/{id}", web::get().to(plan))
        .route("/admin/plans/{id}", web::post().to(update_plan))
        .route("/admin/communities", web::get().to(communities_list))
        .route("/admin/communities", web::post().to(create_community))
        .route("/admin/communities/{id}", web::post().to(update_community))
        .route("/admin/site-links", web::post().to(set_links))
        .route("/admin/partners", web::get().to(partners_list))
        .route("/admin/partners", web::post().to(create_partner))
        .route("/admin/partners/{id}", web::post().to(update_partner))
        .route("/admin/domains", web::get().to(domains))
        .route("/admin/domains", web::post().to(add_domain))
        .route("/admin/domains/{id}/delete", web::post().to(remove_domain))
        .route("/admin/teams", web::get().to(teams))
        .route("/admin/teams/{slug}", web::post().to(update_team))
        .route("/admin/inbound-mail", web::get().to(received_mail))
        .route(
            "/admin/inbound-mail/{id}/ticket",
            web::post().to(received_to_ticket),
        );
}
