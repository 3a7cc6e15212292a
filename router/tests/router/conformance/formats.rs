//! Supergraphs in the forms other tools produce: join v0.3 without `@join__implements` and
//! `@join__unionMember` (possible types then follow from where each object type is defined), and
//! supergraphs with a Federation-1-style subgraph (`@join__type(..., extension: true)`, key fields
//! marked external), written by hand and composed by our composer from Federation 1 SDL.

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields};
use crate::support::Dataset;

const JOIN_V03_HEADER: &str = r#"
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
"#;

/// Written by hand in the join v0.3 form, without `@join__implements` or `@join__unionMember`.
const ABSTRACT_TYPES: &str = r#"
enum join__Graph {
  BOOKS @join__graph(name: "books", url: "http://books.invalid/graphql")
  MOVIES @join__graph(name: "movies", url: "http://movies.invalid/graphql")
  SEARCH @join__graph(name: "search", url: "http://search.invalid/graphql")
}

interface Node
  @join__type(graph: BOOKS)
  @join__type(graph: MOVIES)
  @join__type(graph: SEARCH)
{
  id: ID!
}

type Book implements Node
  @join__type(graph: BOOKS, key: "id")
  @join__type(graph: SEARCH, key: "id")
{
  id: ID!
  title: String! @join__field(graph: BOOKS)
}

type Movie implements Node
  @join__type(graph: MOVIES, key: "id")
  @join__type(graph: SEARCH, key: "id")
{
  id: ID!
  title: String! @join__field(graph: MOVIES)
  director: String! @join__field(graph: MOVIES)
}

union Result
  @join__type(graph: SEARCH)
 = Book | Movie

type Query
  @join__type(graph: BOOKS)
  @join__type(graph: MOVIES)
  @join__type(graph: SEARCH)
{
  search(text: String!): [Result!]! @join__field(graph: SEARCH)
  nodes: [Node] @join__field(graph: SEARCH)
  related: [Node!]! @join__field(graph: MOVIES)
}
"#;

fn stub(typename: &str, id: &str) -> Value {
    json!({ "__typename": typename, "id": id })
}

fn abstract_data() -> Vec<(&'static str, Dataset)> {
    let book = |id: &str, title: &str| json!({ "__typename": "Book", "id": id, "title": title });
    let movie = |id: &str, title: &str, director: &str| json!({ "__typename": "Movie", "id": id, "title": title, "director": director });
    vec![
        (
            "search",
            Dataset::default()
                .root(
                    "search",
                    json!([stub("Book", "b1"), stub("Movie", "m1"), stub("Book", "b2")]),
                )
                .root(
                    "nodes",
                    json!([stub("Movie", "m1"), null, stub("Book", "b1")]),
                )
                .possible("Node", &["Book", "Movie"])
                .possible("Result", &["Book", "Movie"]),
        ),
        (
            "books",
            Dataset::default().entities(
                "Book",
                vec!["id"],
                vec![book("b1", "Dune"), book("b2", "Emma")],
            ),
        ),
        (
            "movies",
            Dataset::default()
                .entities(
                    "Movie",
                    vec!["id"],
                    vec![movie("m1", "Alien", "Scott"), movie("m2", "Heat", "Mann")],
                )
                .root("related", json!([movie("m2", "Heat", "Mann")]))
                .possible("Node", &["Movie"]),
        ),
    ]
}

#[tokio::test]
async fn join_v03_without_implements_and_union_members() {
    let supergraph = format!("{JOIN_V03_HEADER}{ABSTRACT_TYPES}");
    let g = Gateway::start(&supergraph, abstract_data()).await;
    let search = g
        .query(
            r#"{ search(text: "x") { ... on Book { title } ... on Movie { director } } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &search,
        r#"{"data":{"search":[{"title":"Dune"},{"director":"Scott"},{"title":"Emma"}]}}"#,
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

    let nodes = g
        .query(
            "{ nodes { id ... on Movie { title } ... on Book { title } } }",
            json!({}),
        )
        .await;
    assert_json(
        &nodes,
        r#"{"data":{"nodes":[{"id":"m1","title":"Alien"},null,{"id":"b1","title":"Dune"}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("books", 2), ("movies", 2), ("search", 2)])
    );

    // movies does not define Book: it must not be asked about it.
    let related = g
        .query(
            "{ related { id ... on Book { title } ... on Movie { title } } }",
            json!({}),
        )
        .await;
    assert_json(
        &related,
        r#"{"data":{"related":[{"id":"m2","title":"Heat"}]}}"#,
    );
    let asked = fields(&g.received("movies")[2]);
    assert!(asked.iter().all(|p| !p.contains("…Book")), "{asked:?}");
}

// ----- Federation 1 style subgraphs -----

/// A Federation 2 `products` and `accounts` with a Federation 1 `reviews`: its types are
/// extensions and its key fields external, as composition of Federation 1 subgraphs writes them.
const FEDERATION_1: &str = r#"
enum join__Graph {
  ACCOUNTS @join__graph(name: "accounts", url: "http://accounts.invalid/graphql")
  PRODUCTS @join__graph(name: "products", url: "http://products.invalid/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews.invalid/graphql")
}

type Product
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: REVIEWS, key: "upc", extension: true)
{
  upc: String! @join__field(graph: PRODUCTS) @join__field(graph: REVIEWS, external: true)
  name: String! @join__field(graph: PRODUCTS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}

type Query
  @join__type(graph: ACCOUNTS)
  @join__type(graph: PRODUCTS)
  @join__type(graph: REVIEWS)
{
  me: User @join__field(graph: ACCOUNTS)
  topProducts(first: Int = 5): [Product] @join__field(graph: PRODUCTS)
  latestReviews: [Review!]! @join__field(graph: REVIEWS)
}

type Review
  @join__type(graph: REVIEWS)
{
  body: String!
  author: User! @join__field(graph: REVIEWS, provides: "username")
  product: Product
}

type User
  @join__type(graph: ACCOUNTS, key: "id")
  @join__type(graph: REVIEWS, key: "id", extension: true)
{
  id: ID! @join__field(graph: ACCOUNTS) @join__field(graph: REVIEWS, external: true)
  name: String! @join__field(graph: ACCOUNTS)
  username: String! @join__field(graph: ACCOUNTS) @join__field(graph: REVIEWS, external: true)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}
"#;

const ACCOUNTS_V1: &str = r#"
type Query {
  me: User
}

type User @key(fields: "id") {
  id: ID!
  name: String!
  username: String!
}
"#;

const PRODUCTS_V1: &str = r#"
type Query {
  topProducts(first: Int = 5): [Product]
}

type Product @key(fields: "upc") {
  upc: String!
  name: String!
}
"#;

const REVIEWS_V1: &str = r#"
type Review {
  body: String!
  author: User! @provides(fields: "username")
  product: Product
}

extend type User @key(fields: "id") {
  id: ID! @external
  username: String! @external
  reviews: [Review!]!
}

extend type Product @key(fields: "upc") {
  upc: String! @external
  reviews: [Review!]!
}

extend type Query {
  latestReviews: [Review!]!
}
"#;

fn federation_1_data() -> Vec<(&'static str, Dataset)> {
    let user = |id: &str, name: &str, username: &str| json!({ "__typename": "User", "id": id, "name": name, "username": username });
    let product =
        |upc: &str, name: &str| json!({ "__typename": "Product", "upc": upc, "name": name });
    let review = |body: &str, author: &str, username: &str, upc: &str| {
        json!({ "__typename": "Review", "body": body,
                "author": { "__typename": "User", "id": author, "username": username },
                "product": { "__typename": "Product", "upc": upc } })
    };
    let r1 = review("Love it", "u1", "ada", "1");
    let r2 = review("Meh", "u2", "alan", "2");
    vec![
        (
            "accounts",
            Dataset::default()
                .root("me", user("u1", "Ada", "ada"))
                .entities(
                    "User",
                    vec!["id"],
                    vec![user("u1", "Ada", "ada"), user("u2", "Alan", "alan")],
                ),
        ),
        (
            "products",
            Dataset::default()
                .root(
                    "topProducts",
                    json!([product("1", "Chess"), product("2", "Lego")]),
                )
                .entities(
                    "Product",
                    vec!["upc"],
                    vec![product("1", "Chess"), product("2", "Lego")],
                ),
        ),
        (
            "reviews",
            Dataset::default()
                .root("latestReviews", json!([r2, r1]))
                .entities(
                    "Product",
                    vec!["upc"],
                    vec![
                        json!({ "__typename": "Product", "upc": "1", "reviews": [r1] }),
                        json!({ "__typename": "Product", "upc": "2", "reviews": [r2] }),
                    ],
                )
                .entities(
                    "User",
                    vec!["id"],
                    vec![
                        json!({ "__typename": "User", "id": "u1", "reviews": [r1] }),
                        json!({ "__typename": "User", "id": "u2", "reviews": [r2] }),
                    ],
                ),
        ),
    ]
}

async fn check_federation_1(supergraph: &str) {
    let g = Gateway::start(supergraph, federation_1_data()).await;
    let top = g
        .query(
            "{ topProducts { name reviews { body author { name username } } } }",
            json!({}),
        )
        .await;
    assert_json(
        &top,
        r#"{"data":{"topProducts":[
            {"name":"Chess","reviews":[{"body":"Love it","author":{"name":"Ada","username":"ada"}}]},
            {"name":"Lego","reviews":[{"body":"Meh","author":{"name":"Alan","username":"alan"}}]}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 1), ("products", 1), ("reviews", 1)])
    );
    assert_eq!(
        g.received("reviews")[0].representations(),
        &json!([{ "__typename": "Product", "upc": "1" }, { "__typename": "Product", "upc": "2" }])
    );

    // The Federation 1 subgraph knows its (external) key fields: upc and id come from it.
    let latest = g
        .query(
            "{ latestReviews { body product { upc name } author { id username reviews { body } } } }",
            json!({}),
        )
        .await;
    assert_json(
        &latest,
        r#"{"data":{"latestReviews":[
            {"body":"Meh","product":{"upc":"2","name":"Lego"},"author":{"id":"u2","username":"alan","reviews":[{"body":"Meh"}]}},
            {"body":"Love it","product":{"upc":"1","name":"Chess"},"author":{"id":"u1","username":"ada","reviews":[{"body":"Love it"}]}}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 1), ("products", 2), ("reviews", 2)])
    );
    assert_eq!(
        g.received("products")[1].representations(),
        &json!([{ "__typename": "Product", "upc": "2" }, { "__typename": "Product", "upc": "1" }])
    );
}

#[tokio::test]
async fn a_handwritten_supergraph_with_a_federation_1_subgraph() {
    check_federation_1(&format!("{JOIN_V03_HEADER}{FEDERATION_1}")).await;
}

#[tokio::test]
async fn a_composed_supergraph_with_a_federation_1_subgraph() {
    let supergraph = compose(&[
        ("accounts", ACCOUNTS_V1),
        ("products", PRODUCTS_V1),
        ("reviews", REVIEWS_V1),
    ]);
    assert!(supergraph.contains("extension: true"), "{supergraph}");
    check_federation_1(&supergraph).await;
}
