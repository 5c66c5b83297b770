//! Escalation pages: the confirmation form filled in from a question, the page that
//! names an organization's contacts, publishing a solution back, and an article
//! started from a solved ticket.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::escalate::{self, May};
use super::pages::{Escalating, ticket_form};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/escalate/t/{id}", web::get().to(escalate_form))
        .route("/escalate/t/{id}", web::post().to(escalate))
        .route("/portal/tickets/{id}/publish", web::get().to(publish_form))
        .route("/portal/tickets/{id}/publish", web::post().to(publish))
        .route("/portal/tickets/{id}/article", web::get().to(article));
}

#[derive(Serialize)]
struct AskPage {
    topic_id: i64,
    title: String,
    contacts: Vec<String>,
}

async fn escalate_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (q, may) = escalate::who_may(&state.db, &user, id.into_inner()).await?;
    match may {
        May::AskAContact { contacts } => ctx.render(
            "portal/escalate_ask.html",
            &AskPage {
                topic_id: q.topic_id,
                title: q.title,
                contacts,
            },
        ),
        May::Yes => match q.ticket_id {
            Some(t) => Ok(see_other(&format!(
                "/portal/tickets/{t}?notice=already_escalated"
            ))),
            None => {
                let form = escalate::draft(&state.settings, &q);
                let escalating = Escalating {
                    topic_id: q.topic_id,
                    title: q.title,
                };
                ticket_form(
                    &state.db,
                    &state.settings,
                    &ctx,
                    &user,
                    form,
                    FieldErrors::new(),
                    Some(escalating),
                )
                .await
            }
        },
    }
}

async fn escalate(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let topic_id = id.into_inner();
    let parts = crate::files::form_parts(
        &state.files,
        &req,
        payload,
        super::attachments::rules(&state.settings),
    )
    .await?;
    let input: super::tickets::TicketInput = parts.parse()?;
    let back = |input, errors| async {
        let (q, _) = escalate::who_may(&state.db, &user, topic_id).await?;
        let escalating = Escalating {
            topic_id: q.topic_id,
            title: q.title,
        };
        ticket_form(
            &state.db,
            &state.settings,
            &ctx,
            &user,
            input,
            errors,
            Some(escalating),
        )
        .await
    };
    if !parts.refused.is_empty() {
        return back(input, parts.refused.clone()).await;
    }
    match escalate::escalate(
        &state.db,
        &state.mailing,
        &user,
        topic_id,
        input.clone(),
        parts.files,
    )
    .await
    {
        Ok((filed, true)) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=ticket_filed",
            filed.id
        ))),
        Ok((filed, false)) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=already_escalated",
            filed.id
        ))),
        Err(AppError::Invalid { fields, .. }) => back(input, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct PublishPage {
    p: escalate::Publishable,
    body: String,
    accept: bool,
    errors: FieldErrors,
}

async fn publish_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let p = escalate::publishable(&state.db, &user, id.into_inner()).await?;
    let body = p.solution.clone();
    ctx.render(
        "portal/publish.html",
        &PublishPage {
            p,
            body,
            accept: true,
            errors: FieldErrors::new(),
        },
    )
}

#[derive(Deserialize)]
struct PublishForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    accept: Option<String>,
}

async fn publish(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<PublishForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let accept = form.accept.is_some();
    match escalate::publish(
        &state.db,
        &state.mailing,
        &state.limiter,
        &user,
        id,
        &form.body,
        accept,
    )
    .await
    {
        Ok(r) => Ok(see_other(&crate::forum::posts::post_place(&r))),
        Err(AppError::Invalid { fields, .. }) => {
            let p = escalate::publishable(&state.db, &user, id).await?;
            ctx.render_status(
                crate::web::page::form_status(&fields),
                "portal/publish.html",
                &PublishPage {
                    p,
                    body: form.body,
                    accept,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

/// A Knowledge Share article started from a solved ticket: the new-article form with
/// the problem and the solution filled in, for staff to edit before posting.
async fn article(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let draft = escalate::article_draft(&state.db, &user, id.into_inner()).await?;
    let form = crate::forum::topics::TopicInput {
        category: "knowledge".into(),
        title: draft.title,
        body: draft.body,
        ..Default::default()
    };
    crate::forum::pages::new_topic_page(
        &state.db,
        &ctx,
        "knowledge".into(),
        actix_web::http::StatusCode::OK,
        form,
        FieldErrors::new(),
    )
    .await
}
