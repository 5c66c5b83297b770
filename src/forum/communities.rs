//! Product communities: a vendor with several products gives each its own community, with
//! its own four categories (Questions & Answers, Releases, Ideas & Feature Requests,
//! Knowledge Share, made with it), its own Releases feed and its own documentation link.
//! The categories of no community form the main one, on the home page. Search covers
//! every community.
//!
//! Also the site's documentation link, which the navigation shows on every page.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Kind, require_read, slugify};
use crate::db::schema::{categories, communities, site_settings};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;
use crate::with_backend;

/// A product community.
#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct Community {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Its documentation, if it has its own.
    pub docs_url: String,
    pub position: i64,
}

/// A community as admins write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommunityInput {
    /// 1 to 80 characters, unique.
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// Its address, /communities/{slug}: made from the name when empty; letters, digits
    /// and dashes.
    #[serde(default)]
    #[schema(max_length = 60)]
    pub slug: String,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    /// Its documentation (http or https), or empty.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub docs_url: String,
}

/// The four categories a community starts with: slug suffix, name, description, kind.
const FOUR: [(&str, &str, &str, Kind); 4] = [
    (
        "questions",
        "Questions & Answers",
        "Ask how to do something with {name}, or why it fails; the best answer is marked.",
        Kind::Questions,
    ),
    (
        "releases",
        "Releases",
        "New versions of {name}, their release notes and downloads.",
        Kind::Releases,
    ),
    (
        "ideas",
        "Ideas & Feature Requests",
        "Suggest what {name} should do next, and vote for what you need.",
        Kind::Ideas,
    ),
    (
        "knowledge",
        "Knowledge Share",
        "Tips, how-tos and articles about {name}.",
        Kind::Knowledge,
    ),
];

fn check_url(raw: &str, field: &str, errors: &mut FieldErrors) -> String {
    let url = raw.trim().to_string();
    if !url.is_empty() && !crate::web::is_web_address(&url) {
        errors.insert(
            field.into(),
            vec!["Give an address starting with https://, or leave it empty.".into()],
        );
    }
    url
}

fn check(mut input: CommunityInput) -> Result<CommunityInput, AppError> {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_string();
    if input.name.is_empty() || input.name.chars().count() > 80 {
        errors.insert(
            "name".into(),
            vec!["Give the community a name of 1 to 80 characters.".into()],
        );
    }
    let wanted = if input.slug.trim().is_empty() {
        slugify(&input.name)
    } else {
        input.slug.trim().to_lowercase()
    };
    if wanted.is_empty()
        || wanted.len() > 60
        || !wanted
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errors.insert(
            "slug".into(),
            vec!["Use 1 to 60 lower-case letters, digits and dashes, such as data-loader.".into()],
        );
    }
    input.slug = wanted;
    input.description = input.description.trim().to_string();
    if input.description.chars().count() > 500 {
        errors.insert(
            "description".into(),
            vec!["Keep the description to 500 characters.".into()],
        );
    }
    input.docs_url = check_url(&input.docs_url, "docs_url", &mut errors);
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AppError::fields(errors))
    }
}

fn columns() -> (
    communities::id,
    communities::slug,
    communities::name,
    communities::description,
    communities::docs_url,
    communities::position,
) {
    (
        communities::id,
        communities::slug,
        communities::name,
        communities::description,
        communities::docs_url,
        communities::position,
    )
}

/// Every product community, in order.
pub async fn list(db: &Db, user: &AuthUser) -> Result<Vec<Community>, AppError> {
    require_read(user)?;
    db.read(|c| {
        Ok(communities::table
            .order((communities::position.asc(), communities::name.asc()))
            .select(columns())
            .load(c)?)
    })
    .await
}

/// A community by its address.
pub fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Community, AppError> {
    Ok(communities::table
        .filter(communities::slug.eq(slug))
        .select(columns())
        .first(c)?)
}

/// The community a category belongs to, if it is a product community's.
pub fn of(c: &mut AnyConnection, community_id: Option<i64>) -> Result<Option<Community>, AppError> {
    match community_id {
        Some(id) => Ok(communities::table
            .find(id)
            .select(columns())
            .first(c)
            .optional()?),
        None => Ok(None),
    }
}

/// Adds a community and its four categories (admins).
pub async fn create(db: &Db, user: &AuthUser, input: CommunityInput) -> Result<Community, AppError> {
    user.require_admin()?;
    let input = check(input)?;
    db.write(move |c| {
        let at = now();
        let position: i64 = communities::table
            .select(diesel::dsl::max(communities::position))
            .first::<Option<i64>>(c)?
            .map_or(0, |p| p + 1);
        let values = (
            communities::slug.eq(&input.slug),
            communities::name.eq(&input.name),
            communities::description.eq(&input.description),
            communities::docs_url.eq(&input.docs_url),
            communities::position.eq(position),
            communities::created_at.eq(at),
            communities::updated_at.eq(at),
        );
        let named = communities::table
            .filter(communities::name.eq(&input.name))
            .select(communities::id)
            .first::<i64>(c)
            .optional()?;
        if named.is_some() {
            return Err(AppError::field("name", "Another community has this name."));
        }
        let id: i64 = with_backend!(c, |c| diesel::insert_into(communities::table)
            .values(values)
            .returning(communities::id)
            .get_result(c))
        .on_unique(
            "communities_slug_key",
            "slug",
            "Another community has this address.",
        )?;
        let category_position: i64 = categories::table
            .select(diesel::dsl::max(categories::position))
            .first::<Option<i64>>(c)?
            .map_or(0, |p| p + 1);
        for (i, (suffix, name, description, kind)) in FOUR.iter().enumerate() {
            let slug = format!("{}-{suffix}", input.slug);
            diesel::insert_into(categories::table)
                .values((
                    categories::slug.eq(&slug),
                    categories::name.eq(*name),
                    categories::description.eq(description.replace("{name}", &input.name)),
                    categories::kind.eq(kind.as_str()),
                    categories::position.eq(category_position + i as i64),
                    categories::community_id.eq(id),
                    categories::created_at.eq(at),
                    categories::updated_at.eq(at),
                ))
                .execute(c)
                .on_unique(
                    "categories_slug_key",
                    "slug",
                    "A category already has this address: choose another address for the community.",
                )?;
        }
        Ok(Community {
            id,
            slug: input.slug,
            name: input.name,
            description: input.description,
            docs_url: input.docs_url,
            position,
        })
    })
    .await
}

/// Renames a community or changes its description and documentation link (admins);
/// its address and categories stay.
pub async fn update(db: &Db, user: &AuthUser, id: i64, input: CommunityInput) -> Result<Community, AppError> {
    user.require_admin()?;
    let input = check(input)?;
    db.write(move |c| {
        let n = diesel::update(communities::table.find(id))
            .set((
                communities::name.eq(&input.name),
                communities::description.eq(&input.description),
                communities::docs_url.eq(&input.docs_url),
                communities::updated_at.eq(now()),
            ))
            .execute(c)
            .on_unique("communities_name_key", "name", "Another community has this name.")?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(communities::table.find(id).select(columns()).first(c)?)
    })
    .await
}

/// The links the navigation shows on every page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SiteLinks {
    /// The documentation (http or https); empty: no link.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub docs_url: String,
    /// What the link says; "Documentation" when empty.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub docs_label: String,
}

/// The site's links, read at most once a second whatever is written (see `db::Memo`);
/// the node that changes them forgets them at once.
pub type SiteLinksMemo = crate::db::Memo<SiteLinks>;

/// Reads the site's links.
pub fn load_site_links(c: &mut AnyConnection) -> Result<SiteLinks, AppError> {
    let rows: Vec<(String, String)> = site_settings::table
        .filter(site_settings::key.eq_any(["docs_url", "docs_label"]))
        .select((site_settings::key, site_settings::value))
        .load(c)?;
    let mut links = SiteLinks::default();
    for (k, v) in rows {
        match k.as_str() {
            "docs_url" => links.docs_url = v,
            "docs_label" => links.docs_label = v,
            _ => {}
        }
    }
    Ok(links)
}

/// Sets the site's links (admins); this node's pages show them at once, others' within
/// a second.
pub async fn set_site_links(
    db: &Db,
    memo: &SiteLinksMemo,
    user: &AuthUser,
    input: SiteLinks,
) -> Result<SiteLinks, AppError> {
    user.require_admin()?;
    let mut errors = FieldErrors::new();
    let docs_url = check_url(&input.docs_url, "docs_url", &mut errors);
    let docs_label = input.docs_label.trim().to_string();
    if docs_label.chars().count() > 40 {
        errors.insert(
            "docs_label".into(),
            vec!["Keep the label to 40 characters.".into()],
        );
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let saved = SiteLinks { docs_url, docs_label };
    let values = saved.clone();
    db.write(move |c| {
        for (k, v) in [("docs_url", &values.docs_url), ("docs_label", &values.docs_label)] {
            diesel::delete(site_settings::table.find(k)).execute(c)?;
            diesel::insert_into(site_settings::table)
                .values((
                    site_settings::key.eq(k),
                    site_settings::value.eq(v),
                    site_settings::updated_at.eq(now()),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .await?;
    memo.forget();
    Ok(saved)
}
