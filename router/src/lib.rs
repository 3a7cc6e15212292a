//! The shopgraph federation router. A request travels through the modules in this order:
//! [`http`] receives it, [`operation`] parses, validates and normalises it, [`plan`] turns it into
//! subgraph fetches (cached), [`execute`] runs them, and [`respond`] writes exactly the requested
//! shape as JSON. [`supergraph`] is the model everything consults; [`config`] says how to run.
//! Before a request reaches the pipeline, [`admission`] decides whether it may enter; [`cost`]
//! estimates what an operation will cost; [`server`] serves the app with connection-level limits;
//! [`reload`] swaps in a new supergraph while serving.

pub mod admission;
pub mod config;
pub mod cost;
pub mod execute;
pub mod fuzzing;
pub mod graphql_error;
pub mod http;
pub mod operation;
pub mod pipeline;
pub mod plan;
pub mod reload;
pub mod respond;
pub mod server;
pub mod supergraph;

pub use config::RouterConfig;
pub use http::{RouterError, app, app_from_supergraph};
