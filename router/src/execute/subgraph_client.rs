//! HTTP to subgraphs: one pooled keep-alive client, a per-subgraph URL and timeout, the client headers
//! that are forwarded, and classification of failures into error codes.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::graphql_error::codes;

/// Largest subgraph response body the router accepts.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Where and how to reach one subgraph.
#[derive(Debug, Clone)]
pub struct SubgraphEndpoint {
    pub name: String,
    pub uri: Uri,
    pub timeout: Duration,
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
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Http { .. } | FetchError::Status { .. } => codes::SUBREQUEST_HTTP_ERROR,
            FetchError::Timeout { .. } => codes::SUBREQUEST_TIMEOUT,
            FetchError::Malformed { .. } => codes::SUBREQUEST_MALFORMED_RESPONSE,
        }
    }

    pub fn service(&self) -> &str {
        match self {
            FetchError::Http { service, .. }
            | FetchError::Status { service, .. }
            | FetchError::Timeout { service, .. }
            | FetchError::Malformed { service, .. } => service,
        }
    }
}

/// The pooled HTTP client shared by all requests.
#[derive(Clone)]
pub struct SubgraphClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for SubgraphClient {
    fn default() -> Self {
        SubgraphClient::new()
    }
}

impl SubgraphClient {
    pub fn new() -> SubgraphClient {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build(connector);
        SubgraphClient { client }
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
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| FetchError::Http {
                    service: endpoint.name.clone(),
                    message: error_chain(&e),
                })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| FetchError::Http {
                    service: endpoint.name.clone(),
                    message: e.to_string(),
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
