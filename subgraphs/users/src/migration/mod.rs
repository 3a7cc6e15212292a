//! The schema migrations of the users database, applied in order at start-up: the users table, then
//! the shared event outbox.

use sea_orm_migration::prelude::*;

mod m20250101_000001_create_users;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_users::Migration),
            Box::new(shopgraph_events::outbox::Migration),
        ]
    }
}
