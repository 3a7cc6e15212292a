//! Execution: fetches at the same depth run concurrently; `_entities` are batched (one request
//! per subgraph per step) and de-duplicated; the response has exactly the requested fields in
//! request order; null propagation per the spec; subgraph errors re-pathed to the client's path;
//! a subgraph that errors, returns garbage, is unreachable or times out gives partial data and an
//! error with `extensions.code` and `extensions.serviceName`, never a 500 or a hang.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Gateway, assert_json, assert_json_any_error_order, compose, counts, fields, paths};
use crate::support::{Behaviour, Dataset};

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  topProducts: [Product!]!
  product(upc: String!): Product!
  maybeProduct(upc: String!): Product
  productList: [Product!]
}

type Product @key(fields: "upc") {
  upc: String!
  name: String!
  price: Int!
}
"#;

const INVENTORY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  inStock: Boolean!
  warehouse: String
}
"#;

const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  reviews: [Review!]!
}

type Review {
  body: String!
  rating: Int
  author: User!
}

type User @key(fields: "id", resolvable: false) {
  id: ID!
}
"#;

const ACCOUNTS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  me: User
}

type User @key(fields: "id") {
  id: ID!
  name: String!
}
"#;

const SHIPPING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  eta: Int
}
"#;

fn supergraph() -> String {
    compose(&[
        ("accounts", ACCOUNTS),
        ("catalog", CATALOG),
        ("inventory", INVENTORY),
        ("reviews", REVIEWS),
        ("shipping", SHIPPING),
    ])
}

fn product(upc: &str, name: &str, price: i64) -> Value {
    json!({ "__typename": "Product", "upc": upc, "name": name, "price": price })
}

fn catalog() -> Dataset {
    let known = [
        product("1", "Chess", 30),
        product("2", "Lego", 60),
        product("3", "Atlas", 25),
        json!({ "__typename": "Product", "upc": "4", "price": 1 }),
        product("5", "Kite", 15),
    ];
    let find = move |_: &Value, args: &serde_json::Map<String, Value>| {
        Ok(known
            .iter()
            .find(|p| p["upc"] == args["upc"])
            .cloned()
            .unwrap_or(Value::Null))
    };
    Dataset::default()
        .root(
            "topProducts",
            json!([
                product("1", "Chess", 30),
                product("2", "Lego", 60),
                product("1", "Chess", 30),
                product("3", "Atlas", 25)
            ]),
        )
        .resolver("Query", "product", find.clone())
        .resolver("Query", "maybeProduct", find)
        .root(
            "productList",
            json!([
                product("1", "Chess", 30),
                product("5", "Kite", 15),
                product("2", "Lego", 60)
            ]),
        )
}

fn inventory() -> Dataset {
    let stock = |upc: &str, in_stock: bool, warehouse: Value| json!({ "__typename": "Product", "upc": upc, "inStock": in_stock, "warehouse": warehouse });
    Dataset::default().entities(
        "Product",
        vec!["upc"],
        vec![
            stock("1", true, json!("A")),
            stock("2", false, Value::Null),
            stock("3", true, json!("C")),
        ],
    )
}

fn review(body: &str, rating: i64, author: &str) -> Value {
    json!({ "__typename": "Review", "body": body, "rating": rating,
            "author": { "__typename": "User", "id": author } })
}

fn reviews() -> Dataset {
    Dataset::default().entities(
        "Product",
        vec!["upc"],
        vec![
            json!({ "__typename": "Product", "upc": "1", "reviews": [review("Great", 5, "u1"), review("Meh", 3, "u2")] }),
            json!({ "__typename": "Product", "upc": "2", "reviews": [review("Fun", 4, "u1")] }),
            json!({ "__typename": "Product", "upc": "3", "reviews": [] }),
            json!({ "__typename": "Product", "upc": "5", "reviews": [] }),
        ],
    )
}

fn accounts() -> Dataset {
    let user = |id: &str, name: &str| json!({ "__typename": "User", "id": id, "name": name });
    Dataset::default().root("me", user("u1", "Ada")).entities(
        "User",
        vec!["id"],
        vec![user("u1", "Ada"), user("u2", "Alan")],
    )
}

fn shipping() -> Dataset {
    let eta = |upc: &str, eta: Value| json!({ "__typename": "Product", "upc": upc, "eta": eta });
    Dataset::default().entities(
        "Product",
        vec!["upc"],
        vec![
            eta("1", json!(2)),
            eta("2", json!(5)),
            eta("3", Value::Null),
            eta("5", json!(1)),
        ],
    )
}

fn data() -> Vec<(&'static str, Dataset)> {
    vec![
        ("accounts", accounts()),
        ("catalog", catalog()),
        ("inventory", inventory()),
        ("reviews", reviews()),
        ("shipping", shipping()),
    ]
}

async fn gateway() -> Gateway {
    Gateway::start(&supergraph(), data()).await
}

/// The gateway with one subgraph's data set replaced.
async fn gateway_with(name: &'static str, dataset: Dataset) -> Gateway {
    let mut all = data();
    all.retain(|(n, _)| *n != name);
    all.push((name, dataset));
    Gateway::start(&supergraph(), all).await
}

// ----- concurrency, batching, shape -----

#[tokio::test]
async fn fetches_at_the_same_depth_run_concurrently() {
    let g = gateway().await;
    for name in ["accounts", "inventory", "reviews", "shipping"] {
        g.mock(name)
            .set_behaviour(Behaviour::Delay(Duration::from_millis(150)));
    }
    let response = g
        .query(
            "{ topProducts { name inStock reviews { body author { name } } eta } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"topProducts":[
            {"name":"Chess","inStock":true,"reviews":[{"body":"Great","author":{"name":"Ada"}},{"body":"Meh","author":{"name":"Alan"}}],"eta":2},
            {"name":"Lego","inStock":false,"reviews":[{"body":"Fun","author":{"name":"Ada"}}],"eta":5},
            {"name":"Chess","inStock":true,"reviews":[{"body":"Great","author":{"name":"Ada"}},{"body":"Meh","author":{"name":"Alan"}}],"eta":2},
            {"name":"Atlas","inStock":true,"reviews":[],"eta":null}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[
            ("accounts", 1),
            ("catalog", 1),
            ("inventory", 1),
            ("reviews", 1),
            ("shipping", 1)
        ])
    );
    for name in ["inventory", "reviews", "shipping"] {
        assert_eq!(
            g.received(name)[0].completed_before,
            1,
            "{name} waits only for catalog"
        );
    }
    assert_eq!(
        g.concurrency.max(),
        3,
        "inventory, reviews and shipping overlap"
    );
    assert!(
        g.received("accounts")[0].completed_before >= 2,
        "the authors wait for the reviews"
    );
}

#[tokio::test]
async fn entities_are_batched_and_deduplicated() {
    let g = gateway().await;
    let response = g
        .query(
            "{ topProducts { upc inStock reviews { author { name } } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"topProducts":[
            {"upc":"1","inStock":true,"reviews":[{"author":{"name":"Ada"}},{"author":{"name":"Alan"}}]},
            {"upc":"2","inStock":false,"reviews":[{"author":{"name":"Ada"}}]},
            {"upc":"1","inStock":true,"reviews":[{"author":{"name":"Ada"}},{"author":{"name":"Alan"}}]},
            {"upc":"3","inStock":true,"reviews":[]}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[
            ("accounts", 1),
            ("catalog", 1),
            ("inventory", 1),
            ("reviews", 1)
        ])
    );
    let three = json!([
        { "__typename": "Product", "upc": "1" },
        { "__typename": "Product", "upc": "2" },
        { "__typename": "Product", "upc": "3" }
    ]);
    assert_eq!(g.received("inventory")[0].representations(), &three);
    assert_eq!(g.received("reviews")[0].representations(), &three);
    assert_eq!(
        g.received("accounts")[0].representations(),
        &json!([{ "__typename": "User", "id": "u1" }, { "__typename": "User", "id": "u2" }])
    );
}

#[tokio::test]
async fn one_request_per_subgraph_per_step_across_paths() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{ topProducts { inStock } maybeProduct(upc: "2") { inStock } other: maybeProduct(upc: "3") { inStock } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "topProducts":[{"inStock":true},{"inStock":false},{"inStock":true},{"inStock":true}],
            "maybeProduct":{"inStock":false},
            "other":{"inStock":true}
        }}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1)])
    );
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1" },
            { "__typename": "Product", "upc": "2" },
            { "__typename": "Product", "upc": "3" }
        ])
    );
}

#[tokio::test]
async fn a_fetch_serving_several_paths_answers_each_only_what_it_asked() {
    let inventory = inventory().resolver("Product", "warehouse", |product, _| {
        if product["upc"] == "1" {
            return Err("warehouse of 1 unknown".to_owned());
        }
        Ok(product["warehouse"].clone())
    });
    let g = gateway_with("inventory", inventory).await;
    let response = g
        .query(
            r#"{ topProducts { inStock } maybeProduct(upc: "1") { warehouse } other: maybeProduct(upc: "3") { upc warehouse inStock } }"#,
            json!({}),
        )
        .await;
    // Product 1 is at topProducts 0 and 2 too, where nobody asked for its warehouse: the
    // warehouse error belongs to maybeProduct only.
    assert_json(
        &response,
        r#"{"data":{
            "topProducts":[{"inStock":true},{"inStock":false},{"inStock":true},{"inStock":true}],
            "maybeProduct":{"warehouse":null},
            "other":{"upc":"3","warehouse":"C","inStock":true}
        },"errors":[
            {"message":"warehouse of 1 unknown","path":["maybeProduct","warehouse"],"extensions":{"code":"MOCK_ERROR","serviceName":"inventory"}}
        ]}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1)])
    );
}

#[tokio::test]
async fn the_response_has_exactly_the_requested_fields_in_request_order() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{ product(upc: "1") { inStock name ... on Product { eta reviews { rating } } reviews { body } upc eta } }"#,
            json!({}),
        )
        .await;
    // No keys, no __typename, no internal fields; the order of first appearance.
    assert_json(
        &response,
        r#"{"data":{"product":{"inStock":true,"name":"Chess","eta":2,"reviews":[{"rating":5,"body":"Great"},{"rating":3,"body":"Meh"}],"upc":"1"}}}"#,
    );
    assert_eq!(
        fields(&g.received("reviews")[0]),
        paths(&[
            "_entities",
            "_entities.…Product.reviews",
            "_entities.…Product.reviews.body",
            "_entities.…Product.reviews.rating"
        ])
    );
}

#[tokio::test]
async fn fields_a_subgraph_adds_or_reorders_do_not_reach_the_client() {
    let g = gateway().await;
    g.mock("catalog").set_behaviour(Behaviour::Reply(
        r#"{"data":{"maybeProduct":{"price":30,"secret":"x","__typename":"Product","name":"Chess","upc":"1"},"extra":1},"extensions":{"cost":3}}"#,
    ));
    let response = g
        .query(r#"{ maybeProduct(upc: "1") { name price } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"maybeProduct":{"name":"Chess","price":30}}}"#,
    );
}

// ----- null propagation -----

#[tokio::test]
async fn a_null_in_a_non_null_root_field_nulls_data() {
    let g = gateway().await;
    let response = g
        .query(r#"{ product(upc: "9") { name } me { name } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":null,"errors":[{"message":"<any>","path":["product"],"extensions":{"code":"NON_NULL_VIOLATION"}}]}"#,
    );
}

#[tokio::test]
async fn a_null_in_a_non_null_field_nulls_the_nearest_nullable_parent() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{ maybeProduct(upc: "4") { upc name } productList { upc inStock } me { name } }"#,
            json!({}),
        )
        .await;
    // Product 4 has no name; product 5 is unknown to inventory (its entity is null), and the list
    // items are non-null, so the whole (nullable) list goes.
    assert_json(
        &response,
        r#"{"data":{"maybeProduct":null,"productList":null,"me":{"name":"Ada"}},"errors":[
            {"message":"<any>","path":["maybeProduct","name"],"extensions":{"code":"NON_NULL_VIOLATION"}},
            {"message":"<any>","path":["productList",1,"inStock"],"extensions":{"code":"NON_NULL_VIOLATION"}}
        ]}"#,
    );
}

#[tokio::test]
async fn a_subgraph_error_in_a_non_null_field_propagates_up_to_data() {
    let reviews = reviews().resolver("Product", "reviews", |product, _| {
        if product["upc"] == "2" {
            return Err("reviews of 2 unavailable".to_owned());
        }
        Ok(product["reviews"].clone())
    });
    let g = gateway_with("reviews", reviews).await;
    let response = g
        .query("{ topProducts { name reviews { body } } }", json!({}))
        .await;
    // One error only: the subgraph's, at the client's path; no second error for the null.
    assert_json(
        &response,
        r#"{"data":null,"errors":[
            {"message":"reviews of 2 unavailable","path":["topProducts",1,"reviews"],"extensions":{"code":"MOCK_ERROR","serviceName":"reviews"}}
        ]}"#,
    );
}

#[tokio::test]
async fn an_unrelated_fetch_failure_does_not_hide_a_non_null_violation() {
    let g = gateway().await;
    g.mock("inventory")
        .set_behaviour(Behaviour::Status(500, "boom"));
    let response = g
        .query(
            r#"{ maybeProduct(upc: "4") { name } topProducts { warehouse } }"#,
            json!({}),
        )
        .await;
    // The inventory failure explains the null warehouses, not the missing name of product 4.
    assert_json_any_error_order(
        &response,
        r#"{"data":{"maybeProduct":null,"topProducts":[{"warehouse":null},{"warehouse":null},{"warehouse":null},{"warehouse":null}]},"errors":[
            {"message":"<any>","extensions":{"code":"SUBREQUEST_HTTP_ERROR","serviceName":"inventory"}},
            {"message":"<any>","path":["maybeProduct","name"],"extensions":{"code":"NON_NULL_VIOLATION"}}
        ]}"#,
    );
}

#[tokio::test]
async fn values_of_the_wrong_type_are_field_errors_that_propagate() {
    let catalog = catalog().resolver("Product", "price", |product, _| {
        Ok(match product["upc"].as_str() {
            Some("2") => json!("cheap"),
            Some("3") => json!(3_000_000_000_i64),
            _ => product["price"].clone(),
        })
    });
    let g = gateway_with("catalog", catalog).await;
    let response = g
        .query(
            r#"{ a: maybeProduct(upc: "1") { price } b: maybeProduct(upc: "2") { name price } c: maybeProduct(upc: "3") { price } }"#,
            json!({}),
        )
        .await;
    // "cheap" is no Int, and neither is a number beyond 32 bits.
    assert_json(
        &response,
        r#"{"data":{"a":{"price":30},"b":null,"c":null},"errors":[
            {"message":"<any>","path":["b","price"],"extensions":{"code":"INVALID_RESPONSE_VALUE"}},
            {"message":"<any>","path":["c","price"],"extensions":{"code":"INVALID_RESPONSE_VALUE"}}
        ]}"#,
    );
}

// ----- errors re-pathed -----

#[tokio::test]
async fn entity_errors_are_repathed_to_every_object_they_concern() {
    let inventory = inventory().resolver("Product", "warehouse", |product, _| {
        if product["upc"] == "1" {
            return Err("warehouse of 1 unknown".to_owned());
        }
        Ok(product["warehouse"].clone())
    });
    let reviews = reviews().resolver("Review", "rating", |review, _| {
        if review["body"] == "Meh" {
            return Err("rating hidden".to_owned());
        }
        Ok(review["rating"].clone())
    });
    // The third distinct product (upc 3) has an error at the entity level.
    let shipping = shipping().error(json!(["_entities", 2, "eta"]), "eta of 3 unknown");
    let mut all = data();
    all.retain(|(n, _)| !["inventory", "reviews", "shipping"].contains(n));
    all.push(("inventory", inventory));
    all.push(("reviews", reviews));
    all.push(("shipping", shipping));
    let g = Gateway::start(&supergraph(), all).await;
    let response = g
        .query(
            "{ topProducts { upc warehouse reviews { rating } eta } }",
            json!({}),
        )
        .await;
    assert_json_any_error_order(
        &response,
        r#"{"data":{"topProducts":[
            {"upc":"1","warehouse":null,"reviews":[{"rating":5},{"rating":null}],"eta":2},
            {"upc":"2","warehouse":null,"reviews":[{"rating":4}],"eta":5},
            {"upc":"1","warehouse":null,"reviews":[{"rating":5},{"rating":null}],"eta":2},
            {"upc":"3","warehouse":"C","reviews":[],"eta":null}
        ]},"errors":[
            {"message":"eta of 3 unknown","path":["topProducts",3,"eta"],"extensions":{"code":"MOCK_ERROR","serviceName":"shipping"}},
            {"message":"warehouse of 1 unknown","path":["topProducts",0,"warehouse"],"extensions":{"code":"MOCK_ERROR","serviceName":"inventory"}},
            {"message":"warehouse of 1 unknown","path":["topProducts",2,"warehouse"],"extensions":{"code":"MOCK_ERROR","serviceName":"inventory"}},
            {"message":"rating hidden","path":["topProducts",0,"reviews",1,"rating"],"extensions":{"code":"MOCK_ERROR","serviceName":"reviews"}},
            {"message":"rating hidden","path":["topProducts",2,"reviews",1,"rating"],"extensions":{"code":"MOCK_ERROR","serviceName":"reviews"}}
        ]}"#,
    );
}

#[tokio::test]
async fn root_errors_keep_their_path_and_errors_without_path_stay_without() {
    let catalog = catalog()
        .error(json!(["maybeProduct", "price"]), "price is an estimate")
        .error(Value::Null, "catalog is degraded");
    let g = gateway_with("catalog", catalog).await;
    let response = g
        .query(r#"{ maybeProduct(upc: "1") { name } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"maybeProduct":{"name":"Chess"}},"errors":[
            {"message":"price is an estimate","path":["maybeProduct","price"],"extensions":{"code":"MOCK_ERROR","serviceName":"catalog"}},
            {"message":"catalog is degraded","extensions":{"code":"MOCK_ERROR","serviceName":"catalog"}}
        ]}"#,
    );
}

// ----- failing subgraphs -----

/// `{ topProducts { name warehouse } }` with inventory failing: names stay, warehouses are null,
/// and one error says why.
async fn with_failing_inventory(behaviour: Behaviour, code: &str) {
    let g = gateway().await;
    g.mock("inventory").set_behaviour(behaviour.clone());
    let response = g
        .query("{ topProducts { name warehouse } }", json!({}))
        .await;
    let expected = r#"{"data":{"topProducts":[
        {"name":"Chess","warehouse":null},{"name":"Lego","warehouse":null},
        {"name":"Chess","warehouse":null},{"name":"Atlas","warehouse":null}
    ]},"errors":[{"message":"<any>","extensions":{"code":"CODE","serviceName":"inventory"}}]}"#
        .replace("CODE", code);
    let parsed = super::value(&response);
    assert!(
        parsed.get("data").is_some(),
        "{behaviour:?}: partial data expected: {parsed:#}"
    );
    assert_json(&response, &expected);
}

#[tokio::test]
async fn a_subgraph_answering_500_gives_partial_data_and_a_coded_error() {
    with_failing_inventory(Behaviour::Status(500, "boom"), "SUBREQUEST_HTTP_ERROR").await;
    with_failing_inventory(Behaviour::Status(503, ""), "SUBREQUEST_HTTP_ERROR").await;
}

#[tokio::test]
async fn a_subgraph_answering_garbage_gives_partial_data_and_a_coded_error() {
    with_failing_inventory(Behaviour::Garbage, "SUBREQUEST_MALFORMED_RESPONSE").await;
    with_failing_inventory(Behaviour::Reply("{}"), "SUBREQUEST_MALFORMED_RESPONSE").await;
    with_failing_inventory(
        Behaviour::Reply(r#"{"data":5}"#),
        "SUBREQUEST_MALFORMED_RESPONSE",
    )
    .await;
    with_failing_inventory(
        Behaviour::Reply(r#"{"data":{"_entities":"nope"}}"#),
        "SUBREQUEST_MALFORMED_RESPONSE",
    )
    .await;
    with_failing_inventory(
        Behaviour::Reply(r#"{"data":{"_entities":[]},"#),
        "SUBREQUEST_MALFORMED_RESPONSE",
    )
    .await;
}

#[tokio::test]
async fn a_subgraph_answering_a_wrong_number_of_entities_is_an_error() {
    let g = gateway().await;
    g.mock("inventory").set_behaviour(Behaviour::Reply(
        r#"{"data":{"_entities":[{"warehouse":"X"}]}}"#,
    ));
    let response = super::value(
        &g.query("{ topProducts { name warehouse } }", json!({}))
            .await,
    );
    assert_eq!(
        response["errors"],
        json!([{ "message": response["errors"][0]["message"], "extensions": { "code": "SUBREQUEST_MALFORMED_RESPONSE", "serviceName": "inventory" } }]),
        "{response:#}"
    );
    assert_eq!(
        response["data"]["topProducts"][1],
        json!({ "name": "Lego", "warehouse": null })
    );
}

#[tokio::test]
async fn a_subgraph_error_response_without_data_keeps_its_errors() {
    let g = gateway().await;
    g.mock("inventory").set_behaviour(Behaviour::Status(
        500,
        r#"{"errors":[{"message":"database down","extensions":{"code":"DB_DOWN"}}]}"#,
    ));
    let response = g
        .query("{ topProducts { name warehouse } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"topProducts":[
            {"name":"Chess","warehouse":null},{"name":"Lego","warehouse":null},
            {"name":"Chess","warehouse":null},{"name":"Atlas","warehouse":null}
        ]},"errors":[{"message":"database down","extensions":{"code":"DB_DOWN","serviceName":"inventory"}}]}"#,
    );
}

#[tokio::test]
async fn a_subgraph_that_times_out_gives_partial_data_in_time() {
    let g = Gateway::start_with(&supergraph(), data(), |config| {
        config.subgraphs.get_mut("shipping").unwrap().timeout_ms = Some(300);
    })
    .await;
    g.mock("shipping")
        .set_behaviour(Behaviour::Delay(Duration::from_secs(30)));
    let started = Instant::now();
    let response = g.query("{ topProducts { name eta } }", json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_json(
        &response,
        r#"{"data":{"topProducts":[
            {"name":"Chess","eta":null},{"name":"Lego","eta":null},{"name":"Chess","eta":null},{"name":"Atlas","eta":null}
        ]},"errors":[{"message":"<any>","extensions":{"code":"SUBREQUEST_TIMEOUT","serviceName":"shipping"}}]}"#,
    );
}

#[tokio::test]
async fn an_unreachable_subgraph_gives_partial_data() {
    let g = Gateway::start_with(&supergraph(), data(), |config| {
        // Nothing listens on port 9 (discard) of localhost in the test environment.
        config.subgraphs.get_mut("shipping").unwrap().url =
            Some("http://127.0.0.1:9/graphql".to_owned());
    })
    .await;
    let response = g.query("{ topProducts { name eta } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"topProducts":[
            {"name":"Chess","eta":null},{"name":"Lego","eta":null},{"name":"Chess","eta":null},{"name":"Atlas","eta":null}
        ]},"errors":[{"message":"<any>","extensions":{"code":"SUBREQUEST_HTTP_ERROR","serviceName":"shipping"}}]}"#,
    );
}

#[tokio::test]
async fn a_failed_fetch_in_a_non_null_position_nulls_its_parents_with_one_error() {
    let g = gateway().await;
    g.mock("inventory")
        .set_behaviour(Behaviour::Status(500, "boom"));
    let response = g
        .query("{ topProducts { name inStock } me { name } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":null,"errors":[{"message":"<any>","extensions":{"code":"SUBREQUEST_HTTP_ERROR","serviceName":"inventory"}}]}"#,
    );
}

#[tokio::test]
async fn a_failed_root_fetch_skips_what_depends_on_it() {
    let g = gateway().await;
    g.mock("catalog")
        .set_behaviour(Behaviour::Status(503, "unavailable"));
    let response = g
        .query(
            r#"{ maybeProduct(upc: "1") { name inStock } me { name } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"maybeProduct":null,"me":{"name":"Ada"}},"errors":[{"message":"<any>","extensions":{"code":"SUBREQUEST_HTTP_ERROR","serviceName":"catalog"}}]}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 1), ("catalog", 1)])
    );
}
