//! Support plans: the list, a plan's form (new or existing), and an organization's
//! support terms (plan, calendar, success manager, partner).

use super::*;
use crate::portal::calendar::CalendarForm;
use crate::portal::plans::{self, OrganizationSupport, PlanInput, PlanResource, TargetInput};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A plan as its form posts it: amounts as typed, days and pauses as checkboxes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PlanForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    critical_amount: String,
    #[serde(default)]
    critical_unit: String,
    #[serde(default)]
    high_amount: String,
    #[serde(default)]
    high_unit: String,
    #[serde(default)]
    normal_amount: String,
    #[serde(default)]
    normal_unit: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    day_mon: Option<String>,
    day_tue: Option<String>,
    day_wed: Option<String>,
    day_thu: Option<String>,
    day_fri: Option<String>,
    day_sat: Option<String>,
    day_sun: Option<String>,
    #[serde(default)]
    holidays: String,
    pause_customer_pending: Option<String>,
    pause_awaiting_authorization: Option<String>,
    pause_meeting_scheduled: Option<String>,
    escalation: Option<String>,
    #[serde(default)]
    hotline: String,
}

impl PlanForm {
    fn of(p: &PlanInput) -> Self {
        let on = |b: bool| b.then(|| "on".to_string());
        let day = |d: &str| on(p.calendar.days.split(',').any(|x| x.trim() == d));
        let pause = |s: &str| on(p.pauses.iter().any(|x| x == s));
        Self {
            name: p.name.clone(),
            critical_amount: p.critical.amount.to_string(),
            critical_unit: p.critical.unit.clone(),
            high_amount: p.high.amount.to_string(),
            high_unit: p.high.unit.clone(),
            normal_amount: p.normal.amount.to_string(),
            normal_unit: p.normal.unit.clone(),
            zone: p.calendar.zone.clone(),
            opens: p.calendar.opens.clone(),
            closes: p.calendar.closes.clone(),
            day_mon: day("mon"),
            day_tue: day("tue"),
            day_wed: day("wed"),
            day_thu: day("thu"),
            day_fri: day("fri"),
            day_sat: day("sat"),
            day_sun: day("sun"),
            holidays: p.calendar.holidays.clone(),
            pause_customer_pending: pause("customer_pending"),
            pause_awaiting_authorization: pause("awaiting_authorization"),
            pause_meeting_scheduled: pause("meeting_scheduled"),
            escalation: on(p.escalation),
            hotline: p.hotline.clone(),
        }
    }

    fn input(&self) -> PlanInput {
        // A number that does not parse is 0, which the service refuses with the range.
        let target = |amount: &str, unit: &str| TargetInput {
            amount: amount.trim().parse().unwrap_or(0),
            unit: unit.into(),
        };
        let days = [
            &self.day_mon,
            &self.day_tue,
            &self.day_wed,
            &self.day_thu,
            &self.day_fri,
            &self.day_sat,
            &self.day_sun,
        ];
        let pauses = [
            (&self.pause_customer_pending, "customer_pending"),
            (&self.pause_awaiting_authorization, "awaiting_authorization"),
            (&self.pause_meeting_scheduled, "meeting_scheduled"),
        ];
        PlanInput {
            name: self.name.clone(),
            critical: target(&self.critical_amount, &self.critical_unit),
            high: target(&self.high_amount, &self.high_unit),
            normal: target(&self.normal_amount, &self.normal_unit),
            calendar: CalendarForm {
                zone: self.zone.clone(),
                opens: self.opens.clone(),
                closes: self.closes.clone(),
                days: DAYS
                    .iter()
                    .zip(days)
                    .filter(|(_, on)| on.is_some())
                    .map(|(d, _)| *d)
                    .collect::<Vec<_>>()
                    .join(","),
                holidays: self.holidays.clone(),
            },
            pauses: pauses
                .iter()
                .filter(|(on, _)| on.is_some())
                .map(|(_, s)| s.to_string())
                .collect(),
            escalation: self.escalation.is_some(),
            hotline: self.hotline.clone(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct PlansPage {
    plans: Vec<PlanResource>,
}

pub(super) async fn plans_list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    me.require_admin()?;
    let plans = plans::list(&state.db, &me).await?;
    ctx.render("admin/plans.html", &PlansPage { plans })
}

#[derive(Serialize)]
pub(super) struct PlanPage {
    /// None: a new plan.
    id: Option<i64>,
    organizations: i64,
    form: PlanForm,
    errors: FieldErrors,
}

fn plan_page(
    ctx: &PageCtx,
    id: Option<i64>,
    organizations: i64,
    form: PlanForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "admin/plan.html",
        &PlanPage {
            id,
            organizations,
            form,
            errors,
        },
    )
}

pub(super) async fn new_plan(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    me.require_admin()?;
    // A new plan starts as a copy of Standard, to be edited.
    let standard = plans::get(&state.db, &me, plans::STANDARD).await?;
    let mut form = PlanForm::of(&standard.plan);
    form.name = String::new();
    plan_page(&ctx, None, 0, form, FieldErrors::new())
}

pub(super) async fn create_plan(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match plans::create(&state.db, &me, form.input()).await {
        Ok(p) => Ok(see_other(&format!("/admin/plans/{}?notice=saved", p.id))),
        Err(AppError::Invalid { fields, .. }) => plan_page(&ctx, None, 0, form, fields),
        Err(e) => Err(e),
    }
}

pub(super) async fn plan(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    me.require_admin()?;
    let p = plans::get(&state.db, &me, id.into_inner()).await?;
    plan_page(
        &ctx,
        Some(p.id),
        p.organizations,
        PlanForm::of(&p.plan),
        FieldErrors::new(),
    )
}

pub(super) async fn update_plan(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    match plans::update(&state.db, &me, id, form.input()).await {
        Ok(_) => Ok(see_other(&format!("/admin/plans/{id}?notice=saved"))),
        Err(AppError::Invalid { fields, .. }) => {
            let p = plans::get(&state.db, &me, id).await?;
            plan_page(&ctx, Some(id), p.organizations, form, fields)
        }
        Err(e) => Err(e),
    }
}

/// An organization's support terms as its form posts them: ids as typed ("" is none).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct SupportForm {
    #[serde(default)]
    pub(super) plan_id: String,
    #[serde(default)]
    pub(super) time_zone: String,
    #[serde(default)]
    pub(super) holidays: String,
    #[serde(default)]
    pub(super) success_manager_id: String,
    #[serde(default)]
    pub(super) partner_id: String,
}

impl SupportForm {
    pub(super) fn of(s: &OrganizationSupport) -> Self {
        Self {
            plan_id: s.plan_id.to_string(),
            time_zone: s.time_zone.clone(),
            holidays: s.holidays.clone(),
            success_manager_id: s.success_manager_id.map(|i| i.to_string()).unwrap_or_default(),
            partner_id: s.partner_id.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    fn input(&self) -> OrganizationSupport {
        let id = |s: &str| s.trim().parse::<i64>().ok();
        OrganizationSupport {
            // Not a number: no plan has id 0, so the service names the field.
            plan_id: id(&self.plan_id).unwrap_or(0),
            time_zone: self.time_zone.clone(),
            holidays: self.holidays.clone(),
            success_manager_id: id(&self.success_manager_id),
            partner_id: id(&self.partner_id),
        }
    }
}

/// What the support form of an organization's page offers.
#[derive(Serialize)]
pub(super) struct SupportChoices {
    pub(super) plans: Vec<PlanResource>,
    pub(super) staff: Vec<(i64, String)>,
    pub(super) partners: Vec<crate::portal::partners::PartnerResource>,
}

pub(super) async fn support_choices(state: &AppState, me: &CurrentUser) -> Result<SupportChoices, AppError> {
    Ok(SupportChoices {
        plans: plans::list(&state.db, me).await?,
        staff: crate::portal::partners::staff_names(&state.db).await?,
        partners: crate::portal::partners::list(&state.db, me).await?,
    })
}

pub(super) async fn update_support(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<SupportForm>,
) -> Result<HttpResponse, AppError> {
    let (id, support) = (id.into_inner(), form.into_inner());
    match plans::set_organization_support(&state.db, &me, id, support.input()).await {
        Ok(_) => Ok(see_other(&format!("/admin/organizations/{id}?notice=saved"))),
        Err(AppError::Invalid { fields, .. }) => {
            let organization = service::get_organization(&state.db, &me, id).await?;
            let form = OrganizationForm {
                name: organization.name.clone(),
                domains: organization.domains.join("\n"),
            };
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/organization.html",
                &OrganizationPage {
                    organization,
                    form,
                    errors: FieldErrors::new(),
                    support,
                    support_errors: fields,
                    choices: support_choices(&state, &me).await?,
                },
            )
        }
        Err(e) => Err(e),
    }
}
