//! The router's HTTP face: `POST /graphql` and `GET /graphql` (GraphQL over HTTP, JSON in and out),
//! GraphiQL for browsers on `GET /graphql`, `/health`, `/ready` and Prometheus `/metrics`. Building the
//! app reads the supergraph and resolves each subgraph's endpoint from it and the configuration.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use apollo_compiler::response::JsonMap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::config::RouterConfig;
use crate::execute::SubgraphEndpoint;
use crate::execute::subgraph_client::forwarded_headers;
use crate::graphql_error::{GraphqlError, codes};
use crate::pipeline::{GraphqlRequest, GraphqlResponse, Pipeline, RequestPolicy};
use crate::respond;
use crate::supergraph::{Supergraph, SupergraphError};

/// The header a client sends (with the value `include`) to get the query plan in `extensions`.
pub const PLAN_HEADER: &str = "shopgraph-query-plan";

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error("cannot read supergraph {path}: {source}")]
    ReadSupergraph {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid supergraph {path}: {source}")]
    Supergraph {
        path: PathBuf,
        source: SupergraphError,
    },
    #[error("subgraph '{name}' has an invalid URL '{url}': {message}")]
    SubgraphUrl {
        name: String,
        url: String,
        message: String,
    },
    #[error("the configuration names subgraph '{0}', which the supergraph does not have")]
    UnknownSubgraph(String),
    #[error("invalid header name '{0}' in propagate_headers")]
    HeaderName(String),
}

struct AppState {
    pipeline: Pipeline,
    propagate: Vec<HeaderName>,
    max_request_bytes: usize,
    expose_query_plan: bool,
    metrics: Metrics,
}

#[derive(Default)]
struct Metrics {
    requests: AtomicU64,
    request_errors: AtomicU64,
    responses_with_errors: AtomicU64,
    latency_micros_total: AtomicU64,
}

/// Reads the supergraph named in `config` and builds the router.
pub fn app(config: &RouterConfig) -> Result<Router, RouterError> {
    let sdl = std::fs::read_to_string(&config.supergraph).map_err(|source| {
        RouterError::ReadSupergraph {
            path: config.supergraph.clone(),
            source,
        }
    })?;
    let supergraph =
        Supergraph::parse(&sdl, &config.supergraph.display().to_string()).map_err(|source| {
            RouterError::Supergraph {
                path: config.supergraph.clone(),
                source,
            }
        })?;
    app_from_supergraph(supergraph, config)
}

/// Builds the router over an already loaded supergraph.
pub fn app_from_supergraph(
    supergraph: Supergraph,
    config: &RouterConfig,
) -> Result<Router, RouterError> {
    let endpoints = endpoints(&supergraph, config)?;
    let propagate = config
        .propagate_headers
        .iter()
        .map(|name| {
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|_| RouterError::HeaderName(name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let state = Arc::new(AppState {
        pipeline: Pipeline::new(
            Arc::new(supergraph),
            endpoints,
            config.introspection,
            config.override_labels.clone(),
        ),
        propagate,
        max_request_bytes: config.max_request_bytes,
        expose_query_plan: config.expose_query_plan,
        metrics: Metrics::default(),
    });
    Ok(Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(|| async { "ready" }))
        .route("/metrics", get(metrics))
        .with_state(state))
}

/// Each subgraph's URL (the supergraph's, or the configured one) and timeout.
pub fn endpoints(
    supergraph: &Supergraph,
    config: &RouterConfig,
) -> Result<Vec<SubgraphEndpoint>, RouterError> {
    for name in config.subgraphs.keys() {
        if supergraph.subgraph_id(name).is_none() {
            return Err(RouterError::UnknownSubgraph(name.clone()));
        }
    }
    supergraph
        .subgraphs
        .iter()
        .map(|subgraph| {
            let own = config.subgraphs.get(&subgraph.name);
            let url = own
                .and_then(|c| c.url.clone())
                .unwrap_or_else(|| subgraph.url.clone());
            let uri: Uri =
                url.parse()
                    .map_err(|e: axum::http::uri::InvalidUri| RouterError::SubgraphUrl {
                        name: subgraph.name.clone(),
                        url: url.clone(),
                        message: e.to_string(),
                    })?;
            if uri.scheme_str() != Some("http") {
                return Err(RouterError::SubgraphUrl {
                    name: subgraph.name.clone(),
                    url,
                    message: String::from("only http:// subgraph URLs are supported"),
                });
            }
            let timeout_ms = own
                .and_then(|c| c.timeout_ms)
                .unwrap_or(config.subgraph_timeout_ms);
            Ok(SubgraphEndpoint {
                name: subgraph.name.clone(),
                uri,
                timeout: Duration::from_millis(timeout_ms),
                deduplicate: own
                    .and_then(|c| c.deduplicate_requests)
                    .unwrap_or(config.deduplicate_requests),
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBody {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<JsonMap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

async fn post_graphql(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > state.max_request_bytes {
        return request_failure(
            &headers,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        );
    }
    let parsed: PostBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            return request_failure(
                &headers,
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request in JSON: {e}"),
            );
        }
    };
    let Some(query) = parsed.query.filter(|q| !q.trim().is_empty()) else {
        return request_failure(
            &headers,
            StatusCode::BAD_REQUEST,
            "the request has no query",
        );
    };
    let request = GraphqlRequest {
        query,
        operation_name: parsed.operation_name.filter(|n| !n.is_empty()),
        variables: parsed.variables.unwrap_or_default(),
    };
    run(&state, &headers, request, true).await
}

async fn get_graphql(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        let wants_html = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if wants_html {
            return Html(GRAPHIQL).into_response();
        }
        return request_failure(
            &headers,
            StatusCode::BAD_REQUEST,
            "the request has no query",
        );
    };
    let variables = match params.variables.as_deref() {
        None | Some("") => JsonMap::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(variables) => variables,
            Err(e) => {
                return request_failure(
                    &headers,
                    StatusCode::BAD_REQUEST,
                    &format!("`variables` is not a JSON object: {e}"),
                );
            }
        },
    };
    let request = GraphqlRequest {
        query,
        operation_name: params.operation_name.filter(|n| !n.is_empty()),
        variables,
    };
    run(&state, &headers, request, false).await
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    request: GraphqlRequest,
    allow_mutations: bool,
) -> Response {
    let started = Instant::now();
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let want_plan = state.expose_query_plan
        && headers
            .get(PLAN_HEADER)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"include"));
    let mut forwarded = forwarded_headers(headers, &state.propagate);
    let traceparent = HeaderName::from_static("traceparent");
    if state.propagate.contains(&traceparent) && !forwarded.contains_key(&traceparent) {
        forwarded.insert(traceparent, new_traceparent());
    }
    let policy = RequestPolicy {
        allow_mutations,
        want_plan,
    };
    let response = state.pipeline.run(&request, &forwarded, policy).await;
    let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state
        .metrics
        .latency_micros_total
        .fetch_add(elapsed, Ordering::Relaxed);
    if response.is_request_error {
        state.metrics.request_errors.fetch_add(1, Ordering::Relaxed);
    } else if response.has_errors {
        state
            .metrics
            .responses_with_errors
            .fetch_add(1, Ordering::Relaxed);
    }
    graphql_response(headers, response)
}

/// `application/graphql-response+json` clients get 400 for request errors; plain JSON clients 200.
/// A fresh W3C trace context: version 00, a random trace id and parent id, sampled.
fn new_traceparent() -> HeaderValue {
    let trace: u128 = rand::random::<u128>().max(1);
    let parent: u64 = rand::random::<u64>().max(1);
    HeaderValue::from_str(&format!("00-{trace:032x}-{parent:016x}-01")).unwrap_or_else(|_| {
        HeaderValue::from_static("00-00000000000000000000000000000001-0000000000000001-01")
    })
}

fn wants_graphql_response_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/graphql-response+json"))
}

fn graphql_response(headers: &HeaderMap, response: GraphqlResponse) -> Response {
    let modern = wants_graphql_response_json(headers);
    let status = if response.is_request_error && modern {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let content_type = if modern {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    let body = match response.plan {
        Some(plan) => with_plan_extension(response.body, &plan),
        None => response.body,
    };
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// Adds `"extensions":{"queryPlan":…}` to a response body.
fn with_plan_extension(mut body: Vec<u8>, plan: &str) -> Vec<u8> {
    if body.last() == Some(&b'}') {
        body.pop();
        body.extend_from_slice(b",\"extensions\":{\"queryPlan\":");
        crate::respond::json::write_string(&mut body, plan);
        body.extend_from_slice(b"}}");
    }
    body
}

fn request_failure(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    let body = respond::write_errors(&[GraphqlError::new(message, codes::BAD_REQUEST)]);
    let status = if wants_graphql_response_json(headers) || status == StatusCode::PAYLOAD_TOO_LARGE
    {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let m = &state.metrics;
    let text = format!(
        "# HELP shopgraph_router_requests_total GraphQL requests received.\n\
         # TYPE shopgraph_router_requests_total counter\n\
         shopgraph_router_requests_total {}\n\
         # HELP shopgraph_router_request_errors_total Requests rejected before execution.\n\
         # TYPE shopgraph_router_request_errors_total counter\n\
         shopgraph_router_request_errors_total {}\n\
         # HELP shopgraph_router_responses_with_errors_total Executed requests whose response has errors.\n\
         # TYPE shopgraph_router_responses_with_errors_total counter\n\
         shopgraph_router_responses_with_errors_total {}\n\
         # HELP shopgraph_router_request_duration_seconds_sum Total time spent on requests.\n\
         # TYPE shopgraph_router_request_duration_seconds_sum counter\n\
         shopgraph_router_request_duration_seconds_sum {:.6}\n",
        m.requests.load(Ordering::Relaxed),
        m.request_errors.load(Ordering::Relaxed),
        m.responses_with_errors.load(Ordering::Relaxed),
        m.latency_micros_total.load(Ordering::Relaxed) as f64 / 1e6,
    );
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

const GRAPHIQL: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>shopgraph — GraphiQL</title>
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true, shouldPersistHeaders: true })
    );
  </script>
</body>
</html>
"#;
