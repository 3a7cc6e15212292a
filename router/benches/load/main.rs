//! Load benchmark of the router on a deep entity-join workload.
//!
//! Starts four in-memory subgraphs (accounts, products, reviews, inventory) in this process, composes
//! them with our composer, starts the router binary (release build) as a separate process, and drives
//! it over loopback with N keep-alive connections sending one query that hops between the subgraphs
//! seven levels deep with `@requires` and `@provides`. Prints requests per second, latency percentiles,
//! the router's peak memory and CPU time in three modes: subgraph de-duplication on and inbound
//! de-duplication off (the engine with its subgraph request sharing), both on (the default: identical
//! client queries in flight share one execution), and both off (the engine itself). Rate limits are
//! raised far above the load (the check still runs) since every client here has the same address,
//! and so is the maximum cost: the workload's unpaginated lists, seven levels deep, are estimated at
//! about 22,000 with the default list size (the estimate still runs on every request).
//!
//! `cargo bench -p shopgraph-router --bench load`; `BENCH_SECONDS` (default 20),
//! `BENCH_CONNECTIONS` (default 50) and `BENCH_MODES` (default `subgraph,both,none`) change the run;
//! `BENCH_ROUTER` runs another router binary on the same workload (with `BENCH_LEGACY_CONFIG=1` for a
//! build that predates the protection settings).

mod subgraphs;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::SDLExportOptions;
use async_graphql_axum::GraphQL;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const QUERY: &str = r#"
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews { ...Review product { ...Product } }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews { ...Review product { ...Product } }
      }
    }
  }
}
"#;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn serve(schema_router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind subgraph");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, schema_router).await });
    format!("http://{addr}/graphql")
}

async fn run() {
    let seconds = env_number("BENCH_SECONDS", 20);
    let connections = env_number("BENCH_CONNECTIONS", 50) as usize;
    let federation = SDLExportOptions::new().federation();
    let accounts = subgraphs::accounts_schema();
    let products = subgraphs::products_schema();
    let reviews = subgraphs::reviews_schema();
    let inventory = subgraphs::inventory_schema();
    let sdls = [
        ("accounts", accounts.sdl_with_options(federation)),
        ("products", products.sdl_with_options(federation)),
        ("reviews", reviews.sdl_with_options(federation)),
        ("inventory", inventory.sdl_with_options(federation)),
    ];
    let urls = [
        serve(Router::new().route_service("/graphql", GraphQL::new(accounts))).await,
        serve(Router::new().route_service("/graphql", GraphQL::new(products))).await,
        serve(Router::new().route_service("/graphql", GraphQL::new(reviews))).await,
        serve(Router::new().route_service("/graphql", GraphQL::new(inventory))).await,
    ];
    let inputs: Vec<_> = sdls
        .iter()
        .zip(&urls)
        .map(|((name, sdl), url)| {
            shopgraph_schema::SubgraphInput::new(*name, url.as_str(), sdl.as_str())
        })
        .collect();
    let supergraph = match shopgraph_schema::compose(&inputs) {
        Ok(supergraph) => supergraph.sdl().to_owned(),
        Err(errors) => {
            for error in errors {
                eprintln!("{error}");
            }
            panic!("the benchmark subgraphs do not compose");
        }
    };
    let dir = std::env::temp_dir().join(format!("shopgraph-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let supergraph_path = dir.join("supergraph.graphql");
    std::fs::write(&supergraph_path, supergraph).expect("write supergraph");

    println!(
        "workload: 4 subgraphs, 7 levels deep, @requires + @provides; {connections} connections, {seconds} s per run"
    );
    let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "subgraph,both,none".to_owned());
    for mode in modes.split(',') {
        let (deduplicate, inbound) = match mode.trim() {
            "subgraph" => (true, false),
            "both" => (true, true),
            "none" => (false, false),
            other => panic!("unknown BENCH_MODES entry '{other}' (subgraph, both, none)"),
        };
        let port = free_port().await;
        let config = dir.join(format!("router-{mode}.toml"));
        let mut text = format!(
            "listen = \"127.0.0.1:{port}\"\nsupergraph = \"{}\"\ndeduplicate_requests = {deduplicate}\n",
            supergraph_path.display()
        );
        // A build from before the protections (`BENCH_LEGACY_CONFIG`) knows only the keys above and
        // has no inbound sharing.
        if std::env::var_os("BENCH_LEGACY_CONFIG").is_none() {
            text.push_str(&format!(
                "deduplicate_inbound = {inbound}\n\
                 [rate_limit]\nper_ip_per_second = 100000000\nper_ip_burst = 100000000\n\
                 [cost]\nmax_cost = 1000000.0\n"
            ));
        } else if inbound {
            continue;
        }
        for ((name, _), url) in sdls.iter().zip(&urls) {
            text.push_str(&format!("[subgraphs.{name}]\nurl = \"{url}\"\n"));
        }
        std::fs::write(&config, text).expect("write config");
        let mut router = start_router(&config);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_healthy(addr).await;
        let request = Arc::new(http_request(addr));
        let sample = one_request(addr, &request).await;
        assert!(
            !sample.windows(9).any(|w| w == b"\"errors\":"),
            "the benchmark query fails: {}",
            String::from_utf8_lossy(&sample)
        );
        let _: serde_json::Value = serde_json::from_slice(&sample).expect("JSON response");
        let cpu_before = cpu_seconds(router.id());
        drive(addr, &request, connections, Duration::from_secs(3)).await;
        let cpu_warm = cpu_seconds(router.id());
        let started = Instant::now();
        let mut latencies = drive(addr, &request, connections, Duration::from_secs(seconds)).await;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu_after = cpu_seconds(router.id());
        let peak_kb = peak_memory_kb(router.id());
        let _ = router.kill();
        let _ = router.wait();
        latencies.sort_unstable();
        let count = latencies.len();
        let pct = |p: f64| {
            let index = ((count as f64 * p).ceil() as usize).clamp(1, count.max(1)) - 1;
            latencies.get(index).copied().unwrap_or(0) as f64 / 1000.0
        };
        println!();
        let on_off = |on: bool| if on { "on" } else { "off" };
        println!(
            "de-duplication: subgraph requests {}, inbound requests {}",
            on_off(deduplicate),
            on_off(inbound)
        );
        println!("  response size     {} bytes", sample.len());
        println!("  requests          {count} in {elapsed:.1} s");
        println!("  requests/s        {:.0}", count as f64 / elapsed);
        println!("  latency p50       {:.2} ms", pct(0.50));
        println!("  latency p95       {:.2} ms", pct(0.95));
        println!("  latency p99       {:.2} ms", pct(0.99));
        println!("  latency max       {:.2} ms", pct(1.0));
        println!("  router peak RSS   {:.1} MB", peak_kb as f64 / 1024.0);
        println!(
            "  router CPU        {:.0} µs per request ({:.2} s over the run; warm-up {:.2} s)",
            (cpu_after - cpu_warm) / count.max(1) as f64 * 1e6,
            cpu_after - cpu_warm,
            cpu_warm - cpu_before
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The router binary: this build's, or `BENCH_ROUTER` (to compare builds on the same workload).
fn start_router(config: &Path) -> Child {
    let binary =
        std::env::var_os("BENCH_ROUTER").unwrap_or_else(|| env!("CARGO_BIN_EXE_router").into());
    Command::new(binary)
        .arg("--config")
        .arg(config)
        // As deployed (deploy/Dockerfile): mimalloc commits arenas lazily, a quarter less memory.
        .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
        .env(
            "RUST_LOG",
            std::env::var("BENCH_ROUTER_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(if std::env::var_os("BENCH_ROUTER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the router")
}

async fn wait_healthy(addr: SocketAddr) {
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the router did not start on {addr}");
}

fn http_request(addr: SocketAddr) -> Vec<u8> {
    let body = serde_json::json!({ "query": QUERY }).to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn one_request(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut buffer = Vec::new();
    exchange(&mut stream, request, &mut buffer)
        .await
        .expect("first request")
}

/// Runs `connections` keep-alive connections for `duration`; returns every latency in µs.
async fn drive(
    addr: SocketAddr,
    request: &Arc<Vec<u8>>,
    connections: usize,
    duration: Duration,
) -> Vec<u32> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut buffer = Vec::with_capacity(256 * 1024);
            while Instant::now() < deadline {
                let started = Instant::now();
                if exchange(&mut stream, &request, &mut buffer).await.is_none() {
                    panic!("request failed");
                }
                latencies.push(started.elapsed().as_micros() as u32);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("connection task"));
    }
    all
}

/// Sends one request and reads one response (status 200 and a Content-Length body); returns the body.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    stream.write_all(request).await.ok()?;
    buffer.clear();
    let mut chunk = [0u8; 64 * 1024];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..header_end]).ok()?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    let length: usize = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(buffer[header_end..header_end + length].to_vec())
}

fn proc_status(pid: u32) -> String {
    std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/status"))).unwrap_or_default()
}

fn peak_memory_kb(pid: u32) -> u64 {
    proc_status(pid)
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}
