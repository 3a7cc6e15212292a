//! The products subgraph service: configuration from file and environment (see
//! `shopgraph_kit::config`, plus `RESERVATION_TTL_SECONDS`), the event transport (Redis when `REDIS_URL`
//! is set), then the HTTP server, the outbox relay, the order-event consumer and the reservation expiry
//! sweep until Ctrl-C or SIGTERM.

use shopgraph_events::{Shutdown, transport};
use shopgraph_kit::{Config, server, telemetry};
use shopgraph_products::reservations::ReservationSettings;
use shopgraph_products::{DEFAULT_PORT, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let settings = ReservationSettings::from_env()?;
    let db = shopgraph_products::connect(&config).await?;
    let transport = transport::from_config(&config, None).await?;
    if transport.is_none() {
        tracing::warn!(
            "REDIS_URL is not set: order events are not received and domain events stay in the outbox"
        );
    }
    let shutdown = Shutdown::on(server::shutdown_signal());
    let background = shopgraph_products::spawn_background_with(
        db.clone(),
        &config,
        &settings,
        transport,
        shutdown.clone(),
    );
    let listener = server::bind(config.listen).await?;
    tracing::info!(
        service = SERVICE,
        "listening on http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(
        listener,
        shopgraph_products::router(db, &config),
        shutdown.wait_owned(),
    )
    .await?;
    background.join().await;
    Ok(())
}
