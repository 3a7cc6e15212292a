//! The router's tests, in one binary: behaviour against small real subgraphs and plan snapshots
//! (`basics`), the federation conformance suite (`conformance`), with the mock subgraphs in
//! `support`.

mod basics;
mod conformance;
mod support;
