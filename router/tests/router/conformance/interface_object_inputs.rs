//! `@interfaceObject` positions as inputs of later fetches: requirements on an interface-object
//! field reached from a concrete type, inputs that still match after an earlier fetch turned the
//! objects into their concrete type, and interfaces with no implementation served only through
//! interface objects.

use serde_json::json;

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::Dataset;

const CORE: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

interface Account @key(fields: "id") { id: ID! email: String }
type Person implements Account @key(fields: "id") { id: ID! email: String }
type Query { accounts: [Account!]! }
"#;

const MAIL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@interfaceObject", "@external", "@requires"])

type Account @key(fields: "id") @interfaceObject {
  id: ID!
  email: String @external
  domain: String @requires(fields: "email")
}
type Query { mailAccounts: [Account] }
"#;

pub(super) fn accounts_supergraph() -> String {
    compose(&[("core", CORE), ("mail", MAIL)])
}

pub(super) fn accounts_data() -> Vec<(&'static str, Dataset)> {
    let person = json!({ "__typename": "Person", "id": "a1", "email": "ada@example.org" });
    vec![
        (
            "core",
            Dataset::default()
                .root("accounts", json!([person]))
                .entities("Account", vec!["id"], vec![person.clone()])
                .entities("Person", vec!["id"], vec![person])
                .possible("Account", &["Person"]),
        ),
        (
            "mail",
            Dataset::default()
                .root(
                    "mailAccounts",
                    json!([{ "__typename": "Account", "id": "a1" }]),
                )
                .entities(
                    "Account",
                    vec!["id"],
                    vec![json!({ "__typename": "Account", "id": "a1" })],
                )
                .computed("Account", "domain", |representation| {
                    let email = representation["email"].as_str().unwrap_or_default();
                    json!(email.split('@').nth(1))
                }),
        ),
    ]
}

const RETYPED_QUERY: &str = "{ mailAccounts { __typename domain } }";

#[tokio::test]
async fn interface_object_inputs_still_match_once_an_earlier_fetch_made_the_objects_concrete() {
    let g = Gateway::start(&accounts_supergraph(), accounts_data()).await;
    let response = g.query(RETYPED_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"mailAccounts":[{"__typename":"Person","domain":"example.org"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("core", 1), ("mail", 2)]));
    let core = g.received("core");
    assert_eq!(
        core[0].representations(),
        &json!([{ "__typename": "Account", "id": "a1" }])
    );
    assert_eq!(
        fields(&core[0]),
        paths(&["_entities", "_entities.…Account.email"])
    );
    let mail = g.received("mail");
    assert_eq!(
        fields(&mail[0]),
        paths(&["mailAccounts", "mailAccounts.id"])
    );
    // The objects are Persons by now; mail knows them only as Account.
    assert_eq!(
        mail[1].representations(),
        &json!([{ "__typename": "Account", "id": "a1", "email": "ada@example.org" }])
    );
    assert_eq!(
        fields(&mail[1]),
        paths(&["_entities", "_entities.…Account.domain"])
    );
    insta::assert_snapshot!(super::plan(&accounts_supergraph(), RETYPED_QUERY), @r#"
    QueryPlan {
      Fetch(0) mail
        query {
          mailAccounts {
            __typename
            id
          }
        }
      Fetch(1) core after [0] at mailAccounts.@ { Account: __typename id } { Person: __typename id }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Account {
              email
              __typename
            }
          }
        }
      Fetch(2) mail after [0, 1] at mailAccounts.@ { Account: __typename id email } { Person: __typename id email }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Account {
              domain
            }
          }
        }
    }
    "#);
}

// ----- an interface with no implementation, served through @interfaceObject -----

/// Written out in join-spec form: our composer rejects it (`firstAsset { label }` cannot be
/// satisfied, since `two`'s key is not resolvable), but supergraphs from other tools carry it.
const ASSETS: &str = r#"
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
{
  query: Query
}

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }

enum join__Graph {
  ONE @join__graph(name: "one", url: "http://one.invalid/graphql")
  TWO @join__graph(name: "two", url: "http://two.invalid/graphql")
}

interface Asset
  @join__type(graph: ONE, key: "id")
  @join__type(graph: TWO, key: "id", resolvable: false, isInterfaceObject: true)
{
  id: ID!
  label: String @join__field(graph: TWO)
}

type Query
  @join__type(graph: ONE)
  @join__type(graph: TWO)
{
  firstAsset: Asset @join__field(graph: ONE)
  secondAsset: Asset @join__field(graph: TWO)
}
"#;

pub(super) fn assets_supergraph() -> String {
    ASSETS.to_owned()
}

const ASSET_QUERY: &str = "{ secondAsset { id label } }";

#[tokio::test]
async fn an_interface_without_implementations_is_served_by_its_interface_object() {
    let data = vec![(
        "two",
        Dataset::default().root(
            "secondAsset",
            json!({ "__typename": "Asset", "id": "x1", "label": "Logo" }),
        ),
    )];
    let g = Gateway::start(&assets_supergraph(), data).await;
    let response = g.query(ASSET_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"secondAsset":{"id":"x1","label":"Logo"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("two", 1)]));
    assert_eq!(
        fields(&g.received("two")[0]),
        paths(&["secondAsset", "secondAsset.id", "secondAsset.label"])
    );
    insta::assert_snapshot!(super::plan(&assets_supergraph(), ASSET_QUERY), @r#"
    QueryPlan {
      Fetch(0) two
        query {
          secondAsset {
            __typename
            id
            label
          }
        }
    }
    "#);
}

// ----- @requires on an interface-object field, reached from a concrete type -----

const DOMAIN_QUERY: &str = "{ accounts { id domain } }";

#[tokio::test]
async fn a_requirement_on_an_interface_object_field_is_met_from_the_concrete_type() {
    let g = Gateway::start(&accounts_supergraph(), accounts_data()).await;
    let response = g.query(DOMAIN_QUERY, json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"accounts":[{"id":"a1","domain":"example.org"}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("core", 1), ("mail", 1)]));
    assert_eq!(
        fields(&g.received("core")[0]),
        paths(&["accounts", "accounts.…Person.email", "accounts.…Person.id"])
    );
    assert_eq!(
        g.received("mail")[0].representations(),
        &json!([{ "__typename": "Account", "id": "a1", "email": "ada@example.org" }])
    );
    assert_eq!(
        fields(&g.received("mail")[0]),
        paths(&["_entities", "_entities.…Account.domain"])
    );
    insta::assert_snapshot!(super::plan(&accounts_supergraph(), DOMAIN_QUERY), @r#"
    QueryPlan {
      Fetch(0) core
        query {
          accounts {
            __typename
            ... on Person {
              id
              email
              __typename
            }
          }
        }
      Fetch(1) mail after [0] at accounts.@ { Person: __typename id email }
        query($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Account {
              domain
            }
          }
        }
    }
    "#);
}
