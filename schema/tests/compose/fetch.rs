//! Composing from running subgraphs: a config subgraph without `sdl` is asked
//! `{ _service { sdl } }` at its URL. The subgraphs here are small axum servers answering like
//! federation subgraphs (or failing in the ways real ones do).

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use shopgraph_schema::{ConfigError, SubgraphInput, SupergraphConfig, compose};

use super::{Scratch, case_dir, schema_command};

/// Serves `/<name>/graphql` for each `(name, sdl)`, plus failing endpoints: `/errors/graphql`
/// answers GraphQL errors, `/down/graphql` HTTP 503, `/plain/graphql` a GraphQL server that is
/// not a federation subgraph. Returns the base URL (`http://127.0.0.1:<port>`).
async fn serve(sdls: &[(&str, String)]) -> String {
    let sdls: Arc<HashMap<String, String>> = Arc::new(
        sdls.iter()
            .map(|(name, sdl)| (name.to_string(), sdl.clone()))
            .collect(),
    );
    async fn answer(
        State(sdls): State<Arc<HashMap<String, String>>>,
        UrlPath(name): UrlPath<String>,
        Json(request): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        let query = request["query"].as_str().unwrap_or_default();
        match name.as_str() {
            "errors" => (
                StatusCode::OK,
                Json(json!({ "errors": [{ "message": "Unknown field \"_service\"" }] })),
            ),
            "down" => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "starting" })),
            ),
            "plain" => (
                StatusCode::OK,
                Json(json!({ "data": { "hello": "world" } })),
            ),
            _ => match sdls.get(&name) {
                Some(sdl) if query.contains("_service") && query.contains("sdl") => (
                    StatusCode::OK,
                    Json(json!({ "data": { "_service": { "sdl": sdl } } })),
                ),
                _ => (StatusCode::NOT_FOUND, Json(json!({}))),
            },
        }
    }
    let app = axum::Router::new()
        .route("/{name}/graphql", post(answer))
        .with_state(sdls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{address}")
}

fn shop_sdl(name: &str) -> String {
    fs::read_to_string(case_dir("shop").join(format!("{name}.graphql"))).unwrap()
}

/// A config with users and products fetched from `base`, carts read from its file.
fn write_config(scratch: &Scratch, base: &str) {
    scratch.write("carts.graphql", &shop_sdl("carts"));
    scratch.write(
        "supergraph.toml",
        &format!(
            "[subgraphs.users]\nurl = \"{base}/users/graphql\"\n\n[subgraphs.products]\nurl = \"{base}/products/graphql\"\n\n[subgraphs.carts]\nurl = \"http://localhost:4003/graphql\"\nsdl = \"carts.graphql\"\n"
        ),
    );
}

/// What composing the shop subgraphs from their files gives, with the same URLs.
fn expected(base: &str) -> String {
    compose(&[
        SubgraphInput::new("users", format!("{base}/users/graphql"), shop_sdl("users")),
        SubgraphInput::new(
            "products",
            format!("{base}/products/graphql"),
            shop_sdl("products"),
        ),
        SubgraphInput::new("carts", "http://localhost:4003/graphql", shop_sdl("carts")),
    ])
    .unwrap()
    .into_sdl()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composes_from_running_subgraphs_and_files() {
    let base = serve(&[
        ("users", shop_sdl("users")),
        ("products", shop_sdl("products")),
    ])
    .await;
    let scratch = Scratch::new("fetch-lib");
    write_config(&scratch, &base);
    let config = SupergraphConfig::load(scratch.0.join("supergraph.toml")).unwrap();
    let products = &config.subgraphs[1];
    assert_eq!(
        (products.name.as_str(), products.sdl.as_ref(), products.line),
        ("products", None, 5)
    );

    let inputs = config.load_subgraphs().await.unwrap();
    let names: Vec<(&str, bool)> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.source_path.is_some()))
        .collect();
    assert_eq!(
        names,
        [("carts", true), ("products", false), ("users", false)]
    );
    assert_eq!(compose(&inputs).unwrap().into_sdl(), expected(&base));

    // The blocking version works from async code too (it fetches on a thread of its own, so
    // this worker blocking leaves the other one serving).
    let blocking = config.read_subgraphs().unwrap();
    assert_eq!(blocking, inputs);
}

#[tokio::test]
async fn fetch_failures_name_the_subgraph_url_and_cause() {
    let base = serve(&[]).await;
    let unused_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = SupergraphConfig::parse(
        &format!(
            "[subgraphs.a]\nurl = \"{base}/errors/graphql\"\n[subgraphs.b]\nurl = \"{base}/down/graphql\"\n[subgraphs.c]\nurl = \"{base}/plain/graphql\"\n[subgraphs.d]\nurl = \"http://127.0.0.1:{unused_port}/graphql\"\n[subgraphs.e]\nurl = \"{base}/e/graphql\"\nsdl = \"missing.graphql\"\n"
        ),
        Path::new("conf/supergraph.toml"),
    )
    .unwrap();
    let errors = config.load_subgraphs().await.unwrap_err();
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 5, "{rendered:#?}");
    let fetch = |index: usize| match &errors[index] {
        ConfigError::Fetch {
            subgraph,
            line,
            message,
            ..
        } => (subgraph.as_str(), *line, message.as_str()),
        other => panic!("not a fetch error: {other}"),
    };
    assert_eq!(
        fetch(0),
        (
            "a",
            2,
            "the subgraph answered with errors: Unknown field \"_service\""
        )
    );
    assert_eq!(fetch(1), ("b", 4, "HTTP status 503 Service Unavailable"));
    assert_eq!(
        fetch(2),
        (
            "c",
            6,
            "the response has no `data._service.sdl` string: is it a federation subgraph?"
        )
    );
    assert_eq!(fetch(3).0, "d");
    assert!(
        fetch(3).2.starts_with("error sending request"),
        "{}",
        fetch(3).2
    );
    assert!(
        rendered[0].starts_with(&format!(
            "{base}/errors/graphql: cannot fetch the SDL of subgraph \"a\" (configured at conf/supergraph.toml:2): "
        )),
        "{}",
        rendered[0]
    );
    assert!(
        matches!(errors[4], ConfigError::ReadSdl { .. }),
        "{}",
        rendered[4]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_composes_from_running_subgraphs() {
    let base = serve(&[
        ("users", shop_sdl("users")),
        ("products", shop_sdl("products")),
    ])
    .await;
    let scratch = Scratch::new("fetch-cli");
    write_config(&scratch, &base);
    let dir = scratch.0.clone();
    let output = tokio::task::spawn_blocking(move || {
        schema_command(&dir, &["compose", "--config", "supergraph.toml"])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let written = fs::read_to_string(scratch.0.join("supergraph.graphql")).unwrap();
    assert_eq!(written, expected(&base));

    // A subgraph that is not running: the command says which one and where it is configured.
    scratch.write(
        "down.toml",
        &format!("[subgraphs.users]\nurl = \"{base}/down/graphql\"\n"),
    );
    let dir = scratch.0.clone();
    let output = tokio::task::spawn_blocking(move || {
        schema_command(&dir, &["compose", "--config", "down.toml"])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("cannot fetch the SDL of subgraph \"users\" (configured at down.toml:2): HTTP status 503"),
        "{stderr}"
    );
}

/// Subgraphs of another library: `_service { sdl }` answers the full printed SDL, with every
/// federation and link definition (the `full_sdl` case). `schema compose` fetches and composes
/// them into what their hand-written SDL gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_composes_running_subgraphs_that_print_full_sdl() {
    let full = |name: &str| {
        fs::read_to_string(case_dir("full_sdl").join(format!("{name}.graphql"))).unwrap()
    };
    let base = serve(&[("products", full("products")), ("reviews", full("reviews"))]).await;
    let scratch = Scratch::new("fetch-full-sdl");
    scratch.write(
        "supergraph.toml",
        &format!(
            "[subgraphs.products]\nurl = \"{base}/products/graphql\"\n\n[subgraphs.reviews]\nurl = \"{base}/reviews/graphql\"\n"
        ),
    );
    let dir = scratch.0.clone();
    let output = tokio::task::spawn_blocking(move || {
        schema_command(&dir, &["compose", "--config", "supergraph.toml"])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let written = fs::read_to_string(scratch.0.join("supergraph.graphql")).unwrap();
    let hand_written = compose(&[
        SubgraphInput::new(
            "products",
            format!("{base}/products/graphql"),
            "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.0\", import: [\"@key\"])\n\
             type Query { product: Product }\ntype Product @key(fields: \"id\") { id: ID! }",
        ),
        SubgraphInput::new(
            "reviews",
            format!("{base}/reviews/graphql"),
            "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\", \"@shareable\"])\n\
             type Query { reviews: [Review!]! @shareable }\ntype Review { body: String! product: Product! }\n\
             type Product @key(fields: \"id\") { id: ID! rating: Int }",
        ),
    ])
    .unwrap();
    assert_eq!(written, hand_written.sdl());
}
