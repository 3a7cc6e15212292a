//! Hostile requests: each attack the router must survive, as a test that checks the error code it
//! answers with, that nothing reached the subgraph when the request was refused, that the refusal
//! came in bounded time, and that the router keeps answering ordinary requests. The router runs
//! here as in production, behind `shopgraph_router::server::serve` (client addresses, connection
//! limits, timeouts, graceful shutdown): the harness here, the attacks in `documents`, `browser` and
//! `traffic`.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::conformance::compose;
use crate::support::{Concurrency, Dataset, MockSubgraph};

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

mod browser;
mod documents;
mod traffic;
