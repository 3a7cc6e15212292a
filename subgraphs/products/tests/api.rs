//! End-to-end tests of the products subgraph: each test spawns the real service on port 0 over a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and talks GraphQL over HTTP to it.

#[path = "api/support.rs"]
mod support;

#[path = "api/entities.rs"]
mod entities;
#[path = "api/listing.rs"]
mod listing;
#[path = "api/lookup.rs"]
mod lookup;
#[path = "api/mutations.rs"]
mod mutations;
#[path = "api/service.rs"]
mod service;
