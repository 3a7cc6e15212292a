//! Creates `catalogue_projection`, one row naming the consumer group that fills this database's
//! catalogue projection: `carts-catalogue-<random>`, chosen when the database is created. A new (or
//! wiped) carts database thus joins the event stream as a new group, which starts at the beginning of
//! the stream and rebuilds the projection from the whole history; every carts process over the same
//! database shares the group.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string};
use uuid::Uuid;

use crate::catalogue::CATALOGUE_GROUP_PREFIX;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueProjection {
    Table,
    Id,
    ConsumerGroup,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueProjection::Table)
                    .if_not_exists()
                    .col(integer(CatalogueProjection::Id).primary_key())
                    .col(string(CatalogueProjection::ConsumerGroup))
                    .to_owned(),
            )
            .await?;
        let group = format!("{CATALOGUE_GROUP_PREFIX}{}", Uuid::new_v4().simple());
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CatalogueProjection::Table)
                    .columns([CatalogueProjection::Id, CatalogueProjection::ConsumerGroup])
                    .values_panic([1.into(), group.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogueProjection::Table).to_owned())
            .await
    }
}
