//! Accounts: signup with a company address, verification by mail, sign-in and out,
//! password reset and change, sessions ended on the server, API tokens.

pub mod api;
pub mod domains;
pub mod pages;
pub mod password;
pub mod pictures;
pub mod service;
pub mod sessions;

use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::web::AuthUser;

/// What a user may do across the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "member" => Some(Self::Member),
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// An organization as the API shows it inside a user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationRef {
    pub id: i64,
    pub name: String,
    pub status: String,
}

/// A user as the JSON API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserResource {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub username: String,
    pub role: Role,
    pub organization: Option<OrganizationRef>,
    pub authorized_contact: bool,
    pub verified: bool,
    /// The time zone the user's pages show times in (IANA name); null: the browser's.
    pub time_zone: Option<String>,
    /// The address of the user's own picture; null: an initials avatar.
    pub avatar: Option<String>,
}

impl From<&AuthUser> for UserResource {
    fn from(u: &AuthUser) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            username: u.username.clone(),
            role: u.role,
            organization: match (u.organization_id, &u.organization_name, &u.organization_status) {
                (Some(id), Some(name), Some(status)) => Some(OrganizationRef {
                    id,
                    name: name.clone(),
                    status: status.clone(),
                }),
                _ => None,
            },
            authorized_contact: u.authorized_contact,
            verified: u.verified,
            time_zone: u.time_zone.clone(),
            avatar: u.avatar.clone(),
        }
    }
}

/// Mounts the account pages and API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    pages::configure(cfg);
    api::configure(cfg);
}
