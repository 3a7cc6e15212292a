//! Running one service process: the event transport from its configuration (Redis Streams when
//! `REDIS_URL` is set), its background tasks (relay, consumers, …) and its HTTP server, all stopped by
//! Ctrl-C or SIGTERM, the server finishing in-flight requests and the tasks their current work.

use axum::Router;
use shopgraph_kit::{Config, StartError, server};

use crate::lifecycle::{BackgroundTasks, Shutdown};
use crate::transport::{self, SharedTransport, TransportError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("event transport: {0}")]
    Transport(#[from] TransportError),
}

/// Runs a service until the shutdown signal. `start` gets the transport (none without `REDIS_URL`; then
/// `without_transport` is logged as a warning saying what the service cannot do) and the shutdown
/// signal, and returns the HTTP routes and the background tasks.
pub async fn run(
    config: &Config,
    without_transport: &str,
    start: impl FnOnce(Option<SharedTransport>, Shutdown) -> (Router, BackgroundTasks),
) -> Result<(), ServiceError> {
    let transport = transport::from_config(config, None).await?;
    if transport.is_none() {
        tracing::warn!(service = %config.service, "REDIS_URL is not set: {without_transport}");
    }
    let shutdown = Shutdown::on(server::shutdown_signal());
    let (routes, background) = start(transport, shutdown.clone());
    let listener = server::bind(config.listen).await?;
    let address = listener.local_addr().map_err(StartError::Serve)?;
    tracing::info!(service = %config.service, "listening on http://{address}/graphql");
    server::serve(listener, routes, shutdown.wait_owned()).await?;
    background.join().await;
    Ok(())
}
