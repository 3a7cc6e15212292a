//! The products subgraph service: configuration from file and environment (see
//! `shopgraph_kit::config`, plus `RESERVATION_TTL_SECONDS`), then the service (HTTP server, outbox relay
//! and order-event consumer over Redis when `REDIS_URL` is set, reservation expiry sweep) until Ctrl-C
//! or SIGTERM.

use shopgraph_kit::{Config, telemetry};
use shopgraph_products::reservations::ReservationSettings;
use shopgraph_products::{DEFAULT_PORT, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let settings = ReservationSettings::from_env()?;
    shopgraph_products::run(&config, &settings).await?;
    Ok(())
}
