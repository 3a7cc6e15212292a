//! The consumer runner: one consumer of a consumer group, driving an [`EventHandler`] so that its effect
//! happens once per event although the transport delivers at least once. Per delivery: decode the
//! envelope (a malformed message, an unknown type or an unsupported version is dead-lettered at once);
//! skip, with an ack, the types the handler does not want; otherwise begin a transaction, record
//! `(group, event id)` as processed — if it was already, roll back and ack — run the handler in the
//! transaction, commit (the processed record, the handler's changes and any events it appended to the
//! outbox together), then ack. A failure rolls everything back and the message is delivered again after
//! an exponential backoff; after `max_attempts` deliveries (or at once for [`HandlerError::Permanent`])
//! it goes to the dead-letter stream with the error text.

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use crate::event::{DomainEvent, EventEnvelope};
use crate::lifecycle::Shutdown;
use crate::outbox;
use crate::processed::{self, Recorded};
use crate::transport::{Delivery, SharedTransport, Subscription, TransportError};

/// Which event types a handler acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interest {
    /// Every event, including types this build does not know (which are then dead-lettered).
    All,
    /// Only these types (`EventPayload::TYPE`); others are acknowledged and skipped.
    Only(Vec<&'static str>),
}

impl Interest {
    /// Only the listed types.
    pub fn only(types: impl IntoIterator<Item = &'static str>) -> Interest {
        Interest::Only(types.into_iter().collect())
    }

    pub fn wants(&self, event_type: &str) -> bool {
        match self {
            Interest::All => true,
            Interest::Only(types) => types.contains(&event_type),
        }
    }
}

/// An event handed to a handler.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    /// The envelope as published (id, producer, `traceparent` to carry on into new events, …).
    pub envelope: EventEnvelope,
    /// The typed event.
    pub event: DomainEvent,
    /// Which delivery this is (1 at first).
    pub attempt: u32,
}

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A database failure; retried.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Any other failure that may pass; retried.
    #[error("{0}")]
    Failed(String),
    /// A failure that retrying cannot fix; dead-lettered at once.
    #[error("{0}")]
    Permanent(String),
}

impl HandlerError {
    pub fn failed(message: impl Into<String>) -> HandlerError {
        HandlerError::Failed(message.into())
    }

    pub fn permanent(message: impl Into<String>) -> HandlerError {
        HandlerError::Permanent(message.into())
    }
}

/// What a consuming service does with events. The runner calls `handle` inside a transaction that also
/// records the event as processed; write through `txn` (including `outbox::append(txn, …)`) so that
/// everything commits together or not at all. Handlers should be deterministic over the database: a
/// failed attempt leaves no trace and the next one starts afresh.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// The event types to receive.
    fn interest(&self) -> Interest;

    /// Acts on one event.
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError>;
}

/// Settings of a consumer.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// Deliveries before a failing message is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the second delivery; doubled for each one after, up to `max_backoff`. Keep
    /// `max_backoff` below the transport's claim idle time.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Longest wait for a message before looking at the shutdown signal again.
    pub read_wait: Duration,
    /// Pause after a transport failure.
    pub error_pause: Duration,
    /// Processed-event records older than this are deleted (checked hourly); `None` keeps them.
    pub retain_processed: Option<Duration>,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            read_wait: Duration::from_secs(1),
            error_pause: Duration::from_secs(1),
            retain_processed: Some(Duration::from_secs(30 * 24 * 3600)),
        }
    }
}

impl ConsumerOptions {
    /// The delay before delivery `attempt + 1` after delivery `attempt` failed.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler ran and its transaction committed.
    Handled,
    /// The group had processed this event already.
    Duplicate,
    /// The handler does not want this type.
    Skipped,
    /// Delivered again later.
    Retrying { error: String },
    /// Moved to the dead-letter stream.
    DeadLettered { error: String },
}

/// One consumer of `group` running `handler` over `db`.
pub struct Consumer<H> {
    db: DatabaseConnection,
    transport: SharedTransport,
    group: String,
    handler: H,
    options: ConsumerOptions,
}

const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

impl<H: EventHandler> Consumer<H> {
    /// A consumer of `group` (conventionally the consuming service's name) with default options.
    pub fn new(
        db: DatabaseConnection,
        transport: SharedTransport,
        group: &str,
        handler: H,
    ) -> Consumer<H> {
        Consumer {
            db,
            transport,
            group: group.to_owned(),
            handler,
            options: ConsumerOptions::default(),
        }
    }

    pub fn with_options(mut self, options: ConsumerOptions) -> Consumer<H> {
        self.options = options;
        self
    }

    /// Joins the group and handles deliveries until `shutdown` fires.
    pub async fn run(self, shutdown: Shutdown) {
        let consumer = format!("{}-{}", self.group, Uuid::now_v7().simple());
        let mut subscription = loop {
            match self.transport.subscribe(&self.group, &consumer).await {
                Ok(subscription) => break subscription,
                Err(err) => {
                    tracing::warn!(group = %self.group, error = %err, "cannot join the consumer group; retrying");
                    tokio::select! {
                        () = shutdown.wait() => return,
                        () = tokio::time::sleep(self.options.error_pause) => {}
                    }
                }
            }
        };
        tracing::info!(group = %self.group, consumer = %consumer, transport = %self.transport.describe(), "event consumer started");
        let mut next_purge = Instant::now();
        while !shutdown.is_triggered() {
            let next = tokio::select! {
                () = shutdown.wait() => break,
                next = subscription.next(self.options.read_wait) => next,
            };
            let result = match next {
                Ok(Some(delivery)) => self
                    .process(subscription.as_mut(), &delivery)
                    .await
                    .map(drop),
                Ok(None) => Ok(()),
                Err(err) => Err(err),
            };
            if let Err(err) = result {
                tracing::warn!(group = %self.group, error = %err, "event transport failed; retrying");
                tokio::select! {
                    () = shutdown.wait() => break,
                    () = tokio::time::sleep(self.options.error_pause) => {}
                }
            }
            if Instant::now() >= next_purge {
                next_purge = Instant::now() + PURGE_INTERVAL;
                self.purge().await;
            }
        }
        tracing::info!(group = %self.group, consumer = %consumer, "event consumer stopped");
    }

    /// Handles one delivery to its end: acknowledged, scheduled again, or dead-lettered.
    pub async fn process(
        &self,
        subscription: &mut dyn Subscription,
        delivery: &Delivery,
    ) -> Result<Outcome, TransportError> {
        let envelope = match delivery.envelope() {
            Ok(envelope) => envelope,
            Err(err) => {
                return self
                    .dead_letter(subscription, delivery, err.to_string())
                    .await;
            }
        };
        if !self.handler.interest().wants(&envelope.event_type) {
            subscription.ack(delivery).await?;
            return Ok(Outcome::Skipped);
        }
        let event = match envelope.decode() {
            Ok(event) => event,
            Err(err) => {
                return self
                    .dead_letter(subscription, delivery, err.to_string())
                    .await;
            }
        };
        let span = tracing::info_span!(
            "event",
            group = %self.group,
            event_id = %envelope.id,
            event_type = %envelope.event_type,
            attempt = delivery.attempt,
            traceparent = envelope.traceparent.as_deref().unwrap_or(""),
        );
        let received = ReceivedEvent {
            envelope,
            event,
            attempt: delivery.attempt,
        };
        match self.apply(&received).instrument(span.clone()).await {
            Ok(Recorded::New) => {
                subscription.ack(delivery).await?;
                tracing::debug!(parent: &span, "event handled");
                Ok(Outcome::Handled)
            }
            Ok(Recorded::AlreadyProcessed) => {
                subscription.ack(delivery).await?;
                tracing::debug!(parent: &span, "event processed before; skipped");
                Ok(Outcome::Duplicate)
            }
            Err(HandlerError::Permanent(error)) => {
                self.dead_letter(subscription, delivery, error).await
            }
            Err(err) if delivery.attempt >= self.options.max_attempts => {
                self.dead_letter(subscription, delivery, err.to_string())
                    .await
            }
            Err(err) => {
                let delay = self.options.backoff(delivery.attempt);
                tracing::warn!(parent: &span, error = %err, retry_in = ?delay, "event handler failed; will retry");
                subscription.retry_later(delivery, delay).await?;
                Ok(Outcome::Retrying {
                    error: err.to_string(),
                })
            }
        }
    }

    /// Records the event and runs the handler in one transaction.
    async fn apply(&self, received: &ReceivedEvent) -> Result<Recorded, HandlerError> {
        let txn = self.db.begin().await?;
        if processed::record(&txn, &self.group, received.envelope.id).await?
            == Recorded::AlreadyProcessed
        {
            txn.rollback().await?;
            return Ok(Recorded::AlreadyProcessed);
        }
        if let Err(err) = self.handler.handle(&txn, received).await {
            txn.rollback().await?;
            return Err(err);
        }
        txn.commit().await?;
        outbox::wake_relays();
        Ok(Recorded::New)
    }

    async fn dead_letter(
        &self,
        subscription: &mut dyn Subscription,
        delivery: &Delivery,
        error: String,
    ) -> Result<Outcome, TransportError> {
        tracing::error!(
            group = %self.group,
            message_id = %delivery.message_id,
            attempt = delivery.attempt,
            error = %error,
            "event dead-lettered"
        );
        subscription.dead_letter(delivery, &error).await?;
        Ok(Outcome::DeadLettered { error })
    }

    async fn purge(&self) {
        let Some(retain) = self
            .options
            .retain_processed
            .and_then(|retain| chrono::Duration::from_std(retain).ok())
        else {
            return;
        };
        if let Err(err) = processed::purge_before(&self.db, chrono::Utc::now() - retain).await {
            tracing::warn!(group = %self.group, error = %err, "cannot purge processed-event records");
        }
    }
}
