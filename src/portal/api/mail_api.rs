//! Received mail through the API: the inbound webhook and the admins' list of kept mail.

use super::*;

#[utoipa::path(
    post,
    path = "/api/v1/inbound-mail",
    tag = "portal",
    summary = "Takes in one received message (the raw RFC 822 text), as a mail service's webhook: a ticket from a known sender, a note on the ticket it answers, or refused with a reason. Authenticated with `Authorization: Bearer <PARLEY_INBOUND_MAIL_TOKEN>`.",
    request_body(content = String, content_type = "message/rfc822", description = "The message as received"),
    responses((status = 200, description = "What became of it", body = inbound::Outcome)),
    security(())
)]
pub(super) async fn inbound_mail(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let sent = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    inbound::check_webhook_secret(&state.settings, sent)?;
    let raw = payload
        .to_bytes_limited(inbound::MAX_MESSAGE)
        .await
        .map_err(|_| AppError::TooLarge("The message is larger than 25 MiB.".into()))?
        .map_err(|e| AppError::BadRequest(format!("The message could not be read: {e}")))?;
    Ok(HttpResponse::Ok()
        .json(inbound::ingest(&state.db, &state.mailing, &state.settings, &state.files, &raw).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/inbound-mail/{id}/ticket",
    tag = "admin",
    summary = "Makes a ticket for a chosen customer of a refused message (staff).",
    description = "The ticket is filed by the caller, from \"email\", with the message's text (its sender named at the top) and attachments; the message's outcome becomes that ticket. A message that is not refused, or was not kept whole, is a 409 or 404.",
    params(("id" = i64, Path, description = "The received message")),
    request_body = inbound::RefusedToTicket,
    responses(
        (status = 201, description = "The ticket", body = tickets::TicketView),
        (status = 403, description = "Not staff"),
        (status = 404, description = "No refused message kept whole with this id"),
        (status = 409, description = "The message is a ticket already"),
        (status = 422, description = "No such customer")
    )
)]
pub(super) async fn received_to_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<inbound::RefusedToTicket>,
) -> Result<HttpResponse, AppError> {
    let ticket = inbound::ticket_from_refused(
        &state.db,
        &state.mailing,
        &state.settings,
        &state.files,
        &user,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(tickets::get(&state.db, &user, ticket).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/inbound-mail",
    tag = "admin",
    summary = "The last 200 messages received by mail, with what became of each (admins).",
    responses((status = 200, description = "Newest first", body = Vec<inbound::Received>))
)]
pub(super) async fn received_mail(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(inbound::received(&state.db, &user).await?))
}
