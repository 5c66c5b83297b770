//! Images and files attached to posts: stored by content like release downloads, and
//! given back as the markdown that shows them.

use diesel::prelude::*;
use serde::Serialize;

use super::require_post;
use crate::config::Settings;
use crate::db::Db;
use crate::db::now;
use crate::db::schema::uploads;
use crate::error::AppError;
use crate::files::{FileRules, Upload, attachment_rules, content_type_for, is_image};
use crate::web::AuthUser;
use crate::web::rate_limit::Limiter;

/// An attached file and the markdown to put in a post.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attached {
    pub url: String,
    pub markdown: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
}

/// What a post's attachment form may upload: one image or document.
pub fn rules(settings: &Settings) -> FileRules {
    attachment_rules("file", settings.max_upload_bytes, 1)
}

/// Records a file read from a form (checked against [`rules`]) as the user's upload.
pub async fn record(
    db: &Db,
    limiter: &Limiter,
    user: &AuthUser,
    upload: Option<Upload>,
) -> Result<Attached, AppError> {
    require_post(user)?;
    super::check_post_rate(limiter, user).await?;
    let Some(Upload {
        filename,
        stored: file,
    }) = upload
    else {
        return Err(AppError::field("file", "Choose a file to attach."));
    };
    let content_type = content_type_for(&filename).to_string();
    let (name, sha, size, user_id, ct) = (
        filename.clone(),
        file.sha256.clone(),
        file.size,
        user.id,
        content_type.clone(),
    );
    db.write(move |c| {
        diesel::insert_into(uploads::table)
            .values((
                uploads::sha256.eq(&sha),
                uploads::filename.eq(&name),
                uploads::size.eq(size),
                uploads::content_type.eq(&ct),
                uploads::user_id.eq(user_id),
                uploads::created_at.eq(now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await?;
    let url = format!("/files/{}/{}", file.sha256, filename);
    let markdown = if is_image(&content_type) {
        format!("![{filename}]({url})")
    } else {
        format!("[{filename}]({url})")
    };
    Ok(Attached {
        url,
        markdown,
        filename,
        size: file.size,
        sha256: file.sha256,
    })
}
