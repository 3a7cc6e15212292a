//! The HTTP face of a subgraph: `POST /graphql` executes (with the caller's `Viewer` from the bearer
//! token, the raw `Authorization` header as `CallerAuthorization`, and the `ClientAddress` rate limits
//! count by, when known), `GET /graphql` serves GraphiQL, `/health` says the process is alive and
//! `/ready` that its database answers. `/graphql` holds callers to the configured limits: the router
//! secret when one is set (401/403 `UNTRUSTED_CALLER`), the body size (413 `PAYLOAD_TOO_LARGE`), and —
//! through the `QueryLimits` extension every schema gets here — operation depth and complexity.
//! `serve` runs a router until Ctrl-C or SIGTERM, then drains in-flight requests up to a deadline.

use std::future::Future;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::{ObjectType, Schema, SchemaBuilder, SubscriptionType};
use async_graphql_axum::GraphQLRequest;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::{CallerAuthorization, JwtKeys, TraceParent, Viewer};
use crate::config::Config;
use crate::error::{ErrorCode, StartError};
use crate::query_limits::QueryLimits;
use crate::trust::{CallerPolicy, RouterCheck};

struct GraphqlState<Q, M, S> {
    schema: Schema<Q, M, S>,
    keys: JwtKeys,
    db: DatabaseConnection,
    policy: CallerPolicy,
    max_body_bytes: usize,
}

impl<Q, M, S> Clone for GraphqlState<Q, M, S> {
    fn clone(&self) -> Self {
        GraphqlState {
            schema: self.schema.clone(),
            keys: self.keys.clone(),
            db: self.db.clone(),
            policy: self.policy.clone(),
            max_body_bytes: self.max_body_bytes,
        }
    }
}

/// The routes of a subgraph serving the schema `builder` makes (with the configured depth and
/// complexity limits added) over `db`, holding callers to `config`'s limits and router secret.
pub fn graphql_router<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    keys: JwtKeys,
    db: DatabaseConnection,
    config: &Config,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let schema = builder.extension(QueryLimits::new(&config.limits)).finish();
    let policy = CallerPolicy::new(config);
    let state = GraphqlState {
        schema,
        keys,
        db,
        policy: policy.clone(),
        max_body_bytes: config.limits.max_body_bytes,
    };
    Router::new()
        .route("/graphql", get(graphiql).post(execute::<Q, M, S>))
        .route_layer(axum::middleware::from_fn_with_state(
            policy,
            require_router_secret,
        ))
        .route("/health", get(health))
        .route("/ready", get(ready::<Q, M, S>))
        .with_state(state)
}

/// Refuses requests without the router secret (when one is configured); passes on how the request
/// stood as a `RouterCheck` extension.
async fn require_router_secret(
    State(policy): State<CallerPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let check = policy.check(request.headers());
    match check {
        RouterCheck::Missing => refusal(
            StatusCode::UNAUTHORIZED,
            ErrorCode::UntrustedCaller,
            "this service answers only the router: the shopgraph-router-secret header is missing",
        ),
        RouterCheck::Wrong => {
            tracing::warn!(
                "refused a request with a wrong shopgraph-router-secret (is the router's secret the same?)"
            );
            refusal(
                StatusCode::FORBIDDEN,
                ErrorCode::UntrustedCaller,
                "this service answers only the router: the shopgraph-router-secret header is wrong",
            )
        }
        RouterCheck::Open | RouterCheck::Verified => {
            request.extensions_mut().insert(check);
            next.run(request).await
        }
    }
}

/// A GraphQL response with one error, `code`, and HTTP `status`.
fn refusal(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    });
    (status, axum::Json(body)).into_response()
}

async fn execute<Q, M, S>(State(state): State<GraphqlState<Q, M, S>>, request: Request) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let request = match buffered_within(request, state.max_body_bytes).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let headers = request.headers().clone();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let check = request
        .extensions()
        .get::<RouterCheck>()
        .copied()
        .unwrap_or(RouterCheck::Open);
    let request = match <GraphQLRequest as FromRequest<()>>::from_request(request, &()).await {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let viewer = Viewer::from_headers(&headers, &state.keys);
    let mut request = request.into_inner().data(viewer);
    if let Some(client) = state.policy.client_address(&headers, peer, check) {
        request = request.data(client);
    }
    if let Some(value) = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    {
        request = request.data(CallerAuthorization(value.to_owned()));
    }
    if let Some(value) = headers
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
    {
        request = request.data(TraceParent(value.to_owned()));
    }
    async_graphql_axum::GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

/// `request` with its body read into memory, or the refusal: 413 `PAYLOAD_TOO_LARGE` when it declares
/// or turns out to be longer than `limit` bytes (reading stops there), 400 when it cannot be read.
async fn buffered_within(request: Request, limit: usize) -> Result<Request, Response> {
    let too_large = || {
        refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Err(err) => {
            let inner = err.into_inner();
            if inner.is::<http_body_util::LengthLimitError>() {
                Err(too_large())
            } else {
                Err(refusal(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    &format!("cannot read the request body: {inner}"),
                ))
            }
        }
    }
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn health() -> &'static str {
    "ok"
}

async fn ready<Q, M, S>(State(state): State<GraphqlState<Q, M, S>>) -> impl IntoResponse {
    if crate::db::is_reachable(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Binds `addr`.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// How long in-flight requests may go on after shutdown begins before the server stops anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish for at
/// most [`SHUTDOWN_GRACE`]: a stuck request cannot keep a stopping service alive.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    serve_with_grace(listener, app, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with another grace period.
pub async fn serve_with_grace(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), StartError> {
    let (begun, mut begun_rx) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = begun.send(true);
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    let deadline = async move {
        if begun_rx.wait_for(|begun| *begun).await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server.into_future() => served.map_err(StartError::Serve),
        () = deadline => {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "requests still in flight after the shutdown grace period; stopping anyway"
            );
            Ok(())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Binds the configured address and serves `app` until a shutdown signal: the body of every subgraph's
/// `main`.
pub async fn run(config: &crate::Config, app: Router) -> Result<(), StartError> {
    let listener = bind(config.listen).await?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    tracing::info!(service = %config.service, "listening on http://{addr}/graphql");
    serve(listener, app, shutdown_signal()).await
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::serve_with_grace;

    #[tokio::test]
    async fn a_stuck_request_does_not_keep_a_stopping_server_alive() {
        let app = Router::new().route("/stuck", get(std::future::pending::<&'static str>));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(serve_with_grace(
            listener,
            app,
            async {
                let _ = stopped.await;
            },
            Duration::from_millis(300),
        ));
        // A request that never finishes is in flight when shutdown begins.
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"GET /stuck HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let began = Instant::now();
        stop.send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("the server stopped after its grace period")
            .unwrap();
        assert!(result.is_ok());
        assert!(began.elapsed() >= Duration::from_millis(300));
        // The stuck request never got an answer (its connection task ends with the process).
        let mut answer = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(50), client.read(&mut answer)).await;
        assert!(read.is_err() || matches!(read, Ok(Ok(0))));
    }
}
