//! Received mail that made no ticket, and turning a refused message into one.

use super::*;

#[derive(Serialize)]
pub(super) struct ReceivedPage {
    pub(super) messages: Vec<crate::portal::inbound::Received>,
    /// The customers a refused message may become a ticket for.
    pub(super) customers: Vec<crate::portal::tickets::Choice>,
    /// What went wrong making a ticket of a message, and which.
    pub(super) error: Option<MessageError>,
}

#[derive(Serialize)]
pub(super) struct MessageError {
    pub(super) id: i64,
    pub(super) message: String,
}

pub(super) async fn received_page(
    db: &Db,
    ctx: &PageCtx,
    me: &CurrentUser,
    error: Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let error = error.map(|(id, message)| MessageError { id, message });
    let messages = crate::portal::inbound::received(db, me).await?;
    let customers = crate::portal::tickets::choices(db, me).await?.organizations;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ReceivedPage {
        messages,
        customers,
        error,
    };
    ctx.render_status(status, "admin/inbound_mail.html", &page)
}

pub(super) async fn received_mail(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    received_page(&state.db, &ctx, &me, None).await
}

#[derive(Deserialize)]
pub(super) struct RefusedToTicketForm {
    #[serde(default)]
    pub(super) organization_id: String,
}

/// Makes a ticket of a refused message for the customer chosen beside it.
pub(super) async fn received_to_ticket(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RefusedToTicketForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    me.require_admin()?;
    let Ok(organization_id) = form.organization_id.trim().parse() else {
        let error = Some((id, "Choose the customer the ticket is for.".to_string()));
        return received_page(&state.db, &ctx, &me, error).await;
    };
    let input = crate::portal::inbound::RefusedToTicket { organization_id };
    match crate::portal::inbound::ticket_from_refused(
        &state.db,
        &state.mailing,
        &state.settings,
        &state.files,
        &me,
        id,
        input,
    )
    .await
    {
        Ok(ticket) => Ok(see_other(&format!("/portal/tickets/{ticket}"))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            received_page(&state.db, &ctx, &me, Some((id, e.in_one_line()))).await
        }
        Err(e) => Err(e),
    }
}
