//! Entity keys: simple, composite, nested, several `@key`s on one type (each subgraph gets the
//! key it declares, reaching it through another subgraph when needed), and `resolvable: false`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::{Behaviour, Dataset};

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  products: [Product!]!
  variants: [Variant!]!
  warehouses: [Warehouse!]!
}

type Product @key(fields: "id") @key(fields: "sku") {
  id: ID!
  sku: String!
  name: String!
  vendor: Vendor!
}

type Vendor @key(fields: "id", resolvable: false) {
  id: ID!
}

type Variant @key(fields: "product { id } color") {
  product: Product!
  color: String!
  label: String!
}

type Warehouse @key(fields: "id region") {
  id: ID!
  region: String!
  city: String!
}
"#;

const INVENTORY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "sku") {
  sku: String!
  stock: Int!
}

type Warehouse @key(fields: "id region") {
  id: ID!
  region: String!
  capacity: Int!
}
"#;

const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "id") {
  id: ID!
  rating: Int!
}

type Variant @key(fields: "product { id } color") {
  product: Product!
  color: String!
  reviewCount: Int!
}
"#;

const LEGACY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  legacyProducts: [Product!]!
  legacyProduct(id: ID!): Product
  topVendor: Vendor
}

type Product @key(fields: "id") {
  id: ID!
  legacyCode: String!
}

type Vendor @key(fields: "id", resolvable: false) {
  id: ID!
}
"#;

const VENDORS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Vendor @key(fields: "id") {
  id: ID!
  name: String!
}
"#;

fn supergraph() -> String {
    compose(&[
        ("catalog", CATALOG),
        ("inventory", INVENTORY),
        ("legacy", LEGACY),
        ("reviews", REVIEWS),
        ("vendors", VENDORS),
    ])
}

fn product(id: &str, sku: &str, name: &str, vendor: &str) -> Value {
    json!({ "__typename": "Product", "id": id, "sku": sku, "name": name,
            "vendor": { "__typename": "Vendor", "id": vendor } })
}

fn catalog() -> Dataset {
    let products = vec![
        product("p1", "SKU-1", "Chess", "v1"),
        product("p2", "SKU-2", "Lego", "v2"),
        product("p3", "SKU-3", "Atlas", "v1"),
    ];
    let variant = |id: &str, color: &str, label: &str| {
        json!({ "__typename": "Variant", "product": { "__typename": "Product", "id": id },
                "color": color, "label": label })
    };
    let warehouse = |id: &str, region: &str, city: &str| json!({ "__typename": "Warehouse", "id": id, "region": region, "city": city });
    Dataset::default()
        .root("products", Value::Array(products.clone()))
        .entities("Product", vec!["id", "sku"], products)
        .root(
            "variants",
            json!([
                variant("p1", "red", "Red chess"),
                variant("p1", "blue", "Blue chess"),
                variant("p2", "red", "Red lego")
            ]),
        )
        .root(
            "warehouses",
            json!([
                warehouse("w1", "eu", "Lyon"),
                warehouse("w1", "us", "Austin"),
                warehouse("w2", "eu", "Porto")
            ]),
        )
}

fn inventory() -> Dataset {
    let stock =
        |sku: &str, stock: i64| json!({ "__typename": "Product", "sku": sku, "stock": stock });
    let warehouse = |id: &str, region: &str, capacity: i64| json!({ "__typename": "Warehouse", "id": id, "region": region, "capacity": capacity });
    Dataset::default()
        .entities(
            "Product",
            vec!["sku"],
            vec![stock("SKU-1", 5), stock("SKU-2", 0), stock("SKU-3", 12)],
        )
        .entities(
            "Warehouse",
            vec!["id", "region"],
            vec![
                warehouse("w1", "eu", 100),
                warehouse("w1", "us", 250),
                warehouse("w2", "eu", 40),
            ],
        )
}

fn reviews() -> Dataset {
    let rating =
        |id: &str, rating: i64| json!({ "__typename": "Product", "id": id, "rating": rating });
    let variant = |id: &str, color: &str, count: i64| {
        json!({ "__typename": "Variant", "product": { "__typename": "Product", "id": id },
                "color": color, "reviewCount": count })
    };
    Dataset::default()
        .entities(
            "Product",
            vec!["id"],
            vec![rating("p1", 5), rating("p2", 4), rating("p3", 3)],
        )
        .entities(
            "Variant",
            vec!["product", "color"],
            vec![
                variant("p1", "red", 2),
                variant("p1", "blue", 0),
                variant("p2", "red", 7),
            ],
        )
}

fn legacy() -> Dataset {
    let code =
        |id: &str, code: &str| json!({ "__typename": "Product", "id": id, "legacyCode": code });
    Dataset::default()
        .root(
            "legacyProducts",
            json!([code("p2", "L-2"), code("p1", "L-1")]),
        )
        .entities(
            "Product",
            vec!["id"],
            vec![code("p1", "L-1"), code("p2", "L-2"), code("p3", "L-3")],
        )
        .root("topVendor", json!({ "__typename": "Vendor", "id": "v2" }))
        .resolver("Query", "legacyProduct", move |_, args| {
            // p9 exists only in legacy.
            let known = [code("p1", "L-1"), code("p9", "L-9")];
            Ok(known
                .into_iter()
                .find(|p| p["id"] == args["id"])
                .unwrap_or(Value::Null))
        })
}

fn vendors() -> Dataset {
    let vendor = |id: &str, name: &str| json!({ "__typename": "Vendor", "id": id, "name": name });
    Dataset::default().entities(
        "Vendor",
        vec!["id"],
        vec![vendor("v1", "Acme"), vendor("v2", "Globex")],
    )
}

async fn gateway() -> Gateway {
    Gateway::start(
        &supergraph(),
        vec![
            ("catalog", catalog()),
            ("inventory", inventory()),
            ("legacy", legacy()),
            ("reviews", reviews()),
            ("vendors", vendors()),
        ],
    )
    .await
}

#[tokio::test]
async fn composite_keys_travel_whole() {
    let g = gateway().await;
    let response = g.query("{ warehouses { city capacity } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"warehouses":[
            {"city":"Lyon","capacity":100},
            {"city":"Austin","capacity":250},
            {"city":"Porto","capacity":40}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1)])
    );
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Warehouse", "id": "w1", "region": "eu" },
            { "__typename": "Warehouse", "id": "w1", "region": "us" },
            { "__typename": "Warehouse", "id": "w2", "region": "eu" }
        ])
    );
}

#[tokio::test]
async fn nested_keys_travel_as_nested_objects() {
    let g = gateway().await;
    let response = g
        .query("{ variants { label reviewCount } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"variants":[
            {"label":"Red chess","reviewCount":2},
            {"label":"Blue chess","reviewCount":0},
            {"label":"Red lego","reviewCount":7}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("reviews", 1)])
    );
    assert_eq!(
        fields(&g.received("catalog")[0]),
        paths(&[
            "variants",
            "variants.color",
            "variants.label",
            "variants.product",
            "variants.product.id"
        ])
    );
    assert_eq!(
        g.received("reviews")[0].representations(),
        &json!([
            { "__typename": "Variant", "product": { "id": "p1" }, "color": "red" },
            { "__typename": "Variant", "product": { "id": "p1" }, "color": "blue" },
            { "__typename": "Variant", "product": { "id": "p2" }, "color": "red" }
        ])
    );
}

#[tokio::test]
async fn several_types_at_several_paths_go_to_one_subgraph_in_one_request() {
    let g = gateway().await;
    let response = g
        .query(
            "{ variants { label reviewCount product { name stock rating } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"variants":[
            {"label":"Red chess","reviewCount":2,"product":{"name":"Chess","stock":5,"rating":5}},
            {"label":"Blue chess","reviewCount":0,"product":{"name":"Chess","stock":5,"rating":5}},
            {"label":"Red lego","reviewCount":7,"product":{"name":"Lego","stock":0,"rating":4}}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1), ("reviews", 1)])
    );
    let mut representations = g.received("reviews")[0]
        .representations()
        .as_array()
        .unwrap()
        .clone();
    representations.sort_by_key(|r| r.to_string());
    assert_eq!(
        representations,
        vec![
            json!({ "__typename": "Product", "id": "p1" }),
            json!({ "__typename": "Product", "id": "p2" }),
            json!({ "__typename": "Variant", "product": { "id": "p1" }, "color": "blue" }),
            json!({ "__typename": "Variant", "product": { "id": "p1" }, "color": "red" }),
            json!({ "__typename": "Variant", "product": { "id": "p2" }, "color": "red" }),
        ]
    );
}

#[tokio::test]
async fn each_subgraph_gets_the_key_it_declares() {
    let g = gateway().await;
    for name in ["inventory", "reviews"] {
        g.mock(name)
            .set_behaviour(Behaviour::Delay(Duration::from_millis(150)));
    }
    let response = g
        .query("{ products { name stock rating } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[
            {"name":"Chess","stock":5,"rating":5},
            {"name":"Lego","stock":0,"rating":4},
            {"name":"Atlas","stock":12,"rating":3}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1), ("reviews", 1)])
    );
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Product", "sku": "SKU-1" },
            { "__typename": "Product", "sku": "SKU-2" },
            { "__typename": "Product", "sku": "SKU-3" }
        ])
    );
    assert_eq!(
        g.received("reviews")[0].representations(),
        &json!([
            { "__typename": "Product", "id": "p1" },
            { "__typename": "Product", "id": "p2" },
            { "__typename": "Product", "id": "p3" }
        ])
    );
    // Both entity fetches only need the catalog's answer: they overlap.
    assert_eq!(g.received("inventory")[0].completed_before, 1);
    assert_eq!(g.received("reviews")[0].completed_before, 1);
    assert_eq!(g.concurrency.max(), 2);
}

#[tokio::test]
async fn a_key_the_source_lacks_is_fetched_through_a_subgraph_that_knows_both() {
    let g = gateway().await;
    // legacy knows products by id only; inventory by sku only: the catalog (which has both keys)
    // turns one into the other.
    let response = g
        .query("{ legacyProducts { legacyCode stock } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"legacyProducts":[{"legacyCode":"L-2","stock":0},{"legacyCode":"L-1","stock":5}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("inventory", 1), ("legacy", 1)])
    );
    assert_eq!(
        g.received("catalog")[0].representations(),
        &json!([{ "__typename": "Product", "id": "p2" }, { "__typename": "Product", "id": "p1" }])
    );
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([{ "__typename": "Product", "sku": "SKU-2" }, { "__typename": "Product", "sku": "SKU-1" }])
    );
}

#[tokio::test]
async fn a_key_hop_that_finds_nothing_leaves_a_null_and_an_error() {
    let g = gateway().await;
    let found = g
        .query(
            r#"{ legacyProduct(id: "p1") { legacyCode stock } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &found,
        r#"{"data":{"legacyProduct":{"legacyCode":"L-1","stock":5}}}"#,
    );
    // The catalog does not know p9: there is no sku to ask inventory with, which is said at the
    // object (never silent).
    let lost = g
        .query(
            r#"{ legacyProduct(id: "p9") { legacyCode stock } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &lost,
        r#"{"data":{"legacyProduct":null},"errors":[{"message":"<any>","path":["legacyProduct"],"extensions":{"code":"ENTITY_REPRESENTATION_INVALID","serviceName":"inventory"}}]}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 2), ("inventory", 1), ("legacy", 2)])
    );
}

#[tokio::test]
async fn resolvable_false_keys_are_references_only() {
    let g = gateway().await;
    let response = g
        .query(
            "{ products { vendor { id name } } topVendor { name } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "products":[{"vendor":{"id":"v1","name":"Acme"}},{"vendor":{"id":"v2","name":"Globex"}},{"vendor":{"id":"v1","name":"Acme"}}],
            "topVendor":{"name":"Globex"}
        }}"#,
    );
    // catalog and legacy only reference vendors: never asked for Vendor entities.
    for name in ["catalog", "legacy"] {
        for received in g.received(name) {
            assert!(
                !received.query().contains("_entities"),
                "{name}: {}",
                received.query()
            );
        }
    }
    let vendors = g.received("vendors");
    assert!(
        vendors.len() <= 2,
        "one vendor fetch per path at most: {}",
        vendors.len()
    );
    let mut representations: Vec<Value> = vendors
        .iter()
        .flat_map(|r| r.representations().as_array().cloned().unwrap_or_default())
        .collect();
    representations.sort_by_key(|r| r.to_string());
    assert_eq!(
        representations,
        vec![
            json!({ "__typename": "Vendor", "id": "v1" }),
            json!({ "__typename": "Vendor", "id": "v2" }),
            json!({ "__typename": "Vendor", "id": "v2" }),
        ]
    );
}

#[test]
fn plan_for_nested_and_several_keys() {
    insta::assert_snapshot!(super::plan(
        &supergraph(),
        "{ variants { label reviewCount product { name stock rating } } }"
    ));
}
