//! The `order_status_changes` table: every status an order entered, when, and why, in order
//! (`id` ascending). The first row of an order is its PENDING at checkout.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_status_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: Uuid,
    /// `OrderStatus::as_str`.
    pub status: String,
    pub reason: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
