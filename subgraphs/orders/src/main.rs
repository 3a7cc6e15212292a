//! The orders subgraph service: configuration from files and environment (the kit's plus `CARTS_URL`,
//! `PRODUCTS_URL` and the payment settings), the event transport (Redis when `REDIS_URL` is set), then
//! the HTTP server, the outbox relay, the saga consumer and the payment worker until Ctrl-C or SIGTERM.

use shopgraph_events::{Shutdown, transport};
use shopgraph_kit::{server, telemetry};
use shopgraph_orders::{DEFAULT_PORT, OrdersConfig, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = OrdersConfig::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.service.log_format);
    config.service.warn_if_insecure();
    let db = shopgraph_orders::connect(&config.service).await?;
    let payments = shopgraph_orders::payment_provider(db.clone(), &config);
    let transport = transport::from_config(&config.service, None).await?;
    if transport.is_none() {
        tracing::warn!(
            "REDIS_URL is not set: domain events stay in the outbox and no saga events arrive"
        );
    }
    let shutdown = Shutdown::on(server::shutdown_signal());
    let background = shopgraph_orders::spawn_background_with_payments(
        db.clone(),
        &config,
        payments.clone(),
        transport,
        shutdown.clone(),
    );
    let listener = server::bind(config.service.listen).await?;
    tracing::info!(
        service = SERVICE,
        carts = %config.carts_url,
        products = %config.products_url,
        "listening on http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(
        listener,
        shopgraph_orders::router_with_payments(db, &config, payments),
        shutdown.wait_owned(),
    )
    .await?;
    background.join().await;
    Ok(())
}
