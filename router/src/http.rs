//! The router's HTTP face: `POST /graphql` and `GET /graphql` (GraphQL over HTTP, JSON in and out),
//! GraphiQL for browsers on `GET /graphql`, `/health`, `/ready` and Prometheus `/metrics`. Every
//! GraphQL request passes [`crate::admission`] (rate limits, CSRF prevention, concurrency) and runs
//! under the whole-request deadline; CORS comes from tower-http when origins are configured. Building
//! the app reads the supergraph and resolves each subgraph's endpoint from it and the configuration;
//! each request runs on the pipeline [`crate::reload`] serves at the moment it starts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apollo_compiler::response::JsonMap;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::admission::{Admission, ClientAddr, Refusal};
use crate::config::{CorsConfig, RouterConfig};
use crate::execute::subgraph_client::{ClientOptions, forwarded_headers};
use crate::execute::{SubgraphClient, SubgraphEndpoint};
use crate::graphql_error::{GraphqlError, codes};
use crate::pipeline::{GraphqlRequest, GraphqlResponse, Pipeline, PipelineOptions, RequestPolicy};
use crate::reload::{self, BuildPipeline, LivePipeline};
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
    #[error("invalid configuration: {0}")]
    Config(String),
}

struct AppState {
    live: Arc<LivePipeline>,
    propagate: Vec<HeaderName>,
    max_request_bytes: usize,
    expose_query_plan: bool,
    admission: Admission,
    request_timeout: Duration,
    metrics: Metrics,
}

#[derive(Default)]
struct Metrics {
    requests: AtomicU64,
    request_errors: AtomicU64,
    responses_with_errors: AtomicU64,
    latency_micros_total: AtomicU64,
    /// Requests refused before their document was read, by reason.
    rate_limited: AtomicU64,
    shed: AtomicU64,
    csrf_refused: AtomicU64,
    timed_out: AtomicU64,
    /// Executed requests with a cost estimate, the sum of the estimates and of the actual costs.
    costed: AtomicU64,
    estimated_cost_total: AtomicU64,
    actual_cost_total: AtomicU64,
}

/// Reads the supergraph named in `config` and builds the router; with `reload.watch` the file is
/// watched and with `reload.poll_url` the URL polled, each new valid supergraph being served live.
/// Watching needs a Tokio runtime.
pub fn app(config: &RouterConfig) -> Result<Router, RouterError> {
    let sdl = std::fs::read_to_string(&config.supergraph).map_err(|source| {
        RouterError::ReadSupergraph {
            path: config.supergraph.clone(),
            source,
        }
    })?;
    let origin = config.supergraph.display().to_string();
    let supergraph =
        Supergraph::parse(&sdl, &origin).map_err(|source| RouterError::Supergraph {
            path: config.supergraph.clone(),
            source,
        })?;
    let live = live_pipeline(supergraph, reload::schema_hash(&sdl), origin, config)?;
    let reloading = &config.reload;
    if reloading.watch || reloading.poll_url.is_some() {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            RouterError::Config(String::from(
                "live supergraph reload needs a Tokio runtime (or set reload.watch = false)",
            ))
        })?;
        if reloading.watch {
            reload::watch_file(
                &live,
                config.supergraph.clone(),
                Duration::from_millis(reloading.debounce_ms),
                &runtime,
            )?;
        }
        if let Some(url) = &reloading.poll_url {
            reload::poll_url(
                &live,
                url,
                Duration::from_millis(reloading.poll_interval_ms.max(1)),
                &runtime,
            )?;
        }
    }
    router_over(live, config)
}

/// Builds the router over an already loaded supergraph (served as it is: no reload).
pub fn app_from_supergraph(
    supergraph: Supergraph,
    config: &RouterConfig,
) -> Result<Router, RouterError> {
    let hash = reload::schema_hash(&supergraph.schema.to_string());
    let live = live_pipeline(
        supergraph,
        hash,
        String::from("the embedded supergraph"),
        config,
    )?;
    router_over(live, config)
}

/// The first pipeline, and how the next ones are built (same subgraph client, same options).
fn live_pipeline(
    supergraph: Supergraph,
    hash: u64,
    origin: String,
    config: &RouterConfig,
) -> Result<Arc<LivePipeline>, RouterError> {
    let mut secret_headers = Vec::new();
    if let Some(secret) = &config.subgraph_secret {
        let name = HeaderName::from_bytes(
            config
                .subgraph_secret_header
                .to_ascii_lowercase()
                .as_bytes(),
        )
        .map_err(|_| RouterError::HeaderName(config.subgraph_secret_header.clone()))?;
        let mut value = HeaderValue::from_str(secret).map_err(|_| {
            RouterError::Config(String::from("subgraph_secret is not a valid header value"))
        })?;
        value.set_sensitive(true);
        secret_headers.push((name, value));
    }
    let client = SubgraphClient::new(ClientOptions {
        headers: secret_headers,
        max_response_bytes: config.traffic.max_response_bytes,
        max_idle_per_subgraph: config.traffic.max_connections_per_subgraph,
    });
    let options = PipelineOptions {
        introspection: config.introspection,
        enabled_labels: config.override_labels.clone(),
        limits: config.limits.clone(),
        cost: config.cost.clone(),
        cache: config.cache.clone(),
        max_response_bytes: config.traffic.max_response_bytes,
        expose_subgraph_errors: config.expose_subgraph_errors,
        deduplicate_inbound: config.deduplicate_inbound,
    };
    let config = config.clone();
    // A subgraph keeps its connection budget across reloads: requests still running on the old
    // pipeline and those on the new one share it.
    let permits: Mutex<HashMap<String, Arc<Semaphore>>> = Mutex::default();
    let build: Arc<BuildPipeline> = Arc::new(move |supergraph: Supergraph| {
        let mut endpoints = endpoints(&supergraph, &config)?;
        let mut budgets = permits.lock().unwrap_or_else(|e| e.into_inner());
        for endpoint in &mut endpoints {
            let budget = budgets
                .entry(endpoint.name.clone())
                .or_insert_with(|| Arc::clone(&endpoint.permits));
            endpoint.permits = Arc::clone(budget);
        }
        drop(budgets);
        Ok(Pipeline::new(
            Arc::new(supergraph),
            endpoints,
            client.clone(),
            options.clone(),
        ))
    });
    let first = build(supergraph)?;
    Ok(Arc::new(LivePipeline::new(first, hash, origin, build)))
}

/// The HTTP routes over a live pipeline.
fn router_over(live: Arc<LivePipeline>, config: &RouterConfig) -> Result<Router, RouterError> {
    let propagate = config
        .propagate_headers
        .iter()
        .map(|name| {
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|_| RouterError::HeaderName(name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let admission = Admission::new(
        &config.csrf,
        &config.rate_limit,
        config.traffic.max_concurrent_requests,
    )
    .map_err(RouterError::HeaderName)?;
    let state = Arc::new(AppState {
        live,
        propagate,
        max_request_bytes: config.max_request_bytes,
        expose_query_plan: config.expose_query_plan,
        admission,
        request_timeout: Duration::from_millis(config.traffic.request_timeout_ms.max(1)),
        metrics: Metrics::default(),
    });
    let mut router = Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(config.max_request_bytes))
        .with_state(state);
    if let Some(cors) = cors_layer(&config.cors)? {
        router = router.layer(cors);
    }
    Ok(router)
}

/// Ready while a supergraph serves; the detail names it and the last refused reload.
async fn ready(State(state): State<Arc<AppState>>) -> String {
    state.live.ready_text()
}

/// The CORS layer, when origins are configured.
fn cors_layer(config: &CorsConfig) -> Result<Option<CorsLayer>, RouterError> {
    if config.origins.is_empty() {
        return Ok(None);
    }
    let any = config.origins.iter().any(|o| o == "*");
    if any && config.allow_credentials {
        return Err(RouterError::Config(String::from(
            "cors.origins = [\"*\"] cannot be combined with cors.allow_credentials",
        )));
    }
    let origin = if any {
        AllowOrigin::any()
    } else {
        let origins = config
            .origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|_| RouterError::Config(format!("invalid CORS origin '{o}'")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(origins)
    };
    let headers = config
        .allow_headers
        .iter()
        .map(|h| {
            HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes())
                .map_err(|_| RouterError::HeaderName(h.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(headers)
            .allow_credentials(config.allow_credentials)
            .max_age(Duration::from_secs(config.max_age_secs)),
    ))
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
                permits: Arc::new(Semaphore::new(
                    config.traffic.max_connections_per_subgraph.max(1),
                )),
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
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client = client.map(|Extension(c)| c);
    if let Err(refusal) = admit(&state, client, &headers) {
        return refusal_response(refusal);
    }
    let client_address = state.admission.client_address(client, &headers);
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
    run(&state, &headers, request, true, client_address).await
}

async fn get_graphql(
    State(state): State<Arc<AppState>>,
    client: Option<Extension<ClientAddr>>,
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
    let client = client.map(|Extension(c)| c);
    if let Err(refusal) = admit(&state, client, &headers) {
        return refusal_response(refusal);
    }
    let client_address = state.admission.client_address(client, &headers);
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
    run(&state, &headers, request, false, client_address).await
}

/// Rate limits, then CSRF prevention.
fn admit(state: &AppState, client: Option<ClientAddr>, headers: &HeaderMap) -> Result<(), Refusal> {
    state
        .admission
        .check_rate(client, headers)
        .inspect_err(|_| {
            state.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        })?;
    state.admission.check_csrf(headers).inspect_err(|_| {
        state.metrics.csrf_refused.fetch_add(1, Ordering::Relaxed);
    })
}

fn refusal_response(refusal: Refusal) -> Response {
    let body = respond::write_errors(&[refusal.error]);
    let mut response = (
        refusal.status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response();
    if let Some(seconds) = refusal.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn run(
    state: &AppState,
    headers: &HeaderMap,
    request: GraphqlRequest,
    allow_mutations: bool,
    client_address: Option<IpAddr>,
) -> Response {
    let started = Instant::now();
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let _slot = match state.admission.enter() {
        Ok(slot) => slot,
        Err(refusal) => {
            state.metrics.shed.fetch_add(1, Ordering::Relaxed);
            return refusal_response(refusal);
        }
    };
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
        client_address,
    };
    // Read once: the request finishes on this pipeline whatever reloads meanwhile.
    let pipeline = state.live.current();
    let run = pipeline.run_shared(request, forwarded, policy);
    let response = match tokio::time::timeout(state.request_timeout, run).await {
        Ok(response) => response,
        Err(_) => {
            state.metrics.timed_out.fetch_add(1, Ordering::Relaxed);
            return refusal_response(Refusal {
                status: StatusCode::GATEWAY_TIMEOUT,
                error: GraphqlError::new(
                    format!(
                        "the request did not finish within {} ms",
                        state.request_timeout.as_millis()
                    ),
                    codes::REQUEST_TIMEOUT,
                ),
                retry_after: None,
            });
        }
    };
    if let (Some(estimated), Some(actual)) = (response.estimated_cost, response.actual_cost) {
        let m = &state.metrics;
        m.costed.fetch_add(1, Ordering::Relaxed);
        m.estimated_cost_total
            .fetch_add(estimated.max(0.0) as u64, Ordering::Relaxed);
        m.actual_cost_total.fetch_add(actual, Ordering::Relaxed);
    }
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
        Some(plan) => Bytes::from(with_plan_extension(response.body.to_vec(), &plan)),
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
         shopgraph_router_request_duration_seconds_sum {:.6}\n\
         # HELP shopgraph_router_refused_total Requests refused before execution, by reason.\n\
         # TYPE shopgraph_router_refused_total counter\n\
         shopgraph_router_refused_total{{reason=\"rate_limited\"}} {}\n\
         shopgraph_router_refused_total{{reason=\"overloaded\"}} {}\n\
         shopgraph_router_refused_total{{reason=\"csrf\"}} {}\n\
         shopgraph_router_refused_total{{reason=\"timeout\"}} {}\n\
         # HELP shopgraph_router_operation_cost Estimated and actual cost of executed operations.\n\
         # TYPE shopgraph_router_operation_cost summary\n\
         shopgraph_router_operation_cost_count {}\n\
         shopgraph_router_operation_cost_sum{{kind=\"estimated\"}} {}\n\
         shopgraph_router_operation_cost_sum{{kind=\"actual\"}} {}\n",
        m.requests.load(Ordering::Relaxed),
        m.request_errors.load(Ordering::Relaxed),
        m.responses_with_errors.load(Ordering::Relaxed),
        m.latency_micros_total.load(Ordering::Relaxed) as f64 / 1e6,
        m.rate_limited.load(Ordering::Relaxed),
        m.shed.load(Ordering::Relaxed),
        m.csrf_refused.load(Ordering::Relaxed),
        m.timed_out.load(Ordering::Relaxed),
        m.costed.load(Ordering::Relaxed),
        m.estimated_cost_total.load(Ordering::Relaxed),
        m.actual_cost_total.load(Ordering::Relaxed),
    ) + &state.live.metrics_text();
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
