//! Categories: the four made on first start, sub-categories (one level, for example one
//! per product), and the index with counts and latest activity.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Kind, require_read, slugify};
use crate::db::models::Category;
use crate::db::schema::{categories, topics};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

/// The categories every Parley starts with: slug, name, description, kind.
const SEEDS: [(&str, &str, &str, Kind); 4] = [
    (
        "questions",
        "Questions & Answers",
        "Ask how to do something, or why something fails; the best answer is marked.",
        Kind::Questions,
    ),
    (
        "releases",
        "Releases",
        "New versions, their release notes and downloads.",
        Kind::Releases,
    ),
    (
        "ideas",
        "Ideas & Feature Requests",
        "Suggest what the product should do next, and vote for what you need.",
        Kind::Ideas,
    ),
    (
        "knowledge",
        "Knowledge Share",
        "Tips, how-tos and articles from the community and staff.",
        Kind::Knowledge,
    ),
];

/// Makes the four root categories when they are missing (on every start; cheap).
pub fn seed(c: &mut AnyConnection) -> Result<usize, AppError> {
    let existing: Vec<String> = categories::table.select(categories::slug).load(c)?;
    let mut made = 0;
    for (position, (slug, name, description, kind)) in SEEDS.iter().enumerate() {
        if existing.iter().any(|e| e == slug) {
            continue;
        }
        let t = now();
        diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(slug),
                categories::name.eq(name),
                categories::description.eq(description),
                categories::kind.eq(kind.as_str()),
                categories::position.eq(position as i64),
                categories::created_at.eq(t),
                categories::updated_at.eq(t),
            ))
            .execute(c)?;
        made += 1;
    }
    Ok(made)
}

/// A category on the index.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    #[serde(flatten)]
    pub category: Category,
    pub latest_topic: Option<LatestTopic>,
    #[schema(no_recursion)]
    pub children: Vec<CategoryView>,
}

/// The most recently active topic of a category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LatestTopic {
    pub id: i64,
    pub title: String,
    pub slug: String,
}

/// The category index, read at most once a second (see `db::Memo`).
pub type CategoryIndex = crate::db::Memo<Vec<CategoryView>>;

/// Every category, roots in order with their sub-categories, and the latest topic of
/// each (two queries).
pub async fn index(db: &Db, memo: &CategoryIndex, user: &AuthUser) -> Result<Vec<CategoryView>, AppError> {
    require_read(user)?;
    Ok(memo.get(db, load_index).await?.as_ref().clone())
}

fn load_index(c: &mut AnyConnection) -> Result<Vec<CategoryView>, AppError> {
    let all: Vec<Category> = categories::table
        .order((categories::position.asc(), categories::name.asc()))
        .select(Category::as_select())
        .load(c)?;
    let latest_ids: Vec<i64> = all.iter().filter_map(|c| c.last_topic_id).collect();
    let latest: HashMap<i64, LatestTopic> = topics::table
        .filter(topics::id.eq_any(&latest_ids))
        .select((topics::id, topics::title, topics::slug))
        .load::<(i64, String, String)>(c)?
        .into_iter()
        .map(|(id, title, slug)| (id, LatestTopic { id, title, slug }))
        .collect();
    let view = |cat: Category| CategoryView {
        latest_topic: cat.last_topic_id.and_then(|id| latest.get(&id).cloned()),
        category: cat,
        children: Vec::new(),
    };
    let (roots, subs): (Vec<Category>, Vec<Category>) = all.into_iter().partition(|c| c.parent_id.is_none());
    let mut roots: Vec<CategoryView> = roots.into_iter().map(view).collect();
    for sub in subs {
        if let Some(parent) = roots.iter_mut().find(|r| Some(r.category.id) == sub.parent_id) {
            parent.children.push(view(sub));
        }
    }
    Ok(roots)
}

/// A category by its address.
pub fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Category, AppError> {
    Ok(categories::table
        .filter(categories::slug.eq(slug))
        .select(Category::as_select())
        .first(c)?)
}

/// The category and its sub-categories' ids (what a category's topic list shows).
pub fn with_children(c: &mut AnyConnection, id: i64) -> Result<Vec<i64>, AppError> {
    let mut ids: Vec<i64> = categories::table
        .filter(categories::parent_id.eq(id))
        .select(categories::id)
        .load(c)?;
    ids.push(id);
    Ok(ids)
}

/// The kind of a category (stored on sub-categories too).
pub fn kind_of(category: &Category) -> Kind {
    Kind::parse(&category.kind).unwrap_or(Kind::Questions)
}

/// A new sub-category, or changes to a category, from an admin.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CategoryInput {
    /// 1 to 80 characters; required when creating.
    #[schema(min_length = 1, max_length = 80)]
    pub name: Option<String>,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    pub position: Option<i64>,
    /// Only when creating: the root category this one goes under.
    pub parent: Option<String>,
    /// Only when creating: the address; made from the name when absent.
    pub slug: Option<String>,
}

fn check_name(name: Option<&str>) -> Result<String, AppError> {
    let name = name.unwrap_or_default().trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::field(
            "name",
            "Give the category a name of 1 to 80 characters.",
        ));
    }
    Ok(name.to_string())
}

/// Adds a sub-category under a root category (admins).
pub async fn create(db: &Db, admin: &AuthUser, input: CategoryInput) -> Result<Category, AppError> {
    admin.require_admin()?;
    let name = check_name(input.name.as_deref())?;
    super::check_description(input.description.as_deref())?;
    let parent_slug = input
        .parent
        .clone()
        .ok_or_else(|| AppError::field("parent", "Choose the category this one goes under."))?;
    let slug = slugify(input.slug.as_deref().unwrap_or(&name));
    db.write(move |c| {
        let parent = by_slug(c, &parent_slug)
            .map_err(|_| AppError::field("parent", format!("There is no category '{parent_slug}'.")))?;
        if parent.parent_id.is_some() {
            return Err(AppError::field(
                "parent",
                "Sub-categories go under one of the main categories.",
            ));
        }
        let t = now();
        let values = (
            categories::parent_id.eq(parent.id),
            categories::slug.eq(&slug),
            categories::name.eq(&name),
            categories::description.eq(input.description.as_deref().unwrap_or("").trim()),
            categories::kind.eq(&parent.kind),
            categories::position.eq(input.position.unwrap_or(0)),
            categories::created_at.eq(t),
            categories::updated_at.eq(t),
        );
        with_backend!(c, |c| diesel::insert_into(categories::table)
            .values(values)
            .returning(Category::as_returning())
            .get_result(c))
        .on_unique(
            "categories_slug_key",
            "slug",
            &format!("The address /c/{slug} is taken."),
        )
    })
    .await
}

/// Renames, describes or reorders a category (admins).
pub async fn update(
    db: &Db,
    admin: &AuthUser,
    slug: &str,
    input: CategoryInput,
) -> Result<Category, AppError> {
    admin.require_admin()?;
    let name = input.name.as_deref().map(|n| check_name(Some(n))).transpose()?;
    super::check_description(input.description.as_deref())?;
    let slug = slug.to_string();
    db.write(move |c| {
        let cat = by_slug(c, &slug)?;
        diesel::update(categories::table.find(cat.id))
            .set((
                categories::name.eq(name.unwrap_or(cat.name)),
                categories::description.eq(input
                    .description
                    .map(|d| d.trim().to_string())
                    .unwrap_or(cat.description)),
                categories::position.eq(input.position.unwrap_or(cat.position)),
                categories::updated_at.eq(now()),
            ))
            .execute(c)?;
        Ok(categories::table
            .find(cat.id)
            .select(Category::as_select())
            .first(c)?)
    })
    .await
}
