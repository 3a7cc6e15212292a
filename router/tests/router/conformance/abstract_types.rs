//! Interfaces and unions whose implementations or members are spread over subgraphs: the router
//! dispatches on `__typename` and fetches each concrete type's fields from the subgraph that owns
//! it; node(id)-style interfaces; entities in lists and nested lists; subgraphs that know only
//! some implementations of an interface.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::{Behaviour, Dataset};

const SEARCH: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  search(text: String!): [Result!]!
  node(id: ID!): Node
  nodes: [Node]
  shelf: [[Book]]
}

union Result = Book | Movie

interface Node {
  id: ID!
}

type Book implements Node @key(fields: "id") {
  id: ID!
}

type Movie implements Node @key(fields: "id") {
  id: ID!
}

type Author implements Node @key(fields: "id") {
  id: ID!
}
"#;

const BOOKS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

interface Node {
  id: ID!
}

type Book implements Node @key(fields: "id") {
  id: ID!
  title: String!
  author: Author!
}

type Author implements Node @key(fields: "id") {
  id: ID!
  name: String!
}
"#;

const MOVIES: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  related: [Node!]!
}

interface Node {
  id: ID!
}

type Movie implements Node @key(fields: "id") {
  id: ID!
  title: String!
  director: String!
}
"#;

/// Adds to movies a field of an abstract type, so that abstract values also arrive in entity
/// fetches.
const ADAPTATIONS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

interface Node {
  id: ID!
}

type Movie implements Node @key(fields: "id") {
  id: ID!
  basedOn: Node
}

type Book implements Node @key(fields: "id") {
  id: ID!
}
"#;

fn supergraph() -> String {
    compose(&[
        ("adaptations", ADAPTATIONS),
        ("books", BOOKS),
        ("movies", MOVIES),
        ("search", SEARCH),
    ])
}

fn stub(typename: &str, id: &str) -> Value {
    json!({ "__typename": typename, "id": id })
}

fn data() -> Vec<(&'static str, Dataset)> {
    let book = |id: &str, title: &str, author: &str, name: &str| {
        json!({ "__typename": "Book", "id": id, "title": title,
                "author": { "__typename": "Author", "id": author, "name": name } })
    };
    let movie = |id: &str, title: &str, director: &str| json!({ "__typename": "Movie", "id": id, "title": title, "director": director });
    let all = [
        stub("Book", "b1"),
        stub("Movie", "m1"),
        stub("Book", "b2"),
        stub("Author", "a1"),
    ];
    vec![
        (
            "adaptations",
            Dataset::default()
                .entities(
                    "Movie",
                    vec!["id"],
                    vec![
                        json!({ "__typename": "Movie", "id": "m1", "basedOn": null }),
                        json!({ "__typename": "Movie", "id": "m2", "basedOn": stub("Book", "b2") }),
                    ],
                )
                .possible("Node", &["Book", "Movie"]),
        ),
        (
            "search",
            Dataset::default()
                .root(
                    "search",
                    json!([stub("Book", "b1"), stub("Movie", "m1"), stub("Book", "b2")]),
                )
                .root(
                    "nodes",
                    json!([
                        stub("Book", "b1"),
                        null,
                        stub("Author", "a1"),
                        stub("Movie", "m1")
                    ]),
                )
                .root(
                    "shelf",
                    json!([
                        [stub("Book", "b1"), stub("Book", "b2")],
                        [],
                        null,
                        [stub("Book", "b1"), null]
                    ]),
                )
                .resolver("Query", "node", move |_, args| {
                    Ok(all
                        .iter()
                        .find(|n| n["id"] == args["id"])
                        .cloned()
                        .unwrap_or(Value::Null))
                })
                .possible("Node", &["Book", "Movie", "Author"])
                .possible("Result", &["Book", "Movie"]),
        ),
        (
            "books",
            Dataset::default()
                .entities(
                    "Book",
                    vec!["id"],
                    vec![
                        book("b1", "Dune", "a1", "Herbert"),
                        book("b2", "Emma", "a2", "Austen"),
                    ],
                )
                .entities(
                    "Author",
                    vec!["id"],
                    vec![
                        json!({ "__typename": "Author", "id": "a1", "name": "Herbert" }),
                        json!({ "__typename": "Author", "id": "a2", "name": "Austen" }),
                    ],
                )
                .possible("Node", &["Book", "Author"]),
        ),
        (
            "movies",
            Dataset::default()
                .entities(
                    "Movie",
                    vec!["id"],
                    vec![movie("m1", "Alien", "Scott"), movie("m2", "Heat", "Mann")],
                )
                .root(
                    "related",
                    json!([movie("m2", "Heat", "Mann"), movie("m1", "Alien", "Scott")]),
                )
                .possible("Node", &["Movie"]),
        ),
    ]
}

#[tokio::test]
async fn union_members_are_fetched_from_the_subgraph_owning_each() {
    let g = Gateway::start(&supergraph(), data()).await;
    for name in ["books", "movies"] {
        g.mock(name)
            .set_behaviour(Behaviour::Delay(Duration::from_millis(150)));
    }
    let response = g
        .query(
            r#"{ search(text: "x") { __typename ... on Book { title } ... on Movie { title director } } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"search":[
            {"__typename":"Book","title":"Dune"},
            {"__typename":"Movie","title":"Alien","director":"Scott"},
            {"__typename":"Book","title":"Emma"}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("books", 1), ("movies", 1), ("search", 1)])
    );
    assert_eq!(
        g.received("books")[0].representations(),
        &json!([stub("Book", "b1"), stub("Book", "b2")])
    );
    assert_eq!(
        g.received("movies")[0].representations(),
        &json!([stub("Movie", "m1")])
    );
    // Both only wait for the search, and overlap.
    assert_eq!(g.received("books")[0].completed_before, 1);
    assert_eq!(g.received("movies")[0].completed_before, 1);
    assert_eq!(g.concurrency.max(), 2);
}

#[tokio::test]
async fn node_style_interfaces_dispatch_on_typename() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            r#"{
                movie: node(id: "m1") { id ... on Movie { director } ... on Book { title } }
                book: node(id: "b2") { __typename id ... on Book { title author { name } } }
                missing: node(id: "zz") { id }
            }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "movie":{"id":"m1","director":"Scott"},
            "book":{"__typename":"Book","id":"b2","title":"Emma","author":{"name":"Austen"}},
            "missing":null
        }}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("books", 1), ("movies", 1), ("search", 1)])
    );
    assert_eq!(
        g.received("books")[0].representations(),
        &json!([stub("Book", "b2")])
    );
    assert_eq!(
        fields(&g.received("books")[0]),
        paths(&[
            "_entities",
            "_entities.…Book.author",
            "_entities.…Book.author.name",
            "_entities.…Book.title",
        ])
    );
}

#[tokio::test]
async fn interface_fields_known_everywhere_need_no_entity_fetch() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g.query("{ nodes { __typename id } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"nodes":[
            {"__typename":"Book","id":"b1"},null,{"__typename":"Author","id":"a1"},{"__typename":"Movie","id":"m1"}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("search", 1)]));
}

#[tokio::test]
async fn several_types_for_one_subgraph_go_in_one_request() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            "{ nodes { ... on Book { title } ... on Author { name } ... on Movie { title } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"nodes":[{"title":"Dune"},null,{"name":"Herbert"},{"title":"Alien"}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("books", 1), ("movies", 1), ("search", 1)])
    );
    assert_eq!(
        g.received("books")[0].representations(),
        &json!([stub("Book", "b1"), stub("Author", "a1")])
    );
}

#[tokio::test]
async fn abstract_values_from_entity_fetches_are_dispatched_too() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            r#"{
                related { ... on Movie { title basedOn { __typename id ... on Book { title author { name } } } } }
            }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"related":[
            {"title":"Heat","basedOn":{"__typename":"Book","id":"b2","title":"Emma","author":{"name":"Austen"}}},
            {"title":"Alien","basedOn":null}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("adaptations", 1), ("books", 1), ("movies", 1)])
    );
    assert_eq!(
        g.received("adaptations")[0].representations(),
        &json!([stub("Movie", "m2"), stub("Movie", "m1")])
    );
    assert_eq!(
        g.received("books")[0].representations(),
        &json!([stub("Book", "b2")])
    );
}

#[tokio::test]
async fn errors_in_nested_lists_get_their_full_path() {
    let mut all = data();
    let books = all.iter().position(|(n, _)| *n == "books").unwrap();
    all[books].1 = std::mem::take(&mut all[books].1).resolver("Book", "title", |book, _| {
        if book["id"] == "b2" {
            return Err("title of b2 withheld".to_owned());
        }
        Ok(book["title"].clone())
    });
    let g = Gateway::start(&supergraph(), all).await;
    let response = g.query("{ shelf { id title } }", json!({})).await;
    // title is non-null: the book goes, its (nullable) place in the inner list stays.
    assert_json(
        &response,
        r#"{"data":{"shelf":[[{"id":"b1","title":"Dune"},null],[],null,[{"id":"b1","title":"Dune"},null]]},"errors":[
            {"message":"title of b2 withheld","path":["shelf",0,1,"title"],"extensions":{"code":"MOCK_ERROR","serviceName":"books"}}
        ]}"#,
    );
}

#[tokio::test]
async fn entities_in_nested_lists_keep_their_positions() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g.query("{ shelf { title } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"shelf":[[{"title":"Dune"},{"title":"Emma"}],[],null,[{"title":"Dune"},null]]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("books", 1), ("search", 1)]));
    assert_eq!(
        g.received("books")[0].representations(),
        &json!([stub("Book", "b1"), stub("Book", "b2")])
    );
}

#[tokio::test]
async fn a_subgraph_is_only_asked_about_the_implementations_it_knows() {
    let g = Gateway::start(&supergraph(), data()).await;
    let response = g
        .query(
            "{ related { id ... on Book { title } ... on Movie { title } ... on Author { name } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"related":[{"id":"m2","title":"Heat"},{"id":"m1","title":"Alien"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("movies", 1)]));
    // movies defines neither Book nor Author: a fragment on them would be invalid there.
    let asked = fields(&g.received("movies")[0]);
    assert!(
        asked
            .iter()
            .all(|p| !p.contains("…Book") && !p.contains("…Author")),
        "{asked:?}"
    );
}

#[test]
fn plan_for_union_members_in_two_subgraphs() {
    insta::assert_snapshot!(super::plan(
        &supergraph(),
        r#"{ search(text: "x") { __typename ... on Book { title author { name } } ... on Movie { director } } }"#
    ));
}
