//! Replays the fuzzers' inputs (`router/fuzz`): the seed operations must plan, and every input kept
//! under `regressions/` (each once crashed, hung or blew up a target) must now end in a plan or an
//! error without panicking.

use std::path::{Path, PathBuf};

use shopgraph_router::fuzzing::{OperationTarget, run_operation, run_supergraph};

fn fuzz_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(sub)
}

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let bytes = std::fs::read(&path).ok()?;
            Some((path.display().to_string(), bytes))
        })
        .collect();
    files.sort();
    files
}

fn operation_target() -> OperationTarget {
    let sdls = [
        include_str!("../../../schema/supergraph.graphql"),
        include_str!("fixtures/reviews.graphql"),
        include_str!("fixtures/shop-handwritten.graphql"),
    ];
    match OperationTarget::new(&sdls) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn seed_operations_plan() {
    let target = operation_target();
    let seeds = inputs(&fuzz_dir("seeds/operation"));
    assert!(seeds.len() >= 5, "the seed corpus is missing");
    for (name, bytes) in seeds {
        match run_operation(&target, &bytes) {
            Some(Ok(plan)) => assert!(!plan.is_empty(), "{name}: empty plan"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn operation_regressions_end_in_an_answer() {
    let target = operation_target();
    let regressions = inputs(&fuzz_dir("regressions/operation"));
    assert!(!regressions.is_empty(), "the regression corpus is missing");
    for (name, bytes) in regressions {
        // Non-UTF-8 inputs are refused before planning; everything else must come back.
        if std::str::from_utf8(bytes.get(1..).unwrap_or_default()).is_ok() {
            let answer = run_operation(&target, &bytes);
            assert!(answer.is_some(), "{name}");
            // The hostile documents kept here (fragment bombs, cycles, deep nesting) are refused.
            if name.contains("fragment-") || name.contains("deep-") {
                assert!(matches!(answer, Some(Err(_))), "{name}: {answer:?}");
            }
        }
    }
}

#[test]
fn supergraph_regressions_end_in_an_answer() {
    for (name, bytes) in inputs(&fuzz_dir("regressions/supergraph")) {
        if std::str::from_utf8(&bytes).is_ok() {
            assert!(run_supergraph(&bytes).is_some(), "{name}");
        }
    }
}
