//! Administration rules: users and roles, organizations and their domains, refused
//! signup domains. Every function checks that the actor is an admin.

use crate::accounts::domains::{parse_domain, suffixes};
use crate::accounts::service::{
    OrgRef, add_domains, auth_user, create_organization as insert_organization, find_organization,
    to_auth_user,
};
use crate::accounts::{Role, UserResource};
use crate::db::models::{BlockedDomain, Organization, User};
use crate::db::schema::{blocked_domains, organization_domains, organizations, users};
use crate::db::{AnyConnection, Db, ResultExt, like_pattern, lower, now};
use crate::error::AppError;
use crate::mail::{Mail, mailbox};
use crate::web::AuthUser;
use crate::with_backend;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod customers;
mod people;
mod refused;

pub use customers::*;
pub use people::*;
pub use refused::*;

/// Users shown per page.
pub const PAGE_SIZE: i64 = 50;

/// An organization with its domains and member count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationResource {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub domains: Vec<String>,
    pub members: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}
