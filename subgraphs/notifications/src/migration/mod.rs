//! The schema migrations of the notifications database, applied in order at start-up: the local user
//! directory, the notifications, then the shared processed-events table of the event consumer.
//! (Notifications emits no events, so it has no outbox.)

use sea_orm_migration::prelude::*;

mod m20250701_000001_create_known_users;
mod m20250701_000002_create_notifications;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250701_000001_create_known_users::Migration),
            Box::new(m20250701_000002_create_notifications::Migration),
            Box::new(shopgraph_events::processed::Migration),
        ]
    }
}
