//! Creates the `products` table: unique SKU, non-negative price and stock, and the indexes behind the
//! category filter and the keyset orderings (name, price and creation time, each with `id` as tie-breaker).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, integer, pk_uuid, string_len, text, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Description,
    PriceAmount,
    PriceCurrency,
    Category,
    Stock,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(pk_uuid(Products::Id))
                    .col(string_len(Products::Sku, 64))
                    .col(string_len(Products::Name, 200))
                    .col(text(Products::Description))
                    .col(
                        big_integer(Products::PriceAmount)
                            .check(Expr::col(Products::PriceAmount).gte(0)),
                    )
                    .col(string_len(Products::PriceCurrency, 3))
                    .col(string_len(Products::Category, 100))
                    .col(integer(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_products_sku")
                    .table(Products::Table)
                    .col(Products::Sku)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_products_category")
                    .table(Products::Table)
                    .col(Products::Category)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // One index per keyset ordering: the sort column, then `id` as the tie-breaker.
        let keyset_indexes = [
            ("ix_products_name_id", Products::Name),
            ("ix_products_price_id", Products::PriceAmount),
            ("ix_products_created_id", Products::CreatedAt),
        ];
        for (name, column) in keyset_indexes {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Products::Table)
                        .col(column)
                        .col(Products::Id)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
