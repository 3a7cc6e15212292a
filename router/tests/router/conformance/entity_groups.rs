//! How entity fetches are grouped: one fetch serves several parent type conditions at one path (each
//! with its key), requirements that need the subgraph that needs them get an earlier fetch of their
//! own, and one field with different arguments in two `@requires` goes out in two representations.
//! (Which subgraph serves a field: `subgraph_choice`.)

use serde_json::json;

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::Dataset;

// ----- a reused entity fetch under a second parent type condition -----

const SHELF: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

interface Item { id: ID! }
type Pen implements Item @key(fields: "id") { id: ID! }
type Pencil implements Item @key(fields: "id") { id: ID! }
type Query { items: [Item] }
"#;

const LINKS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

interface Item { id: ID! }
type Pen implements Item @key(fields: "id") { id: ID! related: Item }
type Pencil implements Item @key(fields: "id") { id: ID! related: Item }
"#;

const PRICES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Pen @key(fields: "id") { id: ID! price: Int }
type Pencil @key(fields: "id") { id: ID! price: Int }
"#;

fn stationery_supergraph() -> String {
    compose(&[("links", LINKS), ("prices", PRICES), ("shelf", SHELF)])
}

fn stationery_data() -> Vec<(&'static str, Dataset)> {
    vec![
        (
            "shelf",
            Dataset::default()
                .root(
                    "items",
                    json!([{ "__typename": "Pen", "id": "p1" }, { "__typename": "Pencil", "id": "c1" }]),
                )
                .possible("Item", &["Pen", "Pencil"]),
        ),
        (
            "links",
            Dataset::default()
                .entities(
                    "Pen",
                    vec!["id"],
                    vec![json!({ "__typename": "Pen", "id": "p1",
                                 "related": { "__typename": "Pencil", "id": "c2" } })],
                )
                .entities(
                    "Pencil",
                    vec!["id"],
                    vec![json!({ "__typename": "Pencil", "id": "c1",
                                 "related": { "__typename": "Pen", "id": "p2" } })],
                )
                .possible("Item", &["Pen", "Pencil"]),
        ),
        (
            "prices",
            Dataset::default()
                .entities(
                    "Pen",
                    vec!["id"],
                    vec![json!({ "__typename": "Pen", "id": "p2", "price": 30 })],
                )
                .entities(
                    "Pencil",
                    vec!["id"],
                    vec![json!({ "__typename": "Pencil", "id": "c2", "price": 20 })],
                ),
        ),
    ]
}

const COST_QUERY: &str =
    "{ items { ... on Pen { related { ...Cost } } ... on Pencil { related { ...Cost } } } }
    fragment Cost on Item { ... on Pen { price } ... on Pencil { price } }";

#[tokio::test]
async fn a_shared_entity_fetch_gets_the_key_under_every_parent_type_condition() {
    let g = Gateway::start(&stationery_supergraph(), stationery_data()).await;
    let response = g.query(COST_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"items":[{"related":{"price":20}},{"related":{"price":30}}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("links", 1), ("prices", 1), ("shelf", 1)])
    );
    assert_eq!(
        g.received("links")[0].representations(),
        &json!([{ "__typename": "Pen", "id": "p1" }, { "__typename": "Pencil", "id": "c1" }])
    );
    assert_eq!(
        fields(&g.received("links")[0]),
        paths(&[
            "_entities",
            "_entities.…Pen.related",
            "_entities.…Pen.related.…Pen.id",
            "_entities.…Pen.related.…Pencil.id",
            "_entities.…Pencil.related",
            "_entities.…Pencil.related.…Pen.id",
            "_entities.…Pencil.related.…Pencil.id",
        ])
    );
    assert_eq!(
        g.received("prices")[0].representations(),
        &json!([{ "__typename": "Pencil", "id": "c2" }, { "__typename": "Pen", "id": "p2" }])
    );
    insta::assert_snapshot!(super::plan(&stationery_supergraph(), COST_QUERY), @r#"
    QueryPlan {
      Fetch(0) shelf
        query {
          items {
            __typename
            ... on Pen {
              __typename
              id
            }
            ... on Pencil {
              __typename
              id
            }
          }
        }
      Fetch(1) links after [0] at items.@ { Pen: __typename id } { Pencil: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Pen {
              related {
                __typename
                ... on Pen {
                  __typename
                  id
                }
                ... on Pencil {
                  __typename
                  id
                }
              }
            }
            ... on Pencil {
              related {
                __typename
                ... on Pen {
                  __typename
                  id
                }
                ... on Pencil {
                  __typename
                  id
                }
              }
            }
          }
        }
      Fetch(2) prices after [1] at items.@.related { Pen: __typename id } { Pencil: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Pen {
              price
            }
            ... on Pencil {
              price
            }
          }
        }
    }
    "#);
}

// ----- two @requires of one field with different arguments -----

const RATES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Trip @key(fields: "id") { id: ID! fare(currency: String!): Int }
type Query { trips: [Trip] }
"#;

const QUOTES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@requires"])

type Trip @key(fields: "id") {
  id: ID!
  fare(currency: String!): Int @external
  quoteUsd: String @requires(fields: "fare(currency: \"USD\")")
  quoteJpy: String @requires(fields: "fare(currency: \"JPY\")")
}
"#;

fn fares_supergraph() -> String {
    compose(&[("quotes", QUOTES), ("rates", RATES)])
}

fn fares_data() -> Vec<(&'static str, Dataset)> {
    let quote = |currency: &'static str| {
        move |representation: &serde_json::Value| {
            json!(format!("{currency} {}", representation["fare"]))
        }
    };
    vec![
        (
            "rates",
            Dataset::default()
                .root("trips", json!([{ "__typename": "Trip", "id": "t1" }]))
                .resolver("Trip", "fare", |_, arguments| {
                    Ok(match arguments["currency"].as_str() {
                        Some("USD") => json!(10),
                        Some("JPY") => json!(1500),
                        _ => json!(null),
                    })
                }),
        ),
        (
            "quotes",
            Dataset::default()
                .entities(
                    "Trip",
                    vec!["id"],
                    vec![json!({ "__typename": "Trip", "id": "t1" })],
                )
                .computed("Trip", "quoteUsd", quote("USD"))
                .computed("Trip", "quoteJpy", quote("JPY")),
        ),
    ]
}

const QUOTES_QUERY: &str = "{ trips { quoteUsd quoteJpy } }";

#[tokio::test]
async fn one_required_field_with_two_argument_sets_goes_out_in_two_representations() {
    let g = Gateway::start(&fares_supergraph(), fares_data()).await;
    let response = g.query(QUOTES_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"trips":[{"quoteUsd":"USD 10","quoteJpy":"JPY 1500"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("quotes", 2), ("rates", 1)]));
    let mut sent: Vec<(serde_json::Value, Vec<String>)> = g
        .received("quotes")
        .iter()
        .map(|r| (r.representations().clone(), fields(r)))
        .collect();
    sent.sort_by_key(|(representations, _)| representations.to_string());
    assert_eq!(
        sent,
        vec![
            (
                json!([{ "__typename": "Trip", "id": "t1", "fare": 10 }]),
                paths(&["_entities", "_entities.…Trip.quoteUsd"])
            ),
            (
                json!([{ "__typename": "Trip", "id": "t1", "fare": 1500 }]),
                paths(&["_entities", "_entities.…Trip.quoteJpy"])
            ),
        ]
    );
    insta::assert_snapshot!(super::plan(&fares_supergraph(), QUOTES_QUERY), @r#"
    QueryPlan {
      Fetch(0) rates
        query {
          trips {
            __sg_fare_90c50103: fare(currency: "USD")
            __typename
            id
            __sg_fare_8e13f11c: fare(currency: "JPY")
          }
        }
      Fetch(1) quotes after [0] at trips.@ { Trip: __typename id fare<-__sg_fare_90c50103 }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Trip {
              quoteUsd
            }
          }
        }
      Fetch(2) quotes after [0] at trips.@ { Trip: __typename id fare<-__sg_fare_8e13f11c }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Trip {
              quoteJpy
            }
          }
        }
    }
    "#);
}

// ----- requirements resolved partly by the subgraph that needs them -----

const POSTS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Post @key(fields: "id") { id: ID! }
type Reviewer @key(fields: "id") { id: ID! level: Int! }
type Comment @key(fields: "id") { id: ID! authorId: ID! }
type Query { posts: [Post] }
"#;

const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@requires"])

type Post @key(fields: "id") {
  id: ID!
  reviewer: Reviewer!
  verdict: String @requires(fields: "reviewer { level }")
  comments(limit: Int!): [Comment!]!
  digest: String @requires(fields: "comments(limit: 3) { authorId }")
}
type Reviewer @key(fields: "id") { id: ID! level: Int! @external }
type Comment @key(fields: "id") { id: ID! authorId: ID! @external }
"#;

fn review_supergraph() -> String {
    compose(&[("posts", POSTS), ("reviews", REVIEWS)])
}

fn review_data() -> Vec<(&'static str, Dataset)> {
    let comment =
        |id: &str, author: &str| json!({ "__typename": "Comment", "id": id, "authorId": author });
    vec![
        (
            "posts",
            Dataset::default()
                .root("posts", json!([{ "__typename": "Post", "id": "1" }]))
                .entities(
                    "Reviewer",
                    vec!["id"],
                    vec![json!({ "__typename": "Reviewer", "id": "r1", "level": 3 })],
                )
                .entities(
                    "Comment",
                    vec!["id"],
                    vec![
                        comment("c1", "a1"),
                        comment("c2", "a2"),
                        comment("c3", "a3"),
                    ],
                ),
        ),
        (
            "reviews",
            Dataset::default()
                .entities(
                    "Post",
                    vec!["id"],
                    vec![json!({ "__typename": "Post", "id": "1",
                                 "all": [{ "__typename": "Comment", "id": "c1" },
                                         { "__typename": "Comment", "id": "c2" },
                                         { "__typename": "Comment", "id": "c3" },
                                         { "__typename": "Comment", "id": "c4" }] })],
                )
                // A resolver, so that the representation's `reviewer { level }` stays visible to
                // `verdict`.
                .resolver("Post", "reviewer", |_, _| {
                    Ok(json!({ "__typename": "Reviewer", "id": "r1" }))
                })
                .resolver("Post", "comments", |post, arguments| {
                    let limit = arguments["limit"].as_u64().unwrap_or(0) as usize;
                    let all = post["all"].as_array().cloned().unwrap_or_default();
                    Ok(json!(all.into_iter().take(limit).collect::<Vec<_>>()))
                })
                .computed("Post", "verdict", |representation| {
                    json!(format!("level {}", representation["reviewer"]["level"]))
                })
                .computed("Post", "digest", |representation| {
                    let authors: Vec<String> = representation["comments"]
                        .as_array()
                        .map(|comments| {
                            comments
                                .iter()
                                .map(|c| c["authorId"].as_str().unwrap_or("?").to_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    json!(authors.join(","))
                }),
        ),
    ]
}

const VERDICT_QUERY: &str = "{ posts { id verdict } }";

#[tokio::test]
async fn a_requirement_that_needs_its_own_subgraph_gets_an_earlier_fetch_there() {
    let g = Gateway::start(&review_supergraph(), review_data()).await;
    let response = g.query(VERDICT_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"posts":[{"id":"1","verdict":"level 3"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("posts", 2), ("reviews", 2)]));
    let posts = g.received("posts");
    let reviews = g.received("reviews");
    assert_eq!(fields(&posts[0]), paths(&["posts", "posts.id"]));
    assert_eq!(
        reviews[0].representations(),
        &json!([{ "__typename": "Post", "id": "1" }])
    );
    assert_eq!(
        fields(&reviews[0]),
        paths(&[
            "_entities",
            "_entities.…Post.reviewer",
            "_entities.…Post.reviewer.id"
        ])
    );
    assert_eq!(
        posts[1].representations(),
        &json!([{ "__typename": "Reviewer", "id": "r1" }])
    );
    assert_eq!(
        fields(&posts[1]),
        paths(&["_entities", "_entities.…Reviewer.level"])
    );
    assert_eq!(
        reviews[1].representations(),
        &json!([{ "__typename": "Post", "id": "1", "reviewer": { "level": 3 } }])
    );
    assert_eq!(
        fields(&reviews[1]),
        paths(&["_entities", "_entities.…Post.verdict"])
    );
    insta::assert_snapshot!(super::plan(&review_supergraph(), VERDICT_QUERY), @r#"
    QueryPlan {
      Fetch(0) posts
        query {
          posts {
            id
            __typename
          }
        }
      Fetch(1) reviews after [0] at posts.@ { Post: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              reviewer {
                __typename
                id
              }
            }
          }
        }
      Fetch(2) posts after [1] at posts.@.reviewer { Reviewer: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Reviewer {
              level
            }
          }
        }
      Fetch(3) reviews after [0, 1, 2] at posts.@ { Post: __typename id reviewer { level } }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              verdict
            }
          }
        }
    }
    "#);
}

const DIGEST_QUERY: &str = "{ posts { comments(limit: 1) { id } digest } }";

#[tokio::test]
async fn a_requirement_with_arguments_next_to_the_clients_own_field_keeps_both() {
    let g = Gateway::start(&review_supergraph(), review_data()).await;
    let response = g.query(DIGEST_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"posts":[{"comments":[{"id":"c1"}],"digest":"a1,a2,a3"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("posts", 2), ("reviews", 2)]));
    let posts = g.received("posts");
    let reviews = g.received("reviews");
    assert_eq!(
        posts[1].representations(),
        &json!([
            { "__typename": "Comment", "id": "c1" },
            { "__typename": "Comment", "id": "c2" },
            { "__typename": "Comment", "id": "c3" }
        ])
    );
    assert_eq!(
        reviews[1].representations(),
        &json!([{ "__typename": "Post", "id": "1",
                  "comments": [{ "authorId": "a1" }, { "authorId": "a2" }, { "authorId": "a3" }] }])
    );
    insta::assert_snapshot!(super::plan(&review_supergraph(), DIGEST_QUERY), @r#"
    QueryPlan {
      Fetch(0) posts
        query {
          posts {
            __typename
            id
          }
        }
      Fetch(1) reviews after [0] at posts.@ { Post: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              comments(limit: 1) {
                id
              }
              __sg_comments_f39bd5c4: comments(limit: 3) {
                __typename
                id
              }
            }
          }
        }
      Fetch(2) posts after [1] at posts.@.__sg_comments_f39bd5c4.@ { Comment: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Comment {
              authorId
            }
          }
        }
      Fetch(3) reviews after [0, 1, 2] at posts.@ { Post: __typename id comments<-__sg_comments_f39bd5c4 { authorId } }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              digest
            }
          }
        }
    }
    "#);
}
