//! Rows as read from and written to the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{api_tokens, blocked_domains, organization_domains, organizations, users};

/// A customer organization.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new organization.
#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An email domain owned by an organization.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Associations, Serialize)]
#[diesel(table_name = organization_domains, belongs_to(Organization))]
pub struct OrganizationDomain {
    pub id: i64,
    pub organization_id: i64,
    pub domain: String,
    pub created_at: NaiveDateTime,
}

/// A user account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub authorized_contact: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new user account.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub organization_id: Option<i64>,
    pub authorized_contact: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An API token (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    #[serde(skip)]
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A new API token.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
}

/// A domain an admin refuses at signup.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = blocked_domains)]
pub struct BlockedDomain {
    pub id: i64,
    pub domain: String,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}
