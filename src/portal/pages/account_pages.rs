//! Escalating a case (its form), the escalations queue, the account team's queue of
//! contact requests and members, and a member's request to become a contact.

use super::*;
use crate::portal::case_escalation::{self, CaseEscalationInput};
use crate::portal::contacts::{self, RequestInput};

#[derive(Serialize)]
pub(super) struct EscalatePage {
    ticket: TicketView,
    form: CaseEscalationInput,
    errors: FieldErrors,
}

async fn escalate_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    form: CaseEscalationInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ticket = tickets::get(&state.db, user, id).await?;
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "portal/escalate_case.html",
        &EscalatePage { ticket, form, errors },
    )
}

pub(super) async fn escalate_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    escalate_page(
        &state,
        &ctx,
        &user,
        id.into_inner(),
        CaseEscalationInput::default(),
        FieldErrors::new(),
    )
    .await
}

pub(super) async fn escalate(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<CaseEscalationInput>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    match case_escalation::escalate(&state.db, &state.mailing, &user, id, form.clone()).await {
        Ok(_) => Ok(see_other(&format!("/portal/tickets/{id}?notice=escalated"))),
        Err(AppError::Invalid { fields, .. }) => escalate_page(&state, &ctx, &user, id, form, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
pub(super) struct EscalationsPage {
    tickets: Vec<case_escalation::EscalatedTicket>,
}

pub(super) async fn escalations(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let tickets = case_escalation::queue(&state.db, &user).await?;
    ctx.render("portal/escalations.html", &EscalationsPage { tickets })
}

pub(super) async fn account_team(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let queue = contacts::queue(&state.db, &user).await?;
    ctx.render("portal/account_team.html", &queue)
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    decision: String,
}

pub(super) async fn decide_request(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let grant = match form.decision.as_str() {
        "grant" => true,
        "decline" => false,
        _ => return Err(AppError::field("decision", "Choose grant or decline.")),
    };
    contacts::decide(&state.db, &state.mailing, &user, id.into_inner(), grant).await?;
    Ok(see_other("/portal/account-team?notice=saved"))
}

#[derive(Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    authorized_contact: String,
}

pub(super) async fn set_member_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let on = match form.authorized_contact.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(AppError::field("authorized_contact", "Choose on or off.")),
    };
    contacts::set_contact(&state.db, &state.mailing, &user, id.into_inner(), on).await?;
    Ok(see_other("/portal/account-team?notice=saved"))
}

pub(super) async fn request_contact(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<RequestInput>,
) -> Result<HttpResponse, AppError> {
    contacts::request(&state.db, &state.mailing, &user, form.into_inner()).await?;
    Ok(see_other("/portal?notice=contact_requested"))
}
