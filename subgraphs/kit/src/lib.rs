//! What every shopgraph subgraph shares: typed configuration, the database connection and its migrations,
//! the caller's identity from a JWT, the GraphQL error codes, tracing set-up, and the HTTP service that
//! serves a subgraph's schema next to `/health` and `/ready`.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod money;
pub mod server;
pub mod telemetry;
pub mod test_database;

pub use auth::{CallerAuthorization, Claims, JwtKeys, Role, TraceParent, Viewer, ViewerExt};
pub use config::{Config, ConfigError, JwtConfig};
pub use error::{ErrorCode, StartError};
pub use money::Money;
