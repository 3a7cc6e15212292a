//! The `event_outbox` table: events a service committed together with its state changes, in commit
//! order (`position`), waiting for the relay to publish them (`published_at` is set once it has).

use sea_orm::entity::prelude::*;

use crate::event::{DecodeError, EventEnvelope};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox")]
pub struct Model {
    /// Insertion order; the relay publishes in this order.
    #[sea_orm(primary_key)]
    pub position: i64,
    /// [`EventEnvelope::id`]; unique.
    #[sea_orm(unique)]
    pub event_id: Uuid,
    pub event_type: String,
    pub version: i32,
    pub occurred_at: DateTimeUtc,
    pub producer: String,
    pub traceparent: Option<String>,
    /// The payload as JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When the relay handed the event to the transport; `NULL` while unpublished.
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The stored event as an envelope.
    pub fn envelope(&self) -> Result<EventEnvelope, DecodeError> {
        let malformed = |what: &str, err: &dyn std::fmt::Display| {
            DecodeError::Malformed(format!(
                "outbox row {} has an invalid {what}: {err}",
                self.position
            ))
        };
        Ok(EventEnvelope {
            id: self.event_id,
            event_type: self.event_type.clone(),
            version: u16::try_from(self.version).map_err(|e| malformed("version", &e))?,
            occurred_at: self.occurred_at,
            producer: self.producer.clone(),
            traceparent: self.traceparent.clone(),
            payload: serde_json::from_str(&self.payload).map_err(|e| malformed("payload", &e))?,
        })
    }
}
