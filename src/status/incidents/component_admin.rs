//! The components of the status page: adding, changing and removing them.

use super::*;

/// A new component (admins).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewComponent {
    /// 2 to 80 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 80)]
    pub name: String,
    /// At most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
}

/// Adds a component (admins).
pub async fn add_component(db: &Db, user: &AuthUser, input: NewComponent) -> Result<ComponentView, AppError> {
    user.require_admin()?;
    let name = input.name.trim().to_string();
    if name.chars().count() < 2 || name.chars().count() > 80 {
        return Err(AppError::field(
            "name",
            "Name the component in 2 to 80 characters.",
        ));
    }
    crate::forum::check_description(Some(&input.description))?;
    let slug = crate::forum::slugify(&name);
    let description = input.description.trim().to_string();
    db.write(move |c| {
        let position: Option<i64> = status_components::table
            .select(diesel::dsl::max(status_components::position))
            .first(c)?;
        let inserted = with_backend!(c, |c| diesel::insert_into(status_components::table)
            .values((
                status_components::slug.eq(&slug),
                status_components::name.eq(&name),
                status_components::description.eq(&description),
                status_components::position.eq(position.unwrap_or(0) + 1),
                status_components::created_at.eq(now()),
            ))
            .returning(status_components::id)
            .get_result::<i64>(c));
        let id = inserted.on_unique(
            "status_components_slug_key",
            "name",
            &format!("There is already a component named {name}."),
        )?;
        build_page(c)?
            .components
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Changes to a component (admins); missing fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ComponentChange {
    /// 2 to 80 characters.
    #[schema(min_length = 2, max_length = 80)]
    pub name: Option<String>,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Its place in the list: lower numbers come first.
    pub position: Option<i64>,
}

/// Renames, describes or moves a component (admins).
pub async fn update_component(
    db: &Db,
    user: &AuthUser,
    slug: String,
    change: ComponentChange,
) -> Result<ComponentView, AppError> {
    user.require_admin()?;
    if let Some(n) = &change.name
        && (n.trim().chars().count() < 2 || n.trim().chars().count() > 80)
    {
        return Err(AppError::field(
            "name",
            "Name the component in 2 to 80 characters.",
        ));
    }
    crate::forum::check_description(change.description.as_deref())?;
    db.write(move |c| {
        let id: i64 = status_components::table
            .filter(status_components::slug.eq(&slug))
            .select(status_components::id)
            .first(c)?;
        if let Some(n) = &change.name {
            diesel::update(status_components::table.find(id))
                .set(status_components::name.eq(n.trim()))
                .execute(c)?;
        }
        if let Some(d) = &change.description {
            diesel::update(status_components::table.find(id))
                .set(status_components::description.eq(d.trim()))
                .execute(c)?;
        }
        if let Some(p) = change.position {
            diesel::update(status_components::table.find(id))
                .set(status_components::position.eq(p))
                .execute(c)?;
        }
        build_page(c)?
            .components
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Removes a component (admins); its incidents stay, without it.
pub async fn remove_component(db: &Db, user: &AuthUser, slug: String) -> Result<(), AppError> {
    user.require_admin()?;
    db.write(move |c| {
        let n =
            diesel::delete(status_components::table.filter(status_components::slug.eq(&slug))).execute(c)?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
    .await
}
