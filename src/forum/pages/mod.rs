//! Forum pages: the category index, topic lists, topic pages, and the forms to write,
//! edit, vote and accept. Every form works without JavaScript.

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
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

mod browse;
mod compose;
mod downloads;
mod flags;
mod idea_forms;
mod post_forms;
mod topic;

use browse::*;
pub(crate) use compose::new_topic_page;
use compose::*;
use downloads::*;
use flags::*;
use idea_forms::*;
use post_forms::*;
use topic::*;

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
        .route("/releases/{product}.atom", web::get().to(feed_product))
        .route("/communities/{slug}", web::get().to(community))
        .route("/communities/{slug}/releases.atom", web::get().to(feed_community));
}
