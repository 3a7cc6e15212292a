//! The notifications subgraph: it consumes `UserRegistered` / `UserEmailChanged` (a local directory of
//! who to address) and `OrderConfirmed`, `OrderFailed`, `OrderCancelled`; renders one message per event
//! from its [templates]; stores it with its delivery status in the event's transaction; and a
//! [dispatcher](dispatch) sends it afterwards through a [`Sender`](mail::Sender) — `.eml` files in a
//! directory by default, SMTP when `SMTP_URL` is set — retrying with backoff. Over GraphQL it adds
//! `notifications` to the `User` entity and offers `markNotificationRead`.

pub mod directory;
pub mod dispatch;
pub mod entity;
pub mod graphql;
pub mod handler;
pub mod inbox;
pub mod mail;
pub mod migration;
pub mod notification;
pub mod templates;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{BackgroundTasks, Consumer, ConsumerOptions, Shutdown};
use shopgraph_kit::{Config, JwtKeys, StartError};

pub use dispatch::{DispatchOptions, Dispatcher};
pub use graphql::{NotificationsSchema, schema_builder};
pub use handler::NotificationHandler;
pub use mail::{MailConfig, Mailbox, SharedSender};
pub use migration::Migrator;

/// Service name: consumer group, default database file, logs.
pub const SERVICE: &str = "notifications";
/// Port the service listens on by default.
pub const DEFAULT_PORT: u16 = 4005;

/// Connects to the configured database and applies the migrations.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    shopgraph_kit::db::connect_and_migrate::<Migrator>(&config.database_url).await
}

/// The HTTP routes of the subgraph over `db` (already migrated).
pub fn router(db: DatabaseConnection, config: &Config) -> Router {
    let keys = JwtKeys::new(&config.jwt);
    shopgraph_kit::server::graphql_router(schema_builder(db.clone()), keys, db, config)
}

/// How the background work sends mail and paces itself.
#[derive(Debug, Clone)]
pub struct BackgroundOptions {
    /// The mail transport.
    pub sender: SharedSender,
    /// `From` of every message.
    pub from: Mailbox,
    /// The event consumer's settings; its `max_attempts` also decides when an order event for an unknown
    /// user stops being retried and is stored as FAILED.
    pub consumer: ConsumerOptions,
    pub dispatch: DispatchOptions,
}

impl BackgroundOptions {
    /// The transport, sender and attempts `mail` configures, with default pacing.
    pub fn from_mail_config(mail: &MailConfig) -> BackgroundOptions {
        BackgroundOptions {
            sender: mail.sender(),
            from: mail.from.clone(),
            consumer: ConsumerOptions::default(),
            dispatch: DispatchOptions {
                max_attempts: mail.max_attempts,
                ..DispatchOptions::default()
            },
        }
    }
}

/// Starts the service's background work over `db` (already migrated) with the mail settings of the
/// environment ([`MailConfig::from_env`]; invalid settings are logged and the defaults — `.eml` files in
/// `data/outbox-mail` — used; `main` checks them first): see [`spawn_background_with`].
pub fn spawn_background(
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mail = MailConfig::from_env().unwrap_or_else(|err| {
        let defaults = MailConfig::default();
        tracing::error!(error = %err, dir = %defaults.dir.display(), "invalid mail settings; writing emails to files");
        defaults
    });
    spawn_background_with(
        db,
        config,
        transport,
        BackgroundOptions::from_mail_config(&mail),
        shutdown,
    )
}

/// Starts, until `shutdown`: with a transport, the event consumer (group `notifications`) that stores
/// notifications; always, the dispatcher that sends them. Notifications emits no events, so there is no
/// relay. Without a transport only the dispatcher runs (stored notifications still go out).
pub fn spawn_background_with(
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    options: BackgroundOptions,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mut tasks = BackgroundTasks::new();
    if let Some(transport) = transport {
        let handler = NotificationHandler::new(options.consumer.max_attempts);
        let consumer = Consumer::new(db.clone(), transport, SERVICE, handler)
            .with_options(options.consumer.clone());
        tasks.spawn(
            format!("{} consumer", config.service),
            consumer.run(shutdown.clone()),
        );
    }
    let dispatcher = Dispatcher::new(db, options.sender, options.from, options.dispatch);
    tasks.spawn(
        format!("{} dispatcher", config.service),
        dispatcher.run(shutdown),
    );
    tasks
}

/// Connects, migrates and returns the routes (without background tasks).
pub async fn app(config: &Config) -> Result<Router, StartError> {
    let db = connect(config).await?;
    Ok(router(db, config))
}

/// Runs the notifications service process until Ctrl-C or SIGTERM (the body of its `main`).
pub async fn run(
    config: &Config,
    mail: &MailConfig,
) -> Result<(), shopgraph_events::service::ServiceError> {
    let db = connect(config).await?;
    shopgraph_events::service::run(
        config,
        "no events are consumed, so no new notifications",
        |transport, shutdown| {
            (
                router(db.clone(), config),
                spawn_background_with(
                    db,
                    config,
                    transport,
                    BackgroundOptions::from_mail_config(mail),
                    shutdown,
                ),
            )
        },
    )
    .await
}
