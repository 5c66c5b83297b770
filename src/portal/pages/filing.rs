//! Filing a ticket: the form (also reached from a thread's escalate action) and its post.

use super::*;
use crate::config::Settings;
use crate::db::Db;

#[derive(Serialize)]
pub(super) struct PriorityChoice {
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
pub(super) struct NewPage {
    /// The community question being escalated, when the form escalates one.
    escalating: Option<Escalating>,
    /// Incidents open now, shown above the form before anyone files.
    incidents: Vec<crate::status::service::IncidentView>,
    form: TicketInput,
    errors: FieldErrors,
    choices: tickets::FormChoices,
    priorities: Vec<PriorityChoice>,
    /// The reader's organization's plan and its targets (customers only).
    terms: Option<crate::portal::plans::FilingTerms>,
    /// The partner that supports the reader's organization, if one does.
    partner: Option<crate::portal::partners::PartnerResource>,
    max_files: usize,
    max_upload_mib: u64,
    /// This visit of the form, for the deflection report (`portal::deflection`).
    visit: String,
}

#[derive(Deserialize)]
pub(super) struct NewQuery {
    follows: Option<i64>,
}

/// The question a ticket form escalates.
#[derive(Serialize)]
pub(crate) struct Escalating {
    pub topic_id: i64,
    pub title: String,
}

pub(super) async fn new_page(
    db: &Db,
    settings: &Settings,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: TicketInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    ticket_form(db, settings, ctx, user, form, errors, None).await
}

/// The new-ticket form, or the escalation form of a question (the same fields).
pub(crate) async fn ticket_form(
    db: &Db,
    settings: &Settings,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: TicketInput,
    errors: FieldErrors,
    escalating: Option<Escalating>,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let choices = tickets::choices(db, user).await?;
    let priorities = [Priority::Critical, Priority::High, Priority::Normal]
        .into_iter()
        .map(|p| PriorityChoice {
            id: p.as_str(),
            name: match p {
                Priority::Critical => "Critical",
                Priority::High => "High",
                Priority::Normal => "Normal",
            },
        })
        .collect();
    ctx.render_status(
        status,
        "portal/new.html",
        &NewPage {
            escalating,
            incidents: crate::status::service::active(db).await?,
            form,
            errors,
            choices,
            priorities,
            terms: crate::portal::plans::filing_terms(db, user).await?,
            partner: crate::portal::partners::supporting(db, user).await?,
            max_files: attachments::MAX_FILES,
            max_upload_mib: settings.max_upload_bytes / (1024 * 1024),
            visit: crate::portal::deflection::token(),
        },
    )
}

pub(super) async fn new_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = TicketInput {
        priority: "normal".into(),
        follows_ticket_id: query.follows,
        ..TicketInput::default()
    };
    new_page(&state.db, &state.settings, &ctx, &user, form, FieldErrors::new()).await
}

/// The new-ticket form: "Submit" files it (with any files chosen), "Upload
/// Attachments and Submit" also insists on at least one file. A refused form comes back
/// filled in (files must be chosen again: a browser cannot be given them back).
pub(super) async fn create(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    crate::portal::access(&user)?;
    let parts =
        crate::files::form_parts(&state.files, &req, payload, attachments::rules(&state.settings)).await?;
    let input: TicketInput = parts.parse()?;
    let mut errors = parts.refused.clone();
    if parts.text("action") == "upload" && parts.files.is_empty() && errors.is_empty() {
        errors.insert(
            attachments::FIELD.into(),
            vec!["Choose the files to upload, or use Submit to file the ticket without any.".into()],
        );
    }
    if !errors.is_empty() {
        return new_page(&state.db, &state.settings, &ctx, &user, input, errors).await;
    }
    // A partner's customer: mailed to the partner (or refused with the way to go).
    if let Some(p) = crate::portal::partners::supporting(&state.db, &user).await?
        && p.partner.filing == "mail"
    {
        let sent = crate::portal::partners::forward(
            &state.db,
            &state.mailing,
            &state.limiter,
            &user,
            &input.subject,
            &input.description,
            &input.priority,
        )
        .await;
        return match sent {
            Ok(_) => Ok(see_other("/portal?notice=sent_to_partner")),
            Err(AppError::Invalid { fields, .. }) => {
                new_page(&state.db, &state.settings, &ctx, &user, input, fields).await
            }
            Err(e) => Err(e),
        };
    }
    match tickets::create(&state.db, &state.mailing, &user, input.clone(), parts.files).await {
        Ok(filed) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=ticket_filed",
            filed.id
        ))),
        Err(AppError::Invalid { fields, .. }) => {
            new_page(&state.db, &state.settings, &ctx, &user, input, fields).await
        }
        Err(e) => Err(e),
    }
}
