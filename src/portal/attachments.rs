//! Files attached to tickets. They are stored by content like every upload, but served
//! only through the ticket: whoever may not see the ticket gets a 404 for its files too.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::tickets::{event, visible};
use super::workflow::{not_archived, touch};
use super::{Access, access};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::db::Db;
use crate::db::locks::{Row, lock};
use crate::db::now;
use crate::db::schema::{ticket_attachments, users};
use crate::error::AppError;
use crate::files::{FileRules, Upload, attachment_rules, content_type_for};
use crate::web::AuthUser;

/// Files one form or call may attach.
pub const MAX_FILES: usize = 10;

/// The name of the file field in forms and multipart API calls.
pub const FIELD: &str = "files";

/// What a ticket form may upload.
pub fn rules(settings: &Settings) -> FileRules {
    attachment_rules(FIELD, settings.max_upload_bytes, MAX_FILES)
}

/// A file on a ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub content_type: String,
    /// Where the file is served (a page address; the API has its own).
    pub url: String,
    pub uploaded_by: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// Records uploaded files on a ticket, with one `attachment` event each, in the
/// caller's transaction. The ticket must be one the caller may change.
pub fn record(c: &mut AnyConnection, ticket_id: i64, user_id: i64, files: &[Upload]) -> Result<(), AppError> {
    for file in files {
        diesel::insert_into(ticket_attachments::table)
            .values((
                ticket_attachments::ticket_id.eq(ticket_id),
                ticket_attachments::user_id.eq(user_id),
                ticket_attachments::sha256.eq(&file.stored.sha256),
                ticket_attachments::filename.eq(&file.filename),
                ticket_attachments::size.eq(file.stored.size),
                ticket_attachments::content_type.eq(content_type_for(&file.filename)),
                ticket_attachments::created_at.eq(now()),
            ))
            .execute(c)?;
        event(
            c,
            ticket_id,
            Some(user_id),
            "attachment",
            true,
            None,
            Some(&file.filename),
            None,
        )?;
    }
    Ok(())
}

/// Attaches files to a ticket the user may see and that is not archived.
pub async fn attach(db: &Db, user: &AuthUser, ticket_id: i64, files: Vec<Upload>) -> Result<(), AppError> {
    let who = access(user)?;
    if files.is_empty() {
        return Err(AppError::field(FIELD, "Choose at least one file to attach."));
    }
    let me = user.id;
    db.write(move |c| {
        lock(c, Row::Ticket(ticket_id))?;
        let t = visible(c, who, ticket_id)?;
        not_archived(&t)?;
        record(c, ticket_id, me, &files)?;
        touch(c, ticket_id)
    })
    .await
}

/// Refuses (404, or 403 outside the portal) before an upload is read when the ticket is
/// not the user's to change: one primary-key lookup, not the whole ticket page.
pub async fn may_attach(db: &Db, user: &AuthUser, ticket_id: i64) -> Result<(), AppError> {
    let who = access(user)?;
    db.read(move |c| not_archived(&visible(c, who, ticket_id)?).map(|_| ()))
        .await
}

/// The files of a ticket already known to be visible, oldest first.
pub fn of_ticket(c: &mut AnyConnection, ticket_id: i64) -> Result<Vec<AttachmentView>, AppError> {
    let rows: Vec<(i64, String, i64, String, String, NaiveDateTime, String)> = ticket_attachments::table
        .inner_join(users::table.on(users::id.eq(ticket_attachments::user_id)))
        .filter(ticket_attachments::ticket_id.eq(ticket_id))
        .order(ticket_attachments::id.asc())
        .select((
            ticket_attachments::id,
            ticket_attachments::filename,
            ticket_attachments::size,
            ticket_attachments::sha256,
            ticket_attachments::content_type,
            ticket_attachments::created_at,
            users::display_name,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, filename, size, sha256, content_type, created_at, uploaded_by)| AttachmentView {
                url: format!("/portal/tickets/{ticket_id}/attachments/{id}"),
                id,
                filename,
                size,
                sha256,
                content_type,
                uploaded_by,
                created_at,
            },
        )
        .collect())
}

/// One file of a ticket, as (sha256, filename), for someone who may see the ticket.
pub async fn find(db: &Db, user: &AuthUser, ticket_id: i64, id: i64) -> Result<(String, String), AppError> {
    let who: Access = access(user)?;
    db.read(move |c| {
        visible(c, who, ticket_id)?;
        Ok(ticket_attachments::table
            .filter(ticket_attachments::id.eq(id))
            .filter(ticket_attachments::ticket_id.eq(ticket_id))
            .select((ticket_attachments::sha256, ticket_attachments::filename))
            .first(c)?)
    })
    .await
}
