//! The OpenAPI document of the JSON API, served at `/api/openapi.json`.
//!
//! Each API module declares its routes once with [`api_routes!`](crate::api_routes),
//! which mounts them, lists them in `ROUTES` and puts their handlers' `#[utoipa::path]`
//! descriptions in the module's part of the document. A test holds the document to
//! exactly the listed routes, so the two cannot drift apart.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response, ResponseBuilder};

/// Mounts a module's API routes, lists them as `ROUTES` and makes its `Doc`.
#[macro_export]
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:ident),* $(,)?) => {
        /// Mounts this module's API routes.
        pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.route($path, actix_web::web::$method().to($handler));)*
        }

        /// This module's API routes, as (method, path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// This module's part of the OpenAPI document.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),*))]
        pub struct Doc;
    };
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley API",
        description = "The community forum, search, support tickets and accounts of a Parley site. Authenticate with \
                       a bearer token (create one with POST /api/v1/auth/token or on the \
                       account page) or with the session cookie plus an X-CSRF-Token header \
                       on writes. Errors are RFC 9457 problem documents."
    ),
    components(schemas(crate::error::Problem)),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "accounts", description = "Signing up, tokens, who am I"),
        (name = "forum", description = "Categories, topics, posts, votes, ideas, releases, moderation"),
        (name = "portal", description = "Support tickets: filing, statuses, notes, priority, assignment"),
        (name = "search", description = "Full-text search and suggestions while typing"),
        (name = "admin", description = "Organizations, users, refused domains and team lists (admins)"),
        (name = "status", description = "The system status page: components, incidents, subscriptions"),
        (name = "notifications", description = "Notifications, watched topics and categories, followed products, mail settings"),
    )
)]
struct ApiDoc;

/// Adds the security schemes and, to every operation, the problem responses every
/// route can give.
struct Common;

impl utoipa::Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("parley_session"))),
        );
        let problem = |what: &str| -> RefOr<Response> {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/problem+json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        };
        let common = [
            ("400", "The request could not be read; `detail` says why."),
            ("401", "No valid token or session."),
            ("403", "Signed in, but not allowed to do this; `detail` says why."),
            ("404", "No such thing, or not visible to this user."),
            (
                "422",
                "A field is invalid; `errors` names each field and what to fix.",
            ),
            ("429", "Too many requests; try again after `Retry-After` seconds."),
            (
                "503",
                "The database or the search index is briefly away; try again in a moment.",
            ),
        ];
        // What only a change can meet: the thing is not in a state that allows it (a
        // deleted reply accepted, a ticket published twice, a link that must stay).
        let conflict = (
            "409",
            "The request conflicts with the current state; `detail` says why.",
        );
        let too_large = (
            "413",
            "The body is larger than this address takes; `detail` says the limit.",
        );
        for item in doc.paths.paths.values_mut() {
            for (op, writes) in [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ] {
                let Some(op) = op else { continue };
                let codes = common
                    .iter()
                    .chain(writes.then_some(&conflict))
                    .chain(op.request_body.is_some().then_some(&too_large));
                for (code, what) in codes {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(what));
                }
            }
        }
    }
}

/// The whole document: the common parts and every module's routes.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::accounts::api::Doc::openapi());
    doc.merge(crate::forum::api::Doc::openapi());
    doc.merge(crate::admin::api::Doc::openapi());
    doc.merge(crate::search::api::Doc::openapi());
    doc.merge(crate::portal::api::Doc::openapi());
    doc.merge(crate::notify::api::Doc::openapi());
    doc.merge(crate::portal::escalate_api::Doc::openapi());
    doc.merge(crate::portal::plans_api::Doc::openapi());
    doc.merge(crate::portal::account_api::Doc::openapi());
    doc.merge(crate::status::api::Doc::openapi());
    // Once every module's routes are in: the common answers go on each of them.
    utoipa::Modify::modify(&Common, &mut doc);
    doc
}

/// Every API route the server mounts, as (method, path).
pub fn routes() -> Vec<(&'static str, &'static str)> {
    [
        crate::accounts::api::ROUTES,
        crate::forum::api::ROUTES,
        crate::admin::api::ROUTES,
        crate::search::api::ROUTES,
        crate::portal::api::ROUTES,
        crate::notify::api::ROUTES,
        crate::portal::escalate_api::ROUTES,
        crate::portal::plans_api::ROUTES,
        crate::portal::account_api::ROUTES,
        crate::status::api::ROUTES,
    ]
    .concat()
}

/// The methods the API answers at `path`, upper case; empty when no API route has
/// that address.
pub fn methods_at(path: &str) -> Vec<&'static str> {
    static PATTERNS: OnceLock<Vec<(actix_web::dev::ResourceDef, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let mut all: Vec<(&str, &str)> = routes();
        all.push(("get", "/api/openapi.json"));
        all.into_iter()
            .map(|(method, path)| (actix_web::dev::ResourceDef::new(path), method))
            .collect()
    });
    let mut methods: Vec<&'static str> = Vec::new();
    for (pattern, method) in patterns {
        if pattern.is_match(path) {
            let names: &[&'static str] = match *method {
                "get" => &["GET"],
                "post" => &["POST"],
                "put" => &["PUT"],
                "patch" => &["PATCH"],
                "delete" => &["DELETE"],
                _ => &[],
            };
            for name in names {
                if !methods.contains(name) {
                    methods.push(name);
                }
            }
        }
    }
    methods
}

/// `GET /api/openapi.json`: the document, built once.
pub async fn serve() -> HttpResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    // utoipa's generated code recurses deeply (an unoptimized build overflows a
    // worker's stack), so the document is built once on a thread with room.
    let json = JSON.get_or_init(|| {
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| document().to_json())
            .ok()
            .and_then(|t| t.join().ok())
            .and_then(Result::ok)
            .unwrap_or_else(|| "{}".into())
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json.as_str())
}

/// Mounts the document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/openapi.json", web::get().to(serve));
}
