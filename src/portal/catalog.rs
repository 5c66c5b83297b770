//! What tickets are filed against: each customer's environments and applications, and
//! the keywords admins keep.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::tickets::Choice;
use crate::db::schema::{applications, environments, keywords, organizations};
use crate::db::{Db, ResultExt, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

/// A name to add.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NameInput {
    /// 1 to 80 characters (runs of spaces count as one).
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 80)]
    pub name: String,
}

/// What is added.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Environment,
    Application,
    Keyword,
}

fn check(name: &str) -> Result<String, AppError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::field("name", "Give a name of 1 to 80 characters."));
    }
    Ok(name)
}

/// Adds an environment or application to a customer, or a keyword (admins).
pub async fn add(
    db: &Db,
    user: &AuthUser,
    kind: Kind,
    organization_id: Option<i64>,
    input: NameInput,
) -> Result<Choice, AppError> {
    user.require_admin()?;
    let name = check(&input.name)?;
    db.write(move |c| {
        if let Some(org) = organization_id {
            organizations::table
                .find(org)
                .select(organizations::id)
                .first::<i64>(c)
                .optional()?
                .ok_or(AppError::NotFound)?;
        }
        let at = now();
        let id: i64 = match (kind, organization_id) {
            (Kind::Keyword, _) => with_backend!(c, |c| diesel::insert_into(keywords::table)
                .values((keywords::name.eq(&name), keywords::created_at.eq(at)))
                .returning(keywords::id)
                .get_result(c))
            .on_unique("keywords_name_key", "name", "This keyword exists already.")?,
            (Kind::Environment, Some(org)) => with_backend!(c, |c| diesel::insert_into(environments::table)
                .values((
                    environments::organization_id.eq(org),
                    environments::name.eq(&name),
                    environments::created_at.eq(at)
                ))
                .returning(environments::id)
                .get_result(c))
            .on_unique(
                "environments_organization_id_name_key",
                "name",
                "This customer has this environment already.",
            )?,
            (Kind::Application, Some(org)) => with_backend!(c, |c| diesel::insert_into(applications::table)
                .values((
                    applications::organization_id.eq(org),
                    applications::name.eq(&name),
                    applications::created_at.eq(at)
                ))
                .returning(applications::id)
                .get_result(c))
            .on_unique(
                "applications_organization_id_name_key",
                "name",
                "This customer has this application already.",
            )?,
            _ => return Err(AppError::NotFound),
        };
        Ok(Choice {
            id: id.to_string(),
            name,
        })
    })
    .await
}
