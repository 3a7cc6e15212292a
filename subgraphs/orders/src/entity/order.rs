//! The `orders` table: one row per order, with its owner, the idempotency key it was placed with
//! (unique per user), its status and payment state (stored as text), the total in minor units, the
//! payment token to charge, and the shipping address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    /// UUIDv7, so ids sort by creation time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The client's key for the checkout; unique per user (index `orders_user_idempotency_key`).
    pub idempotency_key: String,
    /// `OrderStatus::as_str`.
    pub status: String,
    /// Sum of the line totals, in minor units of `currency`.
    pub total_amount: i64,
    pub currency: String,
    /// The token the payment provider charges.
    pub payment_token: String,
    /// `PaymentStatus::as_str`.
    pub payment_status: String,
    pub payment_reference: Option<String>,
    pub payment_failure_reason: Option<String>,
    pub shipping_name: String,
    pub shipping_line1: String,
    pub shipping_line2: Option<String>,
    pub shipping_city: String,
    pub shipping_postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub shipping_country: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
