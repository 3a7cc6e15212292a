//! End-to-end tests of the notifications subgraph: each test spawns the real service on port 0 over a
//! fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set), feeds domain events through an
//! in-process bus (and Redis Streams when `TEST_REDIS_URL` is set) to its consumer, reads the emails its
//! dispatcher writes or sends to a fake SMTP server, and talks GraphQL over HTTP to it.

#[path = "api/events.rs"]
mod events;
#[path = "api/graphql.rs"]
mod graphql;
#[path = "api/smtp.rs"]
mod smtp;
#[path = "api/support.rs"]
mod support;

use serde_json::{Value, json};

use support::spawn_app;

pub fn assert_no_errors(response: &Value) {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
}

/// The `extensions.code` of the response's only error.
pub fn error_code(response: &Value) -> &str {
    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {response:#}"));
    assert_eq!(errors.len(), 1, "expected exactly one error: {response:#}");
    errors[0]["extensions"]["code"].as_str().unwrap()
}

#[tokio::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    for (path, body) in [("/health", "ok"), ("/ready", "ready")] {
        let response = app
            .client
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
}

#[tokio::test]
async fn sdl_matches_the_golden_file() {
    let app = spawn_app().await;
    let response = app.graphql("{ _service { sdl } }", json!({}), None).await;
    assert_no_errors(&response);
    let sdl = response["data"]["_service"]["sdl"].as_str().unwrap();
    assert!(sdl.contains("type User @key(fields: \"id\")"), "{sdl}");
    assert!(sdl.contains("type PageInfo @shareable"), "{sdl}");
    assert!(!sdl.contains("findUserById"), "{sdl}");

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/subgraphs/notifications.graphql");
    if std::env::var("UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sdl).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == sdl,
        "the notifications SDL differs from {}: refresh with \
         `UPDATE_SCHEMA=1 cargo test -p shopgraph-notifications -- sdl` \
         and then recompose with `cargo run -p shopgraph-schema -- compose`\n--- live SDL ---\n{sdl}",
        path.display()
    );
}
