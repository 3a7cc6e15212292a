//! Adds `products.archived_at` (null while a product is on sale), and appends a `ProductCreated` event to
//! the outbox for every product already in the catalogue, so that a consumer reading the event stream
//! from its start (the carts' catalogue projection) learns about the products created before the
//! catalogue had events.

use sea_orm::EntityTrait;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

use crate::catalogue::announce_created;
use crate::entity::product;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    ArchivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(timestamp_with_time_zone_null(Products::ArchivedAt))
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        for row in product::Entity::find().all(conn).await? {
            announce_created(conn, &row).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::ArchivedAt)
                    .to_owned(),
            )
            .await
    }
}
