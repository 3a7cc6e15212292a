//! The schema migrations of the products database, applied in order at start-up.

use sea_orm_migration::prelude::*;

mod m20250601_000001_create_products;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20250601_000001_create_products::Migration)]
    }
}
