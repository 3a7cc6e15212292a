//! The in-process event bus: the Redis Streams semantics inside one process, for the one-process
//! development stack (every service shares one bus) and tests. One append-only log; each consumer group
//! has a read position and its pending (delivered, unacknowledged) messages; a pending message comes
//! back when its consumer asks for a retry, when that consumer is dropped (its task ended or was
//! aborted), or when it sat untouched for the claim idle time; dead letters are kept in a list. Nothing
//! survives the process, and the log is never trimmed: it is meant for development.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{DeadLetter, Delivery, Subscription, Transport, TransportError};
use crate::event::EventEnvelope;

/// An event bus inside this process. Clones share the bus.
#[derive(Clone)]
pub struct InProcessBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    state: Mutex<BusState>,
    /// Bumped on every change a waiting consumer may care about.
    changed: watch::Sender<u64>,
    claim_idle: Duration,
}

#[derive(Default)]
struct BusState {
    log: Vec<HashMap<String, String>>,
    groups: HashMap<String, Group>,
    dead: Vec<DeadLetter>,
    live_subscribers: HashSet<u64>,
    next_subscriber: u64,
}

#[derive(Default)]
struct Group {
    /// Index in the log of the next message no consumer of the group has seen.
    next: usize,
    /// Delivered and not acknowledged, by log index.
    pending: BTreeMap<usize, Pending>,
}

struct Pending {
    owner: u64,
    delivered_at: Instant,
    deliveries: u32,
    retry_at: Option<Instant>,
}

impl fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("InProcessBus")
            .field("messages", &state.log.len())
            .field("groups", &state.groups.len())
            .field("dead_letters", &state.dead.len())
            .finish()
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus::new()
    }
}

impl InProcessBus {
    /// A bus whose pending messages are reclaimed after 30 s untouched.
    pub fn new() -> InProcessBus {
        InProcessBus::with_claim_idle(Duration::from_secs(30))
    }

    /// A bus whose pending messages are reclaimed after `claim_idle` untouched.
    pub fn with_claim_idle(claim_idle: Duration) -> InProcessBus {
        InProcessBus {
            inner: Arc::new(BusInner {
                state: Mutex::new(BusState::default()),
                changed: watch::channel(0).0,
                claim_idle,
            }),
        }
    }

    /// How many messages were published.
    pub fn len(&self) -> usize {
        self.inner.lock().log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl BusInner {
    fn lock(&self) -> MutexGuard<'_, BusState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

fn message_id(index: usize) -> String {
    format!("{}-0", index + 1)
}

fn log_index(message_id: &str) -> Option<usize> {
    message_id
        .split('-')
        .next()?
        .parse::<usize>()
        .ok()?
        .checked_sub(1)
}

impl BusState {
    /// The next delivery for `subscriber` in `group` at `now`, or when to look again.
    fn poll(
        &mut self,
        group: &str,
        subscriber: u64,
        now: Instant,
        claim_idle: Duration,
    ) -> Result<Delivery, Option<Instant>> {
        let live = &self.live_subscribers;
        let Some(state) = self.groups.get_mut(group) else {
            return Err(None);
        };
        let mut wake_at: Option<Instant> = None;
        let mut chosen = None;
        for (index, pending) in &state.pending {
            let due_retry =
                pending.owner == subscriber && pending.retry_at.is_some_and(|at| at <= now);
            let abandoned = !live.contains(&pending.owner)
                || now.saturating_duration_since(pending.delivered_at) >= claim_idle;
            if due_retry || abandoned {
                chosen = Some(*index);
                break;
            }
            let mut candidates = vec![pending.delivered_at + claim_idle];
            if pending.owner == subscriber {
                candidates.extend(pending.retry_at);
            }
            for at in candidates {
                wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
            }
        }
        let index = match chosen {
            Some(index) => {
                if let Some(pending) = state.pending.get_mut(&index) {
                    pending.owner = subscriber;
                    pending.delivered_at = now;
                    pending.deliveries = pending.deliveries.saturating_add(1);
                    pending.retry_at = None;
                }
                index
            }
            None if state.next < self.log.len() => {
                let index = state.next;
                state.next += 1;
                state.pending.insert(
                    index,
                    Pending {
                        owner: subscriber,
                        delivered_at: now,
                        deliveries: 1,
                        retry_at: None,
                    },
                );
                index
            }
            None => return Err(wake_at),
        };
        let attempt = state.pending.get(&index).map_or(1, |p| p.deliveries);
        Ok(Delivery {
            message_id: message_id(index),
            attempt,
            fields: self.log.get(index).cloned().unwrap_or_default(),
        })
    }
}

#[async_trait]
impl Transport for InProcessBus {
    async fn publish(&self, envelope: &EventEnvelope) -> Result<String, TransportError> {
        let fields = envelope
            .to_fields()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        let id = {
            let mut state = self.inner.lock();
            state.log.push(fields);
            message_id(state.log.len() - 1)
        };
        self.inner.notify();
        Ok(id)
    }

    async fn subscribe(
        &self,
        group: &str,
        _consumer: &str,
    ) -> Result<Box<dyn Subscription>, TransportError> {
        let id = {
            let mut state = self.inner.lock();
            state.groups.entry(group.to_owned()).or_default();
            let id = state.next_subscriber;
            state.next_subscriber += 1;
            state.live_subscribers.insert(id);
            id
        };
        Ok(Box::new(InProcessSubscription {
            bus: Arc::clone(&self.inner),
            group: group.to_owned(),
            id,
        }))
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, TransportError> {
        Ok(self.inner.lock().dead.iter().take(limit).cloned().collect())
    }

    fn describe(&self) -> String {
        String::from("in-process bus")
    }
}

struct InProcessSubscription {
    bus: Arc<BusInner>,
    group: String,
    id: u64,
}

impl InProcessSubscription {
    fn with_pending(&self, message_id: &str, change: impl FnOnce(&mut BusState, &str, usize)) {
        if let Some(index) = log_index(message_id) {
            let mut state = self.bus.lock();
            change(&mut state, &self.group, index);
        }
        self.bus.notify();
    }
}

#[async_trait]
impl Subscription for InProcessSubscription {
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, TransportError> {
        let deadline = Instant::now() + wait;
        let mut changed = self.bus.changed.subscribe();
        loop {
            changed.borrow_and_update();
            let now = Instant::now();
            let polled = self
                .bus
                .lock()
                .poll(&self.group, self.id, now, self.bus.claim_idle);
            let wake_at = match polled {
                Ok(delivery) => return Ok(Some(delivery)),
                Err(wake_at) => wake_at,
            };
            if now >= deadline {
                return Ok(None);
            }
            let until = wake_at.map_or(deadline, |at| at.min(deadline));
            tokio::select! {
                _ = changed.changed() => {}
                () = tokio::time::sleep_until(until) => {}
            }
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError> {
        self.with_pending(&delivery.message_id, |state, group, index| {
            if let Some(group) = state.groups.get_mut(group) {
                group.pending.remove(&index);
            }
        });
        Ok(())
    }

    async fn retry_later(
        &mut self,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), TransportError> {
        let retry_at = Instant::now() + delay;
        self.with_pending(&delivery.message_id, |state, group, index| {
            if let Some(pending) = state
                .groups
                .get_mut(group)
                .and_then(|group| group.pending.get_mut(&index))
            {
                pending.retry_at = Some(retry_at);
            }
        });
        Ok(())
    }

    async fn dead_letter(
        &mut self,
        delivery: &Delivery,
        error: &str,
    ) -> Result<(), TransportError> {
        let fields = DeadLetter::fields_for(delivery, &self.group, error);
        self.with_pending(&delivery.message_id, |state, group, index| {
            if let Some(group) = state.groups.get_mut(group) {
                group.pending.remove(&index);
            }
            let id = message_id(state.dead.len());
            state
                .dead
                .push(DeadLetter::from_fields(id, fields.into_iter().collect()));
        });
        Ok(())
    }
}

impl Drop for InProcessSubscription {
    fn drop(&mut self) {
        self.bus.lock().live_subscribers.remove(&self.id);
        self.bus.notify();
    }
}
