//! The HTTP face of a subgraph: `POST /graphql` executes (with the caller's `Viewer` from the bearer
//! token, and the raw `Authorization` header as `CallerAuthorization`), `GET /graphql` serves GraphiQL,
//! `/health` says the process is alive and `/ready` that its database answers. `serve` runs a router
//! until Ctrl-C or SIGTERM.

use std::future::Future;
use std::net::SocketAddr;

use async_graphql::http::GraphiQLSource;
use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::{CallerAuthorization, JwtKeys, TraceParent, Viewer};
use crate::error::StartError;

struct GraphqlState<Q, M, S> {
    schema: Schema<Q, M, S>,
    keys: JwtKeys,
    db: DatabaseConnection,
}

impl<Q, M, S> Clone for GraphqlState<Q, M, S> {
    fn clone(&self) -> Self {
        GraphqlState {
            schema: self.schema.clone(),
            keys: self.keys.clone(),
            db: self.db.clone(),
        }
    }
}

/// The routes of a subgraph serving `schema` over `db`.
pub fn graphql_router<Q, M, S>(
    schema: Schema<Q, M, S>,
    keys: JwtKeys,
    db: DatabaseConnection,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let state = GraphqlState { schema, keys, db };
    Router::new()
        .route("/graphql", get(graphiql).post(execute::<Q, M, S>))
        .route("/health", get(health))
        .route("/ready", get(ready::<Q, M, S>))
        .with_state(state)
}

async fn execute<Q, M, S>(
    State(state): State<GraphqlState<Q, M, S>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let viewer = Viewer::from_headers(&headers, &state.keys);
    let mut request = request.into_inner().data(viewer);
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
    state.schema.execute(request).await.into()
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

/// Serves `app` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartError::Serve)
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
