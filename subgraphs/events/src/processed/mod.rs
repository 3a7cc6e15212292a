//! The record of processed events per consumer group: [`record`] inserts `(group, event id)` inside the
//! consumer's transaction and says whether the event is new, so the consumer acts once per event even
//! when the transport delivers it again.

pub mod entity;
mod migration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use migration::Migration;

/// Whether [`record`] inserted the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time: go on and act on the event.
    New,
    /// The group processed this event before: skip it.
    AlreadyProcessed,
}

/// Records that `group` processes `event_id`, in the transaction `conn`. When two deliveries race, the
/// primary key lets exactly one insert; the other waits for it and then sees `AlreadyProcessed` (or, on
/// SQLite, may fail with a busy error and be retried).
pub async fn record(
    conn: &impl ConnectionTrait,
    group: &str,
    event_id: Uuid,
) -> Result<Recorded, DbErr> {
    let inserted = entity::Entity::insert(entity::ActiveModel {
        consumer_group: Set(group.to_owned()),
        event_id: Set(event_id),
        processed_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([entity::Column::ConsumerGroup, entity::Column::EventId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(if inserted == 0 {
        Recorded::AlreadyProcessed
    } else {
        Recorded::New
    })
}

/// Whether `group` has processed `event_id`.
pub async fn is_processed(
    conn: &impl ConnectionTrait,
    group: &str,
    event_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(entity::Entity::find_by_id((group.to_owned(), event_id))
        .one(conn)
        .await?
        .is_some())
}

/// Forgets entries recorded before `before` (keep them longer than any redelivery can take); returns how
/// many were deleted.
pub async fn purge_before(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = entity::Entity::delete_many()
        .filter(entity::Column::ProcessedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
