//! Benchmark: composing the shopgraph subgraphs listed in `schema/supergraph.toml` (parsing,
//! validation, merging, satisfiability and printing, from SDL text to supergraph SDL). A plain
//! `harness = false` benchmark: `cargo bench -p shopgraph-schema` prints the timings. The
//! environment variable `SCHEMA_BENCH_CONFIG` names another config file to compose.

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shopgraph_schema::{SupergraphConfig, compose};

const WARM_UP: usize = 20;
const SAMPLES: usize = 300;

fn main() -> ExitCode {
    let config_path = std::env::var_os("SCHEMA_BENCH_CONFIG").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("supergraph.toml"),
        Into::into,
    );
    let inputs = match SupergraphConfig::load(&config_path)
        .map_err(|e| vec![e])
        .and_then(|c| c.read_subgraphs())
    {
        Ok(inputs) => inputs,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            return ExitCode::FAILURE;
        }
    };
    if let Err(errors) = compose(&inputs) {
        for error in errors {
            eprintln!("{error}");
        }
        return ExitCode::FAILURE;
    }
    for _ in 0..WARM_UP {
        let _ = black_box(compose(black_box(&inputs)));
    }
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            let _ = black_box(compose(black_box(&inputs)));
            start.elapsed()
        })
        .collect();
    samples.sort();
    let total: Duration = samples.iter().sum();
    let percentile = |p: usize| samples[(samples.len() - 1) * p / 100];
    let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let sdl_bytes: usize = inputs.iter().map(|i| i.sdl.len()).sum();
    println!(
        "compose {} subgraphs ({}; {} bytes of SDL), {SAMPLES} runs:",
        inputs.len(),
        names.join(", "),
        sdl_bytes
    );
    println!(
        "  min {:?}  median {:?}  mean {:?}  p95 {:?}  max {:?}",
        samples[0],
        percentile(50),
        total / SAMPLES as u32,
        percentile(95),
        samples[samples.len() - 1]
    );
    ExitCode::SUCCESS
}
