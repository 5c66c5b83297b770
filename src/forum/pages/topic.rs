//! A topic page, as a reader and as a replier: the cached layout, its posts for
//! this reader, the reply box and the moderators' switches.

use super::*;
use crate::forum::cache::TopicCache;
use crate::web::templates::Templates;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<i64>,
    /// A post to quote in the reply box.
    quote: Option<i64>,
    /// The ask or ticket form visit whose suggestion opened this thread.
    visit: Option<String>,
}

/// `/t/{id}`: the same page at its full address.
pub(super) async fn topic_short(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let slug = posts::topic_slug(&state.db, &user, id).await?;
    let query = req.query_string();
    let sep = if query.is_empty() { "" } else { "?" };
    Ok(see_other(&format!("/t/{id}/{slug}{sep}{query}")))
}

/// What the topic template gets: the page's own parts, and its posts already rendered.
#[derive(Serialize)]
pub(super) struct TopicView<'a> {
    topic: &'a TopicCard,
    idea: &'a Option<IdeaView>,
    downloads: &'a [Download],
    links: &'a [crate::portal::links::LinkView],
    page: i64,
    pages: i64,
    can_reply: bool,
    can_moderate: bool,
    /// Staff, or the asker: the Escalate action (contacts file; others learn whom to ask).
    can_escalate: bool,
    opening_html: String,
    /// The accepted answer in full, when it is not among this page's replies.
    accepted_html: Option<String>,
    /// The accepted answer among this page's replies: its id and author, for the link
    /// under the question.
    accepted_here: Option<(i64, &'a str)>,
    replies_html: &'static str,
    similar: &'a [crate::search::service::SuggestionView],
    reply: String,
    errors: FieldErrors,
    categories: Vec<CategoryView>,
}

#[derive(Serialize)]
pub(super) struct PostFragment<'a> {
    p: &'a PostView,
    csrf_token: &'a str,
    label: &'a str,
}

/// A post as HTML for this reader: rendered once per post, topic state and set of
/// buttons (see `forum::cache`).
pub(super) fn post_fragment(
    templates: &Arc<Templates>,
    topic_cache: &Arc<TopicCache>,
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
    topic_cache.fragment(key, || {
        templates.render(
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
pub(super) struct Draft {
    body: String,
    errors: FieldErrors,
    /// The reader's form visit that opened the thread: the page offers "This answered
    /// my question" for it.
    visit: Option<String>,
}

pub(super) async fn topic_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    (id, page): (i64, i64),
    status: StatusCode,
    draft: Draft,
) -> Result<HttpResponse, AppError> {
    let page = crate::forum::reading::reader_page(&state.db, &state.topic_cache, user, id, page).await?;
    let data = &page.data;
    let staff = user.is_staff();
    let opening = page.opening()?;
    let accepted = page.accepted();
    // Shown once: in place among the replies when it is on this page (the question
    // links to it), else in full under the question.
    let accepted_here = accepted.filter(|i| page.replies().any(|r| r == *i));
    // The escalate action is among the topic's own; it depends on who reads, so it is
    // part of the key the body is kept under.
    let can_escalate = data.is_question
        && data.escalated_ticket.is_none()
        && !data.deleted
        && (user.id == data.topic_user_id
            || crate::portal::escalate::may_file_for(user, data.topic_user_id, data.topic_user_org));
    let bits = |i: Option<usize>| i.map_or(0, |i| cache::reader_bits(&page.mine[i], staff));
    let key = (
        data.generation,
        staff,
        page.can_reply,
        user.verified,
        page.idea.as_ref().is_some_and(|i| i.voted),
        bits(Some(opening)),
        bits(accepted),
        can_escalate,
    );
    let render_body = async || -> Result<(String, usize), AppError> {
        // Staff move topics between categories: they need the list.
        let categories = if page.can_moderate {
            categories::index(&state.db, &state.category_index, user).await?
        } else {
            Vec::new()
        };
        let similar = crate::search::service::similar(&state.search, data.topic.id, &data.topic.title).await;
        let post = |i: usize, label: bool| -> Result<String, AppError> {
            let fragment = post_fragment(&state.templates, &state.topic_cache, staff, &page, i, label)?;
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
                can_escalate,
                opening_html: post(opening, false)?,
                accepted_html: accepted
                    .filter(|_| accepted_here.is_none())
                    .map(|i| post(i, true))
                    .transpose()?,
                accepted_here: accepted_here.map(|i| {
                    let p = &page.data.posts[i].0;
                    (p.id, p.author.display_name.as_str())
                }),
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
        .map(|i| {
            post_fragment(
                &state.templates,
                &state.topic_cache,
                staff,
                &page,
                i,
                Some(i) == accepted_here,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The layout (header, notices) is rendered per request around a mark where the
    // body goes; the body and the replies are copied in once, with the reader's CSRF
    // token, and never pass through the template engine.
    // What this reader sees of an escalation: per request, as it depends on who reads.
    let escalation = match data.escalated_ticket {
        Some(t) => Some(
            crate::portal::escalate::banner(&state.db, user, t, data.topic_user_id, data.topic_user_org)
                .await?,
        ),
        None => None,
    };
    let layout = ctx.render_string(
        "forum/topic.html",
        &TopicLayout {
            title: &data.topic.title,
            body_mark: BODY_MARK,
            topic_id: data.topic.id,
            escalation,
            visit: draft.visit.as_deref(),
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
pub(super) struct TopicLayout<'a> {
    title: &'a str,
    body_mark: &'static str,
    topic_id: i64,
    escalation: Option<crate::portal::escalate::Banner>,
    /// The reader's form visit that opened it, if one did.
    visit: Option<&'a str>,
}

/// Where the body goes in a topic page's layout.
pub(super) const BODY_MARK: &str = "<!--parley:body-->";

/// Where the replies go in a rendered topic page.
pub(super) const REPLIES_MARK: &str = "<!--parley:replies-->";

pub(super) async fn topic(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, _) = path.into_inner();
    let mut draft = Draft::default();
    if let Some(post_id) = query.quote {
        let (topic_id, text) = posts::quote(&state.db, &user, post_id).await?;
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
    // A suggestion from a form visit opened this thread: counted once the thread is
    // known to be the reader's to see (its page is built), and never at the page's cost.
    let visit = match query.visit.clone() {
        Some(v) if crate::portal::deflection::owns(&state.db, &user, &v).await? => Some(v),
        _ => None,
    };
    draft.visit = visit.clone();
    let shown = topic_page(&state, &ctx, &user, (id, page), StatusCode::OK, draft).await?;
    if let Some(visit) = visit {
        match crate::portal::deflection::record_open(&state.db, &user, &visit, id).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "recording an opened suggestion"),
        }
    }
    state.views.saw(id, user.id);
    Ok(shown)
}

#[derive(Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    body: String,
}

pub(super) async fn reply(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match posts::reply(&state.db, &state.mailing, &state.limiter, &user, id, &form.body).await {
        Ok(r) => Ok(see_other(&posts::post_place(&r))),
        Err(AppError::Invalid { fields, .. }) => {
            // Back on the last page, where the reply form is, with what was typed.
            let draft = Draft {
                body: form.into_inner().body,
                errors: fields,
                visit: None,
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
pub(super) struct ModerateForm {
    action: String,
    #[serde(default)]
    category: String,
}

pub(super) async fn moderate(
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
    topics::moderate(&state.db, &user, id, action).await?;
    Ok(see_other(&format!("/t/{id}")))
}

/// Without JavaScript: attaches a file and shows the topic again with the reply box
/// holding the markdown for it.
pub(super) async fn attach(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    crate::forum::require_post(&user)?;
    // The whole reply form comes with the file, so the draft typed so far comes back
    // with the file's markdown after it.
    let parts = state
        .files
        .read_form(form, crate::forum::uploads::rules(&state.settings))
        .await?;
    let typed = parts.fields.get("body").cloned().unwrap_or_default();
    let recorded = if parts.refused.is_empty() {
        crate::forum::uploads::record(&state.db, &state.limiter, &user, parts.files.into_iter().next()).await
    } else {
        Err(AppError::fields(parts.refused))
    };
    let draft = match recorded {
        Ok(a) if typed.trim().is_empty() => Draft {
            body: format!("{}\n\n", a.markdown),
            errors: FieldErrors::new(),
            visit: None,
        },
        Ok(a) => Draft {
            body: format!("{}\n\n{}\n", typed.trim_end(), a.markdown),
            errors: FieldErrors::new(),
            visit: None,
        },
        Err(AppError::Invalid { fields, .. }) => Draft {
            body: typed,
            errors: fields,
            visit: None,
        },
        Err(e) => return Err(e),
    };
    let status = crate::web::page::form_status(&draft.errors);
    topic_page(&state, &ctx, &user, (id, i64::MAX), status, draft).await
}
