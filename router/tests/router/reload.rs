//! Live supergraph reload: a router over a watched file, swapped the way a Kubernetes ConfigMap
//! update swaps it (a new directory behind the `..data` symlink), serves each new supergraph while
//! clients keep sending requests — no failed request, every response consistent with one of the
//! two supergraphs — and a bad supergraph is refused and reported while the old one keeps serving.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopgraph_router::RouterConfig;

use crate::conformance::compose;
use crate::support::{Behaviour, Concurrency, Dataset, MockSubgraph};

pub(crate) const PRODUCTS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  topProducts: [Product!]!
}

type Product @key(fields: "upc") {
  upc: String!
  name: String!
}
"#;

pub(crate) const INVENTORY_V1: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  inStock: Boolean!
}
"#;

/// Version 2 adds `weight`.
pub(crate) const INVENTORY_V2: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  inStock: Boolean!
  weight: Int!
}
"#;

/// Valid under both supergraphs, answered the same by both.
pub(crate) const COMMON: &str = "{ topProducts { upc name inStock } }";
const COMMON_ANSWER: &str = r#"{"data":{"topProducts":[{"upc":"1","name":"Table","inStock":true},{"upc":"2","name":"Chair","inStock":false}]}}"#;
/// Only valid under version 2.
pub(crate) const NEW_FIELD: &str = "{ topProducts { upc weight } }";
const NEW_FIELD_ANSWER: &str =
    r#"{"data":{"topProducts":[{"upc":"1","weight":10},{"upc":"2","weight":4}]}}"#;
const FIELDS: &str = r#"{ __type(name: "Product") { fields { name } } }"#;

fn supergraphs() -> (String, String) {
    (
        compose(&[("products", PRODUCTS), ("inventory", INVENTORY_V1)]),
        compose(&[("products", PRODUCTS), ("inventory", INVENTORY_V2)]),
    )
}

/// Which supergraph a response belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2,
    /// The answer both give.
    Either,
}

/// A directory laid out as the kubelet lays out a ConfigMap volume: `supergraph.graphql` is a
/// symlink to `..data/supergraph.graphql`, and `..data` a symlink to the current version's
/// directory, replaced atomically (rename) on each update.
struct ConfigMapDir {
    root: PathBuf,
    version: usize,
}

impl ConfigMapDir {
    fn new(sdl: &str) -> ConfigMapDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root =
            std::env::temp_dir().join(format!("shopgraph-reload-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let mut dir = ConfigMapDir { root, version: 0 };
        dir.write_version(sdl);
        std::os::unix::fs::symlink("..v0", dir.root.join("..data")).unwrap();
        std::os::unix::fs::symlink(
            "..data/supergraph.graphql",
            dir.root.join("supergraph.graphql"),
        )
        .unwrap();
        dir
    }

    fn path(&self) -> PathBuf {
        self.root.join("supergraph.graphql")
    }

    fn write_version(&mut self, sdl: &str) {
        let dir = self.root.join(format!("..v{}", self.version));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("supergraph.graphql"), sdl).unwrap();
    }

    /// The update: a new version directory, `..data` swapped to it, the old one removed.
    fn publish(&mut self, sdl: &str) {
        let old = self.root.join(format!("..v{}", self.version));
        self.version += 1;
        self.write_version(sdl);
        let tmp = self.root.join("..data_tmp");
        std::os::unix::fs::symlink(format!("..v{}", self.version), &tmp).unwrap();
        std::fs::rename(&tmp, self.root.join("..data")).unwrap();
        std::fs::remove_dir_all(old).unwrap();
    }
}

impl Drop for ConfigMapDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The router over the watched directory, with its two mock subgraphs.
pub(crate) struct LiveRouter {
    base: String,
    http: reqwest::Client,
    /// products, inventory.
    mocks: Vec<MockSubgraph>,
}

impl LiveRouter {
    async fn start(dir: &ConfigMapDir) -> LiveRouter {
        LiveRouter::start_with(dir, |_| {}).await
    }

    async fn start_with(dir: &ConfigMapDir, tune: impl FnOnce(&mut RouterConfig)) -> LiveRouter {
        LiveRouter::start_watching(dir.path(), tune).await
    }

    /// The router over the supergraph file `supergraph` (watched), with its two mock subgraphs.
    pub(crate) async fn start_watching(
        supergraph: PathBuf,
        tune: impl FnOnce(&mut RouterConfig),
    ) -> LiveRouter {
        let concurrency = Concurrency::default();
        let products = MockSubgraph::start(
            Dataset::default().root(
                "topProducts",
                json!([
                    { "__typename": "Product", "upc": "1", "name": "Table" },
                    { "__typename": "Product", "upc": "2", "name": "Chair" }
                ]),
            ),
            &concurrency,
        )
        .await;
        let inventory = MockSubgraph::start(
            Dataset::default().entities(
                "Product",
                vec!["upc"],
                vec![
                    json!({ "__typename": "Product", "upc": "1", "inStock": true, "weight": 10 }),
                    json!({ "__typename": "Product", "upc": "2", "inStock": false, "weight": 4 }),
                ],
            ),
            &concurrency,
        )
        .await;
        let mut config = RouterConfig {
            supergraph,
            ..RouterConfig::default()
        };
        config.reload.debounce_ms = 20;
        config.rate_limit.enabled = false;
        for (name, mock) in [("products", &products), ("inventory", &inventory)] {
            config.subgraphs.entry(name.to_owned()).or_default().url = Some(mock.url.clone());
        }
        tune(&mut config);
        let app = shopgraph_router::app(&config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        LiveRouter {
            base,
            http: reqwest::Client::new(),
            mocks: vec![products, inventory],
        }
    }

    /// POSTs a query: the status and the body.
    pub(crate) async fn query(&self, query: &str) -> (u16, String) {
        let send = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }))
            .send();
        let response = tokio::time::timeout(Duration::from_secs(20), send)
            .await
            .expect("the router hung")
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// The supergraph `query` was answered from, or why the answer fits neither.
    pub(crate) async fn version_of(&self, query: &str) -> Result<Version, String> {
        let (status, body) = self.query(query).await;
        if status != 200 {
            return Err(format!("HTTP {status}: {body}"));
        }
        classify(query, &body).ok_or_else(|| format!("{query} answered {body}"))
    }

    /// Waits until the router serves `version`.
    pub(crate) async fn wait_for(&self, version: Version) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.version_of(NEW_FIELD).await != Ok(version) {
            assert!(
                Instant::now() < deadline,
                "the router never served {version:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `/metrics` counts `count` reloads with `result`.
    pub(crate) async fn wait_for_reloads(&self, result: &str, count: &str) {
        let line = format!("shopgraph_router_supergraph_reloads_total{{result=\"{result}\"}}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.metric(&line).await != count {
            assert!(
                Instant::now() < deadline,
                "never {count} reloads with {result}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The value of a `/metrics` line.
    pub(crate) async fn metric(&self, line_start: &str) -> String {
        let (_, text) = self.get("/metrics").await;
        text.lines()
            .find_map(|line| line.strip_prefix(line_start))
            .unwrap_or_else(|| panic!("no metric {line_start} in\n{text}"))
            .trim()
            .to_owned()
    }
}

/// The version a response is consistent with: the exact answer of one supergraph.
fn classify(query: &str, body: &str) -> Option<Version> {
    match query {
        COMMON => (body == COMMON_ANSWER).then_some(Version::Either),
        NEW_FIELD if body == NEW_FIELD_ANSWER => Some(Version::V2),
        NEW_FIELD => {
            let value: Value = serde_json::from_str(body).ok()?;
            let refused = value.get("data").is_none()
                && value["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
                && value["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("weight"));
            refused.then_some(Version::V1)
        }
        _ => {
            let value: Value = serde_json::from_str(body).ok()?;
            let mut names: Vec<&str> = value["data"]["__type"]["fields"]
                .as_array()?
                .iter()
                .filter_map(|f| f["name"].as_str())
                .collect();
            names.sort_unstable();
            match names.as_slice() {
                ["inStock", "name", "upc"] => Some(Version::V1),
                ["inStock", "name", "upc", "weight"] => Some(Version::V2),
                _ => None,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_swaps_under_load_fail_no_request() {
    let (v1, v2) = supergraphs();
    let mut dir = ConfigMapDir::new(&v1);
    let router = Arc::new(LiveRouter::start(&dir).await);
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V1));

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let router = Arc::clone(&router);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let queries = [COMMON, NEW_FIELD, FIELDS];
                let (mut answered, mut new_field_served, mut failures) = (0, 0, Vec::new());
                let mut i = client;
                while !stop.load(Ordering::Relaxed) {
                    let query = queries[i % queries.len()];
                    i += 1;
                    match router.version_of(query).await {
                        Ok(version) => {
                            answered += 1;
                            if query == NEW_FIELD && version == Version::V2 {
                                new_field_served += 1;
                            }
                        }
                        Err(failure) => failures.push(failure),
                    }
                }
                (answered, new_field_served, failures)
            })
        })
        .collect();

    for swap in 0..20 {
        let (sdl, version) = if swap % 2 == 0 {
            (&v2, Version::V2)
        } else {
            (&v1, Version::V1)
        };
        dir.publish(sdl);
        router.wait_for(version).await;
        // Let the clients run on this version for a moment.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut answered, mut new_field_served) = (0, 0);
    for client in clients {
        let (a, n, failures) = client.await.unwrap();
        assert!(
            failures.is_empty(),
            "failed or mixed responses: {failures:#?}"
        );
        answered += a;
        new_field_served += n;
    }
    eprintln!(
        "{answered} requests answered across 20 swaps, {new_field_served} with the new field"
    );
    assert!(answered > 100, "only {answered} requests were answered");
    assert!(
        new_field_served > 0,
        "no client saw the new field while version 2 served"
    );
    assert_eq!(
        router
            .metric("shopgraph_router_supergraph_reloads_total{result=\"success\"}")
            .await,
        "20"
    );
    assert_eq!(
        router
            .metric("shopgraph_router_supergraph_reloads_total{result=\"failure\"}")
            .await,
        "0"
    );
    let hash = format!("{:016x}", shopgraph_router::reload::schema_hash(&v1));
    assert_eq!(
        router
            .metric(&format!(
                "shopgraph_router_supergraph_info{{hash=\"{hash}\"}}"
            ))
            .await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_supergraph_is_refused_and_reported_while_the_old_one_serves() {
    let (v1, v2) = supergraphs();
    let mut dir = ConfigMapDir::new(&v2);
    let router = LiveRouter::start(&dir).await;
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V2));

    // A supergraph cut short, as a half-finished publication would leave it.
    dir.publish(&v1[..v1.len() / 2]);
    router.wait_for_reloads("failure", "1").await;
    let (status, ready) = router.get("/ready").await;
    assert_eq!(status, 200, "{ready}");
    assert!(
        ready.contains("last reload refused (the previous supergraph serves)")
            && ready.contains("supergraph.graphql"),
        "{ready}"
    );
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V2));
    assert_eq!(router.version_of(COMMON).await, Ok(Version::Either));
    let hash = format!("{:016x}", shopgraph_router::reload::schema_hash(&v2));
    assert_eq!(
        router
            .metric(&format!(
                "shopgraph_router_supergraph_info{{hash=\"{hash}\"}}"
            ))
            .await,
        "1"
    );

    // The same text published again is not refused (or counted) again.
    dir.publish(&v1[..v1.len() / 2]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        router
            .metric("shopgraph_router_supergraph_reloads_total{result=\"failure\"}")
            .await,
        "1"
    );

    // Putting back the one served clears the report.
    dir.publish(&v2);
    let deadline = Instant::now() + Duration::from_secs(15);
    while router.get("/ready").await.1.contains("refused") {
        assert!(Instant::now() < deadline, "the refusal stayed reported");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V2));

    // A good new one is served.
    dir.publish(&v1);
    router.wait_for(Version::V1).await;
    let (_, ready) = router.get("/ready").await;
    assert!(!ready.contains("refused"), "{ready}");
    assert_eq!(
        router
            .metric("shopgraph_router_supergraph_reloads_total{result=\"success\"}")
            .await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_finishes_on_the_supergraph_it_started_with() {
    let (v1, v2) = supergraphs();
    let mut dir = ConfigMapDir::new(&v2);
    let router = Arc::new(LiveRouter::start(&dir).await);
    router.mocks[1].set_behaviour(Behaviour::Delay(Duration::from_millis(600)));
    let slow = {
        let router = Arc::clone(&router);
        tokio::spawn(async move { router.query(NEW_FIELD).await })
    };
    // The request is waiting on the inventory subgraph when version 1 replaces version 2.
    tokio::time::sleep(Duration::from_millis(150)).await;
    dir.publish(&v1);
    router.wait_for_reloads("success", "1").await;
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V1));
    assert!(
        !slow.is_finished(),
        "the slow request finished before the swap"
    );
    assert_eq!(slow.await.unwrap(), (200, NEW_FIELD_ANSWER.to_owned()));
}

/// A static host for the supergraph: `ETag` is the version number, `If-None-Match` gets 304.
#[derive(Default)]
struct SupergraphHost {
    published: Mutex<(u64, String)>,
    not_modified: AtomicUsize,
}

async fn serve_supergraph(
    axum::extract::State(host): axum::extract::State<Arc<SupergraphHost>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (version, sdl) = host.published.lock().unwrap().clone();
    let etag = format!("\"{version}\"");
    if headers
        .get("if-none-match")
        .is_some_and(|tag| tag.as_bytes() == etag.as_bytes())
    {
        host.not_modified.fetch_add(1, Ordering::SeqCst);
        return axum::http::StatusCode::NOT_MODIFIED.into_response();
    }
    ([("etag", etag)], sdl).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_url_is_served_and_not_fetched_again_while_unchanged() {
    let (v1, v2) = supergraphs();
    let host = Arc::new(SupergraphHost::default());
    *host.published.lock().unwrap() = (1, v1.clone());
    let app = axum::Router::new()
        .route("/supergraph.graphql", axum::routing::get(serve_supergraph))
        .with_state(Arc::clone(&host));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/supergraph.graphql",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = ConfigMapDir::new(&v1);
    let router = LiveRouter::start_with(&dir, |config| {
        config.reload.watch = false;
        config.reload.poll_url = Some(url);
        config.reload.poll_interval_ms = 20;
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while host.not_modified.load(Ordering::SeqCst) < 3 {
        assert!(
            Instant::now() < deadline,
            "the URL was never asked with If-None-Match"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V1));

    *host.published.lock().unwrap() = (2, v2.clone());
    router.wait_for(Version::V2).await;

    *host.published.lock().unwrap() = (3, String::from("type Query {"));
    router.wait_for_reloads("failure", "1").await;
    let (_, ready) = router.get("/ready").await;
    assert!(ready.contains("/supergraph.graphql: "), "{ready}");
    // Refused once, not again at every poll; the old one serves.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        router
            .metric("shopgraph_router_supergraph_reloads_total{result=\"failure\"}")
            .await,
        "1"
    );
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V2));
}
