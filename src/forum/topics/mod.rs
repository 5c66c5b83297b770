//! Topics: starting one, listing them (filters, sorts, keyset pages), reading one with
//! its posts, and the staff actions on them (lock, pin, move, delete).

use super::categories::{by_slug, kind_of, with_children};
use super::views::{self, TopicCard, TopicRow, author_columns, category_columns};
use super::{Kind, check_body, check_title, outbox, require_post, require_read, require_staff, slugify};
use crate::db::locks::{Row, lock};
use crate::db::models::{Category, NewPost, NewTopic, Topic};
use crate::db::schema::{categories, posts, tags, topic_tags, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

mod input;
mod list;
mod staff;
mod start;

pub use input::*;
pub use list::*;
pub use staff::*;
pub use start::*;

pub use super::reading::{TopicPage, page};

/// Topics per list page.
pub const TOPICS_PER_PAGE: i64 = 30;

/// Replies per topic page.
pub const POSTS_PER_PAGE: i64 = 50;

/// Most tags on one topic.
pub const MAX_TAGS: usize = 5;
