//! Users and their roles, as admins see and change them.

use super::*;

/// A user row in the admin list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: UserResource,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

impl From<&AuthUser> for AdminUser {
    fn from(u: &AuthUser) -> Self {
        Self {
            user: UserResource::from(u),
            created_at: u.created_at,
        }
    }
}

/// Which users to list: a search on address or name, after a given id.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Exact address (the onboarding scripts' lookup).
    pub email: Option<String>,
    /// Part of an address or name.
    pub q: Option<String>,
    /// Keyset pagination: ids above this one.
    pub after: Option<i64>,
}

/// Lists users, 50 at a time, oldest first.
pub async fn list_users(db: &Db, actor: &AuthUser, query: UserQuery) -> Result<Vec<AdminUser>, AppError> {
    actor.require_admin()?;
    db.read(move |c| {
        let mut q = users::table
            .left_join(organizations::table)
            .select((
                User::as_select(),
                organizations::name.nullable(),
                organizations::status.nullable(),
            ))
            .order(users::id.asc())
            .limit(PAGE_SIZE)
            .into_boxed();
        if let Some(email) = query.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            q = q.filter(users::email.eq(email.to_lowercase()));
        }
        if let Some(term) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = like_pattern(term);
            q = q.filter(
                users::email
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(users::display_name).like(lower(pattern)).escape('\\')),
            );
        }
        if let Some(after) = query.after {
            q = q.filter(users::id.gt(after));
        }
        let rows: Vec<(User, Option<String>, Option<String>)> = q.load(c)?;
        Ok(rows
            .into_iter()
            .map(|(u, name, status)| AdminUser::from(&to_auth_user(u, name, status)))
            .collect())
    })
    .await
}

/// One user, for the edit page.
pub async fn get_user(db: &Db, actor: &AuthUser, id: i64) -> Result<AdminUser, AppError> {
    actor.require_admin()?;
    db.read(move |c| admin_user(c, id)).await
}

pub(super) fn admin_user(c: &mut AnyConnection, id: i64) -> Result<AdminUser, AppError> {
    auth_user(c, id)?
        .map(|u| AdminUser::from(&u))
        .ok_or(AppError::NotFound)
}

/// Changes an admin may make to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UserChanges {
    /// member, staff or admin (in any case).
    #[schema(pattern = "^\\s*([mM][eE][mM][bB][eE][rR]|[sS][tT][aA][fF][fF]|[aA][dD][mM][iI][nN])\\s*$")]
    pub role: Option<String>,
    /// `null` removes the user from their organization.
    #[serde(default, deserialize_with = "double_option")]
    pub organization: Option<Option<OrgRef>>,
    pub authorized_contact: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(super) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes a user's role, organization or authorized-contact flag.
pub async fn update_user(
    db: &Db,
    actor: &AuthUser,
    id: i64,
    changes: UserChanges,
) -> Result<AdminUser, AppError> {
    actor.require_admin()?;
    let role = match changes.role.as_deref() {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            AppError::field(
                "role",
                format!("'{r}' is not a role; use member, staff or admin."),
            )
        })?),
    };
    db.write(move |c| {
        let current: User = users::table.find(id).select(User::as_select()).first(c)?;
        if let Some(role) = role {
            if current.role == "admin" && role != Role::Admin {
                let admins: i64 = users::table
                    .filter(users::role.eq("admin"))
                    .count()
                    .get_result(c)?;
                if admins <= 1 {
                    return Err(AppError::field(
                        "role",
                        "This is the last administrator; make another one first.",
                    ));
                }
            }
            diesel::update(users::table.find(id))
                .set(users::role.eq(role.as_str()))
                .execute(c)?;
        }
        if let Some(org) = &changes.organization {
            let org_id = match org {
                None => None,
                Some(named) => Some(find_organization(c, named)?),
            };
            diesel::update(users::table.find(id))
                .set(users::organization_id.eq(org_id))
                .execute(c)?;
        }
        if let Some(flag) = changes.authorized_contact {
            diesel::update(users::table.find(id))
                .set(users::authorized_contact.eq(flag))
                .execute(c)?;
        }
        let after = admin_user(c, id)?;
        if after.user.authorized_contact && after.user.organization.is_none() {
            return Err(AppError::field(
                "authorized_contact",
                "An authorized contact must belong to an organization.",
            ));
        }
        diesel::update(users::table.find(id))
            .set(users::updated_at.eq(now()))
            .execute(c)?;
        Ok(after)
    })
    .await
}
