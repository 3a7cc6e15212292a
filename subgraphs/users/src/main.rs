//! The users subgraph service: configuration from file and environment, then serve until shut down.

use shopgraph_kit::{Config, server, telemetry};
use shopgraph_users::{DEFAULT_PORT, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let app = shopgraph_users::app(&config).await?;
    server::run(&config, app).await?;
    Ok(())
}
