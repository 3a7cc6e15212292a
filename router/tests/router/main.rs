//! The router's tests, in one binary: behaviour against small real subgraphs and plan snapshots
//! (`basics`), the federation conformance suite (`conformance`), the attacks the router must
//! survive (`hostile`), live supergraph reload under load (`reload`), the per-subgraph deploy flow
//! through `deploy/publish-supergraph.sh` (`deploy_flow`), the command line (`cli`), the fuzzers'
//! inputs replayed (`fuzz_corpus`), with the mock subgraphs in `support`.

mod basics;
mod cli;
mod conformance;
mod deploy_flow;
mod fuzz_corpus;
mod hostile;
mod reload;
mod support;
