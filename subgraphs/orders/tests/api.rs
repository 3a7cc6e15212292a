//! End-to-end tests of the orders subgraph: each test spawns the real service on port 0 over a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set), with fake carts and products
//! subgraphs for the checkout snapshot, and talks GraphQL over HTTP to it; saga tests run the service's
//! background work over an in-process bus (and Redis Streams when `TEST_REDIS_URL` is set) and publish
//! products' stock events into it.

mod api {
    pub mod access;
    pub mod checkout;
    pub mod saga;
    pub mod support;
}
