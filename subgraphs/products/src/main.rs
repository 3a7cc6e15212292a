//! Runs the products subgraph with configuration from the environment (see `shopgraph_kit::config`).

use shopgraph_kit::{Config, server, telemetry};
use shopgraph_products::{DEFAULT_PORT, SERVICE, app};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    server::run(&config, app(&config).await?).await?;
    Ok(())
}
