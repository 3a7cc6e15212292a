//! The `simulated_payment_charges` table, owned by the simulated payment provider: one row per order
//! id it was asked to charge, with the outcome it gave (so asking again gives the same answer and never
//! charges twice, across restarts) and, once refunded, the refund's reference.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "simulated_payment_charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: Uuid,
    pub amount: i64,
    pub currency: String,
    /// `SUCCEEDED`, `DECLINED`, `INSUFFICIENT_FUNDS`, `TIMED_OUT` or `INVALID_TOKEN`.
    pub outcome: String,
    /// The charge's reference when it succeeded.
    pub reference: Option<String>,
    pub created_at: DateTimeUtc,
    pub refund_reference: Option<String>,
    pub refunded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
