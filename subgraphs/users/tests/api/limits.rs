//! The limits the users subgraph holds its callers to, each refusal with its code: the router secret,
//! the body size, operation depth and complexity (the kit's, shared by every subgraph), the rate of
//! `login` and `register` attempts per email and per client address, and one credential field per
//! operation.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopgraph_kit::{CredentialLimits, ROUTER_SECRET_HEADER, RequestLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{TestApp, assert_no_errors, error_code, spawn_app, spawn_app_with};

const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { token }
}";

fn login_body(email: &str) -> Value {
    json!({ "query": LOGIN, "variables": { "email": email, "password": "not the password" } })
}

const ROUTER_SECRET: &str = "a-router-secret-of-at-least-32-bytes!";

#[tokio::test]
async fn with_a_router_secret_only_requests_carrying_it_are_answered() {
    let app = spawn_app_with(|config| config.router_secret = Some(ROUTER_SECRET.to_owned())).await;
    let query = json!({ "query": "{ me { id } }" });

    let (status, body) = app.post(&query, &[]).await;
    assert_eq!(status, 401, "{body:#}");
    assert_eq!(error_code(&body), "UNTRUSTED_CALLER");
    for wrong in ["nope", &ROUTER_SECRET[1..], &format!("{ROUTER_SECRET}x")] {
        let (status, body) = app.post(&query, &[(ROUTER_SECRET_HEADER, wrong)]).await;
        assert_eq!(status, 403, "{wrong}: {body:#}");
        assert_eq!(error_code(&body), "UNTRUSTED_CALLER");
    }
    let (status, body) = app
        .post(&query, &[(ROUTER_SECRET_HEADER, ROUTER_SECRET)])
        .await;
    assert_eq!(status, 200, "{body:#}");
    assert_no_errors(&body);
    assert!(body["data"]["me"].is_null());

    // GraphiQL is behind the secret too; the probes are not.
    assert_eq!(app.get("/graphql").await.0, 401);
    for path in ["/health", "/ready"] {
        assert_eq!(app.get(path).await.0, 200, "{path}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_parsed() {
    let app = spawn_app_with(|config| config.limits.max_body_bytes = 1024).await;
    let big = json!({ "query": format!("{{ me {{ id }} }} # {}", "x".repeat(2048)) });
    let (status, body) = app.post(&big, &[]).await;
    assert_eq!(status, 413, "{body:#}");
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE");
    // A chunked body declares no length: it is cut off at the limit while it is read.
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let chunk = format!("{{\"query\": \"{{ me {{ id }} }} # {}", "x".repeat(600));
    let mut request = String::from(
        "POST /graphql HTTP/1.1\r\nHost: users\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..3 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("PAYLOAD_TOO_LARGE"), "{response}");
    // Just under the limit is served.
    let fits = json!({ "query": format!("{{ me {{ id }} }} # {}", "x".repeat(900)) });
    let (status, body) = app.post(&fits, &[]).await;
    assert_eq!(status, 200, "{body:#}");
    assert_no_errors(&body);
}

/// `__type(name: "User") { ofType { … { name } } }`, `levels` deep (at least 2).
fn nested_type_query(levels: usize) -> String {
    let mut query = String::from("{ __type(name: \"User\") { ");
    for _ in 2..levels {
        query.push_str("ofType { ");
    }
    query.push_str("name ");
    query.push_str(&"} ".repeat(levels - 1));
    query.push('}');
    query
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery` with every option on).
const INTROSPECTION: &str = "query IntrospectionQuery {
  __schema {
    description queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}";

#[tokio::test]
async fn operations_deeper_or_larger_than_the_limits_are_refused_with_codes() {
    let app = spawn_app().await;
    let defaults = RequestLimits::default();

    // GraphiQL's introspection fits the defaults.
    let (status, body) = app.post(&json!({ "query": INTROSPECTION }), &[]).await;
    assert_eq!(status, 200);
    assert_no_errors(&body);
    assert!(body["data"]["__schema"]["types"].as_array().is_some());

    let fits = app
        .graphql(&nested_type_query(defaults.max_depth), json!({}), None)
        .await;
    assert_no_errors(&fits);
    let deep = app
        .graphql(&nested_type_query(defaults.max_depth + 1), json!({}), None)
        .await;
    assert_eq!(error_code(&deep), "QUERY_TOO_DEEP", "{deep:#}");
    assert!(deep["data"].is_null(), "{deep:#}");

    // Many aliased fields.
    let wide: String = (0..=defaults.max_complexity)
        .map(|n| format!("f{n}: __typename "))
        .collect();
    let response = app.graphql(&format!("{{ {wide} }}"), json!({}), None).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX", "{response:#}");

    // Twenty-nine fragments, each spreading the next twice: 2^29 fields once expanded, yet shallow
    // enough for async-graphql's recursion limit. Refused before async-graphql walks them (it would
    // take minutes); the time bound only catches a hang.
    let mut bomb = String::from("{ __type(name: \"User\") { ...F0 } }\n");
    for level in 0..29 {
        bomb.push_str(&format!(
            "fragment F{level} on __Type {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    bomb.push_str("fragment F29 on __Type { name }\n");
    let started = Instant::now();
    let response = app.graphql(&bomb, json!({}), None).await;
    assert_eq!(error_code(&response), "QUERY_TOO_COMPLEX", "{response:#}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn one_operation_may_sign_in_or_register_only_once() {
    let app = spawn_app().await;
    let (_, _) = app
        .register_ok("once@example.com", "right password", "Once")
        .await;
    let aliased: String = (0..1000)
        .map(|n| {
            format!(
                "l{n}: login(email: \"once@example.com\", password: \"guess {n}\") {{ token }} "
            )
        })
        .collect();
    let through_fragment = "mutation { ...Both } fragment Both on Mutation {
        login(email: \"once@example.com\", password: \"right password\") { token }
        register(input: { email: \"twice@example.com\", password: \"long enough\", name: \"Twice\" }) { token }
    }";
    for query in [
        format!("mutation {{ {aliased} }}"),
        through_fragment.to_owned(),
    ] {
        let response = app.graphql(&query, json!({}), None).await;
        assert_eq!(
            error_code(&response),
            "TOO_MANY_CREDENTIAL_FIELDS",
            "{response:#}"
        );
        assert!(response["data"].is_null(), "{response:#}");
    }
    assert_eq!(app.user_count().await, 1, "nothing ran");
    // Two operations in one document, one login each, are fine.
    let response = app
        .post(
            &json!({
                "query": "mutation A { login(email: \"once@example.com\", password: \"right password\") { token } }
                          mutation B { login(email: \"once@example.com\", password: \"wrong\") { token } }",
                "operationName": "A",
            }),
            &[],
        )
        .await
        .1;
    assert_no_errors(&response);
}

/// The `extensions.retryAfter` of a RATE_LIMITED response.
fn retry_after(response: &Value) -> u64 {
    assert_eq!(error_code(response), "RATE_LIMITED", "{response:#}");
    response["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfter: {response:#}"))
}

async fn login_from(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> Value {
    let (status, body) = app.post(&login_body(email), headers).await;
    assert_eq!(status, 200, "{body:#}");
    body
}

#[tokio::test]
async fn login_attempts_are_limited_per_email_with_the_safe_defaults() {
    let app = spawn_app().await;
    app.register_ok("victim@example.com", "right password", "Victim")
        .await;
    let defaults = CredentialLimits::default();
    let shopgraph_kit::RateLimit::Every { count, .. } = defaults.login_per_email else {
        panic!("logins per email are limited by default")
    };
    for _ in 0..count.get() {
        let response = login_from(&app, "victim@example.com", &[]).await;
        assert_eq!(error_code(&response), "INVALID_CREDENTIALS", "{response:#}");
    }
    // Spelt differently, the same account.
    let limited = login_from(&app, "  VICTIM@example.com", &[]).await;
    assert!((1..=60).contains(&retry_after(&limited)), "{limited:#}");
    // Even the right password waits: the bucket is taken before the password is checked.
    let right = app.login("victim@example.com", "right password").await;
    retry_after(&right);
    // Another account is not affected.
    let other = login_from(&app, "someone.else@example.com", &[]).await;
    assert_eq!(error_code(&other), "INVALID_CREDENTIALS", "{other:#}");
}

#[tokio::test]
async fn attempts_are_limited_per_client_address_which_only_the_router_may_forward() {
    let app = spawn_app_with(|config| {
        config.router_secret = Some(ROUTER_SECRET.to_owned());
        config.credential_limits = CredentialLimits {
            login_per_ip: "3/h".parse().unwrap(),
            register_per_ip: "2/h".parse().unwrap(),
            ..CredentialLimits::off()
        };
    })
    .await;
    let from = |address: &'static str| {
        [
            (ROUTER_SECRET_HEADER, ROUTER_SECRET),
            ("x-forwarded-for", address),
        ]
    };
    for n in 0..3 {
        let response = login_from(&app, &format!("u{n}@example.com"), &from("203.0.113.1")).await;
        assert_eq!(error_code(&response), "INVALID_CREDENTIALS", "{response:#}");
    }
    let limited = login_from(&app, "u9@example.com", &from("203.0.113.1")).await;
    assert!(retry_after(&limited) > 60, "{limited:#}");
    // Another client behind the router has its own bucket.
    let other = login_from(&app, "u9@example.com", &from("203.0.113.2")).await;
    assert_eq!(error_code(&other), "INVALID_CREDENTIALS", "{other:#}");
    // The router naming no client leaves the address unknown: its own address is not one shared bucket.
    for n in 0..4 {
        let response = login_from(
            &app,
            &format!("v{n}@example.com"),
            &[(ROUTER_SECRET_HEADER, ROUTER_SECRET)],
        )
        .await;
        assert_eq!(error_code(&response), "INVALID_CREDENTIALS", "{response:#}");
    }

    // Registration has its own buckets.
    let register = |email: String| {
        json!({
            "query": "mutation($input: RegisterInput!) { register(input: $input) { token } }",
            "variables": { "input": { "email": email, "password": "long enough", "name": "N" } },
        })
    };
    for n in 0..2 {
        let (_, body) = app
            .post(&register(format!("r{n}@example.com")), &from("203.0.113.1"))
            .await;
        assert_no_errors(&body);
    }
    let (_, body) = app
        .post(&register("r9@example.com".to_owned()), &from("203.0.113.1"))
        .await;
    retry_after(&body);
}

#[tokio::test]
async fn without_the_router_secret_a_forwarded_address_is_not_believed() {
    let app = spawn_app_with(|config| {
        config.credential_limits = CredentialLimits {
            login_per_ip: "2/h".parse().unwrap(),
            ..CredentialLimits::off()
        };
    })
    .await;
    // Each attempt claims another address; all come from this test's address.
    for n in 0..2 {
        let spoofed = format!("198.51.100.{n}");
        let response = login_from(&app, "a@example.com", &[("x-forwarded-for", &spoofed)]).await;
        assert_eq!(error_code(&response), "INVALID_CREDENTIALS", "{response:#}");
    }
    let limited = login_from(
        &app,
        "a@example.com",
        &[("x-forwarded-for", "198.51.100.9")],
    )
    .await;
    retry_after(&limited);
}
