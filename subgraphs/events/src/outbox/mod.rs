//! The transactional outbox: a producer appends its events to `event_outbox` with [`append`] inside the
//! same database transaction as the state change they announce, so an event exists exactly when the
//! change committed. The [relay](crate::relay) later publishes the rows in order. Also owns the relay
//! lease (which of several relays over one database publishes) and the in-process wake-up that lets a
//! relay publish right after a commit instead of at its next poll.

pub mod entity;
pub mod lease;
mod migration;

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use tokio::sync::watch;
use uuid::Uuid;

pub use migration::Migration;

use crate::event::{DomainEvent, EventEnvelope};

/// Appends `event` to the outbox through `conn`, which should be the transaction that makes the change
/// the event announces. Returns the event id. After the transaction commits, call [`wake_relays`] so
/// the relay publishes without waiting for its next poll.
pub async fn append(
    conn: &impl ConnectionTrait,
    producer: &str,
    event: impl Into<DomainEvent>,
    traceparent: Option<String>,
) -> Result<Uuid, DbErr> {
    let envelope = EventEnvelope::new(producer, &event.into(), traceparent)
        .map_err(|e| DbErr::Custom(format!("cannot serialise an event: {e}")))?;
    append_envelope(conn, &envelope).await?;
    Ok(envelope.id)
}

/// Appends a ready-made envelope (for example one a consumer forwards) to the outbox.
pub async fn append_envelope(
    conn: &impl ConnectionTrait,
    envelope: &EventEnvelope,
) -> Result<(), DbErr> {
    let row = entity::ActiveModel {
        event_id: Set(envelope.id),
        event_type: Set(envelope.event_type.clone()),
        version: Set(i32::from(envelope.version)),
        occurred_at: Set(envelope.occurred_at),
        producer: Set(envelope.producer.clone()),
        traceparent: Set(envelope.traceparent.clone()),
        payload: Set(envelope.payload.to_string()),
        published_at: Set(None),
        ..Default::default()
    };
    entity::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Process-wide counter that every relay in the process watches.
static COMMITS: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Tells every relay in this process that new outbox rows may have been committed. Cheap; call it after
/// each commit of a transaction that appended events (the consumer runner does so itself).
pub fn wake_relays() {
    COMMITS.send_modify(|count| *count = count.wrapping_add(1));
}

/// A receiver that changes on every [`wake_relays`].
pub(crate) fn commit_signal() -> watch::Receiver<u64> {
    COMMITS.subscribe()
}

/// The oldest unpublished rows, in order, at most `limit`.
pub async fn unpublished(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::PublishedAt.is_null())
        .order_by_asc(entity::Column::Position)
        .limit(limit)
        .all(conn)
        .await
}

/// Records that the rows at `positions` were published at `at`.
pub async fn mark_published(
    conn: &impl ConnectionTrait,
    positions: &[i64],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if positions.is_empty() {
        return Ok(());
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::PublishedAt, Expr::value(at))
        .filter(entity::Column::Position.is_in(positions.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes rows published before `before`; returns how many.
pub async fn purge_published(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = entity::Entity::delete_many()
        .filter(entity::Column::PublishedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// The name of the lease row of a database's outbox.
const LEASE_NAME: &str = "outbox";

/// Takes or renews the relay lease for `holder` for `ttl`: succeeds when nobody holds it, its holder let
/// it lapse, or `holder` has it already. One conditional `UPDATE`, so of racing relays exactly one wins.
pub async fn acquire_lease(
    conn: &impl ConnectionTrait,
    holder: &str,
    ttl: Duration,
) -> Result<bool, DbErr> {
    let now = Utc::now().timestamp_millis();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    lease::Entity::insert(lease::ActiveModel {
        name: Set(LEASE_NAME.to_owned()),
        holder: Set(String::new()),
        expires_at_ms: Set(0),
    })
    .on_conflict(
        OnConflict::column(lease::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let result = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder))
        .col_expr(
            lease::Column::ExpiresAtMs,
            Expr::value(now.saturating_add(ttl_ms)),
        )
        .filter(lease::Column::Name.eq(LEASE_NAME))
        .filter(
            Condition::any()
                .add(lease::Column::Holder.eq(holder))
                .add(lease::Column::ExpiresAtMs.lt(now)),
        )
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives the lease up if `holder` has it, so another relay can take over at once.
pub async fn release_lease(conn: &impl ConnectionTrait, holder: &str) -> Result<(), DbErr> {
    lease::Entity::update_many()
        .col_expr(lease::Column::ExpiresAtMs, Expr::value(0i64))
        .filter(lease::Column::Name.eq(LEASE_NAME))
        .filter(lease::Column::Holder.eq(holder))
        .exec(conn)
        .await?;
    Ok(())
}
