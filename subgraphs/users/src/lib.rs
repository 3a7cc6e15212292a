//! The users subgraph: accounts (registration, login with argon2id-hashed passwords, profile changes),
//! JWT issuing, and the federated `User` entity that other subgraphs reference by id. It produces the
//! `UserRegistered` and `UserEmailChanged` domain events through its outbox, which its relay publishes.
//! Sign-in and registration attempts are rate-limited per client address and per email.

pub mod account;
pub mod credential_guard;
pub mod demo;
pub mod entity;
pub mod graphql;
pub mod migration;
pub mod password;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{BackgroundTasks, Relay, Shutdown};
use shopgraph_kit::{Config, JwtKeys, StartError};

pub use graphql::{UsersSchema, schema_builder};
pub use migration::Migrator;

/// Service name: default database file, logs.
pub const SERVICE: &str = "users";
/// Port the service listens on by default.
pub const DEFAULT_PORT: u16 = 4001;

/// Connects to the configured database and applies the migrations.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    shopgraph_kit::db::connect_and_migrate::<Migrator>(&config.database_url).await
}

/// The HTTP routes of the subgraph over `db` (already migrated).
pub fn router(db: DatabaseConnection, config: &Config) -> Router {
    let keys = JwtKeys::new(&config.jwt);
    let builder = schema_builder(db.clone(), keys.clone(), &config.credential_limits);
    shopgraph_kit::server::graphql_router(builder, keys, db, config)
}

/// Starts the service's background work over `db` (already migrated) until `shutdown`: with a
/// transport, the relay that publishes the outbox (users consumes no events). Without a transport nothing
/// runs, and events wait in the outbox until a relay with one does.
pub fn spawn_background(
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mut tasks = BackgroundTasks::new();
    if let Some(transport) = transport {
        let relay = Relay::new(db, transport, &config.service);
        tasks.spawn(format!("{} relay", config.service), relay.run(shutdown));
    }
    tasks
}

/// Connects, migrates and returns the routes (without background tasks).
pub async fn app(config: &Config) -> Result<Router, StartError> {
    let db = connect(config).await?;
    Ok(router(db, config))
}

/// Runs the users service process until Ctrl-C or SIGTERM (the body of its `main`).
pub async fn run(config: &Config) -> Result<(), shopgraph_events::service::ServiceError> {
    let db = connect(config).await?;
    shopgraph_events::service::run(
        config,
        "domain events stay in the outbox, unpublished",
        |transport, shutdown| {
            (
                router(db.clone(), config),
                spawn_background(db, config, transport, shutdown),
            )
        },
    )
    .await
}
