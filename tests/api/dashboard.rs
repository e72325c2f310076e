//! The dashboard's HTML forms (`/ui/...`) over real HTTP, as a browser with
//! JavaScript off sends them: each change is a POST answered 303 back to its
//! page, with `?flash=` when done and `?error=` naming the field when not,
//! and the page then shows that sentence.

use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error, spawn_app, spawn_with};

/// A POST of `fields` as an HTML form, redirects not followed.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    post_form_with(app, path, fields, None).await
}

async fn post_form_with(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The redirect's target, asserting it is a 303 to `page`.
fn location(response: &reqwest::Response, page: &str) -> String {
    assert_eq!(response.status(), 303, "a form is answered with a redirect");
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(page), "{to} is on {page}");
    to
}

/// The decoded value of `key` in the redirect's query.
fn query_value(to: &str, key: &str) -> Option<String> {
    let query = to.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    response.text().await.unwrap()
}

async fn login_status(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": PASSWORD}),
    )
    .await
}

#[tokio::test]
async fn editing_a_user_changes_name_roles_claims_and_email_verified() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        "/ui/users/test-user-456",
        &[
            ("name", "Robert Tables"),
            ("roles", "user, auditor"),
            ("claims", r#"{"tenant": "globex"}"#),
        ],
    )
    .await;
    let to = location(&response, "/ui/users");
    assert!(
        query_value(&to, "flash")
            .unwrap()
            .contains("bob@example.com")
    );
    let bob = app.state.users.find_by_id("test-user-456").unwrap();
    assert_eq!(bob.name, "Robert Tables");
    assert_eq!(&*bob.roles, ["user", "auditor"]);
    assert_eq!(bob.claims["tenant"], "globex");
    assert!(!bob.email_verified, "an unticked box is false");
    let token = app.login("bob@example.com").await;
    let claims = crate::helpers::decode(token["access_token"].as_str().unwrap());
    assert_eq!(claims["tenant"], "globex");
    assert!(html(&app, "/ui/users").await.contains("Robert Tables"));
}

#[tokio::test]
async fn a_refused_edit_names_the_field_on_the_page_and_changes_nothing() {
    let app = spawn_app().await;
    for (claims, field) in [(r#"{"sub": "x"}"#, "claims.sub"), ("[1, 2]", "claims")] {
        let response = post_form(
            &app,
            "/ui/users/test-user-456",
            &[("name", "Bob"), ("claims", claims)],
        )
        .await;
        let to = location(&response, "/ui/users");
        let error = query_value(&to, "error").unwrap();
        assert!(error.contains(field), "{error}");
        let page = html(&app, &to).await;
        assert!(page.contains("id=\"error\""), "shown on the page");
    }
    let response = post_form(&app, "/ui/users/test-user-456", &[("name", "")]).await;
    assert!(
        query_value(&location(&response, "/ui/users"), "error")
            .unwrap()
            .contains("name")
    );
    let bob = app.state.users.find_by_id("test-user-456").unwrap();
    assert_eq!(bob.name, "Bob Smith");
    let unknown = post_form(&app, "/ui/users/nobody", &[("name", "X")]).await;
    assert!(query_value(&location(&unknown, "/ui/users"), "error").is_some());
}

#[tokio::test]
async fn a_user_disabled_from_the_page_gets_user_disabled_until_enabled() {
    let app = spawn_app().await;
    let disable = post_form(
        &app,
        "/ui/users/test-user-456/disable",
        &[("disabled", "true")],
    )
    .await;
    location(&disable, "/ui/users");
    assert_error(
        login_status(&app, "bob@example.com").await,
        401,
        "user_disabled",
    )
    .await;
    assert!(html(&app, "/ui/users").await.contains("Enable"));
    let enable = post_form(
        &app,
        "/ui/users/test-user-456/disable",
        &[("disabled", "false")],
    )
    .await;
    location(&enable, "/ui/users");
    assert_eq!(login_status(&app, "bob@example.com").await.status(), 200);
}

#[tokio::test]
async fn delete_then_reset_from_the_page() {
    let app = spawn_app().await;
    let added = post_form(
        &app,
        "/ui/users",
        &[
            ("email", "new@example.com"),
            ("password", "a-long-password"),
            ("roles", ""),
        ],
    )
    .await;
    location(&added, "/ui/users");
    let user = app.state.users.find_by_email("new@example.com").unwrap();
    assert_eq!(&*user.roles, ["user"], "blank roles are the default ones");
    let bad = post_form(
        &app,
        "/ui/users",
        &[("email", "x@example.com"), ("password", "short")],
    )
    .await;
    assert!(
        query_value(&location(&bad, "/ui/users"), "error")
            .unwrap()
            .starts_with("password")
    );

    let deleted = post_form(&app, &format!("/ui/users/{}/delete", user.id), &[]).await;
    location(&deleted, "/ui/users");
    assert!(app.state.users.find_by_email("new@example.com").is_none());
    app.state.users.remove("test-user-456");
    let reset = post_form(&app, "/ui/users/reset", &[]).await;
    location(&reset, "/ui/users");
    assert!(app.state.users.find_by_id("test-user-456").is_some());
}

#[tokio::test]
async fn the_users_page_searches_and_pages() {
    let app = spawn_app().await;
    let page = html(&app, "/ui/users?q=alice").await;
    assert!(page.contains("alice@example.com"));
    assert!(!page.contains("bob@example.com"));
    let generated = app
        .post_json("/api/dev/users/generate", &json!({"count": 150, "seed": 1}))
        .await;
    assert_eq!(generated.status(), 201);
    let first = html(&app, "/ui/users").await;
    assert_eq!(first.matches("data-user=").count(), 100);
    assert!(first.contains("offset=100"), "a next page link");
    let second = html(&app, "/ui/users?offset=100").await;
    assert_eq!(second.matches("data-user=").count(), 55);
}

#[tokio::test]
async fn a_fault_rule_added_from_the_page_fails_logins_and_counts_hits() {
    let app = spawn_app().await;
    let response = post_form(
        &app,
        "/ui/faults",
        &[
            ("method", "post"),
            ("route", "/api/auth/login"),
            ("user", ""),
            ("status", "503"),
            ("retry_after", "9"),
            ("delay_ms", ""),
            ("times", "1"),
            ("after", "0"),
            ("probability", "1"),
        ],
    )
    .await;
    location(&response, "/ui/faults");
    let failed = login_status(&app, "alice@example.com").await;
    assert_eq!(failed.status(), 503);
    assert_eq!(failed.headers()["retry-after"], "9");
    assert_eq!(
        login_status(&app, "alice@example.com").await.status(),
        200,
        "times 1"
    );
    let rules = app.state.faults.list();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].hits, 1);
    assert_eq!(rules[0].spec.matcher.method.as_deref(), Some("POST"));
    let page = html(&app, "/ui/faults").await;
    assert!(
        page.contains("<strong class=\"hits\">1</strong>"),
        "the hit count is on the page"
    );

    let id = rules[0].id.to_string();
    let removed = post_form(&app, &format!("/ui/faults/{id}/delete"), &[]).await;
    location(&removed, "/ui/faults");
    assert!(app.state.faults.list().is_empty());
    let again = post_form(&app, &format!("/ui/faults/{id}/delete"), &[]).await;
    assert!(query_value(&location(&again, "/ui/faults"), "error").is_some());
}

#[tokio::test]
async fn a_rule_given_by_email_and_remove_all() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let added = post_form(
            &app,
            "/ui/faults",
            &[
                ("user", "alice@example.com"),
                ("delay_ms", "1"),
                ("drop", ""),
            ],
        )
        .await;
        location(&added, "/ui/faults");
    }
    let rules = app.state.faults.list();
    assert_eq!(rules[0].spec.matcher.user.as_deref(), Some("test-user-123"));
    assert!(!rules[0].spec.drop);
    let cleared = post_form(&app, "/ui/faults/clear", &[]).await;
    location(&cleared, "/ui/faults");
    assert!(app.state.faults.list().is_empty());
}

#[tokio::test]
async fn bad_rule_values_are_named_on_the_page() {
    let app = spawn_app().await;
    for (field, value, named) in [
        ("status", "700", "status"),
        ("status", "abc", "status"),
        ("delay_ms", "-1", "delay_ms"),
        ("times", "0", "times"),
        ("probability", "2", "probability"),
        ("method", "NOT A METHOD", "match.method"),
        ("route", "api/auth/login", "match.route"),
    ] {
        let mut fields = vec![(field, value)];
        if field != "status" {
            fields.push(("status", "500"));
        }
        let response = post_form(&app, "/ui/faults", &fields).await;
        let error = query_value(&location(&response, "/ui/faults"), "error").unwrap();
        assert!(error.starts_with(named), "{field}={value}: {error}");
    }
    let nothing = post_form(&app, "/ui/faults", &[("route", "/health")]).await;
    assert!(
        query_value(&location(&nothing, "/ui/faults"), "error")
            .unwrap()
            .starts_with("status")
    );
    assert!(app.state.faults.list().is_empty());
}

#[tokio::test]
async fn the_global_knobs_are_set_from_the_page_and_checked() {
    let app = spawn_app().await;
    let set = post_form(
        &app,
        "/ui/faults/global",
        &[
            ("error_rate", "0.25"),
            ("error_status", "502"),
            ("delay_min_ms", "1"),
            ("delay_max_ms", "3"),
        ],
    )
    .await;
    location(&set, "/ui/faults");
    let knobs: Value = app
        .get("/api/dev/faults/global")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        knobs,
        json!({"delay_min_ms": 1, "delay_max_ms": 3, "error_rate": 0.25, "error_status": 502})
    );
    for (field, value) in [
        ("error_rate", "1.5"),
        ("error_status", "200"),
        ("delay_min_ms", "10"),
    ] {
        let response = post_form(&app, "/ui/faults/global", &[(field, value)]).await;
        let error = query_value(&location(&response, "/ui/faults"), "error").unwrap();
        assert!(error.starts_with(field), "{field}={value}: {error}");
    }
    let unchanged: Value = app
        .get("/api/dev/faults/global")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged, knobs);
    assert!(html(&app, "/ui/faults").await.contains("value=\"0.25\""));
}

#[tokio::test]
async fn the_clock_moves_by_minutes_from_the_page() {
    let app = spawn_app().await;
    let ahead = post_form(&app, "/ui/clock/advance", &[("minutes", "20")]).await;
    location(&ahead, "/ui/faults");
    assert!((1199..=1201).contains(&app.state.clock.view().offset_seconds));
    let back = post_form(&app, "/ui/clock/advance", &[("minutes", "-20")]).await;
    location(&back, "/ui/faults");
    assert!(app.state.clock.view().offset_seconds.abs() <= 1);
    for minutes in ["soon", ""] {
        let bad = post_form(&app, "/ui/clock/advance", &[("minutes", minutes)]).await;
        assert!(
            query_value(&location(&bad, "/ui/faults"), "error")
                .unwrap()
                .starts_with("minutes")
        );
    }
    post_form(&app, "/ui/clock/freeze", &[("frozen", "true")]).await;
    assert!(app.state.clock.view().frozen);
    assert!(html(&app, "/ui/faults").await.contains("Unfreeze"));
    post_form(&app, "/ui/clock/reset", &[]).await;
    assert!(!app.state.clock.view().frozen);
}

#[tokio::test]
async fn keys_rotate_and_retire_from_the_page() {
    let app = spawn_app().await;
    let before = app.state.keys().list().await.unwrap();
    let rotated = post_form(&app, "/ui/keys/rotate", &[]).await;
    location(&rotated, "/ui/faults");
    let after = app.state.keys().list().await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let current = after.iter().find(|k| k.current).unwrap();
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == current.kid.as_str())
    );
    let refused = post_form(&app, "/ui/keys/retire", &[("kid", &current.kid)]).await;
    assert!(
        query_value(&location(&refused, "/ui/faults"), "error")
            .unwrap()
            .contains("rotate first")
    );
    let old = &before[0].kid;
    let retired = post_form(&app, "/ui/keys/retire", &[("kid", old)]).await;
    location(&retired, "/ui/faults");
    assert!(
        app.state
            .keys()
            .list()
            .await
            .unwrap()
            .iter()
            .all(|k| &k.kid != old)
    );
}

#[tokio::test]
async fn with_a_dev_api_key_the_forms_need_it() {
    let app = spawn_with(|c| c.dev.dev_api_key = Some("s3cret-key".into())).await;
    let refused = post_form(
        &app,
        "/ui/users/test-user-456/disable",
        &[("disabled", "true")],
    )
    .await;
    let error = query_value(&location(&refused, "/ui/faults"), "error").unwrap();
    assert!(error.contains("DEV_API_KEY"), "{error}");
    assert!(
        !app.state
            .users
            .find_by_id("test-user-456")
            .unwrap()
            .disabled
    );
    let remembered = post_form(&app, "/ui/key", &[("key", "s3cret-key")]).await;
    let cookie = remembered.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"));
    let pair = cookie.split(';').next().unwrap();
    let allowed = post_form_with(
        &app,
        "/ui/users/test-user-456/disable",
        &[("disabled", "true")],
        Some(pair),
    )
    .await;
    location(&allowed, "/ui/users");
    assert!(
        app.state
            .users
            .find_by_id("test-user-456")
            .unwrap()
            .disabled
    );
}

#[tokio::test]
async fn every_page_is_server_rendered_html() {
    let app = spawn_app().await;
    app.login("alice@example.com").await;
    app.get("/ui/users").await;
    let overview = html(&app, "/").await;
    assert!(overview.contains("/api/auth/login"), "the routes table");
    let requests = html(&app, "/ui/requests").await;
    assert!(requests.contains("/api/auth/login"));
    assert!(
        !requests.contains("<code>/ui/users</code>"),
        "the dashboard's own are hidden"
    );
    let shown = html(&app, "/ui/requests?show_dashboard=true").await;
    assert!(shown.contains("<code>/ui/users</code>"));
    assert!(html(&app, "/ui/users").await.contains("alice@example.com"));
    assert!(html(&app, "/ui/debugger").await.contains("<textarea"));
    assert!(html(&app, "/ui/faults").await.contains("data-kid="));
    let old = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(app.url("/ui/system"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.headers()["location"], "/ui/faults");
}

/// A control-plane counter, read off the Prometheus text.
async fn control_count(app: &TestApp, action: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("mock_auth_control_plane_actions_total{{action=\"{action}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{prefix} not in:\n{text}"))
}

#[tokio::test]
async fn the_dashboards_actions_are_counted_like_the_apis() {
    let app = spawn_app().await;
    let fields = [
        ("email", "counted@example.com"),
        ("password", "a-long-password"),
    ];
    location(&post_form(&app, "/ui/users", &fields).await, "/ui/users");
    let user = app
        .state
        .users
        .find_by_email("counted@example.com")
        .unwrap();
    let disable = format!("/ui/users/{}/disable", user.id);
    post_form(&app, &disable, &[("disabled", "true")]).await;
    post_form(&app, &format!("/ui/users/{}/delete", user.id), &[]).await;
    post_form(&app, "/ui/clock/advance", &[("minutes", "1")]).await;
    post_form(&app, "/ui/clock/reset", &[]).await;
    let rule = [("route", "/api/auth/login"), ("status", "503")];
    location(&post_form(&app, "/ui/faults", &rule).await, "/ui/faults");
    post_form(&app, "/ui/faults/clear", &[]).await;
    post_form(&app, "/ui/keys/rotate", &[]).await;

    for (action, expected) in [
        ("users_created", 1),
        ("users_changed", 1),
        ("users_deleted", 1),
        ("clock_changes", 2),
        ("fault_rules_added", 1),
        ("fault_rules_removed", 1),
        ("key_rotations", 1),
    ] {
        assert_eq!(control_count(&app, action).await, expected, "{action}");
    }
}
