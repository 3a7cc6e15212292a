//! HTTP to subgraphs: one pooled keep-alive client, a per-subgraph URL, timeout and cap on requests in
//! flight (each holds a connection), the client headers that are forwarded plus the router's secret
//! header, classification of failures into error codes, and sharing of identical query requests that
//! are in flight at the same time (one subgraph request, every waiter gets the answer).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, WeakShared};
use tokio::sync::Semaphore;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::fast_hash::FastHashMap;
use crate::graphql_error::codes;

/// Where and how to reach one subgraph.
#[derive(Debug, Clone)]
pub struct SubgraphEndpoint {
    pub name: String,
    pub uri: Uri,
    pub timeout: Duration,
    /// Whether identical query requests in flight share one subgraph request.
    pub deduplicate: bool,
    /// Requests in flight to this subgraph at once; more wait (within the timeout).
    pub permits: Arc<Semaphore>,
}

/// Settings of the client for every subgraph.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Headers added to every subgraph request (the router's shared secret).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Largest subgraph response body accepted.
    pub max_response_bytes: usize,
    /// Idle keep-alive connections kept per subgraph.
    pub max_idle_per_subgraph: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            headers: Vec::new(),
            max_response_bytes: 64 * 1024 * 1024,
            max_idle_per_subgraph: 256,
        }
    }
}

/// Why a subgraph request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP request to subgraph '{service}' failed: {message}")]
    Http { service: String, message: String },
    #[error("subgraph '{service}' answered with HTTP status {status}")]
    Status { service: String, status: u16 },
    #[error("subgraph '{service}' did not answer within {timeout_ms} ms")]
    Timeout { service: String, timeout_ms: u128 },
    #[error("subgraph '{service}' returned an invalid GraphQL response: {message}")]
    Malformed { service: String, message: String },
    #[error("the responses of the subgraphs exceeded the budget of {limit} bytes at '{service}'")]
    Budget { service: String, limit: usize },
    #[error("subgraph '{service}' has too many requests in flight")]
    Saturated { service: String },
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Http { .. } | FetchError::Status { .. } => codes::SUBREQUEST_HTTP_ERROR,
            FetchError::Timeout { .. } => codes::SUBREQUEST_TIMEOUT,
            FetchError::Malformed { .. } => codes::SUBREQUEST_MALFORMED_RESPONSE,
            FetchError::Budget { .. } => codes::RESPONSE_TOO_LARGE,
            FetchError::Saturated { .. } => codes::SERVICE_OVERLOADED,
        }
    }

    /// The message clients see when subgraph internals are not exposed: which subgraph, what
    /// kind of failure, no transport detail, URL or status.
    pub fn public_message(&self) -> String {
        match self {
            FetchError::Http { service, .. } | FetchError::Status { service, .. } => {
                format!("the request to subgraph '{service}' failed")
            }
            FetchError::Timeout { service, .. } => {
                format!("subgraph '{service}' did not answer in time")
            }
            FetchError::Malformed { service, .. } => {
                format!("subgraph '{service}' returned an invalid response")
            }
            FetchError::Budget { .. } | FetchError::Saturated { .. } => self.to_string(),
        }
    }

    pub fn service(&self) -> &str {
        match self {
            FetchError::Http { service, .. }
            | FetchError::Status { service, .. }
            | FetchError::Timeout { service, .. }
            | FetchError::Malformed { service, .. }
            | FetchError::Budget { service, .. }
            | FetchError::Saturated { service, .. } => service,
        }
    }
}

/// What makes two subgraph requests identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct InflightKey {
    uri: Uri,
    body: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The map holds shared fetches weakly: when every request waiting on one has gone (timed out or
/// disconnected), the fetch is dropped instead of lingering unpolled.
type WeakFetch = WeakShared<BoxFuture<'static, Result<Bytes, FetchError>>>;

/// Above this many entries, the in-flight map drops entries whose waiters have all gone.
const INFLIGHT_SWEEP: usize = 1024;

/// The pooled HTTP client shared by all requests.
#[derive(Clone)]
pub struct SubgraphClient {
    client: Client<HttpConnector, Full<Bytes>>,
    inflight: Arc<Mutex<FastHashMap<InflightKey, WeakFetch>>>,
    options: Arc<ClientOptions>,
}

impl Default for SubgraphClient {
    fn default() -> Self {
        SubgraphClient::new(ClientOptions::default())
    }
}

impl SubgraphClient {
    pub fn new(options: ClientOptions) -> SubgraphClient {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(options.max_idle_per_subgraph)
            .build(connector);
        SubgraphClient {
            client,
            inflight: Arc::new(Mutex::new(FastHashMap::default())),
            options: Arc::new(options),
        }
    }

    /// Like [`SubgraphClient::post`], but a query identical to one already in flight (same subgraph,
    /// body and forwarded headers) waits for that request's answer instead of sending its own, when
    /// the endpoint allows it. Mutations must not come here.
    pub async fn post_query(
        &self,
        endpoint: &SubgraphEndpoint,
        body: Bytes,
        forwarded: &HeaderMap,
    ) -> Result<Bytes, FetchError> {
        if !endpoint.deduplicate {
            return self.post(endpoint, body, forwarded).await;
        }
        let key = InflightKey {
            uri: endpoint.uri.clone(),
            body: body.clone(),
            // The trace context differs per client request; the answer does not depend on it.
            headers: forwarded
                .iter()
                .filter(|(n, _)| n.as_str() != "traceparent")
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        };
        let shared = {
            let mut inflight = self
                .inflight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match inflight.get(&key).and_then(WeakShared::upgrade) {
                Some(existing) => existing,
                None => {
                    if inflight.len() >= INFLIGHT_SWEEP {
                        inflight.retain(|_, weak| weak.upgrade().is_some());
                    }
                    let client = self.clone();
                    let endpoint = endpoint.clone();
                    let forwarded = forwarded.clone();
                    let own_key = key.clone();
                    let fetch = async move {
                        let result = client.post(&endpoint, body, &forwarded).await;
                        client
                            .inflight
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .remove(&own_key);
                        result
                    }
                    .boxed()
                    .shared();
                    if let Some(weak) = fetch.downgrade() {
                        inflight.insert(key, weak);
                    }
                    fetch
                }
            }
        };
        shared.await
    }

    /// POSTs `body` (a JSON GraphQL request) and returns the response body.
    pub async fn post(
        &self,
        endpoint: &SubgraphEndpoint,
        body: Bytes,
        forwarded: &HeaderMap,
    ) -> Result<Bytes, FetchError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(endpoint.uri.clone())
            .body(Full::new(body))
            .map_err(|e| FetchError::Http {
                service: endpoint.name.clone(),
                message: e.to_string(),
            })?;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/graphql-response+json, application/json"),
        );
        for (name, value) in forwarded {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.options.headers {
            headers.insert(name.clone(), value.clone());
        }
        let exchange = async {
            let _permit = endpoint
                .permits
                .acquire()
                .await
                .map_err(|_| FetchError::Saturated {
                    service: endpoint.name.clone(),
                })?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| FetchError::Http {
                    service: endpoint.name.clone(),
                    message: error_chain(&e),
                })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), self.options.max_response_bytes)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        FetchError::Budget {
                            service: endpoint.name.clone(),
                            limit: self.options.max_response_bytes,
                        }
                    } else {
                        FetchError::Http {
                            service: endpoint.name.clone(),
                            message: e.to_string(),
                        }
                    }
                })?
                .to_bytes();
            // GraphQL-over-HTTP servers may answer 4xx with a GraphQL body; keep it when it looks
            // like JSON, otherwise report the status.
            if !status.is_success() && body.first().is_none_or(|b| *b != b'{') {
                return Err(FetchError::Status {
                    service: endpoint.name.clone(),
                    status: status.as_u16(),
                });
            }
            Ok(body)
        };
        match tokio::time::timeout(endpoint.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                service: endpoint.name.clone(),
                timeout_ms: endpoint.timeout.as_millis(),
            }),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The client headers to forward, from a list of header names.
pub fn forwarded_headers(incoming: &HeaderMap, names: &[HeaderName]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in names {
        for value in incoming.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}
