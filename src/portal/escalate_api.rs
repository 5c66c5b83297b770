//! The escalation and links API: a question becomes a ticket; a solved ticket's
//! answer goes back to its question; staff link threads, tickets, ideas, releases and
//! articles.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::escalate;
use super::tickets::{self, TicketInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    post "/api/v1/topics/{id}/escalate" => escalate_topic,
    post "/api/v1/tickets/{id}/publish" => publish_solution,
    get "/api/v1/links" => list_links,
    post "/api/v1/links" => add_link,
    delete "/api/v1/links/{id}" => remove_link,
}

/// The fields of the ticket; any left out are filled in from the question (the
/// asker's organization, Normal, the title, the question quoted with a link back).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct EscalateInput {
    organization_id: Option<i64>,
    /// critical, high or normal (in any case).
    #[schema(pattern = "^([Cc][Rr][Ii][Tt][Ii][Cc][Aa][Ll]|[Hh][Ii][Gg][Hh]|[Nn][Oo][Rr][Mm][Aa][Ll])$")]
    priority: Option<String>,
    environment_id: Option<i64>,
    application_id: Option<i64>,
    keyword_id: Option<i64>,
    /// 5 to 200 characters (runs of spaces count as one).
    #[schema(min_length = 5, max_length = 200)]
    subject: Option<String>,
    /// Markdown, at least 10 characters, at most 50,000 bytes.
    #[schema(min_length = 10, max_length = 50000)]
    description: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/escalate",
    tag = "portal",
    summary = "Escalates a question to a ticket (its asker as an authorized contact, or staff), linked both ways. A second call returns the same ticket with 200.",
    params(("id" = i64, Path, description = "The question")),
    request_body(content = Option<EscalateInput>, description = "Fields to change from the draft; no body takes the draft as it is"),
    responses(
        (status = 201, description = "The new ticket", body = tickets::TicketView),
        (status = 200, description = "The ticket the question was already escalated to", body = tickets::TicketView)
    )
)]
async fn escalate_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let topic_id = id.into_inner();
    // No body (or `null`) takes the draft as it is; a body that does not fit is said
    // to be so, never silently taken as no body.
    let given: EscalateInput = match body.trim_ascii() {
        b"" | b"null" => EscalateInput::default(),
        json => serde_json::from_slice(json)
            .map_err(|e| AppError::BadRequest(format!("The JSON body does not fit: {e}")))?,
    };
    let (q, may) = escalate::who_may(&state.db, &user, topic_id).await?;
    let draft = escalate::draft(&state.settings, &q);
    let input = TicketInput {
        organization_id: given.organization_id.or(draft.organization_id),
        priority: given.priority.unwrap_or(draft.priority),
        environment_id: given.environment_id,
        application_id: given.application_id,
        keyword_id: given.keyword_id,
        subject: given.subject.unwrap_or(draft.subject),
        description: given.description.unwrap_or(draft.description),
        ..TicketInput::default()
    };
    let (filed, created) =
        escalate::escalate_checked(&state.db, &state.mailing, &user, &q, &may, input, Vec::new()).await?;
    let view = tickets::get(&state.db, &user, filed.id).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PublishInput {
    /// The answer as it will read in the question (at least 2 characters, at most
    /// 65,536 bytes); the latest public note by staff when left out.
    #[schema(min_length = 2, max_length = 65536)]
    body: Option<String>,
    /// Mark it as the accepted answer.
    #[serde(default)]
    accept: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/publish",
    tag = "portal",
    summary = "Publishes a solved ticket's solution to the question it was escalated from, as a reply by the staff member, optionally accepted (staff).",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = PublishInput,
    responses((status = 201, description = "The reply in the question", body = crate::forum::posts::Replied))
)]
async fn publish_solution(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PublishInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let text = match body.body {
        Some(b) => b,
        None => escalate::publishable(&state.db, &user, id).await?.solution,
    };
    let replied = escalate::publish(
        &state.db,
        &state.mailing,
        &state.limiter,
        &user,
        id,
        &text,
        body.accept,
    )
    .await?;
    Ok(HttpResponse::Created().json(replied))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LinkQuery {
    /// Whose links: a topic's or a ticket's.
    #[serde(default)]
    #[param(pattern = "^(topic|ticket)$")]
    kind: String,
    #[serde(default)]
    id: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/links",
    tag = "portal",
    summary = "Every link of a topic or a ticket, both ways (staff).",
    params(LinkQuery),
    responses((status = 200, description = "The links", body = Vec<super::links::LinkView>))
)]
async fn list_links(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    Ok(HttpResponse::Ok().json(super::links::of(&state.db, &user, q.kind, q.id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/links",
    tag = "portal",
    summary = "Links two things (staff): duplicate_of, fixed_in a release (an idea becomes Shipped and its voters hear of it; a ticket gets a note), answered_by an article.",
    request_body = super::links::NewLink,
    responses((status = 201, description = "The link", body = super::links::LinkView))
)]
async fn add_link(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<super::links::NewLink>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created()
        .json(super::links::add(&state.db, &state.mailing, &user, body.into_inner()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/links/{id}",
    tag = "portal",
    summary = "Removes a link (staff); an escalation stays.",
    params(("id" = i64, Path, description = "The link")),
    responses((status = 204, description = "Removed"))
)]
async fn remove_link(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::links::remove(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
