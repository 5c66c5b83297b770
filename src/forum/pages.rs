//! Forum pages: the category index, topic lists, topic pages, and the forms to write,
//! edit, vote and accept. Every form works without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::cache;
use super::categories::{self, CategoryView, kind_of};
use super::ideas::{self, IdeaView, StatusChange};
use super::posts::{self, History, PostEdit};
use super::reading::ReaderPage;
use super::topics::{self, Moderation, TopicInput, TopicList, TopicQuery};
use super::views::{PostView, TopicCard};
use crate::app::AppState;
use crate::db::models::{Category, Download};
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Topic pages first: they are read most (see `server::routes`). A route's method is
    // part of its match, so the GET pattern does not hide the POST routes below.
    cfg.route("/t/{id}/{slug}", web::get().to(topic))
        .route("/", web::get().to(index))
        .route("/c/{slug}", web::get().to(category))
        .route("/c/{slug}/new", web::get().to(new_topic_form))
        .route("/c/{slug}/new", web::post().to(create_topic))
        .route("/t/{id}", web::get().to(topic_short))
        .route("/t/{id}/reply", web::post().to(reply))
        .route("/t/{id}/moderate", web::post().to(moderate))
        .route("/p/{id}/edit", web::get().to(edit_form))
        .route("/p/{id}/edit", web::post().to(edit))
        .route("/p/{id}/delete", web::post().to(delete))
        .route("/p/{id}/vote", web::post().to(vote))
        .route("/p/{id}/accept", web::post().to(accept))
        .route("/p/{id}/unaccept", web::post().to(unaccept))
        .route("/p/{id}/history", web::get().to(history))
        .route("/t/{id}/vote", web::post().to(vote_idea))
        .route("/t/{id}/status", web::post().to(set_status))
        .route("/t/{id}/merge", web::post().to(merge_idea))
        .route("/roadmap", web::get().to(roadmap))
        .route("/u/{username}", web::get().to(profile))
        .route("/t/{id}/downloads", web::post().to(add_download))
        .route("/downloads/{id}/delete", web::post().to(remove_download))
        .route("/files/{sha256}/{name}", web::get().to(file))
        .route("/releases.atom", web::get().to(feed_all))
        .route("/p/{id}/flag", web::get().to(flag_form))
        .route("/p/{id}/flag", web::post().to(flag))
        .route("/review", web::get().to(review))
        .route("/t/{id}/attach", web::post().to(attach))
        .route("/review/{post_id}", web::post().to(decide))
        .route("/releases/{product}.atom", web::get().to(feed_product));
}

#[derive(Serialize)]
struct IndexPage {
    can_read: bool,
    categories: Vec<CategoryView>,
}

async fn index(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let can_read = user.can_read_community();
    let categories = if can_read {
        categories::index(&state, &user).await?
    } else {
        Vec::new()
    };
    ctx.render("forum/index.html", &IndexPage { can_read, categories })
}

#[derive(Serialize)]
struct CategoryPage {
    category: Category,
    kind: super::Kind,
    list: TopicList,
    query: TopicQuery,
    can_post: bool,
}

async fn category(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    super::require_read(&user)?;
    let slug = slug.into_inner();
    let lookup = slug.clone();
    let category = state.db.read(move |c| categories::by_slug(c, &lookup)).await?;
    let kind = kind_of(&category);
    let mut query = query.into_inner();
    query.category = Some(slug);
    // Releases read newest first unless the reader picks another order.
    if kind == super::Kind::Releases && query.sort.as_deref().is_none_or(str::is_empty) {
        query.sort = Some("newest".into());
    }
    let list = topics::list(&state, &user, query.clone()).await?;
    let can_post = user.can_post() && (kind != super::Kind::Releases || user.is_staff());
    ctx.render(
        "forum/category.html",
        &CategoryPage {
            category,
            kind,
            list,
            query,
            can_post,
        },
    )
}

#[derive(Serialize)]
struct NewTopicPage {
    category: Category,
    kind: super::Kind,
    form: TopicInput,
    errors: FieldErrors,
}

pub(crate) async fn new_topic_page(
    state: &AppState,
    ctx: &PageCtx,
    slug: String,
    status: StatusCode,
    form: TopicInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let category = state.db.read(move |c| categories::by_slug(c, &slug)).await?;
    let kind = kind_of(&category);
    ctx.render_status(
        status,
        "forum/new_topic.html",
        &NewTopicPage {
            category,
            kind,
            form,
            errors,
        },
    )
}

async fn new_topic_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    super::require_post(&user)?;
    new_topic_page(
        &state,
        &ctx,
        slug.into_inner(),
        StatusCode::OK,
        TopicInput::default(),
        FieldErrors::new(),
    )
    .await
}

async fn create_topic(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<TopicInput>,
) -> Result<HttpResponse, AppError> {
    let mut input = form.into_inner();
    input.category = slug.into_inner();
    match topics::create(&state, &user, input.clone()).await {
        Ok(created) => Ok(see_other(&format!("/t/{}/{}", created.id, created.slug))),
        Err(AppError::Invalid { fields, .. }) => {
            let slug = input.category.clone();
            new_topic_page(
                &state,
                &ctx,
                slug,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
    /// A post to quote in the reply box.
    quote: Option<i64>,
}

/// `/t/{id}`: the same page at its full address.
async fn topic_short(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let slug = posts::topic_slug(&state, &user, id).await?;
    let query = req.query_string();
    let sep = if query.is_empty() { "" } else { "?" };
    Ok(see_other(&format!("/t/{id}/{slug}{sep}{query}")))
}

/// What the topic template gets: the page's own parts, and its posts already rendered.
#[derive(Serialize)]
struct TopicView<'a> {
    topic: &'a TopicCard,
    idea: &'a Option<IdeaView>,
    downloads: &'a [Download],
    links: &'a [crate::portal::links::LinkView],
    page: i64,
    pages: i64,
    can_reply: bool,
    can_moderate: bool,
    opening_html: String,
    accepted_html: Option<String>,
    replies_html: &'static str,
    similar: &'a [crate::search::service::SuggestionView],
    reply: String,
    errors: FieldErrors,
    categories: Vec<CategoryView>,
}

#[derive(Serialize)]
struct PostFragment<'a> {
    p: &'a PostView,
    csrf_token: &'a str,
    label: &'a str,
}

/// A post as HTML for this reader: rendered once per post, topic state and set of
/// buttons (see `forum::cache`).
fn post_fragment(
    state: &AppState,
    staff: bool,
    page: &ReaderPage,
    i: usize,
    accepted_label: bool,
) -> Result<std::sync::Arc<cache::Fragment>, AppError> {
    let post = &page.data.posts[i].0;
    let key = (
        post.id,
        page.data.generation,
        cache::reader_bits(&page.mine[i], staff),
        accepted_label as u8,
    );
    state.topic_cache.fragment(key, || {
        state.templates.render(
            "forum/post.html",
            &PostFragment {
                p: &page.post(i),
                csrf_token: cache::CSRF_PLACEHOLDER,
                label: if accepted_label { "accepted" } else { "" },
            },
        )
    })
}

/// A reply being written: what was typed, and what to fix.
#[derive(Default)]
struct Draft {
    body: String,
    errors: FieldErrors,
}

async fn topic_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    (id, page): (i64, i64),
    status: StatusCode,
    draft: Draft,
) -> Result<HttpResponse, AppError> {
    let page = super::reading::reader_page(state, user, id, page).await?;
    let data = &page.data;
    let staff = user.is_staff();
    let opening = page.opening()?;
    let accepted = page.accepted();
    let bits = |i: Option<usize>| i.map_or(0, |i| cache::reader_bits(&page.mine[i], staff));
    let key = (
        data.generation,
        staff,
        page.can_reply,
        user.verified,
        page.idea.as_ref().is_some_and(|i| i.voted),
        bits(Some(opening)),
        bits(accepted),
    );
    let render_body = async || -> Result<(String, usize), AppError> {
        // Staff move topics between categories: they need the list.
        let categories = if page.can_moderate {
            categories::index(state, user).await?
        } else {
            Vec::new()
        };
        let similar = crate::search::service::similar(state, data.topic.id, &data.topic.title).await;
        let post = |i: usize, label: bool| -> Result<String, AppError> {
            let fragment = post_fragment(state, staff, &page, i, label)?;
            let mut html = String::with_capacity(fragment.len_with(cache::CSRF_PLACEHOLDER.len()));
            fragment.write(cache::CSRF_PLACEHOLDER, &mut html);
            Ok(html)
        };
        let html = ctx.render_string_with_token(
            "forum/topic_body.html",
            &TopicView {
                topic: &data.topic,
                idea: &page.idea,
                downloads: &data.downloads,
                links: &data.links,
                page: data.page,
                pages: data.pages,
                can_reply: page.can_reply,
                can_moderate: page.can_moderate,
                opening_html: post(opening, false)?,
                accepted_html: accepted.map(|i| post(i, true)).transpose()?,
                replies_html: REPLIES_MARK,
                similar: &similar,
                reply: draft.body.clone(),
                errors: draft.errors.clone(),
                categories,
            },
            cache::CSRF_PLACEHOLDER,
        )?;
        let at = html.find(REPLIES_MARK).unwrap_or(html.len());
        let html = html.replacen(REPLIES_MARK, "", 1);
        Ok((html, at))
    };
    // A reply sent back to fix is this reader's alone: rendered, never kept.
    let keep = draft.body.is_empty() && draft.errors.is_empty();
    let body = match state.topic_cache.body(&key).filter(|_| keep) {
        Some(body) => body,
        None => {
            let (html, at) = render_body().await?;
            let body = std::sync::Arc::new(cache::Body::new(&html, at));
            if keep {
                state.topic_cache.keep_body(key, body.clone());
            }
            body
        }
    };
    let replies = page
        .replies()
        .map(|i| post_fragment(state, staff, &page, i, false))
        .collect::<Result<Vec<_>, _>>()?;
    // The layout (header, notices) is rendered per request around a mark where the
    // body goes; the body and the replies are copied in once, with the reader's CSRF
    // token, and never pass through the template engine.
    // What this reader sees of an escalation: per request, as it depends on who reads.
    let escalation = match data.escalated_ticket {
        Some(t) => Some(
            crate::portal::escalate::banner(state, user, t, data.topic_user_id, data.topic_user_org).await?,
        ),
        None => None,
    };
    let can_escalate = data.is_question
        && data.escalated_ticket.is_none()
        && !data.deleted
        && (user.id == data.topic_user_id
            || crate::portal::escalate::may_file_for(user, data.topic_user_id, data.topic_user_org));
    let layout = ctx.render_string(
        "forum/topic.html",
        &TopicLayout {
            title: &data.topic.title,
            body_mark: BODY_MARK,
            topic_id: data.topic.id,
            escalation,
            can_escalate,
        },
    )?;
    let token = &ctx.csrf_token;
    let (head, foot) = layout.split_once(BODY_MARK).unwrap_or((&layout, ""));
    let size = head.len()
        + foot.len()
        + body.before.len_with(token.len())
        + body.after.len_with(token.len())
        + replies.iter().map(|f| f.len_with(token.len())).sum::<usize>();
    let mut html = String::with_capacity(size);
    html.push_str(head);
    body.before.write(token, &mut html);
    for fragment in &replies {
        fragment.write(token, &mut html);
    }
    body.after.write(token, &mut html);
    html.push_str(foot);
    Ok(crate::web::page::html_response(status, html))
}

/// The layout of a topic page: its title, and the mark where the body goes.
#[derive(Serialize)]
struct TopicLayout<'a> {
    title: &'a str,
    body_mark: &'static str,
    topic_id: i64,
    escalation: Option<crate::portal::escalate::Banner>,
    /// Staff, or the asker: the Escalate button (contacts file; others learn whom to ask).
    can_escalate: bool,
}

/// Where the body goes in a topic page's layout.
const BODY_MARK: &str = "<!--parley:body-->";

/// Where the replies go in a rendered topic page.
const REPLIES_MARK: &str = "<!--parley:replies-->";

async fn topic(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, _) = path.into_inner();
    let mut draft = Draft::default();
    if let Some(post_id) = query.quote {
        let (topic_id, text) = posts::quote(&state, &user, post_id).await?;
        if topic_id == id {
            draft.body = text;
        }
    }
    // With a quotation, the reply box is on the last page.
    let page = if query.quote.is_some() {
        i64::MAX
    } else {
        query.page.unwrap_or(1)
    };
    topic_page(&state, &ctx, &user, (id, page), StatusCode::OK, draft).await
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    body: String,
}

async fn reply(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match posts::reply(&state, &user, id, &form.body).await {
        Ok(r) => Ok(see_other(&posts::post_place(&r))),
        Err(AppError::Invalid { fields, .. }) => {
            // Back on the last page, where the reply form is, with what was typed.
            let draft = Draft {
                body: form.into_inner().body,
                errors: fields,
            };
            topic_page(
                &state,
                &ctx,
                &user,
                (id, i64::MAX),
                StatusCode::UNPROCESSABLE_ENTITY,
                draft,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ModerateForm {
    action: String,
    #[serde(default)]
    category: String,
}

async fn moderate(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ModerateForm>,
) -> Result<HttpResponse, AppError> {
    let action = match form.action.as_str() {
        "lock" => Moderation::Lock,
        "unlock" => Moderation::Unlock,
        "pin" => Moderation::Pin,
        "unpin" => Moderation::Unpin,
        "official" => Moderation::Official,
        "unofficial" => Moderation::Unofficial,
        "move" => Moderation::Move {
            category: form.category.clone(),
        },
        other => return Err(AppError::BadRequest(format!("'{other}' is not a topic action."))),
    };
    let id = id.into_inner();
    topics::moderate(&state, &user, id, action).await?;
    Ok(see_other(&format!("/t/{id}")))
}

#[derive(Serialize, Deserialize, Default)]
struct EditForm {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    body: String,
}

#[derive(Serialize)]
struct EditPage {
    post_id: i64,
    topic_id: i64,
    opening: bool,
    form: EditForm,
    errors: FieldErrors,
}

async fn edit_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let history = posts::history(&state, &user, id).await?;
    let page = topics::page(&state, &user, history.topic_id, 1).await?;
    let opening = page.opening.id == id;
    let form = EditForm {
        title: opening.then(|| page.topic.title.clone()),
        tags: opening.then(|| page.topic.tags.join(", ")),
        body: history.current,
    };
    ctx.render(
        "forum/edit.html",
        &EditPage {
            post_id: id,
            topic_id: history.topic_id,
            opening,
            form,
            errors: FieldErrors::new(),
        },
    )
}

async fn edit(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let change = PostEdit {
        body: Some(form.body.clone()),
        title: form.title.clone(),
        tags: form
            .tags
            .as_ref()
            .map(|t| t.split(',').map(str::to_string).collect()),
    };
    match posts::edit(&state, &user, id, change).await {
        Ok(r) => Ok(see_other(&posts::post_place(&r))),
        Err(AppError::Invalid { fields, .. }) => {
            let topic_id = posts::history(&state, &user, id).await?.topic_id;
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "forum/edit.html",
                &EditPage {
                    post_id: id,
                    topic_id,
                    opening: form.title.is_some(),
                    form,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let r = posts::delete(&state, &user, id.into_inner()).await?;
    Ok(see_other(&if r.number == 1 {
        "/".to_string()
    } else {
        posts::post_place(&r)
    }))
}

#[derive(Deserialize)]
struct VoteForm {
    value: i32,
}

async fn vote(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let voted = posts::vote(&state, &user, id, form.value).await?;
    Ok(see_other(&format!("/t/{}#post-{id}", voted.topic_id)))
}

/// Accepts (`accept = true`) or takes back an answer, then shows its topic.
async fn set_accepted(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    accept: bool,
) -> Result<HttpResponse, AppError> {
    let r = posts::accept(state, user, id, accept).await?;
    Ok(see_other(&format!("/t/{}", r.topic_id)))
}

async fn accept(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_accepted(&state, &user, id.into_inner(), true).await
}

async fn unaccept(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_accepted(&state, &user, id.into_inner(), false).await
}

async fn history(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let h: History = posts::history(&state, &user, id.into_inner()).await?;
    ctx.render("forum/history.html", &h)
}

async fn vote_idea(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::vote(&state, &user, id, form.value).await?;
    Ok(see_other(&format!("/t/{id}")))
}

async fn set_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<StatusChange>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::set_status(&state, &user, id, form.into_inner()).await?;
    Ok(see_other(&format!("/t/{id}")))
}

#[derive(Deserialize)]
struct MergeForm {
    #[serde(default)]
    into: String,
}

async fn merge_idea(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, AppError> {
    // Accept "123", "#123" or a pasted topic address.
    let into = form
        .into
        .trim()
        .trim_start_matches('#')
        .split("/t/")
        .last()
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::field(
                "into",
                "Give the number or the address of the idea to merge into.",
            )
        })?;
    ideas::merge(&state, &user, id.into_inner(), into).await?;
    Ok(see_other(&format!("/t/{into}")))
}

async fn roadmap(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let roadmap = ideas::roadmap(&state, &user).await?;
    ctx.render("forum/roadmap.html", &roadmap)
}

async fn profile(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let profile = super::profiles::profile(&state, &user, &name).await?;
    ctx.render("forum/profile.html", &profile)
}

async fn add_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    super::require_staff(&user, "add downloads to releases")?;
    let id = id.into_inner();
    let mut parts = state
        .files
        .read_form(form, super::releases::rules(&state))
        .await?
        .check()?;
    let (input, upload) = (parts.parse()?, parts.files.pop());
    super::releases::add(&state, &user, id, input, upload).await?;
    Ok(see_other(&format!("/t/{id}#downloads")))
}

async fn remove_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let topic_id = super::releases::remove(&state, &user, id.into_inner()).await?;
    Ok(see_other(&format!("/t/{topic_id}#downloads")))
}

/// `GET /files/{sha256}/{name}`: a stored file, to members who can read.
async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (sha256, asked) = path.into_inner();
    let name = super::releases::file_name(&state, &user, &sha256, &asked).await?;
    state.files.serve(&req, &sha256, &name).await
}

#[derive(Deserialize)]
struct FeedQuery {
    token: Option<String>,
}

/// Feeds are for signed-in members, API tokens (`?token=`, for feed readers), or anyone
/// when the operator makes them public.
async fn feed_access(
    state: &AppState,
    user: &crate::web::MaybeUser,
    token: Option<&str>,
) -> Result<(), AppError> {
    if state.settings.public_feeds {
        return Ok(());
    }
    if let Some(u) = &user.0 {
        return super::require_read(u);
    }
    if let Some(t) = token
        && let Some((u, _)) = crate::accounts::service::user_for_api_token(&state.db, t).await?
    {
        return super::require_read(&u);
    }
    Err(AppError::Unauthorized(
        "Sign in, or add ?token=<your API token> to the feed address in your feed reader.".into(),
    ))
}

async fn atom(state: &AppState, product: Option<String>) -> Result<HttpResponse, AppError> {
    let xml = super::releases::feed(state, product).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml))
}

async fn feed_all(
    state: web::Data<AppState>,
    user: crate::web::MaybeUser,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    feed_access(&state, &user, query.token.as_deref()).await?;
    atom(&state, None).await
}

async fn feed_product(
    state: web::Data<AppState>,
    user: crate::web::MaybeUser,
    product: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    feed_access(&state, &user, query.token.as_deref()).await?;
    atom(&state, Some(product.into_inner())).await
}

#[derive(Serialize)]
struct FlagPage {
    post_id: i64,
    topic_id: i64,
    excerpt: String,
    form: super::moderation::FlagInput,
    errors: FieldErrors,
}

async fn flag_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    form: super::moderation::FlagInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let history = posts::history(state, user, id).await?;
    let mut excerpt: String = history.current.chars().take(300).collect();
    if excerpt.len() < history.current.len() {
        excerpt.push('…');
    }
    ctx.render_status(
        status,
        "forum/flag.html",
        &FlagPage {
            post_id: id,
            topic_id: history.topic_id,
            excerpt,
            form,
            errors,
        },
    )
}

async fn flag_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let form = super::moderation::FlagInput::default();
    flag_page(&state, &ctx, &user, id.into_inner(), form, FieldErrors::new()).await
}

async fn flag(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<super::moderation::FlagInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    match super::moderation::flag(&state, &user, id, form.clone()).await {
        Ok(topic_id) => Ok(see_other(&format!("/t/{topic_id}?notice=flagged#post-{id}"))),
        Err(AppError::Invalid { fields, .. }) => flag_page(&state, &ctx, &user, id, form, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct ReviewPage {
    reviews: Vec<super::moderation::Review>,
}

async fn review(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let reviews = super::moderation::queue(&state, &user).await?;
    ctx.render("forum/review.html", &ReviewPage { reviews })
}

#[derive(Deserialize)]
struct DecisionForm {
    action: super::moderation::Decision,
}

async fn decide(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    super::moderation::decide(&state, &user, id.into_inner(), form.action).await?;
    Ok(see_other("/review?notice=saved"))
}

/// Without JavaScript: attaches a file and shows the topic again with the reply box
/// holding the markdown for it.
async fn attach(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    super::require_post(&user)?;
    // The whole reply form comes with the file, so the draft typed so far comes back
    // with the file's markdown after it.
    let parts = state.files.read_form(form, super::uploads::rules(&state)).await?;
    let typed = parts.fields.get("body").cloned().unwrap_or_default();
    let recorded = if parts.refused.is_empty() {
        super::uploads::record(&state, &user, parts.files.into_iter().next()).await
    } else {
        Err(AppError::fields(parts.refused))
    };
    let draft = match recorded {
        Ok(a) if typed.trim().is_empty() => Draft {
            body: format!("{}\n\n", a.markdown),
            errors: FieldErrors::new(),
        },
        Ok(a) => Draft {
            body: format!("{}\n\n{}\n", typed.trim_end(), a.markdown),
            errors: FieldErrors::new(),
        },
        Err(AppError::Invalid { fields, .. }) => Draft {
            body: typed,
            errors: fields,
        },
        Err(e) => return Err(e),
    };
    let status = crate::web::page::form_status(&draft.errors);
    topic_page(&state, &ctx, &user, (id, i64::MAX), status, draft).await
}
