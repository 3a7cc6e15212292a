//! The notifications subgraph service: configuration from file and environment (mail settings from
//! `MAIL_FROM`, `MAIL_DIR`, `SMTP_URL`, `MAIL_MAX_ATTEMPTS`), the event transport (Redis when `REDIS_URL`
//! is set), then the HTTP server, the event consumer and the mail dispatcher until Ctrl-C or SIGTERM.

use shopgraph_events::{Shutdown, transport};
use shopgraph_kit::{Config, server, telemetry};
use shopgraph_notifications::{BackgroundOptions, DEFAULT_PORT, MailConfig, SERVICE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(SERVICE, DEFAULT_PORT)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    let mail = MailConfig::from_env()?;
    let db = shopgraph_notifications::connect(&config).await?;
    let transport = transport::from_config(&config, None).await?;
    if transport.is_none() {
        tracing::warn!("REDIS_URL is not set: no events are consumed, so no new notifications");
    }
    let shutdown = Shutdown::on(server::shutdown_signal());
    let background = shopgraph_notifications::spawn_background_with(
        db.clone(),
        &config,
        transport,
        BackgroundOptions::from_mail_config(&mail),
        shutdown.clone(),
    );
    let listener = server::bind(config.listen).await?;
    tracing::info!(
        service = SERVICE,
        "listening on http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(
        listener,
        shopgraph_notifications::router(db, &config),
        shutdown.wait_owned(),
    )
    .await?;
    background.join().await;
    Ok(())
}
