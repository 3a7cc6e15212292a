//! Types that differ between subgraphs: union members of a `@shareable` field that only some
//! subgraphs know, `@external` key fields, field types whose nullability or abstractness differs
//! in a subgraph.

use serde_json::json;

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::Dataset;

// ----- union members of a @shareable field that differ between subgraphs -----

const ALPHA: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Box @key(fields: "id") { id: ID! pieces: [Piece!]! @shareable }
union Piece = Shared | AlphaOnly
type Shared @shareable { note: String }
type AlphaOnly { x: String }
type Query { alphaBox: Box }
"#;

const BETA: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Box @key(fields: "id") { id: ID! pieces: [Piece!]! @shareable }
union Piece = Shared | BetaOnly
type Shared @shareable { note: String }
type BetaOnly { y: String }
"#;

fn pieces_supergraph() -> String {
    compose(&[("alpha", ALPHA), ("beta", BETA)])
}

fn pieces_data() -> Vec<(&'static str, Dataset)> {
    vec![(
        "alpha",
        Dataset::default().root(
            "alphaBox",
            json!({ "__typename": "Box", "id": "b1", "pieces": [
                { "__typename": "Shared", "note": "n1" },
                { "__typename": "AlphaOnly", "x": "x1" }
            ] }),
        ),
    )]
}

const PIECES_QUERY: &str = "{ alphaBox { pieces { __typename ... on Shared { note } ... on AlphaOnly { x } ... on BetaOnly { y } } } }";

#[tokio::test]
async fn union_members_of_a_shareable_field_are_asked_of_the_subgraph_that_has_them() {
    let g = Gateway::start(&pieces_supergraph(), pieces_data()).await;
    let response = g.query(PIECES_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"alphaBox":{"pieces":[{"__typename":"Shared","note":"n1"},{"__typename":"AlphaOnly","x":"x1"}]}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("alpha", 1)]));
    assert_eq!(
        fields(&g.received("alpha")[0]),
        paths(&[
            "alphaBox",
            "alphaBox.pieces",
            "alphaBox.pieces.…AlphaOnly.x",
            "alphaBox.pieces.…Shared.note",
        ])
    );
    insta::assert_snapshot!(super::plan(&pieces_supergraph(), PIECES_QUERY), @r#"
    QueryPlan {
      Fetch(0) alpha
        query {
          alphaBox {
            pieces {
              __typename
              ... on Shared {
                note
              }
              ... on AlphaOnly {
                x
              }
            }
          }
        }
    }
    "#);
}

// ----- an @external key field is not resolvable there -----

const LEFT: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@shareable"])

interface Thing { id: ID! }
type Tree implements Thing @key(fields: "id") { id: ID! height: Int }
type Rock implements Thing @key(fields: "id") { id: ID! @external }
type Query { thing(id: ID!): Thing @shareable }
"#;

const RIGHT: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@shareable"])

interface Thing { id: ID! }
type Tree implements Thing @key(fields: "id") { id: ID! @external }
type Rock implements Thing @key(fields: "id") { id: ID! weight: Int! }
type Query { thing(id: ID!): Thing @shareable }
"#;

pub(super) fn things_supergraph() -> String {
    compose(&[("left", LEFT), ("right", RIGHT)])
}

fn things_data() -> Vec<(&'static str, Dataset)> {
    let by_id = |objects: Vec<serde_json::Value>| {
        move |_: &serde_json::Value, arguments: &serde_json::Map<String, serde_json::Value>| {
            Ok(objects
                .iter()
                .find(|o| o["id"] == arguments["id"])
                .cloned()
                .unwrap_or(json!(null)))
        }
    };
    vec![
        (
            "left",
            Dataset::default()
                .resolver(
                    "Query",
                    "thing",
                    by_id(vec![
                        json!({ "__typename": "Tree", "id": "t1", "height": 12 }),
                    ]),
                )
                .possible("Thing", &["Tree", "Rock"]),
        ),
        (
            "right",
            Dataset::default()
                .resolver(
                    "Query",
                    "thing",
                    by_id(vec![
                        json!({ "__typename": "Rock", "id": "r1", "weight": 90 }),
                    ]),
                )
                .possible("Thing", &["Tree", "Rock"]),
        ),
    ]
}

const THINGS_QUERY: &str = r#"{ a: thing(id: "t1") { ... on Tree { id height } } b: thing(id: "r1") { ... on Rock { id weight } } }"#;

#[tokio::test]
async fn an_external_key_field_is_fetched_from_a_subgraph_that_resolves_it() {
    let g = Gateway::start(&things_supergraph(), things_data()).await;
    let response = g.query(THINGS_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"a":{"id":"t1","height":12},"b":{"id":"r1","weight":90}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("left", 1), ("right", 1)]));
    assert_eq!(
        fields(&g.received("left")[0]),
        paths(&[
            r#"a:thing(id: "t1")"#,
            r#"a:thing(id: "t1").…Tree.height"#,
            r#"a:thing(id: "t1").…Tree.id"#,
        ])
    );
    assert_eq!(
        fields(&g.received("right")[0]),
        paths(&[
            r#"b:thing(id: "r1")"#,
            r#"b:thing(id: "r1").…Rock.id"#,
            r#"b:thing(id: "r1").…Rock.weight"#,
        ])
    );
    insta::assert_snapshot!(super::plan(&things_supergraph(), THINGS_QUERY), @r#"
    QueryPlan {
      Fetch(0) left
        query {
          a: thing(id: "t1") {
            __typename
            ... on Tree {
              id
              height
            }
          }
        }
      Fetch(1) right
        query {
          b: thing(id: "r1") {
            __typename
            ... on Rock {
              id
              weight
            }
          }
        }
    }
    "#);
}

// ----- a field type narrower in a subgraph than in the supergraph -----

const M1: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

union Show = Film | Clip
type Clip { name: String }
type Film @key(fields: "id") { id: ID! name: String @shareable }
type Query { m1Only: Int featured: Film @shareable clips: [Show] }
"#;

const M2: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

union Show = Film | Podcast
type Film @key(fields: "id") { id: ID! name: String @shareable }
type Podcast { name: String }
type Query { featured: Show @shareable }
"#;

fn shows_supergraph() -> String {
    compose(&[("m1", M1), ("m2", M2)])
}

const SHOWS_QUERY: &str = "{ m1Only featured { ... on Film { name } ... on Clip { name } } }";

#[tokio::test]
async fn a_field_narrower_in_the_subgraph_is_asked_with_the_subgraphs_type() {
    let data = vec![(
        "m1",
        Dataset::default().root("m1Only", json!(7)).root(
            "featured",
            json!({ "__typename": "Film", "id": "f1", "name": "Heat" }),
        ),
    )];
    let g = Gateway::start(&shows_supergraph(), data).await;
    let response = g.query(SHOWS_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"m1Only":7,"featured":{"name":"Heat"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("m1", 1)]));
    assert_eq!(
        fields(&g.received("m1")[0]),
        paths(&["featured", "featured.name", "m1Only"])
    );
    insta::assert_snapshot!(super::plan(&shows_supergraph(), SHOWS_QUERY), @r#"
    QueryPlan {
      Fetch(0) m1
        query {
          m1Only
          featured {
            __typename
            name
          }
        }
    }
    "#);
}

// ----- one response key, two subgraph types in sibling fragments -----

const ROSTER: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

union Member = Staff | Guest
type Staff @key(fields: "badge") { badge: String! name: String }
type Guest { badge: String name: String }
type Query { members: [Member!]! }
"#;

const DIRECTORY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Staff { badge: String @shareable }
type Query { allStaff: [Staff!]! }
"#;

fn members_supergraph() -> String {
    compose(&[("directory", DIRECTORY), ("roster", ROSTER)])
}

const MEMBERS_QUERY: &str =
    "{ members { ... on Staff { badge name } ... on Guest { badge name } } }";

#[tokio::test]
async fn one_key_with_two_subgraph_types_in_sibling_fragments_is_aliased_and_mapped_back() {
    let data = vec![(
        "roster",
        Dataset::default().root(
            "members",
            json!([{ "__typename": "Staff", "badge": "S-1", "name": "Ada" },
                   { "__typename": "Guest", "badge": null, "name": "Bob" }]),
        ),
    )];
    let g = Gateway::start(&members_supergraph(), data).await;
    let response = g.query(MEMBERS_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"members":[{"badge":"S-1","name":"Ada"},{"badge":null,"name":"Bob"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("roster", 1)]));
    // The operation is valid in roster: `badge` is String! on Staff and String on Guest.
    let sent = g.received("roster")[0].query().to_owned();
    let schema =
        apollo_compiler::Schema::parse_and_validate(ROSTER_AS_SUBGRAPH, "roster.graphql").unwrap();
    let valid =
        apollo_compiler::ExecutableDocument::parse_and_validate(&schema, &sent, "sent.graphql");
    assert!(
        valid.is_ok(),
        "{sent}: {:?}",
        valid.err().map(|e| e.errors.to_string())
    );
    insta::assert_snapshot!(super::plan(&members_supergraph(), MEMBERS_QUERY), @r#"
    QueryPlan {
      Fetch(0) roster
        query {
          members {
            __typename
            ... on Staff {
              badge
              name
            }
            ... on Guest {
              __sg_badge__Guest: badge
              name
            }
          }
        }
    }
    "#);
}

/// Roster as a plain schema, to validate the operation it receives.
const ROSTER_AS_SUBGRAPH: &str = r#"
union Member = Staff | Guest
type Staff { badge: String! name: String }
type Guest { badge: String name: String }
type Query { members: [Member!]! }
"#;

const FRONT: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

union Thing = Alpha | Beta
type Alpha @key(fields: "id") { id: ID! }
type Beta @key(fields: "id") { id: ID! }
type Query { things: [Thing] }
"#;

const CODES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Alpha @key(fields: "id") { id: ID! code: String! @shareable }
type Beta @key(fields: "id") { id: ID! code: String }
"#;

/// Makes `Alpha.code` nullable in the supergraph, so that clients may select both `code`s under
/// one key.
const LEGACY_CODES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Alpha @key(fields: "id") { id: ID! code: String @shareable }
"#;

/// Codes as a plain schema (with `_entities`), to validate the operation it receives.
const CODES_AS_SUBGRAPH: &str = r#"
scalar _Any
union _Entity = Alpha | Beta
type Alpha { id: ID! code: String! }
type Beta { id: ID! code: String }
type Query { _entities(representations: [_Any!]!): [_Entity]! }
"#;

#[tokio::test]
async fn entity_fragments_sharing_a_key_with_two_types_are_aliased_too() {
    let supergraph = compose(&[("codes", CODES), ("front", FRONT), ("legacy", LEGACY_CODES)]);
    let data = vec![
        (
            "front",
            Dataset::default().root(
                "things",
                json!([{ "__typename": "Alpha", "id": "a1" }, { "__typename": "Beta", "id": "b1" }]),
            ),
        ),
        (
            "codes",
            Dataset::default()
                .entities(
                    "Alpha",
                    vec!["id"],
                    vec![json!({ "__typename": "Alpha", "id": "a1", "code": "A-1" })],
                )
                .entities(
                    "Beta",
                    vec!["id"],
                    vec![json!({ "__typename": "Beta", "id": "b1", "code": "B-1" })],
                ),
        ),
    ];
    let g = Gateway::start(&supergraph, data).await;
    let response = g
        .query(
            "{ things { ... on Alpha { code } ... on Beta { code } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"things":[{"code":"A-1"},{"code":"B-1"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("codes", 1), ("front", 1)]));
    let sent = g.received("codes")[0].query().to_owned();
    let schema =
        apollo_compiler::Schema::parse_and_validate(CODES_AS_SUBGRAPH, "codes.graphql").unwrap();
    let valid =
        apollo_compiler::ExecutableDocument::parse_and_validate(&schema, &sent, "sent.graphql");
    assert!(
        valid.is_ok(),
        "{sent}: {:?}",
        valid.err().map(|e| e.errors.to_string())
    );
    assert_eq!(
        fields(&g.received("codes")[0]),
        paths(&[
            "_entities",
            "_entities.…Alpha.code",
            "_entities.…Beta.__sg_code__Beta:code"
        ])
    );
}
