//! The outbox relay: a background task that publishes a service's committed outbox rows to the
//! transport in outbox order and then marks them published (a batch at a time), so delivery is at least
//! once: a crash in between publishes those rows again, and consumers de-duplicate. It looks every
//! `poll_interval` (a cheap read) and at once when [`outbox::wake_relays`] is called, and stops on the
//! shutdown signal. Only the holder of the database's relay lease publishes, so several relays over one
//! database keep the order and do not double up; if the holder dies, its lease lapses after `lease_ttl`.

use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::time::Instant;
use uuid::Uuid;

use crate::event::DecodeError;
use crate::lifecycle::Shutdown;
use crate::outbox;
use crate::transport::{SharedTransport, TransportError};

/// Settings of a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// How often to look for unpublished rows when not woken.
    pub poll_interval: Duration,
    /// Rows read per query.
    pub batch_size: u64,
    /// How long the relay lease lasts without renewal.
    pub lease_ttl: Duration,
    /// Pause after a database or transport failure.
    pub retry_delay: Duration,
    /// Published rows older than this are deleted (checked every `purge_interval`); `None` keeps them.
    pub retain_published: Option<Duration>,
    pub purge_interval: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            poll_interval: Duration::from_millis(100),
            batch_size: 100,
            lease_ttl: Duration::from_secs(15),
            retry_delay: Duration::from_secs(1),
            retain_published: Some(Duration::from_secs(7 * 24 * 3600)),
            purge_interval: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox database: {0}")]
    Database(#[from] DbErr),
    #[error("publishing: {0}")]
    Transport(#[from] TransportError),
}

/// Publishes one database's outbox.
pub struct Relay {
    db: DatabaseConnection,
    transport: SharedTransport,
    options: RelayOptions,
    /// This relay's lease holder id: `<service>-relay-<uuid>`.
    id: String,
    /// When this relay last took or renewed the lease (if it holds it).
    lease_taken_at: Mutex<Option<Instant>>,
}

impl Relay {
    /// A relay for `service`'s outbox in `db`, publishing to `transport`, with default options.
    pub fn new(db: DatabaseConnection, transport: SharedTransport, service: &str) -> Relay {
        Relay {
            db,
            transport,
            options: RelayOptions::default(),
            id: format!("{service}-relay-{}", Uuid::now_v7().simple()),
            lease_taken_at: Mutex::new(None),
        }
    }

    pub fn with_options(mut self, options: RelayOptions) -> Relay {
        self.options = options;
        self
    }

    /// One pass: if there are unpublished rows and this relay holds (or can take) the lease, publishes
    /// every row unpublished now, in order. Returns how many were published. Looking for rows is a read;
    /// the lease is only written when there is work and it is more than half used.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        let mut published = 0;
        loop {
            if outbox::unpublished(&self.db, 1).await?.is_empty() || !self.hold_lease().await? {
                return Ok(published);
            }
            // Read again under the lease: another relay may have published meanwhile.
            let rows = outbox::unpublished(&self.db, self.options.batch_size).await?;
            let full_batch = rows.len() as u64 == self.options.batch_size;
            let mut done = Vec::with_capacity(rows.len());
            let mut failure = None;
            for row in rows {
                match row.envelope() {
                    Ok(envelope) => match self.transport.publish(&envelope).await {
                        Ok(_) => published += 1,
                        Err(err) => {
                            failure = Some(err);
                            break;
                        }
                    },
                    Err(err) => skip_malformed(row.position, &err),
                }
                done.push(row.position);
            }
            outbox::mark_published(&self.db, &done, Utc::now()).await?;
            if let Some(err) = failure {
                return Err(err.into());
            }
            if !full_batch {
                return Ok(published);
            }
        }
    }

    /// Whether this relay holds the lease, renewing it when more than half of it is used.
    async fn hold_lease(&self) -> Result<bool, DbErr> {
        let now = Instant::now();
        let renew_after = self.options.lease_ttl / 2;
        let cached = *self
            .lease_taken_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cached.is_some_and(|taken| now.saturating_duration_since(taken) < renew_after) {
            return Ok(true);
        }
        let held = outbox::acquire_lease(&self.db, &self.id, self.options.lease_ttl).await?;
        *self
            .lease_taken_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = held.then_some(now);
        Ok(held)
    }

    /// Publishes until `shutdown` fires, then gives the lease up.
    pub async fn run(self, shutdown: Shutdown) {
        let mut commits = outbox::commit_signal();
        let mut next_purge = Instant::now();
        tracing::info!(relay = %self.id, transport = %self.transport.describe(), "outbox relay started");
        while !shutdown.is_triggered() {
            let pause = match self.publish_pending().await {
                Ok(count) => {
                    if count > 0 {
                        tracing::debug!(relay = %self.id, count, "published outbox events");
                    }
                    self.options.poll_interval
                }
                Err(err) => {
                    tracing::warn!(relay = %self.id, error = %err, "outbox relay failed; retrying");
                    self.options.retry_delay
                }
            };
            if Instant::now() >= next_purge {
                next_purge = Instant::now() + self.options.purge_interval;
                self.purge().await;
            }
            tokio::select! {
                () = shutdown.wait() => break,
                _ = commits.changed() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Err(err) = outbox::release_lease(&self.db, &self.id).await {
            tracing::warn!(relay = %self.id, error = %err, "cannot release the relay lease");
        }
        tracing::info!(relay = %self.id, "outbox relay stopped");
    }

    async fn purge(&self) {
        let Some(retain) = self.options.retain_published else {
            return;
        };
        let Ok(retain) = chrono::Duration::from_std(retain) else {
            return;
        };
        match outbox::purge_published(&self.db, Utc::now() - retain).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(relay = %self.id, count, "purged published outbox rows"),
            Err(err) => tracing::warn!(relay = %self.id, error = %err, "cannot purge the outbox"),
        }
    }
}

/// A row that cannot be read as an envelope can never be published; it is logged and passed over so
/// that it does not hold up the rows behind it.
fn skip_malformed(position: i64, err: &DecodeError) {
    tracing::error!(position, error = %err, "skipping a malformed outbox row");
}
