//! Creates the `reservations` table: one row per order and product (unique), a positive quantity, the
//! status limited to the four known values, and the index behind the expiry sweep's "reserved and past
//! `expires_at`" query. (`products.stock >= 0` is already a CHECK constraint of the products table.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, pk_uuid, string_len, timestamp_with_time_zone, uuid};

use crate::entity::reservation::ReservationStatus;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    OrderId,
    ProductId,
    Quantity,
    Status,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statuses = ReservationStatus::ALL.map(ReservationStatus::as_str);
        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .if_not_exists()
                    .col(pk_uuid(Reservations::Id))
                    .col(uuid(Reservations::OrderId))
                    .col(uuid(Reservations::ProductId))
                    .col(
                        integer(Reservations::Quantity)
                            .check(Expr::col(Reservations::Quantity).gt(0)),
                    )
                    .col(
                        string_len(Reservations::Status, 16)
                            .check(Expr::col(Reservations::Status).is_in(statuses)),
                    )
                    .col(timestamp_with_time_zone(Reservations::ExpiresAt))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone(Reservations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservations_product")
                            .from(Reservations::Table, Reservations::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reservations_order_product")
                    .table(Reservations::Table)
                    .col(Reservations::OrderId)
                    .col(Reservations::ProductId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reservations_status_expires")
                    .table(Reservations::Table)
                    .col(Reservations::Status)
                    .col(Reservations::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reservations::Table).to_owned())
            .await
    }
}
