//! The `event_outbox_lease` table: one row naming the relay that may publish the outbox until
//! `expires_at_ms`, so that several relays over one database publish in order without doubling up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox_lease")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Id of the relay holding the lease.
    pub holder: String,
    /// Unix time in milliseconds at which the lease lapses unless renewed.
    pub expires_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
