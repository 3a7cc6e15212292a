//! Domain events of shopgraph, shared by every service: the one versioned definition of the events
//! ([`event`]), the transactional [`outbox`] a producer writes in the same transaction as its state
//! change, the [`relay`] that publishes the outbox, the [`transport`]s (Redis Streams, or an in-process
//! bus for the one-process stack), the [`consumer`] runner that acts once per event using the
//! [`processed`] table, and the [`lifecycle`] of these background tasks.
//!
//! Wiring a service (the pattern every service copies):
//! - migrations: append `outbox::Migration` (producers) and `processed::Migration` (consumers) to the
//!   service's `Migrator`;
//! - producing: in the transaction of the state change, `outbox::append(&txn, SERVICE, event, traceparent)`,
//!   then `outbox::wake_relays()` after the commit;
//! - the service crate's `spawn_background(db, &config, transport, shutdown) -> BackgroundTasks` spawns,
//!   when there is a transport, `Relay::new(db, transport, SERVICE).run(shutdown)` and one
//!   `Consumer::new(db, transport, SERVICE, handler).run(shutdown)` per handler;
//! - the service crate's `run(&config, …)` hands its routes and background tasks to [`service::run`],
//!   which builds the transport from the configuration (Redis when `REDIS_URL` is set) and runs both
//!   until the shutdown signal; `main` loads the configuration and calls `run`.

pub mod consumer;
pub mod event;
pub mod lifecycle;
pub mod outbox;
pub mod processed;
pub mod relay;
pub mod service;
pub mod transport;

pub use consumer::{
    Consumer, ConsumerOptions, EventHandler, HandlerError, Interest, Outcome, ReceivedEvent,
};
pub use event::{
    DecodeError, DomainEvent, EventEnvelope, EventPayload, Money, OrderCancelled, OrderConfirmed,
    OrderFailed, OrderLine, OrderPlaced, ProductArchived, ProductCreated, ProductRestored,
    ProductUpdated, ReservationExpired, StockRejected, StockReserved, UserEmailChanged,
    UserRegistered,
};
pub use lifecycle::{BackgroundTasks, Shutdown, ShutdownTrigger};
pub use relay::{Relay, RelayError, RelayOptions};
pub use transport::{
    DeadLetter, Delivery, InProcessBus, RedisStreams, RedisStreamsOptions, SharedTransport,
    Subscription, Transport, TransportError,
};
