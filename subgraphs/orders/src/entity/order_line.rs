//! The `order_lines` table: the lines of an order as snapshotted at checkout — product, its name and
//! unit price then, quantity and line total — keyed by (order, position).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: Uuid,
    /// 0-based, in cart order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub product_id: Uuid,
    pub name: String,
    pub unit_price_amount: i64,
    pub currency: String,
    pub quantity: i32,
    /// `unit_price_amount * quantity`.
    pub line_total_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
