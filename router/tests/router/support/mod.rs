//! Small real subgraphs for router tests: each answers GraphQL over HTTP from a JSON data set (root
//! fields, entities by key, computed fields that read `@requires` data from the representation,
//! resolvers that read arguments and may fail with a field error; a field an object lacks is read
//! from the entity with the same key), records every request it
//! receives, and can be told to fail, stall or answer garbage. Operations may use variables (with
//! defaults), aliases, named and inline fragments (also on interfaces and unions the data set
//! declares), `@skip`/`@include` and `__typename` anywhere.

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
    /// Answers 200 with this body as `application/json`, whatever was asked.
    Reply(&'static str),
}

/// A field computed from the representation (e.g. one with `@requires`).
pub type Computed = Arc<dyn Fn(&Value) -> Value + Send + Sync>;

/// A field computed from its parent object (or `null` at the root) and its arguments; `Err` is a
/// field error: the field becomes `null` and the response gets an error at the field's path.
pub type Resolver = Arc<dyn Fn(&Value, &Map<String, Value>) -> Result<Value, String> + Send + Sync>;

/// What one mock subgraph knows.
#[derive(Clone, Default)]
pub struct Dataset {
    /// Root field name → value.
    pub root: Map<String, Value>,
    /// Type name → (key fields, objects with `__typename`). A representation matches an object
    /// when every key field it carries matches (nested key objects by their own fields), so types
    /// with several keys list all their key fields.
    pub entities: HashMap<String, (Vec<&'static str>, Vec<Value>)>,
    pub computed: HashMap<(String, String), Computed>,
    /// (type, field) → resolver; root fields use the type `Query` or `Mutation`.
    pub resolvers: HashMap<(String, String), Resolver>,
    /// Interface or union → the object types that belong to it (for fragments on abstract types).
    pub possible: HashMap<String, Vec<String>>,
    /// Errors to add to every response: (path, or `null` for none; message).
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

    /// A field computed from its parent (`null` for root fields) and its arguments.
    pub fn resolver(
        mut self,
        type_name: &str,
        field: &str,
        f: impl Fn(&Value, &Map<String, Value>) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.resolvers
            .insert((type_name.to_owned(), field.to_owned()), Arc::new(f));
        self
    }

    /// Declares the object types of an interface or union.
    pub fn possible(mut self, abstract_type: &str, objects: &[&str]) -> Self {
        self.possible.insert(
            abstract_type.to_owned(),
            objects.iter().map(|o| (*o).to_owned()).collect(),
        );
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

    pub fn variables(&self) -> &Value {
        &self.body["variables"]
    }

    pub fn operation_name(&self) -> Option<&str> {
        self.body["operationName"].as_str()
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
        Behaviour::Reply(text) => ([("content-type", "application/json")], text).into_response(),
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    state.completed.fetch_add(1, Ordering::SeqCst);
    response
}

/// One operation being executed over a data set.
struct Execution<'a> {
    dataset: &'a Dataset,
    document: &'a ast::Document,
    variables: Map<String, Value>,
    errors: Vec<Value>,
}

/// Executes the request's operation over the data set.
fn execute(dataset: &Dataset, body: &Value) -> Value {
    let query = body["query"].as_str().unwrap();
    let document = ast::Document::parse(query, "request.graphql").unwrap();
    let wanted = body["operationName"].as_str();
    let operation = document
        .definitions
        .iter()
        .find_map(|d| match d {
            ast::Definition::OperationDefinition(op)
                if wanted.is_none_or(|w| op.name.as_ref().is_some_and(|n| n == w)) =>
            {
                Some(op.clone())
            }
            _ => None,
        })
        .unwrap();
    let mut variables = body["variables"].as_object().cloned().unwrap_or_default();
    for definition in &operation.variables {
        if !variables.contains_key(definition.name.as_str())
            && let Some(default) = &definition.default_value
        {
            variables.insert(definition.name.to_string(), to_json(default, &Map::new()));
        }
    }
    let root_type = match operation.operation_type {
        ast::OperationType::Mutation => "Mutation",
        _ => "Query",
    };
    let mut execution = Execution {
        dataset,
        document: &document,
        variables,
        errors: Vec::new(),
    };
    let mut fields = Vec::new();
    execution.collect(root_type, &operation.selection_set, &mut fields);
    let mut data = Map::new();
    for field in fields {
        let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
        let path = vec![Value::String(key.clone())];
        let value = if field.name == "__typename" {
            Value::String(root_type.to_owned())
        } else if field.name == "_entities" {
            let representations = execution.variables["representations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Value::Array(
                representations
                    .iter()
                    .enumerate()
                    .map(|(i, rep)| match find_entity(dataset, rep) {
                        Some(entity) => {
                            let mut path = path.clone();
                            path.push(json!(i));
                            execution.resolve(&entity, &field.selection_set, &path)
                        }
                        None => Value::Null,
                    })
                    .collect(),
            )
        } else {
            let arguments = execution.arguments(&field);
            let resolver = dataset
                .resolvers
                .get(&(root_type.to_owned(), field.name.to_string()));
            let value = match resolver {
                Some(resolve) => resolve(&Value::Null, &arguments),
                None => Ok(dataset
                    .root
                    .get(field.name.as_str())
                    .cloned()
                    .unwrap_or(Value::Null)),
            };
            match value {
                Ok(value) => execution.resolve(&value, &field.selection_set, &path),
                Err(message) => {
                    execution.field_error(&path, &message);
                    Value::Null
                }
            }
        };
        data.insert(key, value);
    }
    let mut errors = execution.errors;
    errors.extend(dataset.errors.iter().map(|(path, message)| {
        let mut error = json!({ "message": message, "extensions": { "code": "MOCK_ERROR" } });
        if !path.is_null() {
            error["path"] = path.clone();
        }
        error
    }));
    let mut response = json!({ "data": data });
    if !errors.is_empty() {
        response["errors"] = Value::Array(errors);
    }
    response
}

impl Execution<'_> {
    /// The fields of `selection` that apply to an object of type `type_name` (fragments expanded,
    /// `@skip`/`@include` applied), in order.
    fn collect(&self, type_name: &str, selection: &[ast::Selection], out: &mut Vec<ast::Field>) {
        for item in selection {
            let directives = match item {
                ast::Selection::Field(field) => &field.directives,
                ast::Selection::InlineFragment(fragment) => &fragment.directives,
                ast::Selection::FragmentSpread(spread) => &spread.directives,
            };
            if !self.included(directives) {
                continue;
            }
            match item {
                ast::Selection::Field(field) => out.push((**field).clone()),
                ast::Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(type_name, condition));
                    if applies {
                        self.collect(type_name, &fragment.selection_set, out);
                    }
                }
                ast::Selection::FragmentSpread(spread) => {
                    let fragment = self.document.definitions.iter().find_map(|d| match d {
                        ast::Definition::FragmentDefinition(f)
                            if f.name == spread.fragment_name =>
                        {
                            Some(f.clone())
                        }
                        _ => None,
                    });
                    let fragment = fragment.unwrap();
                    if self.applies(type_name, &fragment.type_condition) {
                        self.collect(type_name, &fragment.selection_set, out);
                    }
                }
            }
        }
    }

    fn applies(&self, type_name: &str, condition: &str) -> bool {
        condition == type_name
            || self
                .dataset
                .possible
                .get(condition)
                .is_some_and(|objects| objects.iter().any(|o| o == type_name))
    }

    fn included(&self, directives: &ast::DirectiveList) -> bool {
        directives.iter().all(|directive| {
            let condition = || {
                directive
                    .specified_argument_by_name("if")
                    .map(|v| to_json(v, &self.variables) == Value::Bool(true))
                    .unwrap_or(false)
            };
            match directive.name.as_str() {
                "skip" => !condition(),
                "include" => condition(),
                _ => true,
            }
        })
    }

    fn arguments(&self, field: &ast::Field) -> Map<String, Value> {
        let mut arguments = Map::new();
        for argument in &field.arguments {
            if let ast::Value::Variable(name) = &*argument.value
                && !self.variables.contains_key(name.as_str())
            {
                // An unset variable leaves the argument unset.
                continue;
            }
            arguments.insert(
                argument.name.to_string(),
                to_json(&argument.value, &self.variables),
            );
        }
        arguments
    }

    fn field_error(&mut self, path: &[Value], message: &str) {
        self.errors.push(json!({
            "message": message,
            "path": path,
            "extensions": { "code": "MOCK_ERROR" }
        }));
    }

    fn resolve(&mut self, value: &Value, selection: &[ast::Selection], path: &[Value]) -> Value {
        if selection.is_empty() {
            return value.clone();
        }
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut path = path.to_vec();
                        path.push(json!(i));
                        self.resolve(item, selection, &path)
                    })
                    .collect(),
            ),
            Value::Object(object) => {
                let type_name = object
                    .get("__typename")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let mut fields = Vec::new();
                self.collect(&type_name, selection, &mut fields);
                let mut out = Map::new();
                for field in fields {
                    let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                    let mut field_path = path.to_vec();
                    field_path.push(Value::String(key.clone()));
                    let lookup = (type_name.clone(), field.name.to_string());
                    let value = if let Some(resolve) = self.dataset.resolvers.get(&lookup) {
                        let arguments = self.arguments(&field);
                        resolve(value, &arguments)
                    } else if let Some(compute) = self.dataset.computed.get(&lookup) {
                        Ok(compute(value))
                    } else if let Some(found) = object.get(field.name.as_str()) {
                        Ok(found.clone())
                    } else {
                        // A field the object lacks comes from the entity with the same key.
                        Ok(find_entity(self.dataset, value)
                            .and_then(|entity| entity.get(field.name.as_str()).cloned())
                            .unwrap_or(Value::Null))
                    };
                    let value = match value {
                        Ok(value) => self.resolve(&value, &field.selection_set, &field_path),
                        Err(message) => {
                            self.field_error(&field_path, &message);
                            Value::Null
                        }
                    };
                    out.insert(key, value);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

/// A GraphQL value as JSON, with variables replaced by their values.
fn to_json(value: &ast::Value, variables: &Map<String, Value>) -> Value {
    match value {
        ast::Value::Null => Value::Null,
        ast::Value::Enum(name) => Value::String(name.to_string()),
        ast::Value::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
        ast::Value::String(s) => Value::String(s.clone()),
        ast::Value::Float(f) => json!(f.try_to_f64().unwrap()),
        ast::Value::Int(i) => json!(i.as_str().parse::<i64>().unwrap()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::List(items) => {
            Value::Array(items.iter().map(|i| to_json(i, variables)).collect())
        }
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v, variables)))
                .collect(),
        ),
    }
}

/// The entity a representation stands for, with the representation's fields (requires data) added.
fn find_entity(dataset: &Dataset, representation: &Value) -> Option<Value> {
    let type_name = representation["__typename"].as_str()?;
    let (keys, objects) = dataset.entities.get(type_name)?;
    let present: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| representation.get(*k).is_some())
        .collect();
    if present.is_empty() {
        return None;
    }
    let found = objects.iter().find(|object| {
        present.iter().all(|k| {
            object
                .get(*k)
                .is_some_and(|v| matches_key(v, &representation[*k]))
        })
    })?;
    let mut merged = representation.clone();
    for (k, v) in found.as_object()? {
        merged[k] = v.clone();
    }
    Some(merged)
}

/// Whether an object's value matches a key value of a representation (nested keys by their fields).
fn matches_key(value: &Value, key: &Value) -> bool {
    match (value, key) {
        (Value::Object(value), Value::Object(key)) => key
            .iter()
            .all(|(k, v)| value.get(k).is_some_and(|mine| matches_key(mine, v))),
        _ => value == key,
    }
}
