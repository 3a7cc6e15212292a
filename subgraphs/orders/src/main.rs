//! The orders subgraph service: configuration from file and environment (`ORDERS_CONFIG_FILE`,
//! `CARTS_URL`, `PRODUCTS_URL`, payment settings), then the service (HTTP server, payment worker, outbox
//! relay and saga consumer over Redis when `REDIS_URL` is set) until Ctrl-C or SIGTERM.

use shopgraph_kit::telemetry;
use shopgraph_orders::{DEFAULT_PORT, OrdersConfig, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = OrdersConfig::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.service.log_format);
    config.service.warn_if_insecure();
    shopgraph_orders::run(&config).await?;
    Ok(())
}
