//! Rows as read from and written to the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    api_tokens, blocked_domains, categories, downloads, organization_domains, organizations, post_revisions,
    posts, topics, users,
};

/// A customer organization.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub status: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// The support plan its new tickets are filed under.
    pub plan_id: i64,
    /// Its own time zone for business hours, replacing its plan's (IANA name).
    pub time_zone: Option<String>,
    /// Its own holidays (YYYY-MM-DD, one per line), added to its plan's.
    pub holidays: String,
    /// Its customer success manager: a member of staff.
    pub success_manager_id: Option<i64>,
    /// The partner that supports it, if it is not supported by the vendor.
    pub partner_id: Option<i64>,
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
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Associations, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organization_domains, belongs_to(Organization))]
pub struct OrganizationDomain {
    pub id: i64,
    pub organization_id: i64,
    pub domain: String,
    #[serde(serialize_with = "crate::web::time::utc")]
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
    pub username: Option<String>,
    /// `immediate`, `digest` or `off`: how notifications come by mail.
    pub notify_email: String,
    pub digest_sent_at: Option<NaiveDateTime>,
    pub unread_notifications: i64,
    /// The person's time zone (IANA name) for the times pages show; none: the browser's.
    pub time_zone: Option<String>,
    /// The SHA-256 of the person's own picture in the file store; none: initials.
    pub avatar_sha256: Option<String>,
}

/// A new user account.
#[derive(Debug, Clone, Copy, Insertable)]
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
    pub username: Option<&'a str>,
}

/// An API token (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    #[serde(skip)]
    pub session_epoch: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub last_used_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
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
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = blocked_domains)]
pub struct BlockedDomain {
    pub id: i64,
    pub domain: String,
    pub note: String,
    pub created_by: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A forum category (or sub-category).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub position: i64,
    pub topic_count: i64,
    pub post_count: i64,
    pub last_topic_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub last_posted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// The product community it belongs to; none: the main community.
    pub community_id: Option<i64>,
}

/// A topic: a question, a release, an idea or an article, with its replies.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub id: i64,
    pub category_id: i64,
    pub user_id: i64,
    pub title: String,
    pub slug: String,
    pub pinned: bool,
    pub locked: bool,
    pub accepted_post_id: Option<i64>,
    pub reply_count: i64,
    pub score: i64,
    pub status: Option<String>,
    pub official: bool,
    pub product: Option<String>,
    pub version: Option<String>,
    pub released_on: Option<chrono::NaiveDate>,
    pub merged_into_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub last_posted_at: NaiveDateTime,
    pub last_post_user_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub deleted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// Ideas: the staff's official response, as written and as rendered.
    pub response_markdown: Option<String>,
    #[serde(skip)]
    pub response_html: Option<String>,
    pub response_user_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub status_changed_at: Option<NaiveDateTime>,
    /// Counts changes to the topic and its posts; cached pages compare it.
    #[serde(skip)]
    pub revision: i64,
    /// Times read, once per reader and hour (added every few seconds).
    pub views: i64,
}

/// A new topic.
#[derive(Debug, Insertable)]
#[diesel(table_name = topics)]
pub struct NewTopic<'a> {
    pub category_id: i64,
    pub user_id: i64,
    pub title: &'a str,
    pub slug: &'a str,
    pub status: Option<&'a str>,
    pub product: Option<&'a str>,
    pub version: Option<&'a str>,
    pub released_on: Option<chrono::NaiveDate>,
    pub last_posted_at: NaiveDateTime,
    pub last_post_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A post: the opening post of a topic (number 1) or a reply.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub topic_id: i64,
    pub user_id: i64,
    pub number: i64,
    pub body_markdown: String,
    pub body_html: String,
    pub score: i64,
    pub hidden: bool,
    pub edit_count: i64,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub deleted_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new post.
#[derive(Debug, Insertable)]
#[diesel(table_name = posts)]
pub struct NewPost<'a> {
    pub topic_id: i64,
    pub user_id: i64,
    pub number: i64,
    pub body_markdown: &'a str,
    pub body_html: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a post said before one edit.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = post_revisions)]
pub struct PostRevision {
    pub id: i64,
    pub post_id: i64,
    pub user_id: i64,
    pub number: i64,
    pub title: Option<String>,
    pub body_markdown: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A download of a release: an uploaded file or a link.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = downloads)]
pub struct Download {
    pub id: i64,
    pub topic_id: i64,
    pub label: String,
    pub url: Option<String>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub user_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A support ticket.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = super::schema::tickets)]
pub struct Ticket {
    pub id: i64,
    pub organization_id: i64,
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    pub priority: String,
    pub status: String,
    pub environment_id: Option<i64>,
    pub application_id: Option<i64>,
    pub keyword_id: Option<i64>,
    pub subject: String,
    pub description_markdown: String,
    #[serde(skip)]
    pub description_html: String,
    /// web, email or escalation.
    pub source: String,
    /// "Production Down" from someone who is not an authorized contact.
    pub flagged: bool,
    pub follows_ticket_id: Option<i64>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub sla_due_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub first_response_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub closed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub archived_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// False for a ticket by mail whose sender was not authenticated, until the
    /// requester confirms it signed in.
    pub sender_verified: bool,
    /// The support plan it was filed under.
    pub plan_id: i64,
    /// Its SLA clock is paused (its status is one its plan pauses in).
    pub sla_paused: bool,
    /// How many times it was escalated (0: never).
    pub escalation_level: i64,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub escalated_at: Option<NaiveDateTime>,
}

/// One event in a ticket's log.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = super::schema::ticket_events)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    /// created, assigned, status, priority, note or attachment.
    pub kind: String,
    /// False for internal notes, which only staff see.
    pub public: bool,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub body_markdown: Option<String>,
    #[serde(skip)]
    pub body_html: Option<String>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}
