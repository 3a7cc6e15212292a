//! Creates `simulated_payment_charges`, the simulated payment provider's own record: one row per order
//! id (the primary key is what makes the provider idempotent by order id, even under races).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SimulatedPaymentCharges {
    Table,
    OrderId,
    Amount,
    Currency,
    Outcome,
    Reference,
    CreatedAt,
    RefundReference,
    RefundedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SimulatedPaymentCharges::Table)
                    .col(pk_uuid(SimulatedPaymentCharges::OrderId))
                    .col(big_integer(SimulatedPaymentCharges::Amount))
                    .col(string_len(SimulatedPaymentCharges::Currency, 3))
                    .col(string_len(SimulatedPaymentCharges::Outcome, 32))
                    .col(string_len_null(SimulatedPaymentCharges::Reference, 200))
                    .col(timestamp_with_time_zone(SimulatedPaymentCharges::CreatedAt))
                    .col(string_len_null(
                        SimulatedPaymentCharges::RefundReference,
                        200,
                    ))
                    .col(timestamp_with_time_zone_null(
                        SimulatedPaymentCharges::RefundedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SimulatedPaymentCharges::Table)
                    .to_owned(),
            )
            .await
    }
}
