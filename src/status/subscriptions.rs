//! Subscriptions to the status page by mail: anyone may subscribe to every component
//! or some; the address is confirmed by a mailed link before anything else is sent
//! (double opt-in); every update then comes by mail with a one-click unsubscribe.

use std::collections::HashSet;
use std::sync::Arc;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::service::{IncidentView, component_ids};
use crate::db::schema::{incident_components, status_subscription_components, status_subscriptions};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::mail::{Mail, mailbox};
use crate::outbox::Postman;
use crate::web::rate_limit::Limiter;
use crate::web::templates::Templates;
use crate::with_backend;

/// What a subscription form sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SubscribeInput {
    /// At most 254 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 254, format = Email)]
    pub email: String,
    /// Component slugs, at most 100; none means every component.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub components: Vec<String>,
}

#[derive(Serialize)]
struct ConfirmMail<'a> {
    link: String,
    components: &'a [String],
}

fn link(m: &MailContext, path: &str, token: &str) -> String {
    m.url(&format!("{path}?token={token}"))
}

/// Takes a subscription: a new address (or one not confirmed yet) gets the
/// confirmation link; a confirmed one has its components replaced. The answer is the
/// same either way, so the form tells nobody who is subscribed.
pub async fn subscribe(
    db: &Db,
    mailing: &MailContext,
    limiter: &Limiter,
    templates: &Arc<Templates>,
    postman: &Postman,
    input: SubscribeInput,
    client_ip: &str,
) -> Result<(), AppError> {
    let email = crate::accounts::domains::parse_email(&input.email)
        .map_err(|m| AppError::field("email", m))?
        .address;
    limiter
        .check(
            crate::web::rate_limit::Action::Signup,
            &[&format!("status-ip:{client_ip}"), &format!("status:{email}")],
        )
        .await?;
    let slugs = input.components.clone();
    let mailing = mailing.clone();
    let (confirmed, token, names) = db
        .write(move |c| {
            let ids = component_ids(c, &slugs)?;
            if let Some(unknown) = slugs.iter().find(|s| !ids.contains_key(*s)) {
                return Err(AppError::field(
                    "components",
                    format!("No component is called {unknown}."),
                ));
            }
            let existing: Option<(i64, String, Option<chrono::NaiveDateTime>)> = status_subscriptions::table
                .filter(status_subscriptions::email.eq(&email))
                .select((
                    status_subscriptions::id,
                    status_subscriptions::token,
                    status_subscriptions::confirmed_at,
                ))
                .first(c)
                .optional()?;
            let (id, token, confirmed) = match existing {
                Some((id, token, confirmed)) => (id, token, confirmed.is_some()),
                None => {
                    let token = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
                    let id: i64 = with_backend!(c, |c| diesel::insert_into(status_subscriptions::table)
                        .values((
                            status_subscriptions::email.eq(&email),
                            status_subscriptions::token.eq(&token),
                            status_subscriptions::all_components.eq(slugs.is_empty()),
                            status_subscriptions::created_at.eq(now()),
                        ))
                        .returning(status_subscriptions::id)
                        .get_result(c))?;
                    (id, token, false)
                }
            };
            diesel::update(status_subscriptions::table.find(id))
                .set(status_subscriptions::all_components.eq(slugs.is_empty()))
                .execute(c)?;
            diesel::delete(
                status_subscription_components::table
                    .filter(status_subscription_components::subscription_id.eq(id)),
            )
            .execute(c)?;
            for cid in ids.values() {
                diesel::insert_into(status_subscription_components::table)
                    .values((
                        status_subscription_components::subscription_id.eq(id),
                        status_subscription_components::component_id.eq(cid),
                    ))
                    .execute(c)?;
            }
            let mut names: Vec<String> = slugs.clone();
            names.sort();
            Ok((confirmed, token, names))
        })
        .await?;
    if confirmed {
        return Ok(());
    }
    let view = ConfirmMail {
        link: link(&mailing, "/status/confirm", &token),
        components: &names,
    };
    let to = mailbox("", &input.email.trim().to_lowercase())
        .map_err(|_| AppError::field("email", "Enter a valid address."))?;
    let mail = Mail::from_templates(templates, "status_confirm", to, &view).map_err(AppError::Internal)?;
    let key = format!("status-confirm:{token}:{}", chrono::Utc::now().timestamp_micros());
    postman.send_now(key, mail).await
}

/// Confirms a subscription from its mailed link.
pub async fn confirm(db: &Db, token: &str) -> Result<(), AppError> {
    let token = token.to_string();
    db.write(move |c| {
        let n = diesel::update(status_subscriptions::table.filter(status_subscriptions::token.eq(&token)))
            .set(status_subscriptions::confirmed_at.eq(Some(now())))
            .execute(c)?;
        if n == 0 {
            return Err(AppError::BadRequest(
                "This link is not valid any more: subscribe again on the status page.".into(),
            ));
        }
        Ok(())
    })
    .await
}

/// Ends a subscription (the link in every mail). A link already used is a no-op.
pub async fn unsubscribe(db: &Db, token: &str) -> Result<(), AppError> {
    if token.trim().is_empty() {
        return Err(AppError::field(
            "token",
            "The link has no token; use the link in the mail.",
        ));
    }
    let token = token.to_string();
    db.write(move |c| {
        diesel::delete(status_subscriptions::table.filter(status_subscriptions::token.eq(&token)))
            .execute(c)?;
        Ok(())
    })
    .await
}

#[derive(Serialize)]
struct UpdateMail<'a> {
    incident: &'a IncidentView,
    state: &'a str,
    body: &'a str,
    page: String,
    unsubscribe: String,
}

/// Queues an incident update for every confirmed subscriber of its components, in
/// the update's transaction.
pub fn mail_update(
    c: &mut AnyConnection,
    m: &MailContext,
    incident: &IncidentView,
    update_id: i64,
    state: &str,
    body: &str,
) -> Result<(), AppError> {
    let touched: HashSet<i64> = incident_components::table
        .filter(incident_components::incident_id.eq(incident.id))
        .select(incident_components::component_id)
        .load::<i64>(c)?
        .into_iter()
        .collect();
    let subs: Vec<(i64, String, String, bool)> = status_subscriptions::table
        .filter(status_subscriptions::confirmed_at.is_not_null())
        .select((
            status_subscriptions::id,
            status_subscriptions::email,
            status_subscriptions::token,
            status_subscriptions::all_components,
        ))
        .load(c)?;
    let chosen: Vec<(i64, i64)> = status_subscription_components::table
        .select((
            status_subscription_components::subscription_id,
            status_subscription_components::component_id,
        ))
        .load(c)?;
    let page = m
        .base_url
        .join("/status")
        .map(|u| u.to_string())
        .unwrap_or_default();
    for (id, email, token, all) in subs {
        let wants = all || chosen.iter().any(|(s, comp)| *s == id && touched.contains(comp));
        if !wants {
            continue;
        }
        let Ok(to) = mailbox("", &email) else { continue };
        let view = UpdateMail {
            incident,
            state,
            body,
            page: page.clone(),
            unsubscribe: link(m, "/status/unsubscribe", &token),
        };
        let mut mail =
            Mail::from_templates(&m.templates, "status_update", to, &view).map_err(AppError::Internal)?;
        mail.list_unsubscribe = Some(link(m, "/api/v1/status/unsubscribe", &token));
        crate::outbox::enqueue(c, &format!("status-update:{update_id}:{id}"), &mail)?;
    }
    Ok(())
}
