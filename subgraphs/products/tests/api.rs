//! End-to-end tests of the products subgraph: each test spawns the real service on port 0 over a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and talks GraphQL over HTTP to it;
//! the saga tests also run its background work over an event transport (the in-process bus, or Redis
//! Streams when `TEST_REDIS_URL` is set).

#[path = "api/support.rs"]
mod support;

#[path = "api/saga.rs"]
mod saga;

#[path = "api/archive.rs"]
mod archive;
#[path = "api/entities.rs"]
mod entities;
#[path = "api/listing.rs"]
mod listing;
#[path = "api/lookup.rs"]
mod lookup;
#[path = "api/mutations.rs"]
mod mutations;
#[path = "api/reservations.rs"]
mod reservations;
#[path = "api/service.rs"]
mod service;
