//! The OpenAPI document names exactly the routes the server mounts, each of them
//! answers, and what the server sends has the shape the document gives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use std::collections::BTreeSet;

use crate::common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    let res = app.api().get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.clone(), path.clone()));
        }
    }
    ops
}

/// Resolves a `$ref`, and of a `oneOf` with null (an optional value) the other branch.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return resolve(
            doc,
            &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        );
    }
    if let Some(other) = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|branches| branches.iter().find(|b| b.get("type") != Some(&json!("null"))))
    {
        return resolve(doc, other);
    }
    schema
}

/// The properties and required names of an object schema, its `allOf` parts included.
fn object_shape(doc: &Value, schema: &Value) -> Option<(serde_json::Map<String, Value>, Vec<String>)> {
    let schema = resolve(doc, schema);
    let mut props = schema.get("properties").and_then(Value::as_object).cloned();
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some((p, r)) = object_shape(doc, part) {
            props.get_or_insert_with(Default::default).extend(p);
            required.extend(r);
        }
    }
    props.map(|p| (p, required))
}

/// Checks that `value` has every property `schema` requires and no property it does
/// not name, all the way down; returns whether the schema described anything.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> bool {
    if let Some((props, required)) = object_shape(doc, schema) {
        let obj = value
            .as_object()
            .unwrap_or_else(|| panic!("{at}: expected an object, got {value}"));
        for key in obj.keys() {
            assert!(
                props.contains_key(key),
                "{at}: '{key}' is sent but not documented"
            );
        }
        for req in &required {
            assert!(obj.contains_key(req), "{at}: required '{req}' is missing");
        }
        for (key, sub) in &props {
            if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
                conforms(doc, sub, v, &format!("{at}.{key}"));
            }
        }
        return true;
    }
    let schema = resolve(doc, schema);
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"));
        }
        return true;
    }
    false
}

fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    let schema = &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "{method} {path} documents no {status} body");
    schema
}

#[tokio::test]
async fn the_document_matches_the_routes() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let documented = operations(&doc);
    let mounted: BTreeSet<(String, String)> = parley::openapi::routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, mounted, "the document and the mounted routes differ");

    // A parameter said to be in the path is one of the path's own; the others are in
    // the query string, and only a path's own are required.
    for (method, path) in &documented {
        let operation = &doc["paths"][path.as_str()][method.as_str()];
        for param in operation["parameters"].as_array().into_iter().flatten() {
            let name = param["name"].as_str().unwrap();
            let in_path = path.contains(&format!("{{{name}}}"));
            let place = if in_path { "path" } else { "query" };
            assert_eq!(param["in"], place, "{method} {path}: parameter {name}");
            if !in_path {
                assert_ne!(param["required"], true, "{method} {path}: {name} may be left out");
            }
        }
        // Every write may meet a state that does not allow it, and anything may find
        // the database away: both are documented.
        let codes = operation["responses"].as_object().unwrap();
        assert!(codes.contains_key("503"), "{method} {path}: 503");
        if method != "get" {
            assert!(codes.contains_key("409"), "{method} {path}: 409");
        }
    }

    // Every documented operation is answered by a handler: without credentials it
    // is refused or asks for its body, never "no such route".
    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", "1")
            .replace("{post_id}", "1")
            .replace("{slug}", "questions")
            .replace("{username}", "nobody");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = app
            .api()
            .request(method.clone(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}: {status}"
        );
        // A public operation (documented with an empty security requirement) may
        // simply answer.
        let operation = &doc["paths"][path.as_str()][method.as_str().to_lowercase()];
        if operation["security"] == json!([{}]) {
            assert!(status.as_u16() < 500, "{method} {concrete}: {status}");
            continue;
        }
        assert!(status.is_client_error(), "{method} {concrete}: {status}");
        let problem: Value = res.json().await.unwrap();
        assert!(conforms(
            &doc,
            &json!({"$ref": "#/components/schemas/Problem"}),
            &problem,
            "problem"
        ));
    }
}

#[tokio::test]
async fn a_method_an_address_does_not_take_is_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        ("TRACE", "/api/v1/search", "GET"),
        ("PATCH", "/api/v1/categories", "GET, POST"),
        ("DELETE", "/api/v1/topics", "GET, POST"),
        ("PUT", "/api/openapi.json", "GET"),
    ] {
        let res = app
            .api()
            .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let mut allowed: Vec<String> = res.headers()["allow"]
            .to_str()
            .unwrap()
            .split(", ")
            .map(str::to_string)
            .collect();
        allowed.sort();
        assert_eq!(allowed.join(", "), allow, "{method} {path}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["status"], 405, "{problem}");
    }
    // (An address no route has stays a 404: tests/ops.rs.)
}

#[tokio::test]
async fn responses_have_the_documented_shape() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let token = app.token("sam@vendor.test", "operator password 1").await;
    let created = app.expect(StatusCode::CREATED, Method::POST,
            "/api/v1/topics",
            Some(&token),
            Some(json!({"category": "ideas", "title": "Dark mode for the portal", "body": "Please", "tags": ["ui"]}))).await;
    assert!(conforms(
        &doc,
        response_schema(&doc, "post", "/api/v1/topics", "201"),
        &created,
        "created"
    ));
    let id = created["topic"]["id"].as_i64().unwrap();
    let (_, reply) = app
        .call(
            Method::POST,
            &format!("/api/v1/topics/{id}/posts"),
            Some(&token),
            Some(json!({"body": "Agreed"})),
        )
        .await;
    assert!(conforms(
        &doc,
        response_schema(&doc, "post", "/api/v1/topics/{id}/posts", "201"),
        &reply,
        "reply"
    ));
    for (path, documented) in [
        (format!("/api/v1/topics/{id}"), "/api/v1/topics/{id}"),
        ("/api/v1/topics?category=ideas".to_string(), "/api/v1/topics"),
        ("/api/v1/categories".to_string(), "/api/v1/categories"),
        ("/api/v1/roadmap".to_string(), "/api/v1/roadmap"),
        ("/api/v1/me".to_string(), "/api/v1/me"),
    ] {
        let (status, body) = app.call(Method::GET, &path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(conforms(
            &doc,
            response_schema(&doc, "get", documented, "200"),
            &body,
            &path
        ));
    }
    let vote = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/api/v1/topics/{id}/vote"),
            Some(&token),
            Some(json!({"value": 1})),
        )
        .await;
    assert!(conforms(
        &doc,
        response_schema(&doc, "put", "/api/v1/topics/{id}/vote", "200"),
        &vote,
        "vote"
    ));
}
