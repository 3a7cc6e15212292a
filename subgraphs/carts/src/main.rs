//! The carts subgraph service: configuration from file and environment, then the service (HTTP server,
//! the consumer of confirmed orders over Redis when `REDIS_URL` is set) until Ctrl-C or SIGTERM.

use shopgraph_carts::{DEFAULT_PORT, SERVICE};
use shopgraph_kit::{Config, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    shopgraph_carts::run(&config).await?;
    Ok(())
}
