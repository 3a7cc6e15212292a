//! How events travel between services: the [`Transport`] trait (publish to the one event stream; join a
//! consumer group; read the dead letters) and its [`Subscription`] (next delivery, ack, retry later,
//! dead-letter), with two implementations of the same semantics — [`RedisStreams`] for deployments and
//! [`InProcessBus`] for the one-process development stack and tests — and [`from_config`], which picks
//! Redis when `REDIS_URL` is configured (stream and claim idle time from `EVENTS_STREAM` and
//! `EVENTS_CLAIM_IDLE_MS`).
//!
//! Semantics shared by both: every consumer group receives every event (a new group starts at the
//! beginning of the stream); within a group each message goes to one consumer; a message stays pending
//! until acknowledged, and a pending message whose consumer has not touched it for the claim idle time
//! (it crashed, or stalled) is delivered again to another consumer of the group; every delivery counts
//! as an attempt; a dead-lettered message is copied with its error to the dead-letter stream and
//! acknowledged.

mod in_process;
mod redis_streams;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shopgraph_kit::Config;

pub use in_process::InProcessBus;
pub use redis_streams::{DEFAULT_STREAM, RedisStreams, RedisStreamsOptions};

use crate::event::{DecodeError, EventEnvelope};

/// A transport shared by the relay and the consumers of a process.
pub type SharedTransport = Arc<dyn Transport>;

/// Fields a dead letter carries next to the original message's fields.
pub mod dead_letter_field {
    /// The error of the last attempt.
    pub const ERROR: &str = "error";
    /// The consumer group that gave up on the message.
    pub const GROUP: &str = "group";
    /// The message id in the event stream.
    pub const ORIGINAL_ID: &str = "original_id";
    /// How many deliveries were attempted.
    pub const ATTEMPTS: &str = "attempts";
    /// When the message was dead-lettered (RFC 3339).
    pub const DEAD_AT: &str = "dead_at";

    pub(crate) const ALL: [&str; 5] = [ERROR, GROUP, ORIGINAL_ID, ATTEMPTS, DEAD_AT];
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("invalid REDIS_URL: {0}")]
    InvalidUrl(String),
    #[error("unexpected reply from the transport: {0}")]
    Protocol(String),
    #[error("invalid value for environment variable {name}: {message}")]
    InvalidSetting { name: &'static str, message: String },
}

/// The event stream and its consumer groups.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Appends `envelope` to the event stream; returns the id the stream gave the message.
    async fn publish(&self, envelope: &EventEnvelope) -> Result<String, TransportError>;

    /// Joins `group` (created when missing, starting at the beginning of the stream) as `consumer`, a
    /// name unique to this subscription.
    async fn subscribe(
        &self,
        group: &str,
        consumer: &str,
    ) -> Result<Box<dyn Subscription>, TransportError>;

    /// The dead letters of every group, oldest first, at most `limit`.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, TransportError>;

    /// What this transport is, for logs: `redis stream shopgraph:events`, `in-process bus`.
    fn describe(&self) -> String;
}

/// One consumer's membership in a consumer group.
#[async_trait]
pub trait Subscription: Send {
    /// The next message for this consumer — a retry that is due, a message reclaimed from a consumer
    /// that stopped acknowledging, or a new message — waiting at most `wait`; `None` if none came.
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, TransportError>;

    /// The group is done with the message.
    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError>;

    /// Delivers the (unacknowledged) message to this consumer again after `delay`; that delivery counts
    /// as a new attempt. Keep `delay` below the claim idle time, or another consumer may claim it first.
    async fn retry_later(
        &mut self,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), TransportError>;

    /// Copies the message with `error` to the dead-letter stream and acknowledges it.
    async fn dead_letter(&mut self, delivery: &Delivery, error: &str)
    -> Result<(), TransportError>;
}

/// A message handed to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message id in the event stream.
    pub message_id: String,
    /// How many times the message has been delivered to the group, this delivery included (1 at first).
    pub attempt: u32,
    /// The message's fields ([`EventEnvelope::to_fields`]).
    pub fields: HashMap<String, String>,
}

impl Delivery {
    /// The envelope in the message.
    pub fn envelope(&self) -> Result<EventEnvelope, DecodeError> {
        EventEnvelope::from_fields(&self.fields)
    }
}

/// A message a consumer group gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Id of the entry in the dead-letter stream.
    pub id: String,
    pub group: String,
    /// Id of the message in the event stream.
    pub original_id: String,
    pub attempts: u32,
    pub error: String,
    pub dead_at: Option<DateTime<Utc>>,
    /// The original message's fields.
    pub fields: HashMap<String, String>,
}

impl DeadLetter {
    /// The dead letter as stream fields: the original fields plus [`dead_letter_field`]s.
    pub(crate) fn fields_for(
        delivery: &Delivery,
        group: &str,
        error: &str,
    ) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = delivery
            .fields
            .iter()
            .filter(|(name, _)| !dead_letter_field::ALL.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        fields.sort();
        fields.extend([
            (dead_letter_field::ERROR.to_owned(), error.to_owned()),
            (dead_letter_field::GROUP.to_owned(), group.to_owned()),
            (
                dead_letter_field::ORIGINAL_ID.to_owned(),
                delivery.message_id.clone(),
            ),
            (
                dead_letter_field::ATTEMPTS.to_owned(),
                delivery.attempt.to_string(),
            ),
            (
                dead_letter_field::DEAD_AT.to_owned(),
                Utc::now().to_rfc3339(),
            ),
        ]);
        fields
    }

    /// The dead letter stored as `fields` under `id`.
    pub(crate) fn from_fields(id: String, mut fields: HashMap<String, String>) -> DeadLetter {
        let mut take = |name: &str| fields.remove(name).unwrap_or_default();
        let error = take(dead_letter_field::ERROR);
        let group = take(dead_letter_field::GROUP);
        let original_id = take(dead_letter_field::ORIGINAL_ID);
        let attempts = take(dead_letter_field::ATTEMPTS).parse().unwrap_or(0);
        let dead_at = DateTime::parse_from_rfc3339(&take(dead_letter_field::DEAD_AT))
            .ok()
            .map(|at| at.with_timezone(&Utc));
        DeadLetter {
            id,
            group,
            original_id,
            attempts,
            error,
            dead_at,
            fields,
        }
    }

    /// The original envelope, if it was well-formed.
    pub fn envelope(&self) -> Result<EventEnvelope, DecodeError> {
        EventEnvelope::from_fields(&self.fields)
    }
}

/// The environment variable naming the Redis event stream (default [`DEFAULT_STREAM`]); services that
/// should see each other's events use the same one.
pub const STREAM_ENV: &str = "EVENTS_STREAM";
/// The environment variable holding, in milliseconds, how long a pending message sits untouched before
/// another consumer of its group takes it over (default 30 000).
pub const CLAIM_IDLE_ENV: &str = "EVENTS_CLAIM_IDLE_MS";

/// The transport a service uses: Redis Streams when `config.redis_url` is set — connected and checked
/// now, with [`redis_options_from_env`] — otherwise `fallback` (the development stack passes its one
/// shared [`InProcessBus`]; a service on its own passes `None`, and its events stay in the outbox).
pub async fn from_config(
    config: &Config,
    fallback: Option<SharedTransport>,
) -> Result<Option<SharedTransport>, TransportError> {
    match config.redis_url.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => {
            let options = redis_options_from_env(|name| std::env::var(name).ok())?;
            let redis = RedisStreams::connect(url, options).await?;
            Ok(Some(Arc::new(redis)))
        }
        None => Ok(fallback),
    }
}

/// The Redis Streams defaults overlaid with [`STREAM_ENV`] and [`CLAIM_IDLE_ENV`] read through `var`
/// (empty values count as unset). A shorter claim idle time also makes consumers look for abandoned
/// messages at least that often.
pub fn redis_options_from_env(
    var: impl Fn(&str) -> Option<String>,
) -> Result<RedisStreamsOptions, TransportError> {
    let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let mut options = RedisStreamsOptions::default();
    if let Some(stream) = var(STREAM_ENV) {
        options.stream = stream.trim().to_owned();
    }
    if let Some(ms) = var(CLAIM_IDLE_ENV) {
        let claim_idle = ms
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| TransportError::InvalidSetting {
                name: CLAIM_IDLE_ENV,
                message: format!("`{ms}` (expected a whole number of milliseconds, at least 1)"),
            })?;
        options.claim_idle = claim_idle;
        options.claim_interval = options.claim_interval.min(claim_idle);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_and_claim_idle_come_from_the_environment() {
        let defaults = redis_options_from_env(|_| None).unwrap();
        assert_eq!(defaults.stream, DEFAULT_STREAM);
        assert_eq!(
            defaults.claim_idle,
            RedisStreamsOptions::default().claim_idle
        );
        let options = redis_options_from_env(|name| match name {
            STREAM_ENV => Some(" test:events ".to_owned()),
            CLAIM_IDLE_ENV => Some("1500".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(options.stream, "test:events");
        assert_eq!(options.claim_idle, Duration::from_millis(1500));
        assert_eq!(options.claim_interval, Duration::from_millis(1500));
        for bad in ["0", "soon", "-1"] {
            let err =
                redis_options_from_env(|name| (name == CLAIM_IDLE_ENV).then(|| bad.to_owned()))
                    .unwrap_err();
            assert!(err.to_string().contains(CLAIM_IDLE_ENV), "{err}");
        }
    }
}
