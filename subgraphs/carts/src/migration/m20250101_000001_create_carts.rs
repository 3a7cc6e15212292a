//! Creates `cart` (one per user) and `cart_item` (unique per cart and product, quantity 1..=999).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, pk_uuid, timestamp_with_time_zone, uuid, uuid_uniq};

use crate::store::MAX_LINE_QUANTITY;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
    UserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartItem {
    Table,
    Id,
    CartId,
    ProductId,
    Quantity,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cart::Table)
                    .col(pk_uuid(Cart::Id))
                    .col(uuid_uniq(Cart::UserId))
                    .col(timestamp_with_time_zone(Cart::CreatedAt))
                    .col(timestamp_with_time_zone(Cart::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartItem::Table)
                    .col(pk_uuid(CartItem::Id))
                    .col(uuid(CartItem::CartId))
                    .col(uuid(CartItem::ProductId))
                    .col(
                        integer(CartItem::Quantity).check(
                            Expr::col(CartItem::Quantity)
                                .gte(1)
                                .and(Expr::col(CartItem::Quantity).lte(MAX_LINE_QUANTITY)),
                        ),
                    )
                    .col(timestamp_with_time_zone(CartItem::AddedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cart_item_cart")
                            .from(CartItem::Table, CartItem::CartId)
                            .to(Cart::Table, Cart::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_cart_item_cart_product")
                    .table(CartItem::Table)
                    .col(CartItem::CartId)
                    .col(CartItem::ProductId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CartItem::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Cart::Table).to_owned())
            .await
    }
}
