//! Notification pages: the list, opening one, settings, watching a topic or a
//! category, and the unsubscribe link from mail.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::settings::{self, NotificationList, Settings};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::forum::posts::{Replied, post_place};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/read", web::post().to(read_all))
        .route("/notifications/settings", web::get().to(settings_page))
        .route("/notifications/settings", web::post().to(save_settings))
        .route("/notifications/products", web::post().to(follow_product))
        .route("/notifications/{id}/open", web::get().to(open))
        .route("/watch/t/{id}", web::get().to(topic_watch_page))
        .route("/watch/t/{id}", web::post().to(watch_topic))
        .route("/watch/c/{slug}", web::get().to(category_watch_page))
        .route("/watch/c/{slug}", web::post().to(watch_category))
        .route("/unsubscribe", web::get().to(unsubscribe_page))
        .route("/unsubscribe", web::post().to(unsubscribe));
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
}

async fn list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    q: web::Query<Before>,
) -> Result<HttpResponse, AppError> {
    let list: NotificationList = settings::list(&state.db, &user, q.before).await?;
    ctx.render("notify/list.html", &list)
}

async fn read_all(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    settings::mark_read(&state.db, &user, None).await?;
    Ok(see_other("/notifications"))
}

async fn open(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (topic_id, post_id) = settings::open(&state.db, &user, id.into_inner()).await?;
    let to = match post_id {
        Some(p) => {
            let number = crate::forum::posts::number_of(&state.db, p).await?;
            post_place(&Replied {
                id: p,
                topic_id,
                number,
            })
        }
        None => format!("/t/{topic_id}"),
    };
    Ok(see_other(&to))
}

#[derive(Serialize)]
struct SettingsPage {
    settings: Settings,
    errors: FieldErrors,
}

async fn settings_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let settings = settings::settings(&state.db, &user).await?;
    ctx.render(
        "notify/settings.html",
        &SettingsPage {
            settings,
            errors: FieldErrors::new(),
        },
    )
}

async fn save_settings(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<settings::EmailChoice>,
) -> Result<HttpResponse, AppError> {
    match settings::set_email(&state.db, &user, &form.email).await {
        Ok(()) => Ok(see_other("/notifications/settings?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let settings = settings::settings(&state.db, &user).await?;
            ctx.render_status(
                crate::web::page::form_status(&fields),
                "notify/settings.html",
                &SettingsPage {
                    settings,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ProductForm {
    #[serde(default)]
    product: String,
    #[serde(default)]
    following: String,
}

async fn follow_product(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AppError> {
    settings::follow_product(&state.db, &user, &form.product, form.following == "yes").await?;
    Ok(see_other("/notifications/settings?notice=saved"))
}

#[derive(Serialize)]
struct TopicWatchPage {
    topic_id: i64,
    title: String,
    watching: bool,
}

async fn topic_watch_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let topic_id = id.into_inner();
    let title = crate::forum::posts::topic_title(&state.db, &user, topic_id).await?;
    let watching = settings::watches_topic(&state.db, &user, topic_id).await?;
    ctx.render(
        "notify/watch_topic.html",
        &TopicWatchPage {
            topic_id,
            title,
            watching,
        },
    )
}

#[derive(Deserialize)]
struct WatchForm {
    #[serde(default)]
    watching: String,
}

async fn watch_topic(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<WatchForm>,
) -> Result<HttpResponse, AppError> {
    let topic_id = id.into_inner();
    settings::watch_topic(&state.db, &user, topic_id, form.watching == "yes").await?;
    Ok(see_other(&format!("/t/{topic_id}?notice=saved")))
}

#[derive(Serialize)]
struct CategoryWatchPage {
    slug: String,
    name: String,
    level: String,
}

async fn category_watch_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_read(&user)?;
    let slug = slug.into_inner();
    let (name, level) = settings::category_level(&state.db, &user, &slug).await?;
    ctx.render(
        "notify/watch_category.html",
        &CategoryWatchPage { slug, name, level },
    )
}

#[derive(Deserialize)]
struct LevelForm {
    #[serde(default)]
    level: String,
}

async fn watch_category(
    state: web::Data<AppState>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<LevelForm>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    settings::watch_category(&state.db, &user, &slug, &form.level).await?;
    Ok(see_other(&format!("/c/{slug}?notice=saved")))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct UnsubscribePage {
    token: String,
    done: bool,
}

async fn unsubscribe_page(ctx: PageCtx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    ctx.render(
        "notify/unsubscribe.html",
        &UnsubscribePage {
            token: q.into_inner().token,
            done: false,
        },
    )
}

async fn unsubscribe(
    state: web::Data<AppState>,
    ctx: PageCtx,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    super::unsubscribe(&state.db, &state.keys, &form.token).await?;
    ctx.render(
        "notify/unsubscribe.html",
        &UnsubscribePage {
            token: String::new(),
            done: true,
        },
    )
}
