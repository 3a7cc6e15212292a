//! Creates `catalogue_product`, the carts' projection of the products' catalogue (filled by the catalogue
//! consumer from the event stream, from its start).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, boolean, pk_uuid, string_len_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueProduct {
    Table,
    ProductId,
    PriceAmount,
    PriceCurrency,
    Archived,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueProduct::Table)
                    .if_not_exists()
                    .col(pk_uuid(CatalogueProduct::ProductId))
                    .col(big_integer_null(CatalogueProduct::PriceAmount))
                    .col(string_len_null(CatalogueProduct::PriceCurrency, 3))
                    .col(boolean(CatalogueProduct::Archived))
                    .col(timestamp_with_time_zone(CatalogueProduct::ChangedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogueProduct::Table).to_owned())
            .await
    }
}
