//! The router against small real subgraphs (see `support`): each test checks the client's response
//! and what every subgraph was asked. Query plans are snapshot-tested at the end.

use std::time::Duration;

use crate::support::{Behaviour, Concurrency, Dataset, MockSubgraph};
use serde_json::{Value, json};
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;

const REVIEWS_SUPERGRAPH: &str = include_str!("fixtures/reviews.graphql");
/// The committed composition of the shopgraph subgraphs.
const SHOP_SUPERGRAPH: &str = include_str!("../../../schema/supergraph.graphql");
/// The same supergraph written by hand from the subgraph SDLs, to check the composer against.
const SHOP_HANDWRITTEN: &str = include_str!("fixtures/shop-handwritten.graphql");

fn product(upc: &str, name: &str, price: i64, weight: i64) -> Value {
    json!({ "__typename": "Product", "upc": upc, "name": name, "price": price, "weight": weight })
}

fn review(id: &str, body: &str, author: &str, username: &str, upc: &str) -> Value {
    json!({
        "__typename": "Review", "id": id, "body": body,
        "author": { "__typename": "User", "id": author, "username": username },
        "product": { "__typename": "Product", "upc": upc }
    })
}

fn catalog() -> Dataset {
    let products = vec![
        product("1", "Table", 899, 100),
        product("2", "Couch", 1299, 1000),
        product("3", "Chair", 54, 50),
    ];
    Dataset::default()
        .root("topProducts", Value::Array(products.clone()))
        .entities("Product", vec!["upc"], products)
}

fn inventory() -> Dataset {
    Dataset::default()
        .entities(
            "Product",
            vec!["upc"],
            vec![
                json!({ "__typename": "Product", "upc": "1", "inStock": true }),
                json!({ "__typename": "Product", "upc": "2", "inStock": false }),
                json!({ "__typename": "Product", "upc": "3", "inStock": true }),
            ],
        )
        .computed("Product", "shippingEstimate", |rep| {
            // Needs the required price and weight from the representation.
            match (rep["price"].as_i64(), rep["weight"].as_i64()) {
                (Some(price), Some(weight)) => json!(if price > 1000 { 0 } else { weight / 2 }),
                _ => Value::Null,
            }
        })
}

fn reviews() -> Dataset {
    let r1 = review("r1", "Love it", "u1", "ada", "1");
    let r2 = review("r2", "Too expensive", "u2", "alan", "1");
    let r3 = review("r3", "Could be better", "u1", "ada", "2");
    Dataset::default()
        .entities(
            "Product",
            vec!["upc"],
            vec![
                json!({ "__typename": "Product", "upc": "1", "reviews": [r1, r2] }),
                json!({ "__typename": "Product", "upc": "2", "reviews": [r3] }),
                json!({ "__typename": "Product", "upc": "3", "reviews": [] }),
            ],
        )
        .root(
            "addReview",
            json!({ "__typename": "Review", "id": "r9", "body": "new" }),
        )
}

fn accounts() -> Dataset {
    Dataset::default()
        .root(
            "me",
            json!({ "__typename": "User", "id": "u1", "name": "Ada", "username": "ada" }),
        )
        .root(
            "rename",
            json!({ "__typename": "User", "id": "u1", "name": "Bea" }),
        )
        .entities(
            "User",
            vec!["id"],
            vec![
                json!({ "__typename": "User", "id": "u1", "name": "Ada", "username": "ada" }),
                json!({ "__typename": "User", "id": "u2", "name": "Alan", "username": "alan" }),
            ],
        )
}

struct Harness {
    url: String,
    http: reqwest::Client,
    accounts: MockSubgraph,
    catalog: MockSubgraph,
    inventory: MockSubgraph,
    reviews: MockSubgraph,
    concurrency: Concurrency,
}

impl Harness {
    async fn start() -> Harness {
        Harness::with(catalog(), reviews(), |_| {}).await
    }

    async fn with(
        catalog: Dataset,
        reviews: Dataset,
        tune: impl FnOnce(&mut RouterConfig),
    ) -> Harness {
        Harness::over(REVIEWS_SUPERGRAPH, catalog, reviews, tune).await
    }

    async fn over(
        supergraph: &str,
        catalog: Dataset,
        reviews: Dataset,
        tune: impl FnOnce(&mut RouterConfig),
    ) -> Harness {
        let concurrency = Concurrency::default();
        let accounts = MockSubgraph::start(accounts(), &concurrency).await;
        let catalog = MockSubgraph::start(catalog, &concurrency).await;
        let inventory = MockSubgraph::start(inventory(), &concurrency).await;
        let reviews = MockSubgraph::start(reviews, &concurrency).await;
        let mut config = RouterConfig::default();
        for (name, mock) in [
            ("accounts", &accounts),
            ("catalog", &catalog),
            ("inventory", &inventory),
            ("reviews", &reviews),
        ] {
            config.subgraphs.entry(name.to_owned()).or_default().url = Some(mock.url.clone());
        }
        tune(&mut config);
        let supergraph = Supergraph::parse(supergraph, "reviews.graphql").unwrap();
        let app = shopgraph_router::app_from_supergraph(supergraph, &config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Harness {
            url,
            http: reqwest::Client::new(),
            accounts,
            catalog,
            inventory,
            reviews,
            concurrency,
        }
    }

    async fn query(&self, query: &str, variables: Value) -> Value {
        self.request(json!({ "query": query, "variables": variables }), &[])
            .await
    }

    async fn request(&self, body: Value, headers: &[(&str, &str)]) -> Value {
        let mut request = self.http.post(&self.url).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn nested_entities_are_batched_and_deduplicated() {
    let h = Harness::start().await;
    let response = h
        .query(
            "{ topProducts { name reviews { body author { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "topProducts": [
            { "name": "Table", "reviews": [
                { "body": "Love it", "author": { "name": "Ada" } },
                { "body": "Too expensive", "author": { "name": "Alan" } } ] },
            { "name": "Couch", "reviews": [ { "body": "Could be better", "author": { "name": "Ada" } } ] },
            { "name": "Chair", "reviews": [] }
        ] } })
    );
    assert_eq!(h.catalog.received().len(), 1);
    let reviews = h.reviews.received();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        reviews[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1" },
            { "__typename": "Product", "upc": "2" },
            { "__typename": "Product", "upc": "3" }
        ])
    );
    // Three reviews by two authors: one request, each author once.
    let accounts = h.accounts.received();
    assert_eq!(accounts.len(), 1);
    assert_eq!(
        accounts[0].representations(),
        &json!([{ "__typename": "User", "id": "u1" }, { "__typename": "User", "id": "u2" }])
    );
    assert!(h.inventory.received().is_empty());
}

#[tokio::test]
async fn provided_fields_need_no_extra_fetch() {
    let h = Harness::start().await;
    let response = h
        .query(
            "{ topProducts(first: 2) { reviews { author { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["topProducts"][0]["reviews"],
        json!([{ "author": { "username": "ada" } }, { "author": { "username": "alan" } }])
    );
    assert!(
        h.accounts.received().is_empty(),
        "username is @provides'd by reviews"
    );
    assert!(h.reviews.received()[0].query().contains("username"));
}

#[tokio::test]
async fn required_fields_travel_in_representations() {
    let h = Harness::start().await;
    let response = h
        .query("{ topProducts { name shippingEstimate } }", json!({}))
        .await;
    assert_eq!(
        response,
        json!({ "data": { "topProducts": [
            { "name": "Table", "shippingEstimate": 50 },
            { "name": "Couch", "shippingEstimate": 0 },
            { "name": "Chair", "shippingEstimate": 25 }
        ] } })
    );
    let catalog = h.catalog.received();
    assert_eq!(catalog.len(), 1);
    assert!(
        catalog[0].query().contains("price"),
        "{}",
        catalog[0].query()
    );
    let inventory = h.inventory.received();
    assert_eq!(inventory.len(), 1);
    assert_eq!(
        inventory[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "price": 899, "weight": 100 },
            { "__typename": "Product", "upc": "2", "price": 1299, "weight": 1000 },
            { "__typename": "Product", "upc": "3", "price": 54, "weight": 50 }
        ])
    );
}

#[tokio::test]
async fn independent_root_fields_are_fetched_concurrently() {
    let h = Harness::start().await;
    h.accounts
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    h.catalog
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    let response = h
        .query("{ me { name } topProducts { upc } }", json!({}))
        .await;
    assert_eq!(response["data"]["me"], json!({ "name": "Ada" }));
    assert_eq!(response["data"]["topProducts"].as_array().unwrap().len(), 3);
    assert_eq!(
        h.concurrency.max(),
        2,
        "both subgraphs were asked at the same time"
    );
}

#[tokio::test]
async fn mutation_fields_run_one_after_another() {
    let h = Harness::start().await;
    h.reviews
        .set_behaviour(Behaviour::Delay(Duration::from_millis(100)));
    let response = h
        .query("mutation { addReview(upc: \"1\", body: \"new\") { id } rename(name: \"Bea\") { name } }", json!({}))
        .await;
    assert_eq!(
        response,
        json!({ "data": { "addReview": { "id": "r9" }, "rename": { "name": "Bea" } } })
    );
    let reviews = h.reviews.received();
    let accounts = h.accounts.received();
    assert!(reviews[0].query().starts_with("mutation"));
    assert_eq!(reviews[0].completed_before, 0);
    assert_eq!(
        accounts[0].completed_before, 1,
        "rename waited for addReview"
    );
}

#[tokio::test]
async fn a_subgraph_that_is_down_gives_partial_data_and_a_coded_error() {
    let h = Harness::start().await;
    h.inventory
        .set_behaviour(Behaviour::Status(503, "unavailable"));
    let response = h.query("{ topProducts { name inStock } }", json!({})).await;
    assert_eq!(
        response["data"],
        json!({ "topProducts": [
            { "name": "Table", "inStock": null },
            { "name": "Couch", "inStock": null },
            { "name": "Chair", "inStock": null }
        ] })
    );
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["extensions"]["code"], "SUBREQUEST_HTTP_ERROR");
    assert_eq!(errors[0]["extensions"]["serviceName"], "inventory");
}

#[tokio::test]
async fn garbage_and_timeouts_are_errors_not_failures() {
    let h = Harness::with(catalog(), reviews(), |config| {
        config.subgraphs.get_mut("inventory").unwrap().timeout_ms = Some(300);
    })
    .await;
    h.inventory.set_behaviour(Behaviour::Garbage);
    let response = h.query("{ topProducts { name inStock } }", json!({})).await;
    assert_eq!(
        response["data"]["topProducts"][0],
        json!({ "name": "Table", "inStock": null })
    );
    assert_eq!(
        error_codes(&response),
        vec!["SUBREQUEST_MALFORMED_RESPONSE"]
    );

    h.inventory
        .set_behaviour(Behaviour::Delay(Duration::from_secs(10)));
    let response = h.query("{ topProducts { name inStock } }", json!({})).await;
    assert_eq!(
        response["data"]["topProducts"][1],
        json!({ "name": "Couch", "inStock": null })
    );
    assert_eq!(error_codes(&response), vec!["SUBREQUEST_TIMEOUT"]);
    assert_eq!(
        response["errors"][0]["extensions"]["serviceName"],
        "inventory"
    );
}

#[tokio::test]
async fn nulls_in_non_null_fields_propagate_to_the_nearest_nullable_parent() {
    let mut products = vec![
        product("1", "Table", 899, 100),
        product("2", "Couch", 1299, 1000),
    ];
    products[1].as_object_mut().unwrap().remove("name");
    let catalog = Dataset::default()
        .root("topProducts", Value::Array(products.clone()))
        .entities("Product", vec!["upc"], products);
    let h = Harness::with(catalog, reviews(), |_| {}).await;
    let response = h.query("{ topProducts { upc name } }", json!({})).await;
    assert_eq!(
        response["data"],
        json!({ "topProducts": [ { "upc": "1", "name": "Table" }, null ] })
    );
    assert_eq!(error_codes(&response), vec!["NON_NULL_VIOLATION"]);
    assert_eq!(
        response["errors"][0]["path"],
        json!(["topProducts", 1, "name"])
    );
}

#[tokio::test]
async fn subgraph_errors_are_repathed_to_the_client_path() {
    let reviews = reviews().error(
        json!(["_entities", 1, "reviews"]),
        "reviews of 2 unavailable",
    );
    let h = Harness::with(catalog(), reviews, |_| {}).await;
    let response = h
        .query("{ topProducts { upc reviews { body } } }", json!({}))
        .await;
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["message"], "reviews of 2 unavailable");
    assert_eq!(errors[0]["path"], json!(["topProducts", 1, "reviews"]));
    assert_eq!(errors[0]["extensions"]["code"], "MOCK_ERROR");
    assert_eq!(errors[0]["extensions"]["serviceName"], "reviews");
}

#[tokio::test]
async fn the_response_has_exactly_the_requested_shape() {
    let h = Harness::start().await;
    let query = "query Top($n: Int) { products: topProducts(first: $n) { ...P t: __typename } } \
                 fragment P on Product { upc title: name upc }";
    let response = h.query(query, json!({ "n": 2 })).await;
    let expected = json!({ "data": { "products": [
        { "upc": "1", "title": "Table", "t": "Product" },
        { "upc": "2", "title": "Couch", "t": "Product" },
        { "upc": "3", "title": "Chair", "t": "Product" }
    ] } });
    assert_eq!(response.to_string(), expected.to_string());
    let catalog = h.catalog.received();
    assert_eq!(catalog[0].body["variables"], json!({ "n": 2 }));
    assert_eq!(catalog[0].body["operationName"], "Top__catalog__0");
}

#[tokio::test]
async fn skip_and_include_follow_variables() {
    let h = Harness::start().await;
    let query = "query($withReviews: Boolean!) { topProducts(first: 1) { name reviews @include(if: $withReviews) { body } } }";
    let without = h.query(query, json!({ "withReviews": false })).await;
    assert_eq!(
        without["data"]["topProducts"][0],
        json!({ "name": "Table" })
    );
    assert!(h.reviews.received().is_empty());
    let with = h.query(query, json!({ "withReviews": true })).await;
    assert_eq!(
        with["data"]["topProducts"][0]["reviews"][0],
        json!({ "body": "Love it" })
    );
    assert_eq!(h.reviews.received().len(), 1);
}

#[tokio::test]
async fn invalid_requests_get_coded_errors_with_locations() {
    let h = Harness::start().await;
    let parse = h.query("{ topProducts { name ", json!({})).await;
    let codes = error_codes(&parse);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "GRAPHQL_PARSE_FAILED"),
        "{parse:#}"
    );
    assert!(
        parse["errors"][0]["locations"][0]["line"]
            .as_u64()
            .is_some()
    );
    assert!(parse.get("data").is_none());

    let invalid = h.query("{ topProducts {\n  nope } }", json!({})).await;
    assert_eq!(error_codes(&invalid), vec!["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(
        invalid["errors"][0]["locations"],
        json!([{ "line": 2, "column": 3 }])
    );
    assert!(invalid.get("data").is_none());

    let missing = h
        .query(
            "query($n: Int!) { topProducts(first: $n) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&missing), vec!["BAD_USER_INPUT"]);
    let wrong = h
        .query(
            "query($n: Int!) { topProducts(first: $n) { name } }",
            json!({ "n": "two" }),
        )
        .await;
    assert_eq!(error_codes(&wrong), vec!["BAD_USER_INPUT"]);

    let unknown = h
        .request(
            json!({ "query": "query A { me { name } }", "operationName": "B" }),
            &[],
        )
        .await;
    assert_eq!(error_codes(&unknown), vec!["OPERATION_RESOLUTION_FAILURE"]);

    for received in [h.accounts.received(), h.catalog.received()] {
        assert!(received.is_empty(), "nothing invalid reaches a subgraph");
    }

    let get = h
        .http
        .get(format!(
            "{}?query=mutation%7Brename(name%3A%22x%22)%7Bname%7D%7D",
            h.url
        ))
        .header("shopgraph-preflight", "1")
        .send()
        .await
        .unwrap();
    let body: Value = get.json().await.unwrap();
    assert_eq!(error_codes(&body), vec!["BAD_REQUEST"]);
    assert!(h.accounts.received().is_empty());
}

#[tokio::test]
async fn authorization_is_forwarded_and_other_headers_are_not() {
    let h = Harness::start().await;
    h.request(
        json!({ "query": "{ me { name } }" }),
        &[("authorization", "Bearer abc"), ("cookie", "secret=1")],
    )
    .await;
    let received = h.accounts.received();
    assert_eq!(
        received[0].headers.get("authorization").unwrap(),
        "Bearer abc"
    );
    assert!(received[0].headers.get("cookie").is_none());
}

#[tokio::test]
async fn trace_context_is_forwarded_or_started_and_does_not_defeat_sharing() {
    let h = Harness::start().await;
    let given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    h.request(
        json!({ "query": "{ me { name } }" }),
        &[("traceparent", given)],
    )
    .await;
    h.request(json!({ "query": "{ me { name } }" }), &[]).await;
    let received = h.accounts.received();
    assert_eq!(received[0].headers.get("traceparent").unwrap(), given);
    let started = received[1]
        .headers
        .get("traceparent")
        .unwrap()
        .to_str()
        .unwrap();
    let parts: Vec<&str> = started.split('-').collect();
    assert_eq!(parts.len(), 4, "{started}");
    assert_eq!(
        (parts[0], parts[1].len(), parts[2].len(), parts[3]),
        ("00", 32, 16, "01")
    );
    assert_ne!(started, given);

    // Identical queries in flight together still share one subgraph request although each client
    // request has its own trace context.
    h.accounts
        .set_behaviour(Behaviour::Delay(Duration::from_millis(300)));
    let before = h.accounts.received().len();
    let (a, b) = tokio::join!(
        h.query("{ me { name } }", json!({})),
        h.query("{ me { name } }", json!({}))
    );
    assert_eq!(a, b);
    assert_eq!(h.accounts.received().len(), before + 1);
}

#[tokio::test]
async fn introspection_is_answered_by_the_router() {
    let h = Harness::start().await;
    let response = h
        .query(
            "{ __schema { queryType { name } } __type(name: \"Product\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
    let fields: Vec<&str> = response["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "upc",
            "name",
            "price",
            "weight",
            "inStock",
            "shippingEstimate",
            "reviews"
        ]
    );
    for mock in [&h.accounts, &h.catalog, &h.inventory, &h.reviews] {
        assert!(mock.received().is_empty());
    }
    let types = h.query("{ __schema { types { name } } }", json!({})).await;
    let names: Vec<&str> = types["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("join__") || n.starts_with("link__")),
        "{names:?}"
    );
}

// ----- round trip: our composer against the hand-written supergraph -----

/// The subgraphs behind `fixtures/reviews.graphql`, as their own SDLs.
const REVIEWS_SUBGRAPHS: [(&str, &str); 4] = [
    (
        "accounts",
        r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
type Query { me: User }
type Mutation { rename(name: String!): User }
type User @key(fields: "id") { id: ID! name: String username: String @shareable }"#,
    ),
    (
        "catalog",
        r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { topProducts(first: Int = 5): [Product] }
type Product @key(fields: "upc") { upc: String! name: String! price: Int weight: Int }"#,
    ),
    (
        "inventory",
        r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
type Product @key(fields: "upc") {
  upc: String!
  price: Int @external
  weight: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
}"#,
    ),
    (
        "reviews",
        r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
type Mutation { addReview(upc: String!, body: String!): Review }
type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
type Product @key(fields: "upc") { upc: String! reviews: [Review] }"#,
    ),
];

#[tokio::test]
async fn the_composed_supergraph_answers_like_the_handwritten_one() {
    let inputs: Vec<_> = REVIEWS_SUBGRAPHS
        .iter()
        .map(|(name, sdl)| {
            shopgraph_schema::SubgraphInput::new(
                *name,
                format!("http://{name}.invalid/graphql"),
                *sdl,
            )
        })
        .collect();
    let composed = shopgraph_schema::compose(&inputs)
        .unwrap_or_else(|errors| panic!("{errors:?}"))
        .sdl()
        .to_owned();
    let handwritten = Harness::start().await;
    let ours = Harness::over(&composed, catalog(), reviews(), |_| {}).await;
    for query in [
        "{ topProducts { name reviews { body author { name username } } } }",
        "{ topProducts(first: 2) { upc shippingEstimate inStock } me { name reviews { body } } }",
        "{ me { username reviews { product { name price } } } }",
        "mutation { addReview(upc: \"1\", body: \"new\") { id } rename(name: \"Bea\") { name } }",
    ] {
        let expected = handwritten.query(query, json!({})).await;
        let actual = ours.query(query, json!({})).await;
        assert!(expected.get("errors").is_none(), "{query}: {expected:#}");
        assert_eq!(actual, expected, "{query}");
    }
    for (a, b) in [
        (&handwritten.accounts, &ours.accounts),
        (&handwritten.catalog, &ours.catalog),
        (&handwritten.inventory, &ours.inventory),
        (&handwritten.reviews, &ours.reviews),
    ] {
        let queries = |mock: &MockSubgraph| -> Vec<String> {
            mock.received()
                .iter()
                .map(|r| r.query().to_owned())
                .collect()
        };
        assert_eq!(queries(b), queries(a), "the same subgraph requests");
    }
}

// ----- query plans -----

fn plan(supergraph: &str, query: &str) -> String {
    let supergraph = Supergraph::parse(supergraph, "supergraph.graphql").unwrap();
    shopgraph_router::pipeline::plan_text(&supergraph, query, None).unwrap()
}

#[test]
fn plan_for_a_cart_with_requires_across_three_subgraphs() {
    insta::assert_snapshot!(plan(
        SHOP_SUPERGRAPH,
        "{ me { name cart { items { quantity product { name price { amount currency } } } subtotal { amount currency } } } }"
    ));
}

#[test]
fn plan_for_nested_entities_with_provides_and_requires() {
    insta::assert_snapshot!(plan(
        REVIEWS_SUPERGRAPH,
        "{ topProducts { name shippingEstimate reviews { body author { username name } } } }"
    ));
}

#[test]
fn the_composed_supergraph_plans_like_the_handwritten_one() {
    for query in [
        "{ me { name cart { items { quantity product { name price { amount currency } } } subtotal { amount currency } } } }",
        "{ products(first: 2) { nodes { sku price { amount } } } user(id: \"u\") { email cart { itemCount } } }",
        "mutation { register(input: { email: \"a@b.c\", password: \"12345678\", name: \"A\" }) { user { cart { id } } } }",
    ] {
        assert_eq!(
            plan(SHOP_SUPERGRAPH, query),
            plan(SHOP_HANDWRITTEN, query),
            "{query}"
        );
    }
}

#[test]
fn plan_for_a_mutation_then_entities() {
    insta::assert_snapshot!(plan(
        SHOP_SUPERGRAPH,
        "mutation { addToCart(productId: \"p\", quantity: 1) { itemCount items { product { name } } } }"
    ));
}
