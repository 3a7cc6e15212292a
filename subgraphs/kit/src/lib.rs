//! What every shopgraph subgraph shares: typed configuration, the database connection and its migrations,
//! the caller's identity from a JWT, the GraphQL error codes, tracing set-up, and the HTTP service that
//! serves a subgraph's schema next to `/health` and `/ready` — with the limits every subgraph holds its
//! callers to (body size, operation depth and complexity, the router secret).

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod limits;
pub mod money;
pub mod query_limits;
pub mod server;
pub mod telemetry;
pub mod test_database;
pub mod trust;

pub use auth::{CallerAuthorization, Claims, JwtKeys, Role, TraceParent, Viewer, ViewerExt};
pub use config::{Config, ConfigError, Environment, JwtConfig};
pub use error::{ErrorCode, StartError};
pub use limits::{CredentialLimits, RateLimit, RequestLimits};
pub use money::Money;
pub use trust::{ClientAddress, ROUTER_SECRET_HEADER};
