//! Hostile requests: each attack the router must survive, as a test that checks the error code it
//! answers with, that nothing reached the subgraph when the request was refused, that the refusal
//! came in bounded time, and that the router keeps answering ordinary requests. The router runs
//! here as in production, behind `shopgraph_router::server::serve` (client addresses, connection
//! limits, timeouts, graceful shutdown).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::conformance::compose;
use crate::support::{Behaviour, Concurrency, Dataset, MockSubgraph};

/// How long any one request in these tests may take before the test fails as a hang.
const HANG: Duration = Duration::from_secs(20);

const SHOP: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
type Query {
  me: User
  products(first: Int = 20): ProductConnection!
}
type Mutation {
  login(email: String!): String
}
type User @key(fields: "id") {
  id: ID!
  name: String
  orders: [Order!]!
}
type Order @key(fields: "id") {
  id: ID!
  user: User!
}
type ProductConnection {
  nodes: [Product!]!
}
type Product @key(fields: "id") {
  id: ID!
  name: String
}
"#;

fn shop_data() -> Dataset {
    Dataset::default()
        .root(
            "me",
            json!({"id": "u1", "name": "Ada", "orders": [{"id": "o1", "user": {"id": "u1", "name": "Ada", "orders": []}}]}),
        )
        .resolver("Query", "products", |_, args| {
            let first = args.get("first").and_then(Value::as_u64).unwrap_or(20);
            let nodes: Vec<Value> = (0..first.min(3))
                .map(|i| json!({"id": format!("p{i}"), "name": format!("Product {i}")}))
                .collect();
            Ok(json!({ "nodes": nodes }))
        })
        .resolver("Mutation", "login", |_, args| {
            Ok(json!(format!(
                "token-for-{}",
                args.get("email").and_then(Value::as_str).unwrap_or("")
            )))
        })
}

/// The router over the shop subgraph, served like the binary serves it.
struct Shop {
    url: String,
    addr: SocketAddr,
    http: reqwest::Client,
    mock: MockSubgraph,
    concurrency: Concurrency,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<std::io::Result<()>>>,
}

impl Shop {
    async fn start(tune: impl FnOnce(&mut RouterConfig)) -> Shop {
        let supergraph = compose(&[("shop", SHOP)]);
        let parsed = Supergraph::parse(&supergraph, "supergraph.graphql").unwrap();
        let concurrency = Concurrency::default();
        let mock = MockSubgraph::start(shop_data(), &concurrency).await;
        let mut config = RouterConfig::default();
        config.subgraphs.entry("shop".to_owned()).or_default().url = Some(mock.url.clone());
        tune(&mut config);
        let app = shopgraph_router::app_from_supergraph(parsed, &config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let traffic = config.traffic.clone();
        let served = tokio::spawn(async move {
            shopgraph_router::server::serve(listener, app, &traffic, async {
                let _ = stopped.await;
            })
            .await
        });
        Shop {
            url: format!("http://{addr}/graphql"),
            addr,
            http: reqwest::Client::new(),
            mock,
            concurrency,
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// POSTs JSON with extra headers; returns status, `Retry-After` and the body.
    async fn send(&self, body: &Value, headers: &[(&str, &str)]) -> (u16, Option<String>, Value) {
        let mut request = self.http.post(&self.url).json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = tokio::time::timeout(HANG, request.send())
            .await
            .expect("the router hung")
            .unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = tokio::time::timeout(HANG, response.text())
            .await
            .expect("the router hung")
            .unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        (status, retry_after, value)
    }

    async fn query(&self, query: &str) -> Value {
        self.send(&json!({ "query": query }), &[]).await.2
    }

    /// An ordinary request answers with data.
    async fn still_answers(&self) {
        let response = self.query("{ me { name } }").await;
        assert_eq!(response, json!({"data": {"me": {"name": "Ada"}}}));
    }
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

/// 30 fragments, each spreading the next twice through `User.orders → Order.user`: 2^30 fields
/// once expanded, in about 2 KB.
fn fragment_bomb() -> String {
    let mut query = String::from("{ me { ...F0 } }\n");
    for i in 0..30 {
        let next = if i == 29 {
            String::from("id")
        } else {
            format!("...F{}", i + 1)
        };
        query.push_str(&format!(
            "fragment F{i} on User {{ a: orders {{ user {{ {next} }} }} b: orders {{ user {{ {next} }} }} }}\n"
        ));
    }
    query
}

#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once_and_others_are_still_served() {
    let shop = Shop::start(|_| {}).await;
    let bomb = fragment_bomb();
    assert!(bomb.len() < 4096, "{}", bomb.len());
    let started = Instant::now();
    let response = shop.query(&bomb).await;
    let first = started.elapsed();
    assert_eq!(code(&response), "MAX_SELECTIONS_EXCEEDED", "{response}");
    assert!(response.get("data").is_none());
    // Debug build, shared machine: a generous bound; release figures are in the README.
    assert!(first < Duration::from_millis(500), "{first:?}");
    // Many at once, with ordinary requests among them.
    let bomb_body = json!({ "query": bomb });
    let bombs: Vec<_> = (0..20).map(|_| shop.send(&bomb_body, &[])).collect();
    let started = Instant::now();
    let (answers, ()) = tokio::join!(futures::future::join_all(bombs), shop.still_answers());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    for (_, _, answer) in answers {
        assert_eq!(code(&answer), "MAX_SELECTIONS_EXCEEDED");
    }
    assert_eq!(shop.mock.received().len(), 1, "only the ordinary request");
}

#[tokio::test]
async fn normalisation_stops_at_its_budget_even_without_the_document_check() {
    let supergraph = compose(&[("shop", SHOP)]);
    let supergraph = Supergraph::parse(&supergraph, "supergraph.graphql").unwrap();
    let document = shopgraph_router::operation::parse_and_validate(
        &supergraph.api_schema,
        &fragment_bomb(),
        30_000,
    )
    .unwrap();
    let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
    let started = Instant::now();
    let error = shopgraph_router::operation::normalize::normalize(
        &supergraph,
        &document,
        operation,
        &Default::default(),
        2_000,
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(error.code(), Some("MAX_SELECTIONS_EXCEEDED"));
}

#[tokio::test]
async fn five_hundred_aliased_pages_are_refused_by_default() {
    let shop = Shop::start(|_| {}).await;
    let aliases: String = (0..500)
        .map(|i| format!("p{i}: products(first: 100) {{ nodes {{ id }} }} "))
        .collect();
    let response = shop.query(&format!("{{ {aliases} }}")).await;
    assert_eq!(code(&response), "MAX_ALIASES_EXCEEDED", "{response}");
    assert!(shop.mock.received().is_empty());
}

#[tokio::test]
async fn an_operation_estimated_too_expensive_is_refused_with_its_cost() {
    let shop = Shop::start(|config| {
        config.limits.max_aliases = 1_000;
        config.limits.max_root_fields = 1_000;
    })
    .await;
    let aliases: String = (0..500)
        .map(|i| format!("p{i}: products(first: 100) {{ nodes {{ id }} }} "))
        .collect();
    let response = shop.query(&format!("{{ {aliases} }}")).await;
    assert_eq!(
        code(&response),
        "COST_ESTIMATED_TOO_EXPENSIVE",
        "{response}"
    );
    // Each page: the connection (1) and 100 products (100).
    assert_eq!(response["errors"][0]["extensions"]["cost"], json!(50_500.0));
    assert_eq!(
        response["errors"][0]["extensions"]["maxCost"],
        json!(5_000.0)
    );
    // Sizes given in variables count too, per request.
    let query = "query($n: Int) { a: products(first: $n) { nodes { id } } b: products(first: $n) { nodes { id } } }";
    let (_, _, cheap) = shop
        .send(&json!({ "query": query, "variables": { "n": 5 } }), &[])
        .await;
    assert!(cheap.get("errors").is_none(), "{cheap}");
    // Estimated 2 × (1 + 5); actually 2 connections with the 3 products the subgraph has.
    let metrics = shop
        .http
        .get(format!("http://{}/metrics", shop.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "shopgraph_router_operation_cost_count 1",
        "shopgraph_router_operation_cost_sum{kind=\"estimated\"} 12",
        "shopgraph_router_operation_cost_sum{kind=\"actual\"} 8",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let (_, _, dear) = shop
        .send(&json!({ "query": query, "variables": { "n": 5000 } }), &[])
        .await;
    assert_eq!(code(&dear), "COST_ESTIMATED_TOO_EXPENSIVE");
    assert_eq!(dear["errors"][0]["extensions"]["cost"], json!(10_002.0));
    assert_eq!(shop.mock.received().len(), 1, "only the cheap request ran");
}

/// Cost estimates over a supergraph, with the model read from it.
fn estimator(supergraph: &str) -> impl Fn(&str) -> f64 {
    let parsed = Supergraph::parse(supergraph, "supergraph.graphql").unwrap();
    let model = shopgraph_router::cost::CostModel::new(&parsed.schema, &Default::default());
    move |query: &str| {
        let document =
            shopgraph_router::operation::parse_and_validate(&parsed.api_schema, query, 30_000)
                .unwrap();
        let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
        let normalized = shopgraph_router::operation::normalize::normalize(
            &parsed,
            &document,
            operation,
            &Default::default(),
            2_000,
        )
        .unwrap();
        model
            .estimate(&parsed.api_schema, &normalized, &Default::default())
            .cost
    }
}

fn assert_shop_costs(estimate: impl Fn(&str) -> f64) {
    // me (1) + 200 orders × (weight 3 + user 1).
    assert_eq!(estimate("{ me { orders { user { id } } } }"), 801.0);
    // The default `first` (20) sizes `nodes`.
    assert_eq!(estimate("{ products { nodes { id } } }"), 21.0);
    assert_eq!(estimate("{ products(first: 7) { nodes { id } } }"), 8.0);
}

#[tokio::test]
async fn list_sizes_and_weights_come_from_the_supergraph() {
    // The supergraph as another composer writes it, with the cost spec linked.
    let supergraph = compose(&[("shop", SHOP)])
        .replace(
            "products(first: Int = 20): ProductConnection!",
            "products(first: Int = 20): ProductConnection! @listSize(slicingArguments: [\"first\"], sizedFields: [\"nodes\"])",
        )
        .replace("orders: [Order!]!", "orders: [Order!]! @listSize(assumedSize: 200) @cost(weight: 3)");
    let supergraph = format!(
        "{supergraph}\ndirective @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n\
         directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n"
    );
    assert!(supergraph.contains("@listSize(assumedSize: 200)"));
    assert_shop_costs(estimator(&supergraph));
}

#[tokio::test]
async fn list_sizes_and_weights_declared_in_a_subgraph_reach_the_router_through_our_composer() {
    let subgraph = SHOP
        .replace("import: [\"@key\"]", "import: [\"@key\", \"@cost\", \"@listSize\"]")
        .replace("federation/v2.5", "federation/v2.9")
        .replace(
            "products(first: Int = 20): ProductConnection!",
            "products(first: Int = 20): ProductConnection! @listSize(slicingArguments: [\"first\"], sizedFields: [\"nodes\"])",
        )
        .replace("orders: [Order!]!", "orders: [Order!]! @listSize(assumedSize: 200) @cost(weight: 3)");
    let supergraph = compose(&[("shop", &subgraph)]);
    assert!(
        supergraph.contains("@listSize(assumedSize: 200)"),
        "{supergraph}"
    );
    assert_shop_costs(estimator(&supergraph));
}

#[tokio::test]
async fn deep_wide_and_decorated_operations_are_refused_with_their_codes() {
    let shop = Shop::start(|_| {}).await;
    let deep = format!(
        "{{ me {} {{ id }} {} }}",
        "{ orders { user ".repeat(8),
        "} } ".repeat(8)
    );
    assert_eq!(code(&shop.query(&deep).await), "MAX_DEPTH_EXCEEDED");
    let wide: String = (0..21).map(|i| format!("m{i}: me {{ id }} ")).collect();
    assert_eq!(
        code(&shop.query(&format!("{{ {wide} }}")).await),
        "MAX_ROOT_FIELDS_EXCEEDED"
    );
    let decorated = format!("{{ me {{ {} }} }}", "id @include(if: true) ".repeat(51));
    assert_eq!(
        code(&shop.query(&decorated).await),
        "MAX_DIRECTIVES_EXCEEDED"
    );
    let long = format!("{{ me {{ {} }} }}", "id ".repeat(30_001));
    assert_eq!(code(&shop.query(&long).await), "MAX_TOKENS_EXCEEDED");
    let introspection =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    assert_eq!(
        code(&shop.query(introspection).await),
        "MAX_INTROSPECTION_DEPTH_EXCEEDED"
    );
    // The usual introspection of GraphiQL stays allowed.
    let usual = "{ __schema { types { name fields { name args { name type { name ofType { name ofType { name ofType { name } } } } } } } } }";
    assert!(shop.query(usual).await.get("errors").is_none());
    assert!(shop.mock.received().is_empty());
    shop.still_answers().await;
}

#[tokio::test]
async fn thousands_of_aliased_mutations_are_refused() {
    let shop = Shop::start(|_| {}).await;
    let logins: String = (0..2000)
        .map(|i| format!("l{i}: login(email: \"a{i}@x\") "))
        .collect();
    let response = shop.query(&format!("mutation {{ {logins} }}")).await;
    assert_eq!(code(&response), "MAX_ALIASES_EXCEEDED");
    assert!(shop.mock.received().is_empty());
}

#[tokio::test]
async fn browsers_cannot_forge_requests_from_other_sites() {
    let shop = Shop::start(|_| {}).await;
    let body = json!({ "query": "{ me { name } }" }).to_string();
    let simple = shop
        .http
        .post(&shop.url)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(simple.status().as_u16(), 400);
    let refused: Value = simple.json().await.unwrap();
    assert_eq!(code(&refused), "CSRF_PREVENTION");
    let form = shop
        .http
        .post(&shop.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 400);
    let get = shop
        .http
        .get(format!("{}?query=%7Bme%7Bname%7D%7D", shop.url))
        .send()
        .await
        .unwrap();
    assert_eq!(code(&get.json::<Value>().await.unwrap()), "CSRF_PREVENTION");
    assert!(shop.mock.received().is_empty());
    // A header no simple request can carry makes it fine.
    let get = shop
        .http
        .get(format!("{}?query=%7Bme%7Bname%7D%7D", shop.url))
        .header("shopgraph-preflight", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        get.json::<Value>().await.unwrap(),
        json!({"data": {"me": {"name": "Ada"}}})
    );
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let shop = Shop::start(|config| {
        config.cors.origins = vec!["https://shop.example".to_owned()];
        config.cors.allow_credentials = true;
    })
    .await;
    let preflight = |origin: &'static str| {
        shop.http
            .request(reqwest::Method::OPTIONS, &shop.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(headers["access-control-max-age"], "600");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // Without configured origins, no CORS headers at all.
    let closed = Shop::start(|_| {}).await;
    let response = closed
        .http
        .post(&closed.url)
        .header("origin", "https://shop.example")
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn plans_introspection_and_subgraph_internals_stay_private_by_default() {
    let shop = Shop::start(|_| {}).await;
    let (_, _, response) = shop
        .send(
            &json!({ "query": "{ me { name } }" }),
            &[("shopgraph-query-plan", "include")],
        )
        .await;
    assert!(response.get("extensions").is_none(), "{response}");
    shop.mock
        .set_behaviour(Behaviour::Status(502, "bad gateway"));
    let failed = shop.query("{ me { name } }").await;
    assert_eq!(code(&failed), "SUBREQUEST_HTTP_ERROR");
    let message = failed["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, "the request to subgraph 'shop' failed");
    assert!(!failed.to_string().contains("127.0.0.1"));

    let open = Shop::start(|config| {
        config.expose_query_plan = true;
        config.expose_subgraph_errors = true;
        config.introspection = false;
    })
    .await;
    let (_, _, response) = open
        .send(
            &json!({ "query": "{ me { name } }" }),
            &[("shopgraph-query-plan", "include")],
        )
        .await;
    assert!(
        response["extensions"]["queryPlan"].is_string(),
        "{response}"
    );
    open.mock
        .set_behaviour(Behaviour::Status(502, "bad gateway"));
    let failed = open.query("{ me { name } }").await;
    assert!(
        failed["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("502")
    );
    let introspection = open.query("{ __schema { queryType { name } } }").await;
    assert_eq!(code(&introspection), "INTROSPECTION_DISABLED");
}

/// Sends `body` until the router refuses it (at most 20 times); how many were answered, and the
/// refusal.
async fn until_refused(
    shop: &Shop,
    body: &Value,
    headers: &[(&str, &str)],
) -> (usize, (u16, Option<String>, Value)) {
    for answered in 0..20 {
        let response = shop.send(body, headers).await;
        if response.0 != 200 {
            return (answered, response);
        }
    }
    panic!("20 requests and no refusal");
}

#[tokio::test]
async fn each_client_address_and_each_user_has_a_rate() {
    let shop = Shop::start(|config| {
        config.rate_limit.per_ip_per_second = 1;
        config.rate_limit.per_ip_burst = 3;
    })
    .await;
    let body = json!({ "query": "{ me { name } }" });
    // The burst passes; sending on, the bucket runs dry (one token a second cannot keep up).
    let (answered, (status, retry_after, refused)) = until_refused(&shop, &body, &[]).await;
    assert!(answered >= 3, "{answered}");
    assert_eq!(status, 429);
    assert_eq!(code(&refused), "RATE_LIMITED");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(shop.mock.received().len(), answered);

    let users = Shop::start(|config| {
        config.rate_limit.per_subject_per_second = 1;
        config.rate_limit.per_subject_burst = 2;
    })
    .await;
    let token = |sub: &str| {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{{\"sub\":\"{sub}\"}}"));
        format!("Bearer eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")
    };
    let ada = token("ada");
    let bob = token("bob");
    let (answered, (status, _, refused)) =
        until_refused(&users, &body, &[("authorization", &ada)]).await;
    assert!(answered >= 2, "{answered}");
    assert_eq!(status, 429);
    assert_eq!(code(&refused), "RATE_LIMITED");
    assert_eq!(users.send(&body, &[("authorization", &bob)]).await.0, 200);
}

#[tokio::test]
async fn a_stalling_subgraph_meets_the_request_deadline_and_sheds_load() {
    let shop = Shop::start(|config| {
        config.traffic.request_timeout_ms = 600;
        config.traffic.max_concurrent_requests = 2;
    })
    .await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_secs(5)));
    let body = json!({ "query": "{ me { name } }" });
    let other = json!({ "query": "{ me { id } }" });
    let third = json!({ "query": "{ me { id name } }" });
    let started = Instant::now();
    let (a, b, c) = tokio::join!(shop.send(&body, &[]), shop.send(&other, &[]), async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        shop.send(&third, &[]).await
    });
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((a.0, code(&a.2)), (504, "GATEWAY_TIMEOUT"));
    assert_eq!((b.0, code(&b.2)), (504, "GATEWAY_TIMEOUT"));
    assert_eq!((c.0, code(&c.2)), (503, "SERVICE_OVERLOADED"));
    assert_eq!(c.1.as_deref(), Some("1"));
    shop.mock.set_behaviour(Behaviour::Normal);
    shop.still_answers().await;
}

#[tokio::test]
async fn requests_to_one_subgraph_are_capped_and_responses_budgeted() {
    let shop = Shop::start(|config| {
        config.traffic.max_connections_per_subgraph = 1;
        config.deduplicate_inbound = false;
        config.deduplicate_requests = false;
    })
    .await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(100)));
    let body = json!({ "query": "{ me { name } }" });
    let sends: Vec<_> = (0..4).map(|_| shop.send(&body, &[])).collect();
    for (status, _, _) in futures::future::join_all(sends).await {
        assert_eq!(status, 200);
    }
    assert_eq!(shop.concurrency.max(), 1);

    let small = Shop::start(|config| config.traffic.max_response_bytes = 40).await;
    let response = small
        .query("{ products(first: 3) { nodes { id name } } }")
        .await;
    assert_eq!(code(&response), "RESPONSE_TOO_LARGE", "{response}");
}

#[tokio::test]
async fn identical_queries_in_flight_share_one_execution_but_mutations_never() {
    let shop = Shop::start(|config| config.deduplicate_requests = false).await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(700)));
    let body = json!({ "query": "{ me { name } }" });
    let sends: Vec<_> = (0..10).map(|_| shop.send(&body, &[])).collect();
    for (_, _, response) in futures::future::join_all(sends).await {
        assert_eq!(response, json!({"data": {"me": {"name": "Ada"}}}));
    }
    assert_eq!(shop.mock.received().len(), 1);
    // Different forwarded headers are different executions.
    let a = shop.send(&body, &[("authorization", "Bearer a")]);
    let b = shop.send(&body, &[("authorization", "Bearer b")]);
    let _ = tokio::join!(a, b);
    assert_eq!(shop.mock.received().len(), 3);
    let mutation = json!({ "query": "mutation { login(email: \"a@x\") }" });
    let sends: Vec<_> = (0..5).map(|_| shop.send(&mutation, &[])).collect();
    futures::future::join_all(sends).await;
    assert_eq!(shop.mock.received().len(), 8);

    let off = Shop::start(|config| {
        config.deduplicate_requests = false;
        config.deduplicate_inbound = false;
    })
    .await;
    off.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    let sends: Vec<_> = (0..10).map(|_| off.send(&body, &[])).collect();
    futures::future::join_all(sends).await;
    assert_eq!(off.mock.received().len(), 10);
}

#[tokio::test]
async fn subgraphs_get_the_router_secret() {
    let shop = Shop::start(|config| {
        config.subgraph_secret = Some("s3cret-s3cret-s3cret-s3cret-s3cret".to_owned());
    })
    .await;
    shop.still_answers().await;
    let received = shop.mock.received();
    assert_eq!(
        received[0].headers["shopgraph-router-secret"],
        "s3cret-s3cret-s3cret-s3cret-s3cret"
    );
    let plain = Shop::start(|_| {}).await;
    plain.still_answers().await;
    assert!(
        plain.mock.received()[0]
            .headers
            .get("shopgraph-router-secret")
            .is_none()
    );
}

#[tokio::test]
async fn slow_or_silent_connections_are_closed() {
    let shop = Shop::start(|config| {
        config.traffic.header_read_timeout_ms = 200;
        config.traffic.request_timeout_ms = 100;
        config.traffic.idle_timeout_ms = 300;
    })
    .await;
    // Headers that never end.
    let mut slow = tokio::net::TcpStream::connect(shop.addr).await.unwrap();
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buffer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    // Nothing at all.
    let mut silent = tokio::net::TcpStream::connect(shop.addr).await.unwrap();
    let closed =
        tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    shop.still_answers().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_then_stops() {
    let mut shop = Shop::start(|config| config.traffic.shutdown_grace_ms = 5_000).await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(500)));
    let stop = shop.stop.take().unwrap();
    let served = shop.served.take().unwrap();
    let body = json!({ "query": "{ me { name } }" });
    let in_flight = shop.send(&body, &[]);
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stop.send(());
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("serve did not return")
            .unwrap()
            .unwrap();
        started.elapsed()
    };
    let ((status, _, response), took) = tokio::join!(in_flight, stopping);
    assert_eq!(status, 200);
    assert_eq!(response, json!({"data": {"me": {"name": "Ada"}}}));
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(
        tokio::net::TcpStream::connect(shop.addr).await.is_err(),
        "still accepting"
    );

    // A request that outlives the grace period does not hold the router up.
    let mut stuck = Shop::start(|config| config.traffic.shutdown_grace_ms = 300).await;
    stuck
        .mock
        .set_behaviour(Behaviour::Delay(Duration::from_secs(10)));
    let stop = stuck.stop.take().unwrap();
    let served = stuck.served.take().unwrap();
    let request = stuck.send(&body, &[]);
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stop.send(());
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(5), served)
            .await
            .expect("serve did not return")
            .unwrap()
            .unwrap();
        started.elapsed()
    };
    tokio::select! {
        _ = request => panic!("the stuck request finished"),
        took = stopping => assert!(took < Duration::from_secs(2), "{took:?}"),
    }
}

#[tokio::test]
async fn caches_too_small_for_anything_still_give_right_answers() {
    let shop = Shop::start(|config| {
        config.cache.documents_bytes = 1;
        config.cache.plans_bytes = 1;
    })
    .await;
    let query = "query($withName: Boolean!) { me { id name @include(if: $withName) } }";
    for round in 0..3 {
        for with_name in [true, false] {
            let (_, _, response) = shop
                .send(
                    &json!({ "query": query, "variables": { "withName": with_name } }),
                    &[],
                )
                .await;
            let expected = if with_name {
                json!({"data": {"me": {"id": "u1", "name": "Ada"}}})
            } else {
                json!({"data": {"me": {"id": "u1"}}})
            };
            assert_eq!(response, expected, "round {round}");
        }
    }
}

#[tokio::test]
async fn mutations_tell_the_subgraph_the_client_address_and_queries_stay_shareable() {
    let shop = Shop::start(|_| {}).await;
    let (_, _, login) = shop
        .send(
            &json!({ "query": "mutation { login(email: \"a@b.c\") }" }),
            &[("x-forwarded-for", "203.0.113.9")],
        )
        .await;
    assert_eq!(login["data"]["login"], "token-for-a@b.c", "{login}");
    shop.query("{ me { name } }").await;
    let received = shop.mock.received();
    assert_eq!(received.len(), 2);
    // The router is not told to trust forwarded addresses, so the connection's address counts, and
    // it replaces whatever the client claimed.
    assert_eq!(
        received[0].headers.get("x-forwarded-for").unwrap(),
        "127.0.0.1"
    );
    assert!(received[1].headers.get("x-forwarded-for").is_none());

    // Behind a trusted proxy, the first forwarded address is the client's.
    let trusting = Shop::start(|c| c.rate_limit.trust_forwarded_for = true).await;
    trusting
        .send(
            &json!({ "query": "mutation { login(email: \"a@b.c\") }" }),
            &[("x-forwarded-for", "203.0.113.9, 10.0.0.1")],
        )
        .await;
    assert_eq!(
        trusting.mock.received()[0]
            .headers
            .get("x-forwarded-for")
            .unwrap(),
        "203.0.113.9"
    );
}

#[tokio::test]
async fn argument_and_input_field_weights_count_once_per_field_when_given() {
    let subgraph = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost"])
type Query {
  search(filter: Filter, exact: Boolean @cost(weight: 50)): [Item!]!
}
input Filter {
  text: String @cost(weight: 7)
  nested: [Filter!]
}
type Item @key(fields: "id") {
  id: ID!
}
"#;
    let supergraph = compose(&[("search", subgraph)]);
    assert!(supergraph.contains("@cost(weight: 7)"), "{supergraph}");
    let parsed = Supergraph::parse(&supergraph, "supergraph.graphql").unwrap();
    let model = shopgraph_router::cost::CostModel::new(&parsed.schema, &Default::default());
    let estimate = |query: &str, variables: Value| {
        let document =
            shopgraph_router::operation::parse_and_validate(&parsed.api_schema, query, 30_000)
                .unwrap();
        let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
        let variables = match variables {
            Value::Object(map) => serde_json::from_value(Value::Object(map)).unwrap(),
            _ => Default::default(),
        };
        let normalized = shopgraph_router::operation::normalize::normalize(
            &parsed, &document, operation, &variables, 2_000,
        )
        .unwrap();
        model.estimate(&parsed.api_schema, &normalized, &variables)
    };
    // Ten items (the default list size) of weight 1; arguments count once, not per item.
    assert_eq!(estimate("{ search { id } }", json!({})).cost, 10.0);
    assert_eq!(
        estimate("{ search(exact: true) { id } }", json!({})).cost,
        60.0
    );
    assert_eq!(
        estimate("{ search(exact: null) { id } }", json!({})).cost,
        10.0
    );
    assert_eq!(
        estimate("{ search(filter: { text: \"a\" }) { id } }", json!({})).cost,
        17.0
    );
    assert_eq!(
        estimate(
            "{ search(filter: { nested: [{ text: \"a\" }, { text: \"b\" }] }) { id } }",
            json!({})
        )
        .cost,
        24.0
    );
    let with_variable = estimate(
        "query ($f: Filter) { search(filter: $f) { id } }",
        json!({ "f": { "text": "x", "nested": [{ "text": "y" }] } }),
    );
    assert_eq!(with_variable.cost, 24.0);
    assert!(with_variable.uses_variables);
    assert_eq!(
        estimate(
            "query ($f: Filter) { search(filter: $f) { id } }",
            json!({})
        )
        .cost,
        10.0
    );
}
