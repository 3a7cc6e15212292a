//! Fuzz target: any text as a client operation, against the shopgraph supergraph and the router's
//! test fixtures, through parse → validate → limits → normalise → plan. It must answer (a plan or an
//! error), never panic, hang or blow up memory. The first byte of an input picks the supergraph.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopgraph_router::fuzzing::{OperationTarget, run_operation};
use std::sync::LazyLock;

static TARGET: LazyLock<OperationTarget> = LazyLock::new(|| {
    let sdls = [
        include_str!("../../../schema/supergraph.graphql"),
        include_str!("../../tests/router/fixtures/reviews.graphql"),
        include_str!("../../tests/router/fixtures/shop-handwritten.graphql"),
    ];
    match OperationTarget::new(&sdls) {
        Ok(target) => target,
        Err(e) => panic!("the bundled supergraphs must read: {e}"),
    }
});

fuzz_target!(|data: &[u8]| {
    let _ = run_operation(&TARGET, data);
});
