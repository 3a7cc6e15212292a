//! Choosing subgraphs: among subgraphs that can resolve a field the router prefers the fewest
//! fetches; `@shareable` fields come from the subgraph already being fetched; value types that
//! exist in several subgraphs with partly different fields; enum and input types that differ
//! between subgraphs (output enums are the union of values, input enums and input objects the
//! intersection).

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields, paths, value};
use crate::support::{Behaviour, Dataset};

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Query {
  product(upc: String!): Product @shareable
  products(filter: ProductFilter, sort: Sort): [Product!]!
  info: Info! @shareable
}

type Info @shareable {
  version: String!
  productCount: Int!
}

type Product @key(fields: "upc") {
  upc: String!
  name: String! @shareable
  price: Money! @shareable
  dimensions: Dimensions @shareable
  status: Status!
}

type Money @shareable {
  amount: Int!
  currency: String!
}

type Dimensions @shareable {
  weight: Int!
}

enum Status {
  ACTIVE
  DISCONTINUED
}

enum Sort {
  NAME
  PRICE
  NEWEST
}

input ProductFilter {
  maxPrice: Int
  name: String
}
"#;

const OFFERS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Query {
  product(upc: String!): Product @shareable
  deals(filter: ProductFilter, sort: Sort): [Product!]!
  info: Info! @shareable
}

type Info @shareable {
  version: String!
  dealCount: Int!
}

type Product @key(fields: "upc") {
  upc: String!
  name: String! @shareable
  price: Money! @shareable
  dimensions: Dimensions @shareable
  discount: Int! @shareable
  offerStatus: Status!
}

type Money @shareable {
  amount: Int!
  currency: String!
}

type Dimensions @shareable {
  weight: Int!
  unit: String!
}

enum Status {
  ACTIVE
  DRAFT
}

enum Sort {
  NAME
  PRICE
}

input ProductFilter {
  maxPrice: Int
  onSale: Boolean
}
"#;

const PRICING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Product @key(fields: "upc") {
  upc: String!
  discount: Int! @shareable
  rrp: Int!
}
"#;

fn supergraph() -> String {
    compose(&[
        ("catalog", CATALOG),
        ("offers", OFFERS),
        ("pricing", PRICING),
    ])
}

fn data() -> Vec<(&'static str, Dataset)> {
    let catalog_product = |upc: &str, name: &str, amount: i64, status: &str| {
        json!({ "__typename": "Product", "upc": upc, "name": name,
                "price": { "amount": amount, "currency": "EUR" },
                "dimensions": { "weight": amount / 10 }, "status": status })
    };
    let offers_product = |upc: &str, name: &str, amount: i64, discount: i64, status: &str| {
        json!({ "__typename": "Product", "upc": upc, "name": name,
                "price": { "amount": amount, "currency": "EUR" },
                "dimensions": { "weight": amount / 10, "unit": "kg" },
                "discount": discount, "offerStatus": status })
    };
    let catalog = vec![
        catalog_product("1", "Chess", 30, "ACTIVE"),
        catalog_product("2", "Lego", 60, "DISCONTINUED"),
    ];
    let offers = vec![
        offers_product("1", "Chess", 30, 5, "DRAFT"),
        offers_product("2", "Lego", 60, 10, "ACTIVE"),
    ];
    let find = |all: Vec<Value>| {
        move |_: &Value, args: &serde_json::Map<String, Value>| {
            Ok(all
                .iter()
                .find(|p| p["upc"] == args["upc"])
                .cloned()
                .unwrap_or(Value::Null))
        }
    };
    let pricing = vec![
        json!({ "__typename": "Product", "upc": "1", "discount": 5, "rrp": 35 }),
        json!({ "__typename": "Product", "upc": "2", "discount": 10, "rrp": 70 }),
    ];
    vec![
        (
            "pricing",
            Dataset::default().entities("Product", vec!["upc"], pricing),
        ),
        (
            "catalog",
            Dataset::default()
                .root("info", json!({ "version": "7", "productCount": 2 }))
                .entities("Product", vec!["upc"], catalog.clone())
                .resolver("Query", "product", find(catalog.clone()))
                .resolver("Query", "products", move |_, args| {
                    let max = args
                        .get("filter")
                        .and_then(|f| f["maxPrice"].as_i64())
                        .unwrap_or(i64::MAX);
                    Ok(Value::Array(
                        catalog
                            .iter()
                            .filter(|p| p["price"]["amount"].as_i64().unwrap() <= max)
                            .cloned()
                            .collect(),
                    ))
                }),
        ),
        (
            "offers",
            Dataset::default()
                .root("info", json!({ "version": "7", "dealCount": 2 }))
                .entities("Product", vec!["upc"], offers.clone())
                .resolver("Query", "product", find(offers.clone()))
                .root("deals", Value::Array(offers)),
        ),
    ]
}

#[tokio::test]
async fn shareable_fields_come_from_the_subgraph_being_fetched() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            "{ deals { name price { amount currency } dimensions { weight } discount } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"deals":[
            {"name":"Chess","price":{"amount":30,"currency":"EUR"},"dimensions":{"weight":3},"discount":5},
            {"name":"Lego","price":{"amount":60,"currency":"EUR"},"dimensions":{"weight":6},"discount":10}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("offers", 1)]));
}

#[tokio::test]
async fn the_root_subgraph_covering_most_fields_is_chosen() {
    let g = Gateway::start(&supergraph(), data()).await;
    let offers = g
        .query(r#"{ product(upc: "1") { name discount } }"#, json!({}))
        .await;
    assert_json(
        &offers,
        r#"{"data":{"product":{"name":"Chess","discount":5}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("offers", 1)]));

    let catalog = g
        .query(r#"{ product(upc: "2") { name status } }"#, json!({}))
        .await;
    assert_json(
        &catalog,
        r#"{"data":{"product":{"name":"Lego","status":"DISCONTINUED"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 1), ("offers", 1)]));

    // Fields of both: two fetches whichever way; shared fields come from the first one.
    let both = g
        .query(
            r#"{ product(upc: "2") { status price { amount } discount } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &both,
        r#"{"data":{"product":{"status":"DISCONTINUED","price":{"amount":60},"discount":10}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 2), ("offers", 2)]));
    let last_catalog = &g.received("catalog")[1];
    let last_offers = &g.received("offers")[1];
    let asked_price =
        |r: &crate::support::Received| fields(r).iter().any(|p| p.ends_with("price.amount"));
    assert!(
        asked_price(last_catalog) != asked_price(last_offers),
        "price is fetched once: {:?} / {:?}",
        fields(last_catalog),
        fields(last_offers)
    );
}

#[tokio::test]
async fn an_entity_jump_goes_to_the_subgraph_covering_most_fields() {
    let g = Gateway::start(&supergraph(), data()).await;
    // discount is in offers and pricing, rrp only in pricing: one jump to pricing serves both.
    let response = g
        .query("{ products { name discount rrp } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[{"name":"Chess","discount":5,"rrp":35},{"name":"Lego","discount":10,"rrp":70}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("pricing", 1)])
    );
}

#[tokio::test]
async fn a_value_type_with_partly_different_fields_comes_from_a_subgraph_that_has_them_all() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            "{ products { name status dimensions { weight unit } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[
            {"name":"Chess","status":"ACTIVE","dimensions":{"weight":3,"unit":"kg"}},
            {"name":"Lego","status":"DISCONTINUED","dimensions":{"weight":6,"unit":"kg"}}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 1), ("offers", 1)]));
    assert_eq!(
        g.received("offers")[0].representations(),
        &json!([{ "__typename": "Product", "upc": "1" }, { "__typename": "Product", "upc": "2" }])
    );
    assert_eq!(
        fields(&g.received("offers")[0]),
        paths(&[
            "_entities",
            "_entities.…Product.dimensions",
            "_entities.…Product.dimensions.unit",
            "_entities.…Product.dimensions.weight",
        ])
    );
}

#[tokio::test]
async fn a_shared_value_type_without_key_is_assembled_from_several_root_fetches() {
    let g = Gateway::start(&supergraph(), data()).await;
    let one = g
        .query("{ info { version productCount } }", json!({}))
        .await;
    assert_json(
        &one,
        r#"{"data":{"info":{"version":"7","productCount":2}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 1)]));
    // No subgraph has both counts and Info has no key: each root fetch brings its part.
    let both = g
        .query("{ info { version productCount dealCount } }", json!({}))
        .await;
    assert_json(
        &both,
        r#"{"data":{"info":{"version":"7","productCount":2,"dealCount":2}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 2), ("offers", 1)]));
}

#[tokio::test]
async fn a_split_value_type_with_one_part_failing_gives_what_the_other_part_has() {
    let g = Gateway::start(&supergraph(), data()).await;
    g.mock("offers")
        .set_behaviour(Behaviour::Status(502, "bad gateway"));
    let response = g
        .query("{ info { version productCount dealCount } }", json!({}))
        .await;
    // dealCount is non-null, and so is info: data goes; one error says why.
    assert_json(
        &response,
        r#"{"data":null,"errors":[{"message":"<any>","extensions":{"code":"SUBREQUEST_HTTP_ERROR","serviceName":"offers"}}]}"#,
    );
    let catalog_only = g
        .query("{ info { version productCount } }", json!({}))
        .await;
    assert_json(
        &catalog_only,
        r#"{"data":{"info":{"version":"7","productCount":2}}}"#,
    );
}

#[tokio::test]
async fn output_enums_take_every_value_of_every_subgraph() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query("{ products { status } deals { offerStatus } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "products":[{"status":"ACTIVE"},{"status":"DISCONTINUED"}],
            "deals":[{"offerStatus":"DRAFT"},{"offerStatus":"ACTIVE"}]
        }}"#,
    );
    let status = g
        .query(
            r#"{ __type(name: "Status") { enumValues { name } } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &status,
        r#"{"data":{"__type":{"enumValues":[{"name":"ACTIVE"},{"name":"DISCONTINUED"},{"name":"DRAFT"}]}}}"#,
    );
}

#[tokio::test]
async fn input_enums_and_input_objects_keep_only_what_every_subgraph_accepts() {
    let g = Gateway::start(&supergraph(), data()).await;
    let sort = g
        .query(r#"{ __type(name: "Sort") { enumValues { name } } filter: __type(name: "ProductFilter") { inputFields { name } } }"#, json!({}))
        .await;
    assert_json(
        &sort,
        r#"{"data":{"__type":{"enumValues":[{"name":"NAME"},{"name":"PRICE"}]},"filter":{"inputFields":[{"name":"maxPrice"}]}}}"#,
    );
    for query in [
        "{ products(sort: NEWEST) { name } }",
        r#"{ products(filter: { name: "x" }) { name } }"#,
        "{ deals(filter: { onSale: true }) { name } }",
    ] {
        let response = value(&g.query(query, json!({})).await);
        assert!(response.get("data").is_none(), "{query}: {response:#}");
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{query}: {response:#}"
        );
    }
    let variable = value(
        &g.query(
            "query($s: Sort) { products(sort: $s) { name } }",
            json!({ "s": "NEWEST" }),
        )
        .await,
    );
    assert_eq!(
        variable["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert!(g.request_counts().is_empty());

    let accepted = g
        .query(
            "query($f: ProductFilter) { products(sort: PRICE, filter: $f) { name } }",
            json!({ "f": { "maxPrice": 50 } }),
        )
        .await;
    assert_json(&accepted, r#"{"data":{"products":[{"name":"Chess"}]}}"#);
    let catalog = g.received("catalog");
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog[0].variables(), &json!({ "f": { "maxPrice": 50 } }));
}
