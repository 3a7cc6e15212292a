//! The users subgraph service: configuration from file and environment, then the service (HTTP
//! server, outbox relay over Redis when `REDIS_URL` is set) until Ctrl-C or SIGTERM.

use shopgraph_kit::{Config, telemetry};
use shopgraph_users::{DEFAULT_PORT, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    shopgraph_users::run(&config).await?;
    Ok(())
}
