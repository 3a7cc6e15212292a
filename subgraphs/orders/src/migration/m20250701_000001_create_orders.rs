//! Creates `orders` (with the unique (user_id, idempotency_key) index checkout relies on to return the
//! first order for a repeated or concurrent checkout, an index for a user's orders newest first, and one
//! on status for the payment worker), `order_lines` and `order_status_changes`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    IdempotencyKey,
    Status,
    TotalAmount,
    Currency,
    PaymentToken,
    PaymentStatus,
    PaymentReference,
    PaymentFailureReason,
    ShippingName,
    ShippingLine1,
    ShippingLine2,
    ShippingCity,
    ShippingPostalCode,
    ShippingCountry,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    OrderId,
    Position,
    ProductId,
    Name,
    UnitPriceAmount,
    Currency,
    Quantity,
    LineTotalAmount,
}

#[derive(DeriveIden)]
enum OrderStatusChanges {
    Table,
    Id,
    OrderId,
    Status,
    Reason,
    At,
}

/// The unique index that makes checkout idempotent.
pub const IDEMPOTENCY_INDEX: &str = "orders_user_idempotency_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(uuid(Orders::UserId))
                    .col(string_len(Orders::IdempotencyKey, 200))
                    .col(string_len(Orders::Status, 32))
                    .col(big_integer(Orders::TotalAmount))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len(Orders::PaymentToken, 200))
                    .col(string_len(Orders::PaymentStatus, 32))
                    .col(string_len_null(Orders::PaymentReference, 200))
                    .col(text_null(Orders::PaymentFailureReason))
                    .col(string_len(Orders::ShippingName, 100))
                    .col(string_len(Orders::ShippingLine1, 200))
                    .col(string_len_null(Orders::ShippingLine2, 200))
                    .col(string_len(Orders::ShippingCity, 100))
                    .col(string_len(Orders::ShippingPostalCode, 20))
                    .col(string_len(Orders::ShippingCountry, 2))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .check(Expr::col(Orders::TotalAmount).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(IDEMPOTENCY_INDEX)
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_user_id_idx")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_status_idx")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(uuid(OrderLines::OrderId))
                    .col(integer(OrderLines::Position))
                    .col(uuid(OrderLines::ProductId))
                    .col(string_len(OrderLines::Name, 200))
                    .col(big_integer(OrderLines::UnitPriceAmount))
                    .col(string_len(OrderLines::Currency, 3))
                    .col(integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::LineTotalAmount))
                    .primary_key(
                        Index::create()
                            .col(OrderLines::OrderId)
                            .col(OrderLines::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_lines_order_fk")
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Expr::col(OrderLines::Quantity).gt(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderStatusChanges::Table)
                    .col(big_pk_auto(OrderStatusChanges::Id))
                    .col(uuid(OrderStatusChanges::OrderId))
                    .col(string_len(OrderStatusChanges::Status, 32))
                    .col(text_null(OrderStatusChanges::Reason))
                    .col(timestamp_with_time_zone(OrderStatusChanges::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_status_changes_order_fk")
                            .from(OrderStatusChanges::Table, OrderStatusChanges::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("order_status_changes_order_idx")
                    .table(OrderStatusChanges::Table)
                    .col(OrderStatusChanges::OrderId)
                    .col(OrderStatusChanges::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderStatusChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrderLines::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}
