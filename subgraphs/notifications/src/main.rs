//! The notifications subgraph service: configuration from file and environment (plus `MAIL_DIR`,
//! `SMTP_URL`, `MAIL_FROM`, `MAIL_MAX_ATTEMPTS`), then the service (HTTP server, event consumer over
//! Redis when `REDIS_URL` is set, mail dispatcher) until Ctrl-C or SIGTERM.

use shopgraph_kit::{Config, telemetry};
use shopgraph_notifications::{DEFAULT_PORT, MailConfig, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let mail = MailConfig::from_env()?;
    shopgraph_notifications::run(&config, &mail).await?;
    Ok(())
}
