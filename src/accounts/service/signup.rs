//! Signup with a company address: the form checked, the account opened.

use serde::Serialize;

use crate::accounts::Role;
use crate::accounts::domains::{self, Refusal};
use crate::accounts::password;
use crate::app::AppState;
use crate::db::models::NewUser;
use crate::db::now;
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;
use crate::web::rate_limit::Action;

use super::*;
use crate::accounts::domains::DomainLists;
use crate::config::Settings;

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

/// Checks the signup form, gathering every problem at once.
pub(super) fn check_signup(
    settings: &Settings,
    domain_lists: &DomainLists,
    input: &SignupInput,
) -> Result<(domains::Email, String), AppError> {
    let mut fields = FieldErrors::new();
    let email = domains::parse_email(&input.email)
        .map_err(|m| fields.entry("email".into()).or_default().push(m))
        .ok();
    if let Some(e) = &email {
        match domain_lists.refusal(&e.domain) {
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
    if let Err(m) = password::check_policy(&input.password, &input.email, settings.min_password_length) {
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
        .check(Action::Signup, &[&format!("ip:{client_ip}")])
        .await?;
    let (email, name) = check_signup(&state.settings, &state.domain_lists, &input)?;
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
