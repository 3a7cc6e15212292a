//! Execution of a query plan. Fetches start as soon as the fetches they depend on have finished, so
//! independent ones run concurrently; results are merged into one response tree. An `_entities` fetch
//! collects its representations from the objects at its path, sends each distinct representation
//! once, and merges every result into all objects it stands for. A failed fetch leaves its fields
//! unset and records an error; the rest of the plan goes on. Never silent: an object a fetch should
//! have sent but could not (incomplete representation, no `__typename`, a type no input matches)
//! and a fetch that never started get an error and a log line, not a quiet null.

pub mod fast_hash;
pub mod representations;
pub mod subgraph_client;
pub mod tree;

use std::collections::HashMap;
use std::net::IpAddr;

use apollo_compiler::ast::OperationType;
use apollo_compiler::response::JsonMap;
use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use http::HeaderMap;

use crate::graphql_error::{GraphqlError, PathSegment, codes};
use crate::plan::{Fetch, INTERNAL_KEY_PREFIX, PathStep, QueryPlan, Rename};
pub use subgraph_client::{FetchError, SubgraphClient, SubgraphEndpoint};
use tree::{ObjectId, Tree, Value};

/// What execution needs besides the plan.
pub struct ExecutionContext<'a> {
    /// Endpoint of each subgraph, by subgraph id.
    pub endpoints: &'a [SubgraphEndpoint],
    pub client: &'a SubgraphClient,
    /// Client headers forwarded to every subgraph.
    pub forwarded_headers: &'a HeaderMap,
    /// Bytes the subgraph responses of this request may total.
    pub max_response_bytes: usize,
    /// Whether errors show transport details (otherwise only the log has them).
    pub expose_errors: bool,
    /// The client's address, sent as `X-Forwarded-For` with the fetches of mutations only: queries
    /// stay identical across clients so that they can be shared.
    pub client_address: Option<IpAddr>,
}

/// The merged data and the errors collected on the way.
pub struct ExecutionResult {
    pub tree: Tree,
    pub errors: Vec<GraphqlError>,
    /// Paths whose objects a failed fetch would have filled: nulls under them are already explained.
    pub failed_paths: Vec<Vec<PathStep>>,
}

/// A fetch ready to send: its body and, for entity fetches, the objects behind each representation.
struct PreparedFetch {
    body: Bytes,
    targets: Vec<Vec<(ObjectId, usize)>>,
}

pub async fn execute(
    context: &ExecutionContext<'_>,
    plan: &QueryPlan,
    variables: &JsonMap,
) -> ExecutionResult {
    let mut result = ExecutionResult {
        tree: Tree::new(),
        errors: Vec::new(),
        failed_paths: Vec::new(),
    };
    let count = plan.fetches.len();
    let mut waiting_on: Vec<usize> = plan.fetches.iter().map(|f| f.depends_on.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    for fetch in &plan.fetches {
        for &dependency in &fetch.depends_on {
            if dependency < count {
                dependents[dependency].push(fetch.id);
            }
        }
    }
    let mut ready: Vec<usize> = (0..count).filter(|&i| waiting_on[i] == 0).collect();
    let mut in_flight = FuturesUnordered::new();
    let mut finished = 0;
    let mut received_bytes: usize = 0;
    while finished < count {
        // Start everything that is ready; fetches with nothing to send finish at once.
        while let Some(id) = ready.pop() {
            let fetch = &plan.fetches[id];
            let mut unsent = Vec::new();
            let prepared = prepare(fetch, &result.tree, variables, &mut unsent);
            if !unsent.is_empty() {
                report_unsent(fetch, &unsent, &mut result);
            }
            match prepared {
                Some(prepared) => {
                    let endpoint = &context.endpoints[fetch.subgraph];
                    let body = prepared.body.clone();
                    let is_query = plan.kind == OperationType::Query;
                    let headers = mutation_headers(context, is_query);
                    in_flight.push(async move {
                        let response = if is_query {
                            context
                                .client
                                .post_query(endpoint, body, context.forwarded_headers)
                                .await
                        } else {
                            context
                                .client
                                .post(
                                    endpoint,
                                    body,
                                    headers.as_ref().unwrap_or(context.forwarded_headers),
                                )
                                .await
                        };
                        (id, prepared, response)
                    });
                }
                None => {
                    finished += 1;
                    release(&dependents[id], &mut waiting_on, &mut ready);
                }
            }
        }
        if finished >= count {
            break;
        }
        let Some((id, prepared, response)) = in_flight.next().await else {
            // Nothing in flight and nothing ready: dependencies that can never finish (the
            // planner refuses such plans). Never silent: say which fetches did not run.
            report_never_started(plan, &waiting_on, &mut result);
            break;
        };
        let fetch = &plan.fetches[id];
        let response = response.and_then(|body| {
            received_bytes = received_bytes.saturating_add(body.len());
            if received_bytes > context.max_response_bytes {
                Err(FetchError::Budget {
                    service: fetch.service.clone(),
                    limit: context.max_response_bytes,
                })
            } else {
                Ok(body)
            }
        });
        match response {
            Ok(body) => {
                tracing::trace!(
                    service = %fetch.service,
                    fetch = id,
                    request_bytes = prepared.body.len(),
                    response_bytes = body.len(),
                    "subgraph fetch"
                );
                merge_response(fetch, &prepared, body, context.expose_errors, &mut result)
            }
            Err(error) => {
                result.failed_paths.extend(fetch.filled_paths());
                let message = if context.expose_errors {
                    error.to_string()
                } else {
                    tracing::warn!(%error, "subgraph fetch failed");
                    error.public_message()
                };
                result
                    .errors
                    .push(GraphqlError::new(message, error.code()).with_service(error.service()));
            }
        }
        finished += 1;
        release(&dependents[id], &mut waiting_on, &mut ready);
    }
    result
}

fn release(dependents: &[usize], waiting_on: &mut [usize], ready: &mut Vec<usize>) {
    for &dependent in dependents {
        waiting_on[dependent] = waiting_on[dependent].saturating_sub(1);
        if waiting_on[dependent] == 0 {
            ready.push(dependent);
        }
    }
}

/// Fetches still waiting when nothing else can run: their fields get an error, not a quiet null.
fn report_never_started(plan: &QueryPlan, waiting_on: &[usize], result: &mut ExecutionResult) {
    for fetch in &plan.fetches {
        if waiting_on[fetch.id] == 0 {
            continue;
        }
        let message = format!(
            "the fetch to subgraph '{}' never ran: the fetches it waits for did not finish",
            fetch.service
        );
        tracing::error!(service = %fetch.service, fetch = fetch.id, "{message}");
        result.failed_paths.extend(fetch.filled_paths());
        result
            .errors
            .push(GraphqlError::new(message, codes::INTERNAL).with_service(&fetch.service));
    }
}

/// Never silent: an object an entity fetch should have sent but could not gets an error at its path
/// (and a log line), unless an earlier failure already explains it (a failed fetch that filled
/// this path, or an error at or above the object).
fn report_unsent(
    fetch: &Fetch,
    unsent: &[(ObjectId, usize, representations::Unsent)],
    result: &mut ExecutionResult,
) {
    let Some(entity) = &fetch.entity else {
        return;
    };
    for (path_index, path) in entity.paths.iter().enumerate() {
        if result
            .failed_paths
            .iter()
            .any(|failed| path.starts_with(failed) || failed.starts_with(path))
        {
            continue;
        }
        let mut found: Vec<(Vec<PathSegment>, &representations::Unsent)> = Vec::new();
        representations::walk_with_paths(&result.tree, path, &mut |id, concrete| {
            if let Some((_, _, why)) = unsent
                .iter()
                .find(|(object, index, _)| *object == id && *index == path_index)
            {
                found.push((concrete.to_vec(), why));
            }
        });
        for (object_path, why) in found {
            let explained = result.errors.iter().any(|e| {
                e.path
                    .as_ref()
                    .is_some_and(|p| object_path.starts_with(p) || p.starts_with(&object_path))
            });
            if explained {
                continue;
            }
            let message = format!(
                "cannot fetch from subgraph '{}' for the object at {}: {}",
                fetch.service,
                display_concrete_path(&object_path),
                why.describe()
            );
            tracing::warn!(service = %fetch.service, fetch = fetch.id, "{message}");
            let object_path = client_visible(&object_path);
            result.errors.push(
                GraphqlError::new(message, codes::ENTITY_REPRESENTATION_INVALID)
                    .with_service(&fetch.service)
                    .with_path(object_path),
            );
        }
    }
}

fn display_concrete_path(path: &[PathSegment]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            PathSegment::Key(key) => key.clone(),
            PathSegment::Index(i) => i.to_string(),
        })
        .collect();
    if parts.is_empty() {
        String::from("(root)")
    } else {
        parts.join(".")
    }
}

/// The request body of a fetch, or `None` when an entity fetch has no representations to send.
/// Objects that should have been sent but could not be go to `unsent`.
fn prepare(
    fetch: &Fetch,
    tree: &Tree,
    variables: &JsonMap,
    unsent: &mut Vec<(ObjectId, usize, representations::Unsent)>,
) -> Option<PreparedFetch> {
    let mut body = Vec::with_capacity(fetch.operation_json.len() + 256);
    body.extend_from_slice(b"{\"query\":");
    body.extend_from_slice(fetch.operation_json.as_bytes());
    if let Some(name) = &fetch.operation_name {
        body.extend_from_slice(b",\"operationName\":");
        write_json(&mut body, name);
    }
    body.extend_from_slice(b",\"variables\":{");
    let mut first = true;
    let mut targets = Vec::new();
    if let Some(entity) = &fetch.entity {
        body.extend_from_slice(b"\"representations\":[");
        let mut collected = representations::collect(tree, entity, &mut body);
        unsent.append(&mut collected.unsent);
        if collected.count == 0 {
            return None;
        }
        body.push(b']');
        targets = collected.targets;
        first = false;
    }
    for name in &fetch.variables {
        if let Some(value) = variables.get(name.as_str()) {
            if !first {
                body.push(b',');
            }
            first = false;
            write_json(&mut body, name.as_str());
            body.push(b':');
            if serde_json::to_writer(&mut body, value).is_err() {
                body.extend_from_slice(b"null");
            }
        }
    }
    body.extend_from_slice(b"}}");
    Some(PreparedFetch {
        body: Bytes::from(body),
        targets,
    })
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// Parses a subgraph response into the tree and merges it where it belongs.
fn merge_response(
    fetch: &Fetch,
    prepared: &PreparedFetch,
    body: Bytes,
    expose_errors: bool,
    result: &mut ExecutionResult,
) {
    let response = match tree::parse_response(&mut result.tree, body) {
        Ok(response) => response,
        Err(e) => {
            result.failed_paths.extend(fetch.filled_paths());
            let error = FetchError::Malformed {
                service: fetch.service.clone(),
                message: e.to_string(),
            };
            let message = if expose_errors {
                error.to_string()
            } else {
                tracing::warn!(%error, "subgraph response unreadable");
                error.public_message()
            };
            result
                .errors
                .push(GraphqlError::new(message, error.code()).with_service(&fetch.service));
            return;
        }
    };
    if response.data.is_none() && response.errors.is_empty() {
        result.failed_paths.extend(fetch.filled_paths());
        result.errors.push(
            GraphqlError::new(
                format!(
                    "subgraph '{}' returned neither data nor errors",
                    fetch.service
                ),
                codes::SUBREQUEST_MALFORMED_RESPONSE,
            )
            .with_service(&fetch.service),
        );
        return;
    }
    let entity_paths = if fetch.entity.is_some() && !response.errors.is_empty() {
        Some(object_paths(&result.tree, fetch))
    } else {
        None
    };
    for error in &response.errors {
        result.errors.extend(subgraph_error(
            error,
            fetch,
            prepared,
            entity_paths.as_ref(),
        ));
    }
    match (&fetch.entity, response.data) {
        (None, Some(Value::Object(data))) => {
            apply_renames(&mut result.tree, data, &fetch.renames);
            result.tree.merge_objects(Tree::ROOT, data)
        }
        (None, Some(Value::Null)) | (_, None) => {}
        (Some(_), Some(Value::Object(data))) => {
            let entities = result.tree.take(data, "_entities");
            match entities {
                Some(Value::List(items)) => {
                    if items.len() != prepared.targets.len() {
                        result.errors.push(
                            GraphqlError::new(
                                format!(
                                    "subgraph '{}' returned {} entities for {} representations",
                                    fetch.service,
                                    items.len(),
                                    prepared.targets.len()
                                ),
                                codes::SUBREQUEST_MALFORMED_RESPONSE,
                            )
                            .with_service(&fetch.service),
                        );
                    }
                    let sources: Vec<Option<ObjectId>> = result
                        .tree
                        .list(&items)
                        .iter()
                        .map(|item| match item {
                            Value::Object(id) => Some(*id),
                            _ => None,
                        })
                        .collect();
                    for (source, targets) in sources.into_iter().zip(&prepared.targets) {
                        if let Some(source) = source {
                            apply_renames(&mut result.tree, source, &fetch.renames);
                            merge_entity(&mut result.tree, source, targets);
                        }
                    }
                }
                Some(Value::Null) | None => {}
                Some(_) => result.errors.push(
                    GraphqlError::new(
                        format!("subgraph '{}' returned a non-list _entities", fetch.service),
                        codes::SUBREQUEST_MALFORMED_RESPONSE,
                    )
                    .with_service(&fetch.service),
                ),
            }
        }
        (_, Some(_)) => result.errors.push(
            GraphqlError::new(
                format!(
                    "subgraph '{}' returned data that is not an object",
                    fetch.service
                ),
                codes::SUBREQUEST_MALFORMED_RESPONSE,
            )
            .with_service(&fetch.service),
        ),
    }
}

/// Moves values the fetch asked under an alias back under the client's key, in the objects at each
/// rename's path below `object` (renames come deepest first).
fn apply_renames(tree: &mut Tree, object: ObjectId, renames: &[Rename]) {
    fn objects_at(tree: &Tree, value: &Value, path: &[PathStep], out: &mut Vec<ObjectId>) {
        match (path.first(), value) {
            (None, Value::Object(id)) => out.push(*id),
            (Some(PathStep::Key(key)), Value::Object(id)) => {
                if let Some(child) = tree.get(*id, key) {
                    objects_at(tree, child, &path[1..], out);
                }
            }
            (Some(PathStep::List), Value::List(items)) => {
                for item in tree.list(items) {
                    objects_at(tree, item, &path[1..], out);
                }
            }
            _ => {}
        }
    }
    for rename in renames {
        let mut objects = Vec::new();
        objects_at(tree, &Value::Object(object), &rename.path, &mut objects);
        for id in objects {
            if let Some(value) = tree.take(id, &rename.alias) {
                tree.set(id, &rename.key, value);
            }
        }
    }
}

/// Merges one entity result into the objects its representation stands for. At one path, the same
/// entity has the same selection everywhere, so the first object there takes the result and the
/// others become aliases of it; objects at other paths get their own copy.
fn merge_entity(tree: &mut Tree, source: ObjectId, targets: &[(ObjectId, usize)]) {
    let mut firsts: Vec<(usize, ObjectId)> = Vec::new();
    for &(target, path) in targets {
        match firsts.iter().find(|(p, _)| *p == path) {
            Some(&(_, first)) => tree.alias(target, first),
            None => firsts.push((path, target)),
        }
    }
    if let Some((&(_, last), others)) = firsts.split_last() {
        for &(_, target) in others {
            tree.merge_objects_copy(target, source);
        }
        tree.merge_objects(last, source);
    }
}

/// Concrete response paths of the objects an entity fetch sends, by object.
fn object_paths(tree: &Tree, fetch: &Fetch) -> HashMap<ObjectId, Vec<PathSegment>> {
    let mut out = HashMap::new();
    if let Some(entity) = &fetch.entity {
        for path in &entity.paths {
            representations::walk_with_paths(tree, path, &mut |id, path| {
                out.entry(id).or_insert_with(|| path.to_vec());
            });
        }
    }
    out
}

/// A subgraph's error, re-pathed onto the client's response (once per object it concerns).
fn subgraph_error(
    error: &serde_json::Value,
    fetch: &Fetch,
    prepared: &PreparedFetch,
    entity_paths: Option<&HashMap<ObjectId, Vec<PathSegment>>>,
) -> Vec<GraphqlError> {
    let message = error
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("subgraph error without a message")
        .to_owned();
    let mut extensions = error
        .get("extensions")
        .and_then(|e| e.as_object())
        .cloned()
        .unwrap_or_default();
    extensions
        .entry("serviceName")
        .or_insert_with(|| fetch.service.clone().into());
    let base = GraphqlError {
        message,
        locations: Vec::new(),
        path: None,
        extensions,
    };
    let path: Vec<PathSegment> = error
        .get("path")
        .and_then(|p| p.as_array())
        .map(|segments| {
            segments
                .iter()
                .filter_map(|s| match s {
                    serde_json::Value::String(k) => Some(PathSegment::Key(k.clone())),
                    serde_json::Value::Number(n) => {
                        n.as_u64().map(|i| PathSegment::Index(i as usize))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(paths) = entity_paths else {
        // Root fetch: paths are already the client's, up to a field only the router asked for.
        let path = client_visible(&path);
        return vec![if path.is_empty() {
            base
        } else {
            base.with_path(path)
        }];
    };
    if path.first() != Some(&PathSegment::Key("_entities".to_owned())) {
        return vec![base];
    }
    let (index, rest) = match path.get(1) {
        Some(PathSegment::Index(i)) => (Some(*i), &path[2..]),
        _ => (None, &path[1..]),
    };
    let index = index.or((prepared.targets.len() == 1).then_some(0));
    let Some(targets) = index.and_then(|i| prepared.targets.get(i)) else {
        return vec![base];
    };
    let rest = client_visible(rest);
    let asked = |path_index: usize| match (rest.first(), &fetch.entity) {
        (Some(PathSegment::Key(key)), Some(entity)) => entity
            .path_keys
            .get(path_index)
            .is_none_or(|keys| keys.iter().any(|k| k.as_str() == key)),
        _ => true,
    };
    targets
        .iter()
        .filter(|(_, path_index)| asked(*path_index))
        .filter_map(|(target, _)| paths.get(target))
        .map(|object_path| {
            let mut full = client_visible(object_path);
            if full.len() == object_path.len() {
                full.extend(rest.iter().cloned());
            }
            base.clone().with_path(full)
        })
        .collect()
}

/// A path cut before the first key that only the router uses (an internal alias): the client did not
/// select it, so the error belongs to the object above.
fn client_visible(path: &[PathSegment]) -> Vec<PathSegment> {
    let end = path
        .iter()
        .position(
            |segment| matches!(segment, PathSegment::Key(k) if k.starts_with(INTERNAL_KEY_PREFIX)),
        )
        .unwrap_or(path.len());
    path[..end].to_vec()
}

/// The headers of a mutation's fetches: the forwarded ones plus the client's address, when known.
fn mutation_headers(context: &ExecutionContext<'_>, is_query: bool) -> Option<HeaderMap> {
    let address = context.client_address.filter(|_| !is_query)?;
    let value = http::HeaderValue::from_str(&address.to_string()).ok()?;
    let mut headers = context.forwarded_headers.clone();
    headers.insert(
        http::header::HeaderName::from_static("x-forwarded-for"),
        value,
    );
    Some(headers)
}
