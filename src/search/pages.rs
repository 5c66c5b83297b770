//! The search page, `/search`.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::service::{self, SearchParams, SearchResults};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/search", web::get().to(search));
}

#[derive(Serialize)]
struct SearchPage {
    params: SearchParams,
    results: Option<SearchResults>,
    errors: FieldErrors,
    /// The query string without `page`, for the pager and the category links.
    base: String,
    /// The same without `category`, for the category links.
    base_all: String,
}

fn query_string(p: &SearchParams, with_category: bool) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            q.append_pair(k, v);
        }
    };
    put("q", &Some(p.q.clone()));
    if with_category {
        put("category", &p.category);
    }
    put("tag", &p.tag);
    put("product", &p.product);
    put("solved", &p.solved);
    put("author", &p.author);
    put("since", &p.since);
    put("until", &p.until);
    q.finish()
}

async fn search(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let params = query.into_inner();
    let asked = !params.q.trim().is_empty() || params.tag.is_some() || params.author.is_some();
    let (results, errors, status) = if asked {
        match service::search(&state, &user, params.clone()).await {
            Ok(r) => (Some(r), FieldErrors::new(), actix_web::http::StatusCode::OK),
            Err(AppError::Invalid { fields, .. }) => {
                (None, fields, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return Err(e),
        }
    } else {
        crate::forum::require_read(&user)?;
        (None, FieldErrors::new(), actix_web::http::StatusCode::OK)
    };
    ctx.render_status(
        status,
        "search/results.html",
        &SearchPage {
            base: query_string(&params, true),
            base_all: query_string(&params, false),
            params,
            results,
            errors,
        },
    )
}
