//! A post's revisions, as line diffs.

use super::*;

/// One line of a comparison between two versions of a post.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub change: &'static str,
    pub text: String,
}

/// One edit: who made it, when, what the post said before, and what changed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Edit {
    #[serde(flatten)]
    pub revision: PostRevision,
    pub editor: Author,
    /// From the text before this edit to the text after it.
    pub diff: Vec<DiffLine>,
    /// The title after the edit, when the edit changed it.
    pub new_title: Option<String>,
}

/// A post with its edit history, newest edit first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct History {
    pub post_id: i64,
    pub topic_id: i64,
    pub current: String,
    pub edits: Vec<Edit>,
}

/// Line-by-line changes from `before` to `after`.
pub fn diff_lines(before: &str, after: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(before, after)
        .iter_all_changes()
        .map(|change| DiffLine {
            change: match change.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "added",
                ChangeTag::Delete => "removed",
            },
            text: change.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

/// What a post said before each edit.
pub async fn history(db: &Db, user: &AuthUser, post_id: i64) -> Result<History, AppError> {
    require_read(user)?;
    let staff = user.is_staff();
    db.read(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        if post.deleted_at.is_some() && !staff {
            return Err(AppError::NotFound);
        }
        let revisions: Vec<(PostRevision, AuthorRow)> = post_revisions::table
            .inner_join(users::table.on(users::id.eq(post_revisions::user_id)))
            .filter(post_revisions::post_id.eq(post_id))
            .order(post_revisions::number.desc())
            .select((PostRevision::as_select(), author_columns()))
            .load(c)?;
        let current_title: String = topics::table.find(topic.id).select(topics::title).first(c)?;
        // Newest first: each edit turned its revision's text into the next newer one.
        let mut after_body = post.body_markdown.clone();
        let mut after_title = current_title;
        let mut edits = Vec::with_capacity(revisions.len());
        for (revision, a) in revisions {
            let diff = diff_lines(&revision.body_markdown, &after_body);
            let new_title = revision.title.as_ref().map(|_| after_title.clone());
            after_body = revision.body_markdown.clone();
            if let Some(t) = &revision.title {
                after_title = t.clone();
            }
            edits.push(Edit {
                revision,
                editor: author(a),
                diff,
                new_title,
            });
        }
        Ok(History {
            post_id,
            topic_id: topic.id,
            current: post.body_markdown,
            edits,
        })
    })
    .await
}
