//! The forum's JSON API under `/api/v1`.

use super::categories::{self, CategoryInput};
use super::ideas::{self, StatusChange};
use super::posts::{self, PostEdit};
use super::topics::{self, Moderation, TopicInput, TopicQuery};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

crate::api_routes! {
    get "/api/v1/categories" => list_categories,
    get "/api/v1/communities" => list_communities,
    post "/api/v1/admin/communities" => create_community,
    put "/api/v1/admin/communities/{id}" => update_community,
    get "/api/v1/site-links" => site_links,
    put "/api/v1/admin/site-links" => set_site_links,
    post "/api/v1/categories" => create_category,
    patch "/api/v1/categories/{slug}" => update_category,
    get "/api/v1/topics" => list_topics,
    post "/api/v1/topics" => create_topic,
    get "/api/v1/topics/{id}" => get_topic,
    patch "/api/v1/topics/{id}" => update_topic,
    delete "/api/v1/topics/{id}" => delete_topic,
    post "/api/v1/topics/{id}/posts" => create_post,
    post "/api/v1/topics/{id}/moderate" => moderate_topic,
    patch "/api/v1/posts/{id}" => update_post,
    delete "/api/v1/posts/{id}" => delete_post,
    get "/api/v1/posts/{id}/history" => post_history,
    put "/api/v1/posts/{id}/vote" => vote_post,
    post "/api/v1/posts/{id}/accept" => accept_post,
    delete "/api/v1/posts/{id}/accept" => unaccept_post,
    put "/api/v1/topics/{id}/vote" => vote_idea,
    put "/api/v1/topics/{id}/status" => set_status,
    post "/api/v1/topics/{id}/merge" => merge_idea,
    get "/api/v1/roadmap" => roadmap,
    get "/api/v1/users/{username}" => profile,
    post "/api/v1/topics/{id}/downloads" => add_download,
    delete "/api/v1/downloads/{id}" => remove_download,
    post "/api/v1/posts/{id}/flags" => flag_post,
    get "/api/v1/review" => review_queue,
    post "/api/v1/uploads" => upload,
    post "/api/v1/review/{post_id}" => review_decide,
    post "/api/v1/markdown/preview" => preview,
}

mod community_api;
mod idea_api;
mod post_api;
mod release_api;
mod review_api;
mod topic_api;

use community_api::*;
use idea_api::*;
use post_api::*;
use release_api::*;
use review_api::*;
use topic_api::*;
