//! The carts subgraph service: configuration from file and environment, the event transport (Redis when
//! `REDIS_URL` is set), then the HTTP server and the order-event consumer until Ctrl-C or SIGTERM.

use shopgraph_carts::{DEFAULT_PORT, SERVICE};
use shopgraph_events::{Shutdown, transport};
use shopgraph_kit::{Config, server, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let db = shopgraph_carts::connect(&config).await?;
    let transport = transport::from_config(&config, None).await?;
    if transport.is_none() {
        tracing::warn!("REDIS_URL is not set: order events are not received");
    }
    let shutdown = Shutdown::on(server::shutdown_signal());
    let background =
        shopgraph_carts::spawn_background(db.clone(), &config, transport, shutdown.clone());
    let listener = server::bind(config.listen).await?;
    tracing::info!(
        service = SERVICE,
        "listening on http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(
        listener,
        shopgraph_carts::router(db, &config),
        shutdown.wait_owned(),
    )
    .await?;
    background.join().await;
    Ok(())
}
