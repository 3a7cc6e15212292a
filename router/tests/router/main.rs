//! The router's tests, in one binary: behaviour against small real subgraphs and plan snapshots
//! (`basics`), with the mock subgraphs in `support`.

mod basics;
mod support;
