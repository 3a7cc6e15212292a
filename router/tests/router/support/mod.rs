//! Small real subgraphs for router tests: each answers GraphQL over HTTP from a JSON data set (root
//! fields, entities by key, computed fields that read `@requires` data from the representation),
//! records every request it receives, and can be told to fail, stall or answer garbage.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apollo_compiler::ast;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

/// How a mock answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Normal,
    Status(u16, &'static str),
    Garbage,
    Delay(Duration),
}

/// A field computed from the representation (e.g. one with `@requires`).
pub type Computed = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

/// What one mock subgraph knows.
#[derive(Clone, Default)]
pub struct Dataset {
    /// Root field name → value.
    pub root: Map<String, Value>,
    /// Type name → (key fields, objects with `__typename`).
    pub entities: HashMap<String, (Vec<&'static str>, Vec<Value>)>,
    pub computed: HashMap<(String, String), Computed>,
    /// Errors to add to responses: (path, message).
    pub errors: Vec<(Value, String)>,
}

impl Dataset {
    pub fn root(mut self, field: &str, value: Value) -> Self {
        self.root.insert(field.to_owned(), value);
        self
    }

    pub fn entities(
        mut self,
        type_name: &str,
        keys: Vec<&'static str>,
        objects: Vec<Value>,
    ) -> Self {
        self.entities.insert(type_name.to_owned(), (keys, objects));
        self
    }

    pub fn computed(
        mut self,
        type_name: &str,
        field: &str,
        f: impl Fn(&Value) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.computed
            .insert((type_name.to_owned(), field.to_owned()), Arc::new(f));
        self
    }

    pub fn error(mut self, path: Value, message: &str) -> Self {
        self.errors.push((path, message.to_owned()));
        self
    }
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Value,
    pub headers: HeaderMap,
    /// How many requests (to any mock) had completed when this one arrived.
    pub completed_before: usize,
}

impl Received {
    pub fn query(&self) -> &str {
        self.body["query"].as_str().unwrap_or_default()
    }

    pub fn representations(&self) -> &Value {
        &self.body["variables"]["representations"]
    }
}

struct MockState {
    dataset: Dataset,
    behaviour: Mutex<Behaviour>,
    received: Mutex<Vec<Received>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    completed: Arc<AtomicUsize>,
}

/// A running mock subgraph.
pub struct MockSubgraph {
    pub url: String,
    state: Arc<MockState>,
}

impl MockSubgraph {
    pub async fn start(dataset: Dataset, concurrency: &Concurrency) -> MockSubgraph {
        let state = Arc::new(MockState {
            dataset,
            behaviour: Mutex::new(Behaviour::Normal),
            received: Mutex::new(Vec::new()),
            in_flight: concurrency.in_flight.clone(),
            max_in_flight: concurrency.max.clone(),
            completed: concurrency.completed.clone(),
        });
        let app = Router::new()
            .route("/graphql", post(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        MockSubgraph { url, state }
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.state.behaviour.lock().unwrap() = behaviour;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

/// Counts requests in flight across mocks, to prove fetches overlap.
#[derive(Default, Clone)]
pub struct Concurrency {
    in_flight: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
    completed: Arc<AtomicUsize>,
}

impl Concurrency {
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

async fn handle(State(state): State<Arc<MockState>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap();
    state.received.lock().unwrap().push(Received {
        body: body.clone(),
        headers,
        completed_before: state.completed.load(Ordering::SeqCst),
    });
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let behaviour = state.behaviour.lock().unwrap().clone();
    let response = match behaviour {
        Behaviour::Normal => axum::Json(execute(&state.dataset, &body)).into_response(),
        Behaviour::Status(code, text) => {
            (StatusCode::from_u16(code).unwrap(), text).into_response()
        }
        Behaviour::Garbage => {
            ([("content-type", "application/json")], "<html>oops</html>").into_response()
        }
        Behaviour::Delay(duration) => {
            tokio::time::sleep(duration).await;
            axum::Json(execute(&state.dataset, &body)).into_response()
        }
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    state.completed.fetch_add(1, Ordering::SeqCst);
    response
}

/// Executes the request's operation over the data set.
fn execute(dataset: &Dataset, body: &Value) -> Value {
    let query = body["query"].as_str().unwrap();
    let document = ast::Document::parse(query, "request.graphql").unwrap();
    let operation = document
        .definitions
        .iter()
        .find_map(|d| match d {
            ast::Definition::OperationDefinition(op) => Some(op.clone()),
            _ => None,
        })
        .unwrap();
    let mut data = Map::new();
    for selection in &operation.selection_set {
        let ast::Selection::Field(field) = selection else {
            panic!("unexpected root selection")
        };
        let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
        let value = if field.name == "_entities" {
            let representations = body["variables"]["representations"].as_array().unwrap();
            Value::Array(
                representations
                    .iter()
                    .map(|rep| match find_entity(dataset, rep) {
                        Some(entity) => resolve(dataset, &entity, &field.selection_set),
                        None => Value::Null,
                    })
                    .collect(),
            )
        } else {
            let value = dataset
                .root
                .get(field.name.as_str())
                .cloned()
                .unwrap_or(Value::Null);
            resolve(dataset, &value, &field.selection_set)
        };
        data.insert(key, value);
    }
    let mut response = json!({ "data": data });
    if !dataset.errors.is_empty() {
        response["errors"] = Value::Array(
            dataset
                .errors
                .iter()
                .map(|(path, message)| json!({ "message": message, "path": path, "extensions": { "code": "MOCK_ERROR" } }))
                .collect(),
        );
    }
    response
}

/// The entity a representation stands for, with the representation's fields (requires data) added.
fn find_entity(dataset: &Dataset, representation: &Value) -> Option<Value> {
    let type_name = representation["__typename"].as_str()?;
    let (keys, objects) = dataset.entities.get(type_name)?;
    let found = objects.iter().find(|object| {
        keys.iter()
            .all(|k| object.get(*k) == representation.get(*k))
    })?;
    let mut merged = representation.clone();
    for (k, v) in found.as_object()? {
        merged[k] = v.clone();
    }
    Some(merged)
}

fn resolve(dataset: &Dataset, value: &Value, selection: &[ast::Selection]) -> Value {
    if selection.is_empty() {
        return value.clone();
    }
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| resolve(dataset, item, selection))
                .collect(),
        ),
        Value::Object(object) => {
            let mut out = Map::new();
            resolve_into(dataset, object, selection, &mut out);
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn resolve_into(
    dataset: &Dataset,
    object: &Map<String, Value>,
    selection: &[ast::Selection],
    out: &mut Map<String, Value>,
) {
    let type_name = object
        .get("__typename")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for item in selection {
        match item {
            ast::Selection::Field(field) => {
                let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                let value = match dataset
                    .computed
                    .get(&(type_name.clone(), field.name.to_string()))
                {
                    Some(compute) => compute(&Value::Object(object.clone())),
                    None => object
                        .get(field.name.as_str())
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                out.insert(key, resolve(dataset, &value, &field.selection_set));
            }
            ast::Selection::InlineFragment(fragment) => {
                let applies = fragment
                    .type_condition
                    .as_ref()
                    .is_none_or(|condition| condition.as_str() == type_name);
                if applies {
                    resolve_into(dataset, object, &fragment.selection_set, out);
                }
            }
            ast::Selection::FragmentSpread(_) => panic!("the router sends no fragment spreads"),
        }
    }
}
