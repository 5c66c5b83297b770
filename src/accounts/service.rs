//! Account rules: signup with company addresses, verification, sign-in, password reset
//! and change, API tokens. Handlers for pages and for the API both call these; nothing
//! here knows about HTTP.

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Role;
use super::domains::{self, Refusal};
use super::password;
use crate::app::AppState;
use crate::config::UnknownDomainPolicy;
use crate::db::models::{ApiToken, NewApiToken, NewOrganization, NewUser, Organization, User};
use crate::db::schema::{api_tokens, blocked_domains, organization_domains, organizations, users};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::{AppError, FieldErrors};
use crate::keys::{Keys, LinkError, Purpose};
use crate::mail::{Mail, mailbox};
use crate::web::AuthUser;
use crate::web::rate_limit::Action;
use crate::with_backend;

/// Longest display name.
pub const MAX_NAME: usize = 80;

/// What someone typed into the signup form.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize, utoipa::ToSchema)]
pub struct SignupInput {
    /// A company address (webmail and disposable domains are refused), at most 254
    /// bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 254, format = Email)]
    pub email: String,
    /// At least the site's minimum (10 characters unless configured), at most 256 bytes.
    #[serde(default, skip_serializing)]
    #[schema(required = true, min_length = 8, max_length = 256, format = Password)]
    pub password: String,
    /// 1 to 80 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 80)]
    pub display_name: String,
}

/// A new account, signed in but not yet verified.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub user: AuthUser,
    /// The account's organization waits for an admin's approval.
    pub organization_pending: bool,
    pub verification_sent: bool,
}

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
        session_epoch: u.session_epoch,
        created_at: u.created_at,
    }
}

/// Checks the signup form, gathering every problem at once.
fn check_signup(state: &AppState, input: &SignupInput) -> Result<(domains::Email, String), AppError> {
    let mut fields = FieldErrors::new();
    let email = domains::parse_email(&input.email)
        .map_err(|m| fields.entry("email".into()).or_default().push(m))
        .ok();
    if let Some(e) = &email {
        match state.domain_lists.refusal(&e.domain) {
            Some(Refusal::FreeWebmail) => fields.entry("email".into()).or_default().push(format!(
                "Please sign up with your company email address: {} is a free webmail provider.",
                e.domain
            )),
            Some(Refusal::Disposable) => fields.entry("email".into()).or_default().push(format!(
                "Please sign up with your company email address: {} is a disposable-mail service.",
                e.domain
            )),
            _ => {}
        }
    }
    let name = input.display_name.trim().to_string();
    if name.is_empty() {
        fields
            .entry("display_name".into())
            .or_default()
            .push("Enter the name others will see.".into());
    } else if name.chars().count() > MAX_NAME {
        fields
            .entry("display_name".into())
            .or_default()
            .push(format!("Use at most {MAX_NAME} characters for your name."));
    } else if name.chars().any(char::is_control) {
        fields
            .entry("display_name".into())
            .or_default()
            .push("Your name cannot hold control characters.".into());
    }
    if let Err(m) = password::check_policy(&input.password, &input.email, state.settings.min_password_length)
    {
        fields.entry("password".into()).or_default().push(m);
    }
    match email {
        Some(e) if fields.is_empty() => Ok((e, name)),
        _ => Err(AppError::fields(fields)),
    }
}

/// Opens an account from the signup form or API.
pub async fn signup(state: &AppState, input: SignupInput, client_ip: &str) -> Result<SignedUp, AppError> {
    state
        .limiter
        .check(Action::Signup, &[&format!("ip:{client_ip}")])?;
    let (email, name) = check_signup(state, &input)?;
    let hash = password::hash(&input.password)?;
    let policy = state.settings.unknown_domains;
    let (user, pending) = state
        .db
        .write(move |c| {
            let org = resolve_organization(c, &email.domain, policy)?;
            let pending = org.status == "pending";
            let t = now();
            let new = NewUser {
                email: &email.address,
                display_name: &name,
                password_hash: &hash,
                role: Role::Member.as_str(),
                organization_id: Some(org.id),
                authorized_contact: false,
                email_verified_at: None,
                created_at: t,
                updated_at: t,
                username: None,
            };
            let user = insert_user(c, &new)?;
            Ok((to_auth_user(user, Some(org.name), Some(org.status)), pending))
        })
        .await?;
    let verification_sent = send_verification(state, &user).await;
    tracing::info!(user_id = user.id, pending, "account created");
    Ok(SignedUp {
        user,
        organization_pending: pending,
        verification_sent,
    })
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
fn username_base(email: &str) -> String {
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
fn free_username(c: &mut AnyConnection, base: &str, attempt: u32) -> Result<String, AppError> {
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

/// The organization an address on `domain` joins: the one owning the domain (or a
/// parent of it), or a new pending one, or a refusal.
fn resolve_organization(
    c: &mut AnyConnection,
    domain: &str,
    policy: UnknownDomainPolicy,
) -> Result<Organization, AppError> {
    let candidates: Vec<&str> = domains::suffixes(domain).collect();
    let blocked: Option<String> = blocked_domains::table
        .filter(blocked_domains::domain.eq_any(&candidates))
        .select(blocked_domains::domain)
        .first(c)
        .optional()?;
    if let Some(b) = blocked {
        return Err(AppError::field(
            "email",
            format!("Sign-ups from {b} are not accepted. Please use your company email address."),
        ));
    }
    if let Some(org) = owner_of(c, &candidates)? {
        if org.status == "refused" {
            return Err(AppError::field(
                "email",
                format!("Sign-ups from {domain} are closed. Ask your account manager for access."),
            ));
        }
        return Ok(org);
    }
    if policy == UnknownDomainPolicy::Refuse {
        return Err(AppError::field(
            "email",
            format!(
                "{domain} does not belong to a customer of ours yet. Ask your account manager to register your company."
            ),
        ));
    }
    // In a savepoint: on PostgreSQL a concurrent signup from the same new domain may
    // commit the organization first, and then the insert fails on the unique index.
    // The organization it made is the one to join.
    use diesel::Connection;
    match c.transaction(|c| create_organization(c, domain, "pending", &[domain.to_string()])) {
        Ok(org) => Ok(org),
        Err(e) => owner_of(c, &candidates)?.ok_or(e),
    }
}

/// The organization owning the most specific of `candidates` (eu.acme.com before
/// acme.com).
fn owner_of(c: &mut AnyConnection, candidates: &[&str]) -> Result<Option<Organization>, AppError> {
    let mut owned: Vec<(String, Organization)> = organization_domains::table
        .inner_join(organizations::table)
        .filter(organization_domains::domain.eq_any(candidates))
        .select((organization_domains::domain, Organization::as_select()))
        .load(c)?;
    owned.sort_by_key(|(d, _)| std::cmp::Reverse(d.len()));
    Ok(owned.into_iter().next().map(|(_, org)| org))
}

/// Creates an organization owning `domains`. A name already taken gets a numeric suffix.
pub fn create_organization(
    c: &mut AnyConnection,
    name: &str,
    status: &str,
    domain_list: &[String],
) -> Result<Organization, AppError> {
    let mut unique_name = name.to_string();
    for n in 2.. {
        let taken: i64 = organizations::table
            .filter(organizations::name.eq(&unique_name))
            .count()
            .get_result(c)?;
        if taken == 0 {
            break;
        }
        unique_name = format!("{name} ({n})");
    }
    let t = now();
    let new = NewOrganization {
        name: &unique_name,
        status,
        created_at: t,
        updated_at: t,
    };
    let org = with_backend!(c, |c| diesel::insert_into(organizations::table)
        .values(&new)
        .returning(Organization::as_returning())
        .get_result(c))?;
    add_domains(c, org.id, domain_list)?;
    Ok(org)
}

/// Gives `domains` to an organization; a domain another organization owns is a 422.
pub fn add_domains(c: &mut AnyConnection, org_id: i64, domain_list: &[String]) -> Result<(), AppError> {
    let t = now();
    for d in domain_list {
        diesel::insert_into(organization_domains::table)
            .values((
                organization_domains::organization_id.eq(org_id),
                organization_domains::domain.eq(d),
                organization_domains::created_at.eq(t),
            ))
            .execute(c)
            .on_unique(
                "organization_domains_domain_key",
                "domains",
                &format!("{d} already belongs to another organization."),
            )?;
    }
    Ok(())
}

/// Mails a verification link. Failure is logged, not fatal: the user can ask again.
pub async fn send_verification(state: &AppState, user: &AuthUser) -> bool {
    match try_send_verification(state, user).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(user_id = user.id, error = ?e, "could not send the verification mail");
            false
        }
    }
}

#[derive(Serialize)]
struct LinkMail<'a> {
    name: &'a str,
    link: String,
    hours: u64,
    minutes: u64,
    site: String,
}

fn link(state: &AppState, path: &str, token: &str) -> anyhow::Result<String> {
    let mut url = state.settings.base_url.join(path)?;
    url.query_pairs_mut().append_pair("token", token);
    Ok(url.to_string())
}

async fn try_send_verification(state: &AppState, user: &AuthUser) -> anyhow::Result<()> {
    let ttl = state.settings.verify_link_ttl;
    let token = state.keys.sign(&Keys::claims(
        Purpose::VerifyEmail,
        user.id,
        user.session_epoch,
        Some(user.email.clone()),
        ttl,
    ))?;
    let view = LinkMail {
        name: &user.display_name,
        link: link(state, "verify", &token)?,
        hours: ttl.as_secs() / 3600,
        minutes: ttl.as_secs() / 60,
        site: state.settings.base_url.to_string(),
    };
    let mail = Mail::from_templates(
        &state.templates,
        "verify",
        mailbox(&user.display_name, &user.email)?,
        &view,
    )?;
    let key = format!("verify:{}:{}", user.id, chrono::Utc::now().timestamp_micros());
    account_mail(state, key, mail).await
}

/// Account mail goes through the outbox and, on a node that sends, out at once.
async fn account_mail(state: &AppState, key: String, mail: Mail) -> anyhow::Result<()> {
    state
        .queue_mail_now(key, mail)
        .await
        .map_err(|e| anyhow::anyhow!("queueing account mail: {e:?}"))
}

/// Sends the verification mail again, within the reset rate limit.
pub async fn resend_verification(
    state: &AppState,
    user: &AuthUser,
    client_ip: &str,
) -> Result<bool, AppError> {
    if user.verified {
        return Ok(false);
    }
    state.limiter.check(
        Action::Reset,
        &[&format!("ip:{client_ip}"), &format!("user:{}", user.id)],
    )?;
    Ok(send_verification(state, user).await)
}

/// Why a mailed link was not accepted, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Expired,
    Invalid,
}

impl From<LinkError> for LinkProblem {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Expired => Self::Expired,
            LinkError::Invalid => Self::Invalid,
        }
    }
}

/// Marks the address of a verification link as verified; returns the user id.
pub async fn verify_email(state: &AppState, token: &str) -> Result<Result<i64, LinkProblem>, AppError> {
    let claims = match state.keys.verify(Purpose::VerifyEmail, token) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.into())),
    };
    let Some(email) = claims.email else {
        return Ok(Err(LinkProblem::Invalid));
    };
    state
        .db
        .write(move |c| {
            // The address must still be the account's: a link for an old address is void.
            let updated = diesel::update(
                users::table
                    .filter(users::id.eq(claims.sub))
                    .filter(users::email.eq(&email)),
            )
            .set((users::email_verified_at.eq(now()), users::updated_at.eq(now())))
            .execute(c)?;
            Ok(if updated == 1 {
                Ok(claims.sub)
            } else {
                Err(LinkProblem::Invalid)
            })
        })
        .await
}

/// Checks an address and password; returns the user. Both unknown addresses and wrong
/// passwords get the same answer, after the same time.
pub async fn login(
    state: &AppState,
    email: &str,
    password_typed: &str,
    client_ip: &str,
) -> Result<AuthUser, AppError> {
    let email = email.trim().to_lowercase();
    state.limiter.check(
        Action::Login,
        &[&format!("ip:{client_ip}"), &format!("email:{email}")],
    )?;
    let lookup = email.clone();
    let found: Option<User> = state
        .db
        .read(move |c| {
            Ok(users::table
                .filter(users::email.eq(&lookup))
                .select(User::as_select())
                .first(c)
                .optional()?)
        })
        .await?;
    let typed = password_typed.to_string();
    let user = tokio::task::spawn_blocking(move || match found {
        Some(u) if password::verify(&typed, &u.password_hash) => Some(u),
        Some(_) => None,
        None => {
            password::burn_time(&typed);
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password check: {e}")))?;
    let Some(user) = user else {
        return Err(AppError::field(
            "email",
            "The email address or the password is not right.",
        ));
    };
    load_auth_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Mails a reset link when the address has an account; says nothing either way.
pub async fn request_password_reset(state: &AppState, email: &str, client_ip: &str) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    state.limiter.check(
        Action::Reset,
        &[&format!("ip:{client_ip}"), &format!("email:{email}")],
    )?;
    let lookup = email.clone();
    let found = state
        .db
        .read(move |c| {
            Ok(users::table
                .filter(users::email.eq(&lookup))
                .select(users::id)
                .first::<i64>(c)
                .optional()?)
        })
        .await?;
    let Some(user_id) = found else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let Some(user) = load_auth_user(&state.db, user_id).await? else {
        return Ok(());
    };
    let result = async {
        let ttl = state.settings.reset_link_ttl;
        let token = state.keys.sign(&Keys::claims(
            Purpose::ResetPassword,
            user.id,
            user.session_epoch,
            None,
            ttl,
        ))?;
        let view = LinkMail {
            name: &user.display_name,
            link: link(state, "password/reset", &token)?,
            hours: ttl.as_secs() / 3600,
            minutes: ttl.as_secs() / 60,
            site: state.settings.base_url.to_string(),
        };
        let mail = Mail::from_templates(
            &state.templates,
            "reset",
            mailbox(&user.display_name, &user.email)?,
            &view,
        )?;
        let key = format!("reset:{}:{}", user.id, chrono::Utc::now().timestamp_micros());
        account_mail(state, key, mail).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(user_id, error = ?e, "could not send the password-reset mail");
    }
    Ok(())
}

/// Checks a reset link without using it (to show the form, or say it is spent).
pub fn check_reset_link(state: &AppState, token: &str) -> Result<(i64, i64), LinkProblem> {
    state
        .keys
        .verify(Purpose::ResetPassword, token)
        .map(|c| (c.sub, c.ep))
        .map_err(LinkProblem::from)
}

/// Sets a new password from a reset link. The link works once: the epoch it names is
/// bumped, which also ends every session and API token. Returns the signed-in user.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<Result<AuthUser, LinkProblem>, AppError> {
    let (user_id, epoch) = match check_reset_link(state, token) {
        Ok(v) => v,
        Err(p) => return Ok(Err(p)),
    };
    let Some(user) = load_auth_user(&state.db, user_id).await? else {
        return Ok(Err(LinkProblem::Invalid));
    };
    if user.session_epoch != epoch {
        return Ok(Err(LinkProblem::Invalid));
    }
    password::check_policy(new_password, &user.email, state.settings.min_password_length)
        .map_err(|m| AppError::field("password", m))?;
    let hash = password::hash(new_password)?;
    let changed = state
        .db
        .write(move |c| {
            let t = now();
            let n = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::session_epoch.eq(epoch)),
            )
            .set((
                users::password_hash.eq(&hash),
                users::session_epoch.eq(epoch + 1),
                users::updated_at.eq(t),
            ))
            .execute(c)?;
            // Following the link proves the mailbox is theirs, so it verifies it too.
            diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::email_verified_at.is_null()),
            )
            .set(users::email_verified_at.eq(t))
            .execute(c)?;
            Ok(n == 1)
        })
        .await?;
    if !changed {
        return Ok(Err(LinkProblem::Invalid));
    }
    tracing::info!(user_id, "password reset; sessions ended");
    Ok(load_auth_user(&state.db, user_id)
        .await?
        .ok_or(LinkProblem::Invalid))
}

/// Changes the password of a signed-in user who knows the current one, ending every
/// other session. Returns the new epoch, for this browser's new session.
pub async fn change_password(
    state: &AppState,
    user: &AuthUser,
    current: &str,
    new_password: &str,
) -> Result<i64, AppError> {
    let user_id = user.id;
    let stored: String = state
        .db
        .read(move |c| Ok(users::table.find(user_id).select(users::password_hash).first(c)?))
        .await?;
    let current = current.to_string();
    let ok = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password check: {e}")))?;
    if !ok {
        return Err(AppError::field(
            "current_password",
            "Your current password is not right.",
        ));
    }
    password::check_policy(new_password, &user.email, state.settings.min_password_length)
        .map_err(|m| AppError::field("new_password", m))?;
    let hash = password::hash(new_password)?;
    let epoch = state
        .db
        .write(move |c| {
            diesel::update(users::table.find(user_id))
                .set((
                    users::password_hash.eq(&hash),
                    users::session_epoch.eq(users::session_epoch + 1),
                    users::updated_at.eq(now()),
                ))
                .execute(c)?;
            let epoch: i64 = users::table.find(user_id).select(users::session_epoch).first(c)?;
            Ok(epoch)
        })
        .await?;
    tracing::info!(user_id, "password changed; other sessions ended");
    Ok(epoch)
}

/// Prefix of every API token, so that a leaked one is easy to recognize.
pub const TOKEN_PREFIX: &str = "plt_";

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new API token: the stored row and the only copy of the token itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub row: ApiToken,
}

/// Creates an API token for a user.
pub async fn create_api_token(
    state: &AppState,
    user: &AuthUser,
    name: &str,
) -> Result<IssuedToken, AppError> {
    let name = name.trim();
    let name = if name.is_empty() { "API token" } else { name };
    if name.chars().count() > MAX_NAME {
        return Err(AppError::field(
            "name",
            format!("Use at most {MAX_NAME} characters for the token name."),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = token_hash(&token);
    let (user_id, epoch, name) = (user.id, user.session_epoch, name.to_string());
    let row = state
        .db
        .write(move |c| {
            let new = NewApiToken {
                user_id,
                name: &name,
                token_hash: &hash,
                session_epoch: epoch,
                created_at: now(),
            };
            Ok(with_backend!(c, |c| diesel::insert_into(api_tokens::table)
                .values(&new)
                .returning(ApiToken::as_returning())
                .get_result(c))?)
        })
        .await?;
    Ok(IssuedToken { token, row })
}

/// Issues a token for an address and password (`POST /api/v1/auth/token`).
pub async fn token_for_password(
    state: &AppState,
    email: &str,
    password_typed: &str,
    name: &str,
    client_ip: &str,
) -> Result<IssuedToken, AppError> {
    let user = login(state, email, password_typed, client_ip).await?;
    create_api_token(state, &user, name).await
}

/// The user behind a bearer token, and the token's id, when it is current.
pub async fn user_for_api_token(db: &Db, token: &str) -> Result<Option<(AuthUser, i64)>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let found = db
        .read(move |c| {
            let row: Option<ApiToken> = api_tokens::table
                .filter(api_tokens::token_hash.eq(&hash))
                .filter(api_tokens::revoked_at.is_null())
                .select(ApiToken::as_select())
                .first(c)
                .optional()?;
            let Some(row) = row else { return Ok(None) };
            Ok(auth_user(c, row.user_id)?
                .filter(|u| u.session_epoch == row.session_epoch)
                .map(|u| (u, row)))
        })
        .await?;
    let Some((user, row)) = found else { return Ok(None) };
    // Record use at most once a minute, so reads do not turn into writes.
    let stale = row
        .last_used_at
        .is_none_or(|t: NaiveDateTime| now() - t > chrono::TimeDelta::minutes(1));
    if stale {
        let id = row.id;
        db.write(move |c| {
            diesel::update(api_tokens::table.find(id))
                .set(api_tokens::last_used_at.eq(now()))
                .execute(c)?;
            Ok(())
        })
        .await?;
    }
    Ok(Some((user, row.id)))
}

/// A user's tokens, newest first (revoked ones included, marked).
pub async fn list_api_tokens(state: &AppState, user_id: i64) -> Result<Vec<ApiToken>, AppError> {
    state
        .db
        .read(move |c| {
            Ok(api_tokens::table
                .filter(api_tokens::user_id.eq(user_id))
                .order(api_tokens::id.desc())
                .select(ApiToken::as_select())
                .load(c)?)
        })
        .await
}

/// Revokes one of the user's own tokens.
pub async fn revoke_api_token(state: &AppState, user_id: i64, token_id: i64) -> Result<(), AppError> {
    let n = state
        .db
        .write(move |c| {
            Ok(diesel::update(
                api_tokens::table
                    .filter(api_tokens::id.eq(token_id))
                    .filter(api_tokens::user_id.eq(user_id))
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(now()))
            .execute(c)?)
        })
        .await?;
    if n == 0 { Err(AppError::NotFound) } else { Ok(()) }
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

/// An organization named by id or by name.
#[derive(Debug, Clone, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OrgRef {
    Id(i64),
    Name(String),
}

/// The id of the organization `named`, or a 422 on `organization` saying none exists.
pub fn find_organization(c: &mut AnyConnection, named: &OrgRef) -> Result<i64, AppError> {
    let found: Option<i64> = match named {
        OrgRef::Id(id) => organizations::table
            .find(*id)
            .select(organizations::id)
            .first(c)
            .optional()?,
        OrgRef::Name(name) => organizations::table
            .filter(organizations::name.eq(name.trim()))
            .select(organizations::id)
            .first(c)
            .optional()?,
    };
    found.ok_or_else(|| {
        let which = match named {
            OrgRef::Id(id) => format!("with id {id}"),
            OrgRef::Name(name) => format!("named '{}'", name.trim()),
        };
        AppError::field("organization", format!("There is no organization {which}."))
    })
}

/// An organization by id or name; a new name becomes an approved organization that
/// owns `domain`, unless another organization owns it already.
fn find_or_create_org(c: &mut AnyConnection, name_or_id: &str, domain: &str) -> Result<i64, AppError> {
    let named = match name_or_id.parse::<i64>() {
        Ok(id) => OrgRef::Id(id),
        Err(_) => OrgRef::Name(name_or_id.to_string()),
    };
    match (find_organization(c, &named), &named) {
        (Ok(id), _) => return Ok(id),
        // A number names an existing organization; a new name makes one.
        (Err(e), OrgRef::Id(_)) => return Err(e),
        (Err(_), OrgRef::Name(_)) => {}
    }
    let owned: i64 = organization_domains::table
        .filter(organization_domains::domain.eq(domain))
        .count()
        .get_result(c)?;
    let domain_list = if owned == 0 {
        vec![domain.to_string()]
    } else {
        Vec::new()
    };
    Ok(create_organization(c, name_or_id, "approved", &domain_list)?.id)
}
