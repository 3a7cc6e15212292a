//! Fuzz target: any text as a supergraph. Reading it (links, join metadata, API schema) must end in a
//! model or an error, never a panic; a model that reads must plan a trivial operation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopgraph_router::fuzzing::run_supergraph;

fuzz_target!(|data: &[u8]| {
    let _ = run_supergraph(data);
});
