//! Accounts as rows: the signed-in view of a user, new users with free usernames, and
//! accounts an operator makes (CLI, demo).

use diesel::prelude::*;

use crate::accounts::Role;
use crate::accounts::domains::{self};
use crate::accounts::password;
use crate::db::models::{NewUser, User};
use crate::db::schema::{organizations, users};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

use super::*;

/// Longest display name.
pub const MAX_NAME: usize = 80;

/// Loads the signed-in view of a user.
pub async fn load_auth_user(db: &Db, user_id: i64) -> Result<Option<AuthUser>, AppError> {
    db.read_quick(move |c| auth_user(c, user_id)).await
}

/// The signed-in view of a user, on a connection.
pub fn auth_user(c: &mut AnyConnection, user_id: i64) -> Result<Option<AuthUser>, AppError> {
    let row = users::table
        .left_join(organizations::table)
        .filter(users::id.eq(user_id))
        .select((
            User::as_select(),
            organizations::name.nullable(),
            organizations::status.nullable(),
        ))
        // No `first`: a bound LIMIT makes SQLite compile the statement on every run.
        .load::<(User, Option<String>, Option<String>)>(c)?
        .pop();
    Ok(row.map(|(u, org_name, org_status)| to_auth_user(u, org_name, org_status)))
}

/// The signed-in view of a user row and its organization's name and status.
pub fn to_auth_user(
    u: User,
    organization_name: Option<String>,
    organization_status: Option<String>,
) -> AuthUser {
    AuthUser {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        username: u.username.unwrap_or_else(|| format!("user{}", u.id)),
        role: Role::parse(&u.role).unwrap_or(Role::Member),
        organization_id: u.organization_id,
        organization_name,
        organization_status,
        authorized_contact: u.authorized_contact,
        verified: u.email_verified_at.is_some(),
        unread_notifications: u.unread_notifications,
        time_zone: u.time_zone,
        avatar: u
            .avatar_sha256
            .map(|sha| crate::accounts::pictures::url(u.id, &sha)),
        session_epoch: u.session_epoch,
        created_at: u.created_at,
    }
}

/// Inserts a user with a free username made from their address, turning a taken
/// address into a 422 on `email`. Runs inside a transaction (each try is a savepoint).
pub fn insert_user(c: &mut AnyConnection, new: &NewUser<'_>) -> Result<User, AppError> {
    use diesel::Connection;
    use diesel::result::{DatabaseErrorKind, Error};
    let base = username_base(new.email);
    for attempt in 0..5 {
        let candidate = free_username(c, &base, attempt)?;
        let row = NewUser {
            username: Some(&candidate),
            ..*new
        };
        let inserted = c.transaction(|c| {
            with_backend!(c, |c| diesel::insert_into(users::table)
                .values(&row)
                .returning(User::as_returning())
                .get_result(c))
        });
        match inserted {
            // Someone took the name between the check and the insert: try another.
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some("users_username_key")
                    || info.message().contains("users.username") =>
            {
                continue;
            }
            other => {
                return other.on_unique(
                    "users_email_key",
                    "email",
                    "An account with this address already exists. Sign in, or reset your password if you forgot it.",
                );
            }
        }
    }
    Err(AppError::Conflict(
        "Could not find a free username; please try again.".into(),
    ))
}

/// The part of an address before the @, kept to letters, digits, `_`, `-` and `.`.
pub(super) fn username_base(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let cleaned: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(24)
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '.' || c == '-').to_string();
    if cleaned.len() < 2 {
        format!("user{cleaned}")
    } else {
        cleaned
    }
}

/// `base` if free, else `base2`, `base3`, ...; later tries add a random number.
pub(super) fn free_username(c: &mut AnyConnection, base: &str, attempt: u32) -> Result<String, AppError> {
    if attempt > 0 {
        use rand::Rng;
        return Ok(format!("{base}{}", rand::rng().random_range(1000..100_000)));
    }
    let taken: Vec<String> = users::table
        .filter(
            users::username
                .like(format!("{}%", base.replace('%', "").replace('_', "\\_")))
                .escape('\\'),
        )
        .select(users::username.assume_not_null())
        .load(c)?;
    if !taken.iter().any(|t| t == base) {
        return Ok(base.to_string());
    }
    Ok((2..)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| format!("{base}-{}", taken.len())))
}

/// Arguments for an account made by an operator (CLI, demo): verified at once.
#[derive(Debug, Clone)]
pub struct OperatorUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organization: Option<String>,
    pub authorized_contact: bool,
    pub password: String,
}

/// Creates (or, with `replace`, updates) a verified account on one connection, making
/// the named organization (approved) when it does not exist.
pub fn upsert_operator_user(
    c: &mut AnyConnection,
    u: &OperatorUser,
    replace: bool,
) -> Result<User, AppError> {
    let email = domains::parse_email(&u.email).map_err(|m| AppError::field("email", m))?;
    let hash = password::hash(&u.password)?;
    crate::db::write_transaction(c, |c| {
        let org_id = match &u.organization {
            None => None,
            Some(name) => Some(find_or_create_org(c, name, &email.domain)?),
        };
        let existing: Option<i64> = users::table
            .filter(users::email.eq(&email.address))
            .select(users::id)
            .first(c)
            .optional()?;
        let t = now();
        match existing {
            Some(id) if replace => {
                diesel::update(users::table.find(id))
                    .set((
                        users::display_name.eq(&u.name),
                        users::password_hash.eq(&hash),
                        users::role.eq(u.role.as_str()),
                        users::organization_id.eq(org_id),
                        users::authorized_contact.eq(u.authorized_contact),
                        users::email_verified_at.eq(Some(t)),
                        users::session_epoch.eq(users::session_epoch + 1),
                        users::updated_at.eq(t),
                    ))
                    .execute(c)?;
                Ok(users::table.find(id).select(User::as_select()).first(c)?)
            }
            _ => insert_user(
                c,
                &NewUser {
                    email: &email.address,
                    display_name: &u.name,
                    password_hash: &hash,
                    role: u.role.as_str(),
                    organization_id: org_id,
                    authorized_contact: u.authorized_contact,
                    email_verified_at: Some(t),
                    created_at: t,
                    updated_at: t,
                    username: None,
                },
            ),
        }
    })
}

/// Sets the time zone the user's pages show times in: an IANA name ("Europe/Paris"),
/// or none for the browser's own.
pub async fn set_time_zone(db: &Db, user: &AuthUser, zone: Option<&str>) -> Result<Option<String>, AppError> {
    let zone = match zone.map(str::trim).filter(|z| !z.is_empty()) {
        None => None,
        Some(z) => Some(
            z.parse::<chrono_tz::Tz>()
                .map_err(|_| {
                    AppError::field(
                        "time_zone",
                        "Choose a time zone from the list, such as Europe/Paris or America/New_York.",
                    )
                })?
                .name()
                .to_string(),
        ),
    };
    let (id, stored) = (user.id, zone.clone());
    db.write(move |c| {
        diesel::update(users::table.find(id))
            .set(users::time_zone.eq(stored))
            .execute(c)?;
        Ok(())
    })
    .await?;
    Ok(zone)
}

/// Every time zone a person may choose, by IANA name, in alphabetical order (sorted
/// once, at the first account page).
pub fn time_zones() -> &'static [&'static str] {
    static ZONES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
        zones.sort_unstable();
        zones
    });
    &ZONES
}
