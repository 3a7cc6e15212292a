//! The Redis Streams transport: events are `XADD`ed to one stream (default `shopgraph:events`); each
//! consuming service is a consumer group on it (`XGROUP CREATE … 0 MKSTREAM`, an existing group is fine);
//! a consumer reads with `XREADGROUP … BLOCK` on its own connection with no response timeout (the client's
//! 500 ms default would cut every blocking read short), acknowledges with `XACK`, retries its own failures
//! by re-claiming them with `XCLAIM` (which counts the delivery), and takes over messages that another
//! consumer left pending longer than the claim idle time with `XAUTOCLAIM`. Delivery counts come from
//! `XPENDING`. Dead letters go to `<stream>:dead` with their error and the original fields, in one
//! `MULTI` with the `XACK`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{
    StreamAutoClaimReply, StreamClaimReply, StreamId, StreamPendingCountReply, StreamRangeReply,
    StreamReadReply,
};
use redis::{RedisError, Value};
use tokio::time::Instant;

use super::{DeadLetter, Delivery, Subscription, Transport, TransportError};
use crate::event::EventEnvelope;

/// The stream events go to unless configured otherwise.
pub const DEFAULT_STREAM: &str = "shopgraph:events";

/// Longest single `XREADGROUP … BLOCK`; `next` loops for longer waits.
const MAX_BLOCK: Duration = Duration::from_secs(5);
/// How much longer than its `BLOCK` a read may take before the connection is considered wedged and
/// replaced (the connection itself has no response timeout).
const READ_GRACE: Duration = Duration::from_secs(10);

/// Settings of the Redis Streams transport.
#[derive(Debug, Clone)]
pub struct RedisStreamsOptions {
    /// The event stream; the dead letters go to `<stream>:dead`.
    pub stream: String,
    /// A pending message that no consumer touched for this long is delivered to another consumer.
    pub claim_idle: Duration,
    /// How often a consumer looks for such messages.
    pub claim_interval: Duration,
    /// Messages fetched per read.
    pub read_count: usize,
    /// Trim the stream to about this many messages on publish (`XADD MAXLEN ~`); `None` keeps all.
    /// Trimming can drop messages a lagging group has not read yet.
    pub max_len: Option<usize>,
}

impl Default for RedisStreamsOptions {
    fn default() -> Self {
        RedisStreamsOptions {
            stream: DEFAULT_STREAM.to_owned(),
            claim_idle: Duration::from_secs(30),
            claim_interval: Duration::from_secs(5),
            read_count: 16,
            max_len: None,
        }
    }
}

impl RedisStreamsOptions {
    /// The defaults with another stream name (tests use a unique one each).
    pub fn with_stream(stream: impl Into<String>) -> RedisStreamsOptions {
        RedisStreamsOptions {
            stream: stream.into(),
            ..RedisStreamsOptions::default()
        }
    }
}

/// Events over Redis Streams. Cloning shares the publishing connection.
#[derive(Clone)]
pub struct RedisStreams {
    client: redis::Client,
    publisher: ConnectionManager,
    options: Arc<RedisStreamsOptions>,
    dead_stream: Arc<str>,
}

impl fmt::Debug for RedisStreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStreams")
            .field("stream", &self.options.stream)
            .finish_non_exhaustive()
    }
}

impl RedisStreams {
    /// Connects to `url` (`redis://host:port/db`) and checks that the server answers.
    pub async fn connect(
        url: &str,
        options: RedisStreamsOptions,
    ) -> Result<RedisStreams, TransportError> {
        let client = redis::Client::open(url)
            .map_err(|e| TransportError::InvalidUrl(format!("{}: {e}", redact(url))))?;
        let mut publisher = client.get_connection_manager().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut publisher)
            .await?;
        let dead_stream = format!("{}:dead", options.stream).into();
        Ok(RedisStreams {
            client,
            publisher,
            options: Arc::new(options),
            dead_stream,
        })
    }

    /// The event stream's key.
    pub fn stream(&self) -> &str {
        &self.options.stream
    }

    /// The dead-letter stream's key.
    pub fn dead_letter_stream(&self) -> &str {
        &self.dead_stream
    }

    /// A connection of its own for blocking reads: no response timeout.
    async fn reading_connection(client: &redis::Client) -> Result<ConnectionManager, RedisError> {
        client
            .get_connection_manager_with_config(
                ConnectionManagerConfig::new().set_response_timeout(None),
            )
            .await
    }
}

#[async_trait]
impl Transport for RedisStreams {
    async fn publish(&self, envelope: &EventEnvelope) -> Result<String, TransportError> {
        let mut command = redis::cmd("XADD");
        command.arg(&self.options.stream);
        if let Some(max_len) = self.options.max_len {
            command.arg("MAXLEN").arg("~").arg(max_len);
        }
        command.arg("*");
        for (name, value) in envelope.to_fields() {
            command.arg(name).arg(value);
        }
        let mut conn = self.publisher.clone();
        Ok(command.query_async::<String>(&mut conn).await?)
    }

    async fn subscribe(
        &self,
        group: &str,
        consumer: &str,
    ) -> Result<Box<dyn Subscription>, TransportError> {
        let mut conn = Self::reading_connection(&self.client).await?;
        create_group(&mut conn, &self.options.stream, group).await?;
        Ok(Box::new(RedisSubscription {
            client: self.client.clone(),
            conn,
            options: Arc::clone(&self.options),
            dead_stream: Arc::clone(&self.dead_stream),
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            buffer: VecDeque::new(),
            retries: Vec::new(),
            next_claim_at: Instant::now(),
            claim_cursor: String::from("0-0"),
        }))
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, TransportError> {
        let mut conn = self.publisher.clone();
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&*self.dead_stream)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut conn)
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .map(|entry| {
                let id = entry.id.clone();
                DeadLetter::from_fields(id, string_fields(entry))
            })
            .collect())
    }

    fn describe(&self) -> String {
        format!("redis stream {}", self.options.stream)
    }
}

/// Creates `group` on `stream` (and the stream) unless it exists; it starts at the stream's beginning.
async fn create_group(
    conn: &mut ConnectionManager,
    stream: &str,
    group: &str,
) -> Result<(), TransportError> {
    let created = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async::<()>(conn)
        .await;
    match created {
        Ok(()) => Ok(()),
        Err(err) if has_code(&err, "BUSYGROUP") => Ok(()),
        Err(err) => Err(err.into()),
    }
}

fn has_code(err: &RedisError, code: &str) -> bool {
    err.code() == Some(code) || err.to_string().contains(code)
}

/// The entry's fields as text.
fn string_fields(entry: StreamId) -> HashMap<String, String> {
    entry
        .map
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Value::SimpleString(text) => text,
                Value::Int(n) => n.to_string(),
                other => format!("{other:?}"),
            };
            (name, text)
        })
        .collect()
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    shopgraph_kit::db::redact(url)
}

struct RedisSubscription {
    client: redis::Client,
    conn: ConnectionManager,
    options: Arc<RedisStreamsOptions>,
    dead_stream: Arc<str>,
    group: String,
    consumer: String,
    /// Read or claimed, not yet handed out.
    buffer: VecDeque<Delivery>,
    /// Own failed messages to claim again, with when.
    retries: Vec<(Instant, String)>,
    next_claim_at: Instant,
    claim_cursor: String,
}

impl RedisSubscription {
    fn stream(&self) -> &str {
        &self.options.stream
    }

    /// How many times message `id` has been delivered to the group.
    async fn delivery_count(&mut self, id: &str) -> Result<u32, TransportError> {
        let reply: StreamPendingCountReply = redis::cmd("XPENDING")
            .arg(&self.options.stream)
            .arg(&self.group)
            .arg(id)
            .arg(id)
            .arg(1)
            .query_async(&mut self.conn)
            .await?;
        Ok(reply.ids.first().map_or(1, |pending| {
            u32::try_from(pending.times_delivered).unwrap_or(u32::MAX)
        }))
    }

    /// Claims a due retry of our own again (counting a delivery) into the buffer.
    async fn claim_due_retry(&mut self, now: Instant) -> Result<bool, TransportError> {
        let Some(index) = self.retries.iter().position(|(due, _)| *due <= now) else {
            return Ok(false);
        };
        let (_, id) = self.retries.swap_remove(index);
        let reply: StreamClaimReply = redis::cmd("XCLAIM")
            .arg(&self.options.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(0)
            .arg(&id)
            .query_async(&mut self.conn)
            .await?;
        // Nothing comes back when the message was acknowledged or trimmed meanwhile.
        for entry in reply.ids {
            let attempt = self.delivery_count(&entry.id).await?;
            self.buffer.push_back(Delivery {
                message_id: entry.id.clone(),
                attempt,
                fields: string_fields(entry),
            });
        }
        Ok(true)
    }

    /// Takes over messages other consumers left pending for longer than the claim idle time.
    async fn claim_abandoned(&mut self, now: Instant) -> Result<(), TransportError> {
        let idle_ms = u64::try_from(self.options.claim_idle.as_millis()).unwrap_or(u64::MAX);
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&self.options.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(idle_ms)
            .arg(&self.claim_cursor)
            .arg("COUNT")
            .arg(self.options.read_count)
            .query_async(&mut self.conn)
            .await?;
        for id in &reply.deleted_ids {
            // Trimmed away while pending: nothing left to deliver.
            redis::cmd("XACK")
                .arg(&self.options.stream)
                .arg(&self.group)
                .arg(id)
                .query_async::<()>(&mut self.conn)
                .await?;
        }
        for entry in reply.claimed {
            // A retry of ours that got claimed back is delivered now; drop its schedule.
            self.retries.retain(|(_, id)| *id != entry.id);
            let attempt = self.delivery_count(&entry.id).await?;
            tracing::info!(
                group = %self.group,
                message_id = %entry.id,
                attempt,
                "reclaimed a message left unacknowledged by another consumer"
            );
            self.buffer.push_back(Delivery {
                message_id: entry.id.clone(),
                attempt,
                fields: string_fields(entry),
            });
        }
        if reply.next_stream_id == "0-0" {
            self.claim_cursor = reply.next_stream_id;
            self.next_claim_at = now + self.options.claim_interval;
        } else {
            self.claim_cursor = reply.next_stream_id;
        }
        Ok(())
    }

    /// Reads new messages into the buffer, blocking up to `block` (not at all when zero).
    async fn read_new(&mut self, block: Duration) -> Result<(), TransportError> {
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(self.options.read_count);
        let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX);
        if block_ms > 0 {
            command.arg("BLOCK").arg(block_ms);
        }
        command.arg("STREAMS").arg(&self.options.stream).arg(">");
        let read = tokio::time::timeout(
            block + READ_GRACE,
            command.query_async::<Option<StreamReadReply>>(&mut self.conn),
        )
        .await;
        let reply = match read {
            Ok(reply) => reply?,
            Err(_) => {
                // The connection is wedged (no reply long after the block ended): start a new one.
                self.conn = RedisStreams::reading_connection(&self.client).await?;
                return Err(TransportError::Protocol(format!(
                    "no reply to XREADGROUP within {:?}; reconnected",
                    block + READ_GRACE
                )));
            }
        };
        for key in reply.map(|reply| reply.keys).unwrap_or_default() {
            for entry in key.ids {
                self.buffer.push_back(Delivery {
                    message_id: entry.id.clone(),
                    attempt: 1,
                    fields: string_fields(entry),
                });
            }
        }
        Ok(())
    }

    async fn next_once(&mut self, deadline: Instant) -> Result<Option<Delivery>, TransportError> {
        loop {
            if let Some(delivery) = self.buffer.pop_front() {
                return Ok(Some(delivery));
            }
            let now = Instant::now();
            if self.claim_due_retry(now).await? {
                continue;
            }
            if now >= self.next_claim_at {
                self.claim_abandoned(now).await?;
                if !self.buffer.is_empty() {
                    continue;
                }
            }
            let mut until = deadline.min(self.next_claim_at).min(now + MAX_BLOCK);
            if let Some(due) = self.retries.iter().map(|(due, _)| *due).min() {
                until = until.min(due);
            }
            self.read_new(until.saturating_duration_since(now)).await?;
            if self.buffer.is_empty() && Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }
}

#[async_trait]
impl Subscription for RedisSubscription {
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, TransportError> {
        let deadline = Instant::now() + wait;
        match self.next_once(deadline).await {
            Err(TransportError::Redis(err)) if has_code(&err, "NOGROUP") => {
                // The stream or the group was deleted under us: create them again and go on.
                let stream = self.stream().to_owned();
                create_group(&mut self.conn, &stream, &self.group).await?;
                self.next_once(deadline).await
            }
            other => other,
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError> {
        self.retries.retain(|(_, id)| *id != delivery.message_id);
        redis::cmd("XACK")
            .arg(&self.options.stream)
            .arg(&self.group)
            .arg(&delivery.message_id)
            .query_async::<()>(&mut self.conn)
            .await?;
        Ok(())
    }

    async fn retry_later(
        &mut self,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), TransportError> {
        self.retries.retain(|(_, id)| *id != delivery.message_id);
        self.retries
            .push((Instant::now() + delay, delivery.message_id.clone()));
        Ok(())
    }

    async fn dead_letter(
        &mut self,
        delivery: &Delivery,
        error: &str,
    ) -> Result<(), TransportError> {
        self.retries.retain(|(_, id)| *id != delivery.message_id);
        let mut add = redis::cmd("XADD");
        add.arg(&*self.dead_stream).arg("*");
        for (name, value) in DeadLetter::fields_for(delivery, &self.group, error) {
            add.arg(name).arg(value);
        }
        let mut ack = redis::cmd("XACK");
        ack.arg(&self.options.stream)
            .arg(&self.group)
            .arg(&delivery.message_id);
        redis::pipe()
            .atomic()
            .add_command(add)
            .ignore()
            .add_command(ack)
            .ignore()
            .query_async::<()>(&mut self.conn)
            .await?;
        Ok(())
    }
}
