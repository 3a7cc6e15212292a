//! The reservation expiry sweep: every `sweep_interval` it releases the `RESERVED` reservations whose
//! `expires_at` has passed (units back in stock) and emits one `ReservationExpired` per order, each
//! order in its own transaction with its event. Any number of sweepers (one per products instance) may
//! run: the release is a conditional update on the status, so each reservation is released, and each
//! order's event written, once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use shopgraph_events::{ReservationExpired, Shutdown, outbox};
use uuid::Uuid;

use super::ReservationSettings;
use crate::SERVICE;
use crate::catalogue;
use crate::entity::reservation::{self, ReservationStatus};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Orders with at least one reservation released by this sweep (one `ReservationExpired` each).
    pub orders: u32,
    /// Reservations released by this sweep.
    pub reservations: u32,
}

/// Releases lapsed reservations of one products database.
#[derive(Debug, Clone)]
pub struct ExpirySweeper {
    db: DatabaseConnection,
    settings: ReservationSettings,
}

impl ExpirySweeper {
    pub fn new(db: DatabaseConnection, settings: ReservationSettings) -> ExpirySweeper {
        ExpirySweeper { db, settings }
    }

    /// Sweeps now.
    pub async fn sweep(&self) -> Result<SweepReport, DbErr> {
        self.sweep_at(catalogue::now()).await
    }

    /// Releases every reservation still `RESERVED` with `expires_at <= now`, a batch of
    /// `sweep_batch` at a time.
    pub async fn sweep_at(&self, now: DateTime<Utc>) -> Result<SweepReport, DbErr> {
        let mut report = SweepReport::default();
        loop {
            let due = reservation::Entity::find()
                .filter(reservation::Column::Status.eq(ReservationStatus::Reserved.as_str()))
                .filter(reservation::Column::ExpiresAt.lte(now))
                .order_by_asc(reservation::Column::ExpiresAt)
                .limit(self.settings.sweep_batch)
                .all(&self.db)
                .await?;
            let full_batch = due.len() as u64 == self.settings.sweep_batch;
            let mut by_order: BTreeMap<Uuid, Vec<reservation::Model>> = BTreeMap::new();
            for row in due {
                by_order.entry(row.order_id).or_default().push(row);
            }
            let mut released_now = 0;
            for (order_id, rows) in by_order {
                let released = self.expire_order(order_id, &rows, now).await?;
                if released > 0 {
                    report.orders += 1;
                    report.reservations += released;
                    released_now += released;
                    tracing::info!(%order_id, reservations = released, "reservation expired; stock released");
                }
            }
            // Another sweeper may have taken this batch: only go on while this one makes progress.
            if !full_batch || released_now == 0 {
                return Ok(report);
            }
        }
    }

    /// Releases `rows` of `order_id` and writes `ReservationExpired` if any was released, in one
    /// transaction (a write transaction from the start on SQLite, so it waits for other writers).
    async fn expire_order(
        &self,
        order_id: Uuid,
        rows: &[reservation::Model],
        now: DateTime<Utc>,
    ) -> Result<u32, DbErr> {
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?;
        let released = super::expire(&txn, rows, now).await?;
        if released == 0 {
            txn.rollback().await?;
            return Ok(0);
        }
        outbox::append(&txn, SERVICE, ReservationExpired { order_id }, None).await?;
        txn.commit().await?;
        outbox::wake_relays();
        Ok(released)
    }

    /// Sweeps every `sweep_interval` until `shutdown` fires.
    pub async fn run(self, shutdown: Shutdown) {
        tracing::info!(
            ttl = ?self.settings.ttl,
            interval = ?self.settings.sweep_interval,
            "reservation expiry sweep started"
        );
        while !shutdown.is_triggered() {
            if let Err(err) = self.sweep().await {
                tracing::warn!(error = %err, "reservation expiry sweep failed; retrying");
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(self.settings.sweep_interval) => {}
            }
        }
        tracing::info!("reservation expiry sweep stopped");
    }
}
