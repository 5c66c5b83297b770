//! Status pages: the public page and its feed, subscribing, confirming and
//! unsubscribing, and the staff page that reports incidents.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::service::{self, NewComponent, NewIncident, NewUpdate, StatusPage};
use super::subscriptions::{self, SubscribeInput};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/status", web::get().to(status))
        .route("/status.atom", web::get().to(feed))
        .route("/status/subscribe", web::post().to(subscribe))
        .route("/status/confirm", web::get().to(confirm))
        .route("/status/unsubscribe", web::get().to(unsubscribe_page))
        .route("/status/unsubscribe", web::post().to(unsubscribe))
        .route("/status/manage", web::get().to(manage))
        .route("/status/manage/incidents", web::post().to(open_incident))
        .route("/status/manage/incidents/{id}", web::post().to(add_update))
        .route("/status/manage/components", web::post().to(add_component))
        .route(
            "/status/manage/components/{slug}/delete",
            web::post().to(remove_component),
        );
}

/// A form body read as its pairs, in order: checkboxes repeat their name, which the
/// form extractor (one value per field) cannot take.
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn of(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, or empty.
    fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A subscription form as typed: the components are checkboxes.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct SubscribeForm {
    #[serde(default)]
    email: String,
}

#[derive(Serialize)]
struct Page {
    status: StatusPage,
    form: SubscribeForm,
    errors: FieldErrors,
    subscribed: bool,
}

async fn render(
    db: &Db,
    ctx: &PageCtx,
    form: SubscribeForm,
    errors: FieldErrors,
    subscribed: bool,
) -> Result<HttpResponse, AppError> {
    let status = service::page(db).await?;
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "status/index.html",
        &Page {
            status,
            form,
            errors,
            subscribed,
        },
    )
}

#[derive(Deserialize)]
struct Done {
    subscribed: Option<String>,
}

async fn status(
    state: web::Data<AppState>,
    ctx: PageCtx,
    q: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    render(
        &state.db,
        &ctx,
        SubscribeForm::default(),
        FieldErrors::new(),
        q.subscribed.is_some(),
    )
    .await
}

async fn feed(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(super::feed::feed(&state).await?))
}

async fn subscribe(
    state: web::Data<AppState>,
    ctx: PageCtx,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Pairs::of(&body);
    let email = form.one("email");
    let components = form.all("components");
    let ip = crate::web::client_ip(&req, state.settings.trust_proxy);
    let input = SubscribeInput {
        email: email.clone(),
        components,
    };
    match subscriptions::subscribe(
        &state.db,
        &state.mailing,
        &state.limiter,
        &state.templates,
        &state.postman,
        input,
        &ip,
    )
    .await
    {
        Ok(()) => Ok(see_other("/status?subscribed=1#subscribe")),
        Err(AppError::Invalid { fields, .. }) => {
            render(&state.db, &ctx, SubscribeForm { email }, fields, false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct Outcome {
    what: &'static str,
    token: String,
}

async fn confirm(
    state: web::Data<AppState>,
    ctx: PageCtx,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    subscriptions::confirm(&state.db, &q.token).await?;
    ctx.render(
        "status/outcome.html",
        &Outcome {
            what: "confirmed",
            token: String::new(),
        },
    )
}

async fn unsubscribe_page(ctx: PageCtx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    ctx.render(
        "status/outcome.html",
        &Outcome {
            what: "ask",
            token: q.into_inner().token,
        },
    )
}

async fn unsubscribe(
    state: web::Data<AppState>,
    ctx: PageCtx,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    subscriptions::unsubscribe(&state.db, &form.token).await?;
    ctx.render(
        "status/outcome.html",
        &Outcome {
            what: "unsubscribed",
            token: String::new(),
        },
    )
}

#[derive(Serialize)]
struct ManagePage {
    status: StatusPage,
    is_admin: bool,
    incident: NewIncident,
    update: NewUpdate,
    /// The incident whose update form came back with errors.
    failed: Option<i64>,
    component: Option<String>,
    errors: FieldErrors,
}

async fn manage_page(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: (NewIncident, NewUpdate, Option<i64>, Option<String>),
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_staff(user, "report incidents")?;
    let status = service::page(db).await?;
    let (incident, update, failed, component) = form;
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "status/manage.html",
        &ManagePage {
            status,
            is_admin: user.is_admin(),
            incident,
            update,
            failed,
            component,
            errors,
        },
    )
}

async fn manage(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let blank = (NewIncident::default(), NewUpdate::default(), None, None);
    manage_page(&state.db, &ctx, &user, blank, FieldErrors::new()).await
}

async fn open_incident(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Pairs::of(&body);
    let input = NewIncident {
        title: form.one("title"),
        kind: form.one("kind"),
        impact: form.one("impact"),
        components: form.all("components"),
        body: form.one("body"),
        starts_at: Some(form.one("starts_at")),
        ends_at: Some(form.one("ends_at")),
    };
    match service::open_incident(&state.db, &state.mailing, &user, input.clone()).await {
        Ok(i) => Ok(see_other(&format!(
            "/status/manage?notice=saved#incident-{}",
            i.id
        ))),
        Err(AppError::Invalid { fields, .. }) => {
            manage_page(
                &state.db,
                &ctx,
                &user,
                (input, NewUpdate::default(), None, None),
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn add_update(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<NewUpdate>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    match service::add_update(&state, &user, id, form.clone()).await {
        Ok(_) => Ok(see_other(&format!("/status/manage?notice=saved#incident-{id}"))),
        Err(AppError::Invalid { fields, .. }) => {
            manage_page(
                &state.db,
                &ctx,
                &user,
                (NewIncident::default(), form, Some(id), None),
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn add_component(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<NewComponent>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::add_component(&state.db, &user, form.clone()).await {
        Ok(_) => Ok(see_other("/status/manage?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let blank = (
                NewIncident::default(),
                NewUpdate::default(),
                None,
                Some(form.name),
            );
            manage_page(&state.db, &ctx, &user, blank, fields).await
        }
        Err(e) => Err(e),
    }
}

async fn remove_component(
    state: web::Data<AppState>,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    service::remove_component(&state.db, &user, slug.into_inner()).await?;
    Ok(see_other("/status/manage?notice=saved"))
}
