//! The router's conformance suite: one module per area of the federation behaviour the router must
//! implement — `operations` (operations, variables, fragments, directives, introspection,
//! validation), planning (`keys`, `selection`, `provides_requires`,
//! `override_and_interface_objects`, `abstract_types`, `entity_groups`, `subgraph_choice`,
//! `interface_object_inputs`, `subgraph_types`), `execution` (concurrency, batching, shape, null
//! propagation, errors, failing subgraphs), `never_silent` (what cannot be fetched or planned is
//! said, never a quiet null) and `formats` (supergraphs as other tools write them). Every case
//! builds its own supergraph from subgraph SDLs written by hand (composed with `shopgraph-schema`,
//! or written out in join-spec form where the case says why), runs the router over mock subgraphs
//! (`crate::support`), and checks the exact client response (as text, so key order counts) and what
//! every subgraph was asked. Router bugs found here are listed in
//! `/work/notes/conformance-failures.md`; their cases carry `#[ignore = "router: …"]`.

mod abstract_types;
mod entity_groups;
mod execution;
mod formats;
mod interface_object_inputs;
mod keys;
mod never_silent;
mod operations;
mod override_and_interface_objects;
mod provides_requires;
mod selection;
mod subgraph_choice;
mod subgraph_types;

use std::time::Duration;

use apollo_compiler::ast;
use serde_json::{Value, json};
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;
use shopgraph_schema::SubgraphInput;

use crate::support::{Concurrency, Dataset, MockSubgraph, Received};

/// How long a request may take before the case fails as a hang.
const REQUEST_DEADLINE: Duration = Duration::from_secs(20);

/// Composes subgraph SDLs (name, SDL) with our composer; the URLs are placeholders the router
/// configuration replaces.
pub fn compose(subgraphs: &[(&str, &str)]) -> String {
    let inputs: Vec<SubgraphInput> = subgraphs
        .iter()
        .map(|(name, sdl)| {
            SubgraphInput::new(*name, format!("http://{name}.invalid/graphql"), *sdl)
        })
        .collect();
    match shopgraph_schema::compose(&inputs) {
        Ok(supergraph) => supergraph.sdl().to_owned(),
        Err(errors) => panic!(
            "composition failed:\n{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The router over one supergraph, with one mock per subgraph.
pub struct Gateway {
    url: String,
    http: reqwest::Client,
    mocks: Vec<(String, MockSubgraph)>,
    pub concurrency: Concurrency,
}

impl Gateway {
    /// Starts mocks for the given data sets (subgraphs not listed get an empty one) and the router.
    pub async fn start(supergraph: &str, data: Vec<(&str, Dataset)>) -> Gateway {
        Gateway::start_with(supergraph, data, |_| {}).await
    }

    pub async fn start_with(
        supergraph: &str,
        mut data: Vec<(&str, Dataset)>,
        tune: impl FnOnce(&mut RouterConfig),
    ) -> Gateway {
        let parsed = Supergraph::parse(supergraph, "supergraph.graphql").unwrap();
        let concurrency = Concurrency::default();
        let mut config = RouterConfig::default();
        let mut mocks = Vec::new();
        for subgraph in &parsed.subgraphs {
            let dataset = data
                .iter()
                .position(|(name, _)| *name == subgraph.name)
                .map(|i| data.remove(i).1)
                .unwrap_or_default();
            let mock = MockSubgraph::start(dataset, &concurrency).await;
            config
                .subgraphs
                .entry(subgraph.name.clone())
                .or_default()
                .url = Some(mock.url.clone());
            mocks.push((subgraph.name.clone(), mock));
        }
        assert!(
            data.is_empty(),
            "data for unknown subgraphs: {:?}",
            data.iter().map(|(n, _)| *n).collect::<Vec<_>>()
        );
        tune(&mut config);
        let app = shopgraph_router::app_from_supergraph(parsed, &config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Gateway {
            url,
            http: reqwest::Client::new(),
            mocks,
            concurrency,
        }
    }

    pub fn mock(&self, name: &str) -> &MockSubgraph {
        &self
            .mocks
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no subgraph {name}"))
            .1
    }

    pub fn received(&self, name: &str) -> Vec<Received> {
        self.mock(name).received()
    }

    /// How many requests each subgraph received, by name (only those that received some).
    pub fn request_counts(&self) -> Vec<(String, usize)> {
        self.mocks
            .iter()
            .map(|(name, mock)| (name.clone(), mock.received().len()))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    pub async fn query(&self, query: &str, variables: Value) -> String {
        self.request(json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs a GraphQL request; the router must answer 200 within the deadline.
    pub async fn request(&self, body: Value) -> String {
        let (status, text) = self.request_with_status(body).await;
        assert_eq!(status, 200, "{text}");
        text
    }

    /// POSTs a GraphQL request; the router must answer within the deadline.
    pub async fn request_with_status(&self, body: Value) -> (u16, String) {
        self.request_with_headers(body, &[]).await
    }

    /// POSTs a GraphQL request with extra headers; the router must answer within the deadline.
    pub async fn request_with_headers(
        &self,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let mut request = self.http.post(&self.url).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let send = request.send();
        let response = tokio::time::timeout(REQUEST_DEADLINE, send)
            .await
            .expect("the router hung")
            .unwrap();
        let status = response.status().as_u16();
        let text = tokio::time::timeout(REQUEST_DEADLINE, response.text())
            .await
            .expect("the router hung")
            .unwrap();
        (status, text)
    }
}

/// The plan of `query` over `supergraph`, as text.
pub fn plan(supergraph: &str, query: &str) -> String {
    let supergraph = Supergraph::parse(supergraph, "supergraph.graphql").unwrap();
    shopgraph_router::pipeline::plan_text(&supergraph, query, None).unwrap()
}

/// Shorthand for a list of (subgraph, request count).
pub fn counts(expected: &[(&str, usize)]) -> Vec<(String, usize)> {
    expected
        .iter()
        .map(|(n, c)| ((*n).to_owned(), *c))
        .collect()
}

/// The fields a subgraph operation selects, as sorted paths (`product.reviews.body`, fragments as
/// `…Type`, aliases as `alias:name`, arguments as written), without `__typename`: what the subgraph
/// was asked, independent of formatting and of where the router puts its `__typename`s.
pub fn fields(received: &Received) -> Vec<String> {
    let document = ast::Document::parse(received.query(), "sent.graphql").unwrap();
    let mut out = Vec::new();
    for definition in &document.definitions {
        if let ast::Definition::OperationDefinition(operation) = definition {
            walk(&operation.selection_set, "", &document, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn walk(
    selections: &[ast::Selection],
    prefix: &str,
    document: &ast::Document,
    out: &mut Vec<String>,
) {
    for selection in selections {
        match selection {
            ast::Selection::Field(field) => {
                if field.name == "__typename" {
                    continue;
                }
                let mut segment = match &field.alias {
                    Some(alias) => format!("{alias}:{}", field.name),
                    None => field.name.to_string(),
                };
                if field.name != "_entities" && !field.arguments.is_empty() {
                    let arguments: Vec<String> = field
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.name, a.value))
                        .collect();
                    segment = format!("{segment}({})", arguments.join(", "));
                }
                let path = if prefix.is_empty() {
                    segment
                } else {
                    format!("{prefix}.{segment}")
                };
                out.push(path.clone());
                walk(&field.selection_set, &path, document, out);
            }
            ast::Selection::InlineFragment(fragment) => {
                let path = match &fragment.type_condition {
                    Some(condition) if prefix.is_empty() => format!("…{condition}"),
                    Some(condition) => format!("{prefix}.…{condition}"),
                    None => prefix.to_owned(),
                };
                walk(&fragment.selection_set, &path, document, out);
            }
            ast::Selection::FragmentSpread(spread) => {
                for definition in &document.definitions {
                    if let ast::Definition::FragmentDefinition(fragment) = definition
                        && fragment.name == spread.fragment_name
                    {
                        let condition = &fragment.type_condition;
                        let path = if prefix.is_empty() {
                            format!("…{condition}")
                        } else {
                            format!("{prefix}.…{condition}")
                        };
                        walk(&fragment.selection_set, &path, document, out);
                    }
                }
            }
        }
    }
}

/// Shorthand for an expected field list.
pub fn paths(expected: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = expected.iter().map(|p| (*p).to_owned()).collect();
    out.sort();
    out
}

// ----- exact JSON comparison, key order included -----

/// JSON that keeps the order of object keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// The string that, in an expected response, stands for any non-empty string (for messages the
/// router words itself).
pub const ANY: &str = "<any>";

impl Json {
    pub fn parse(text: &str) -> Json {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
    }

    fn matches(&self, expected: &Json) -> bool {
        match (self, expected) {
            (Json::String(s), Json::String(e)) if e == ANY => !s.is_empty(),
            (Json::Array(a), Json::Array(e)) => {
                a.len() == e.len() && a.iter().zip(e).all(|(a, e)| a.matches(e))
            }
            (Json::Object(a), Json::Object(e)) => {
                a.len() == e.len()
                    && a.iter()
                        .zip(e)
                        .all(|((ak, av), (ek, ev))| ak == ek && av.matches(ev))
            }
            (a, e) => a == e,
        }
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, level: usize| {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, indent + 1);
                    item.write(out, indent + 1);
                }
                pad(out, indent);
                out.push(']');
            }
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, indent + 1);
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }

    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        struct JsonVisitor;
        impl<'de> serde::de::Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(v)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom("not a JSON number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::String(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Json>()? {
                    fields.push((key, value));
                }
                Ok(Json::Object(fields))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Asserts that a response body is exactly `expected` (JSON text; key order counts; `"<any>"`
/// matches any non-empty string).
#[track_caller]
pub fn assert_json(actual: &str, expected: &str) {
    let actual_json = Json::parse(actual);
    let expected_json = Json::parse(expected);
    assert!(
        actual_json.matches(&expected_json),
        "response differs\n--- expected\n{}\n--- actual\n{}\n",
        expected_json.pretty(),
        actual_json.pretty()
    );
}

/// Like [`assert_json`], but the order of `errors` does not count (errors of fetches that run
/// concurrently come in no particular order): each expected error must match a different actual one.
#[track_caller]
pub fn assert_json_any_error_order(actual: &str, expected: &str) {
    /// Whether every expected error matches a distinct actual one (backtracking; lists are short).
    fn errors_match(actual: &[Json], expected: &[Json], used: &mut Vec<bool>) -> bool {
        let Some((first, rest)) = expected.split_first() else {
            return true;
        };
        for i in 0..actual.len() {
            if !used[i] && actual[i].matches(first) {
                used[i] = true;
                if errors_match(actual, rest, used) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    let actual_json = Json::parse(actual);
    let expected_json = Json::parse(expected);
    let matched = match (&actual_json, &expected_json) {
        (Json::Object(a), Json::Object(e)) => {
            a.len() == e.len()
                && a.iter().zip(e).all(|((ak, av), (ek, ev))| {
                    ak == ek
                        && match (ak.as_str(), av, ev) {
                            ("errors", Json::Array(a), Json::Array(e)) => {
                                a.len() == e.len() && errors_match(a, e, &mut vec![false; a.len()])
                            }
                            _ => av.matches(ev),
                        }
                })
        }
        _ => false,
    };
    assert!(
        matched,
        "response differs\n--- expected (any error order)\n{}\n--- actual\n{}\n",
        expected_json.pretty(),
        actual_json.pretty()
    );
}

/// The response as a `serde_json::Value`, for looking at single parts.
pub fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn the_comparison_counts_key_order_and_wildcards_only_strings() {
    let matches = |a: &str, e: &str| Json::parse(a).matches(&Json::parse(e));
    assert!(matches(r#"{"a":1,"b":[2]}"#, r#"{"a":1,"b":[2]}"#));
    assert!(!matches(r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#));
    assert!(!matches(r#"{"a":1}"#, r#"{"a":1,"b":null}"#));
    assert!(matches(r#"{"m":"boom"}"#, r#"{"m":"<any>"}"#));
    assert!(!matches(r#"{"m":""}"#, r#"{"m":"<any>"}"#));
    assert!(!matches(r#"{"m":null}"#, r#"{"m":"<any>"}"#));
}

#[test]
fn errors_may_come_in_any_order_but_each_matches_once() {
    let a =
        r#"{"data":null,"errors":[{"message":"zz","path":["b"]},{"message":"aa","path":["a"]}]}"#;
    assert_json_any_error_order(
        a,
        r#"{"data":null,"errors":[{"message":"<any>","path":["a"]},{"message":"zz","path":["b"]}]}"#,
    );
    let twice = std::panic::catch_unwind(|| {
        assert_json_any_error_order(
            a,
            r#"{"data":null,"errors":[{"message":"<any>","path":["a"]},{"message":"<any>","path":["a"]}]}"#,
        )
    });
    assert!(twice.is_err());
}
