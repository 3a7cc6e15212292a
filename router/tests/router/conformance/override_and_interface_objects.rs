//! `@override` (a field moved to another subgraph, and progressive override: `percent(0)` keeps
//! it where it was, `percent(100)` moves it, deterministically) and `@interfaceObject` (fields
//! added to every implementation of an interface by a subgraph that only knows the interface).

use std::time::Duration;

use serde_json::json;

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::{Behaviour, Dataset};

const LEGACY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

type Query {
  product(id: ID!): Product
}

type Product @key(fields: "id") @key(fields: "sku") {
  id: ID!
  sku: String!
  name: String!
  stock: Int!
  price: Int!
  rating: Int!
  badge: String!
}
"#;

const MODERN: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])

type Product @key(fields: "id") {
  id: ID!
  sku: String! @override(from: "legacy")
  stock: Int! @override(from: "legacy")
  price: Int! @override(from: "legacy", label: "percent(0)")
  rating: Int! @override(from: "legacy", label: "percent(100)")
  badge: String! @override(from: "legacy", label: "beta")
}
"#;

fn override_data() -> Vec<(&'static str, Dataset)> {
    // The legacy values are stale: each subgraph answers with its own numbers.
    let legacy = json!({ "__typename": "Product", "id": "p1", "sku": "OLD-1", "name": "Chess",
                         "stock": 1, "price": 10, "rating": 1, "badge": "old" });
    let modern = json!({ "__typename": "Product", "id": "p1", "sku": "NEW-1",
                         "stock": 2, "price": 20, "rating": 2, "badge": "new" });
    vec![
        (
            "legacy",
            Dataset::default().root("product", legacy.clone()).entities(
                "Product",
                vec!["id"],
                vec![legacy],
            ),
        ),
        (
            "modern",
            Dataset::default().entities("Product", vec!["id"], vec![modern]),
        ),
    ]
}

async fn override_gateway() -> Gateway {
    let supergraph = compose(&[("legacy", LEGACY), ("modern", MODERN)]);
    Gateway::start(&supergraph, override_data()).await
}

#[tokio::test]
async fn percent_0_and_percent_100_in_one_query_and_a_custom_label() {
    let g = override_gateway().await;
    for _ in 0..10 {
        let response = g
            .query(r#"{ product(id: "p1") { price rating badge } }"#, json!({}))
            .await;
        // A custom label is off unless the configuration switches it on.
        assert_json(
            &response,
            r#"{"data":{"product":{"price":10,"rating":2,"badge":"old"}}}"#,
        );
    }
    assert_eq!(
        g.request_counts(),
        counts(&[("legacy", 10), ("modern", 10)])
    );

    let supergraph = compose(&[("legacy", LEGACY), ("modern", MODERN)]);
    let beta = Gateway::start_with(&supergraph, override_data(), |config| {
        config.override_labels = vec!["beta".to_owned()];
    })
    .await;
    let response = beta
        .query(r#"{ product(id: "p1") { name badge } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"product":{"name":"Chess","badge":"new"}}}"#,
    );
    assert_eq!(
        beta.request_counts(),
        counts(&[("legacy", 1), ("modern", 1)])
    );
}

#[tokio::test]
async fn an_overridden_field_is_fetched_from_its_new_subgraph() {
    let g = override_gateway().await;
    let response = g
        .query(r#"{ product(id: "p1") { name stock } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"product":{"name":"Chess","stock":2}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("legacy", 1), ("modern", 1)]));
    assert_eq!(
        fields(&g.received("legacy")[0]),
        paths(&[
            "product(id: \"p1\")",
            "product(id: \"p1\").id",
            "product(id: \"p1\").name"
        ])
    );
    assert_eq!(
        fields(&g.received("modern")[0]),
        paths(&["_entities", "_entities.…Product.stock"])
    );
}

#[tokio::test]
async fn an_overridden_key_field_is_still_fetched_from_its_new_subgraph() {
    let g = override_gateway().await;
    // legacy keeps sku for its @key (usedOverridden), but clients get the overriding value.
    let response = g
        .query(r#"{ product(id: "p1") { name sku } }"#, json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"product":{"name":"Chess","sku":"NEW-1"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("legacy", 1), ("modern", 1)]));
}

#[tokio::test]
async fn progressive_override_at_percent_0_keeps_the_field_in_the_original_subgraph() {
    let g = override_gateway().await;
    for _ in 0..10 {
        let response = g
            .query(r#"{ product(id: "p1") { name price } }"#, json!({}))
            .await;
        assert_json(
            &response,
            r#"{"data":{"product":{"name":"Chess","price":10}}}"#,
        );
    }
    assert_eq!(g.request_counts(), counts(&[("legacy", 10)]));
}

#[tokio::test]
async fn progressive_override_at_percent_100_moves_the_field() {
    let g = override_gateway().await;
    for _ in 0..10 {
        let response = g
            .query(r#"{ product(id: "p1") { name rating } }"#, json!({}))
            .await;
        assert_json(
            &response,
            r#"{"data":{"product":{"name":"Chess","rating":2}}}"#,
        );
    }
    assert_eq!(
        g.request_counts(),
        counts(&[("legacy", 10), ("modern", 10)])
    );
    for received in g.received("legacy") {
        assert!(!received.query().contains("rating"), "{}", received.query());
    }
}

// ----- @interfaceObject -----

const MEDIA: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  library: [Media!]!
}

interface Media @key(fields: "id") {
  id: ID!
  title: String!
}

type Book implements Media @key(fields: "id") {
  id: ID!
  title: String!
  author: String!
}

type Movie implements Media @key(fields: "id") {
  id: ID!
  title: String!
  director: String!
}
"#;

const RATINGS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@interfaceObject"])

type Query {
  topRated: [Media!]!
}

type Media @key(fields: "id") @interfaceObject {
  id: ID!
  stars: Int!
}
"#;

/// A second subgraph adding fields to every Media through an interface object.
const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@interfaceObject"])

type Media @key(fields: "id") @interfaceObject {
  id: ID!
  reviewCount: Int!
}
"#;

fn interface_object_data() -> Vec<(&'static str, Dataset)> {
    let book = json!({ "__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert" });
    let movie = json!({ "__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott" });
    let rating = |id: &str, stars: i64| json!({ "__typename": "Media", "id": id, "stars": stars });
    vec![
        (
            "media",
            Dataset::default()
                .root("library", json!([book, movie]))
                // The interface's own key: `_entities` with `__typename: "Media"` answers the
                // concrete object.
                .entities("Media", vec!["id"], vec![book.clone(), movie.clone()])
                .entities("Book", vec!["id"], vec![book])
                .entities("Movie", vec!["id"], vec![movie])
                .possible("Media", &["Book", "Movie"]),
        ),
        (
            "ratings",
            Dataset::default()
                .root("topRated", json!([rating("m1", 5), rating("b1", 4)]))
                .entities("Media", vec!["id"], vec![rating("b1", 4), rating("m1", 5)]),
        ),
        (
            "reviews",
            Dataset::default().entities(
                "Media",
                vec!["id"],
                vec![
                    json!({ "__typename": "Media", "id": "b1", "reviewCount": 12 }),
                    json!({ "__typename": "Media", "id": "m1", "reviewCount": 3 }),
                ],
            ),
        ),
    ]
}

async fn interface_object_gateway() -> Gateway {
    let supergraph = compose(&[("media", MEDIA), ("ratings", RATINGS), ("reviews", REVIEWS)]);
    Gateway::start(&supergraph, interface_object_data()).await
}

#[tokio::test]
async fn interface_object_fields_are_fetched_with_the_interface_as_typename() {
    let g = interface_object_gateway().await;
    let response = g
        .query(
            "{ library { title stars ... on Book { author } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"library":[{"title":"Dune","stars":4,"author":"Herbert"},{"title":"Alien","stars":5}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("media", 1), ("ratings", 1)]));
    assert_eq!(
        g.received("ratings")[0].representations(),
        &json!([{ "__typename": "Media", "id": "b1" }, { "__typename": "Media", "id": "m1" }])
    );
}

#[tokio::test]
async fn from_an_interface_object_the_concrete_type_is_fetched_from_the_interface_owner() {
    let g = interface_object_gateway().await;
    let response = g
        .query(
            "{ topRated { __typename id stars title ... on Movie { director } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"topRated":[
            {"__typename":"Movie","id":"m1","stars":5,"title":"Alien","director":"Scott"},
            {"__typename":"Book","id":"b1","stars":4,"title":"Dune"}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("media", 1), ("ratings", 1)]));
    assert_eq!(
        g.received("media")[0].representations(),
        &json!([{ "__typename": "Media", "id": "m1" }, { "__typename": "Media", "id": "b1" }])
    );
}

#[tokio::test]
async fn interface_object_fields_only_need_the_interface_object_subgraph() {
    let g = interface_object_gateway().await;
    let response = g.query("{ topRated { id stars } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"topRated":[{"id":"m1","stars":5},{"id":"b1","stars":4}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("ratings", 1)]));
}

#[tokio::test]
async fn interface_object_fields_selected_in_a_type_fragment() {
    let g = interface_object_gateway().await;
    let response = g
        .query(
            "{ library { ... on Book { stars } ... on Movie { title } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"library":[{"stars":4},{"title":"Alien"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("media", 1), ("ratings", 1)]));
    // Only the book is sent, under the interface's name.
    assert_eq!(
        g.received("ratings")[0].representations(),
        &json!([{ "__typename": "Media", "id": "b1" }])
    );
}

#[tokio::test]
async fn two_interface_objects_are_fetched_side_by_side() {
    let g = interface_object_gateway().await;
    for name in ["ratings", "reviews"] {
        g.mock(name)
            .set_behaviour(Behaviour::Delay(Duration::from_millis(150)));
    }
    let response = g
        .query("{ library { title stars reviewCount } }", json!({}))
        .await;
    assert_json(
        &response,
        r#"{"data":{"library":[{"title":"Dune","stars":4,"reviewCount":12},{"title":"Alien","stars":5,"reviewCount":3}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("media", 1), ("ratings", 1), ("reviews", 1)])
    );
    assert_eq!(g.concurrency.max(), 2);
    assert_eq!(
        g.received("reviews")[0].representations(),
        &json!([{ "__typename": "Media", "id": "b1" }, { "__typename": "Media", "id": "m1" }])
    );
}

#[tokio::test]
async fn from_one_interface_object_to_another_and_to_the_concrete_type() {
    let g = interface_object_gateway().await;
    // No __typename asked, but a type condition: the concrete type must be known.
    let response = g
        .query(
            "{ topRated { stars reviewCount ... on Book { author } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"topRated":[{"stars":5,"reviewCount":3},{"stars":4,"reviewCount":12,"author":"Herbert"}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("media", 1), ("ratings", 1), ("reviews", 1)])
    );
}
