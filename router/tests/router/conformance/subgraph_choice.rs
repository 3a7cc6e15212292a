//! Which subgraph serves a field: at the root and at an entity jump, the one whose plan needs the
//! fewest fetches (`@provides` counts), and a shareable value type behind an entity jump split over
//! the subgraphs that each serve part of it.

use serde_json::json;

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::Dataset;

// ----- the root subgraph is chosen by the fetches of the whole plan -----

const PLAIN: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Shelf @key(fields: "id") { id: ID! volumes: [Volume] @shareable }
type Volume @key(fields: "id") { id: ID! }
type Query { shelf: Shelf @shareable }
"#;

const RICH: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@provides", "@shareable"])

type Shelf { id: ID! @shareable volumes: [Volume] @external }
type Volume { id: ID! @external title: String @external }
type Query { shelf: Shelf @shareable @provides(fields: "volumes { id title }") }
"#;

const TITLES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Shelf @key(fields: "id") { id: ID! volumes: [Volume] @shareable }
type Volume @key(fields: "id") { id: ID! title: String @shareable }
"#;

fn shelf_supergraph() -> String {
    compose(&[("plain", PLAIN), ("rich", RICH), ("titles", TITLES)])
}

const SHELF_QUERY: &str = "{ shelf { volumes { id title } } }";

#[tokio::test]
async fn a_subgraph_that_provides_the_whole_selection_serves_the_root_field() {
    let volume =
        |id: &str, title: &str| json!({ "__typename": "Volume", "id": id, "title": title });
    let data = vec![(
        "rich",
        Dataset::default().root(
            "shelf",
            json!({ "__typename": "Shelf", "id": "s1",
                    "volumes": [volume("v1", "Dune"), volume("v2", "Emma")] }),
        ),
    )];
    let g = Gateway::start(&shelf_supergraph(), data).await;
    let response = g.query(SHELF_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"shelf":{"volumes":[{"id":"v1","title":"Dune"},{"id":"v2","title":"Emma"}]}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("rich", 1)]));
    assert_eq!(
        fields(&g.received("rich")[0]),
        paths(&[
            "shelf",
            "shelf.volumes",
            "shelf.volumes.id",
            "shelf.volumes.title"
        ])
    );
    insta::assert_snapshot!(super::plan(&shelf_supergraph(), SHELF_QUERY), @r#"
    QueryPlan {
      Fetch(0) rich
        query {
          shelf {
            volumes {
              id
              title
            }
          }
        }
    }
    "#);
}

// ----- a shareable value type reached through an entity jump, split over two subgraphs -----

const ORDERS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Order @key(fields: "id") { id: ID! }
type Query { order(id: ID!): Order }
"#;

const SHIP: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Order @key(fields: "id") { id: ID! shipping: Shipping @shareable }
type Shipping { carrier: String }
"#;

const TRACK: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Order @key(fields: "id") { id: ID! shipping: Shipping @shareable }
type Shipping { trackingCode: String }
"#;

fn shipping_supergraph() -> String {
    compose(&[("orders", ORDERS), ("ship", SHIP), ("track", TRACK)])
}

const SHIPPING_QUERY: &str = r#"{ order(id: "o1") { shipping { carrier trackingCode } } }"#;

#[tokio::test]
async fn a_shareable_value_behind_an_entity_jump_is_split_over_two_parallel_fetches() {
    let data = vec![
        (
            "orders",
            Dataset::default().root("order", json!({ "__typename": "Order", "id": "o1" })),
        ),
        (
            "ship",
            Dataset::default().entities(
                "Order",
                vec!["id"],
                vec![json!({ "__typename": "Order", "id": "o1", "shipping": { "carrier": "DHL" } })],
            ),
        ),
        (
            "track",
            Dataset::default().entities(
                "Order",
                vec!["id"],
                vec![json!({ "__typename": "Order", "id": "o1", "shipping": { "trackingCode": "T-9" } })],
            ),
        ),
    ];
    let g = Gateway::start(&shipping_supergraph(), data).await;
    let response = g.query(SHIPPING_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"order":{"shipping":{"carrier":"DHL","trackingCode":"T-9"}}}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("orders", 1), ("ship", 1), ("track", 1)])
    );
    let order = json!([{ "__typename": "Order", "id": "o1" }]);
    assert_eq!(g.received("ship")[0].representations(), &order);
    assert_eq!(g.received("track")[0].representations(), &order);
    assert_eq!(
        fields(&g.received("ship")[0]),
        paths(&[
            "_entities",
            "_entities.…Order.shipping",
            "_entities.…Order.shipping.carrier"
        ])
    );
    assert_eq!(
        fields(&g.received("track")[0]),
        paths(&[
            "_entities",
            "_entities.…Order.shipping",
            "_entities.…Order.shipping.trackingCode"
        ])
    );
    // Both entity fetches wait only for the order.
    insta::assert_snapshot!(super::plan(&shipping_supergraph(), SHIPPING_QUERY), @r#"
    QueryPlan {
      Fetch(0) orders
        query {
          order(id: "o1") {
            __typename
            id
          }
        }
      Fetch(1) ship after [0] at order { Order: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Order {
              shipping {
                carrier
              }
            }
          }
        }
      Fetch(2) track after [0] at order { Order: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Order {
              shipping {
                trackingCode
              }
            }
          }
        }
    }
    "#);
}

// ----- an entity jump goes where the plan below needs the fewest fetches -----

const SHOP: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Item @key(fields: "id") { id: ID! }
type Query { item: Item }
"#;

const BASIC: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Item @key(fields: "id") { id: ID! maker: Maker @shareable }
type Maker @key(fields: "id") { id: ID! }
"#;

const NAMES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Maker @key(fields: "id") { id: ID! name: String @shareable }
"#;

const PROVIDING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@provides"])

type Item @key(fields: "id") { id: ID! maker: Maker @shareable @provides(fields: "name") }
type Maker @key(fields: "id") { id: ID! name: String @external }
"#;

fn maker_supergraph() -> String {
    compose(&[
        ("basic", BASIC),
        ("names", NAMES),
        ("providing", PROVIDING),
        ("shop", SHOP),
    ])
}

const MAKER_QUERY: &str = "{ item { maker { name } } }";

#[tokio::test]
async fn an_entity_jump_prefers_the_subgraph_that_provides_what_is_below() {
    let data = vec![
        (
            "shop",
            Dataset::default().root("item", json!({ "__typename": "Item", "id": "i1" })),
        ),
        (
            "providing",
            Dataset::default().entities(
                "Item",
                vec!["id"],
                vec![json!({ "__typename": "Item", "id": "i1",
                             "maker": { "__typename": "Maker", "id": "m1", "name": "Acme" } })],
            ),
        ),
    ];
    let g = Gateway::start(&maker_supergraph(), data).await;
    let response = g.query(MAKER_QUERY, json!({})).await;
    assert_json(&response, r#"{"data":{"item":{"maker":{"name":"Acme"}}}}"#);
    assert_eq!(g.request_counts(), counts(&[("providing", 1), ("shop", 1)]));
    assert_eq!(
        fields(&g.received("providing")[0]),
        paths(&[
            "_entities",
            "_entities.…Item.maker",
            "_entities.…Item.maker.name"
        ])
    );
    insta::assert_snapshot!(super::plan(&maker_supergraph(), MAKER_QUERY), @r#"
    QueryPlan {
      Fetch(0) shop
        query {
          item {
            __typename
            id
          }
        }
      Fetch(1) providing after [0] at item { Item: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Item {
              maker {
                name
              }
            }
          }
        }
    }
    "#);
}
