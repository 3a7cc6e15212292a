//! Runs the carts subgraph: configuration from file and environment, then serve until Ctrl-C or SIGTERM.

use shopgraph_carts::{DEFAULT_PORT, SERVICE};
use shopgraph_kit::{Config, server, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let app = shopgraph_carts::app(&config).await?;
    server::run(&config, app).await?;
    Ok(())
}
