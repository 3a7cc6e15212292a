//! One GraphQL request from text to response bytes: the cached parse and validation of the document,
//! operation selection, variable coercion, the cached normalisation and plan (keyed by operation and
//! by the values of the variables that decide `@skip`/`@include`), introspection answered locally,
//! execution, and the response.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::ast::OperationType;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use http::HeaderMap;

use crate::execute::{self, ExecutionContext, SubgraphClient, SubgraphEndpoint};
use crate::graphql_error::{GraphqlError, codes};
use crate::operation::{self, NormalizedOperation, normalize};
use crate::plan::{self, QueryPlan};
use crate::respond;
use crate::supergraph::{LabelSet, Supergraph};

/// Documents kept in the cache before it starts over.
const DOCUMENT_CACHE_CAPACITY: usize = 2048;

/// A client request.
#[derive(Debug, Default, Clone)]
pub struct GraphqlRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: JsonMap,
}

/// What the HTTP layer sends back.
#[derive(Debug)]
pub struct GraphqlResponse {
    pub body: Vec<u8>,
    /// A request error (nothing executed): `data` is absent.
    pub is_request_error: bool,
    /// Whether the response has errors.
    pub has_errors: bool,
    /// The plan, when asked for.
    pub plan: Option<String>,
}

/// Restrictions that depend on how the request arrived.
#[derive(Debug, Clone, Copy)]
pub struct RequestPolicy {
    /// GET requests may not run mutations.
    pub allow_mutations: bool,
    pub want_plan: bool,
}

/// Operation name, the values of the `@skip`/`@include` variables, and the active override labels.
type PlanKey = (Option<String>, Vec<bool>, LabelSet);

struct PreparedDocument {
    document: Result<Valid<ExecutableDocument>, Vec<GraphqlError>>,
    plans: Mutex<HashMap<PlanKey, Arc<PlannedOperation>>>,
}

struct PlannedOperation {
    operation: NormalizedOperation,
    plan: Result<QueryPlan, GraphqlError>,
    /// Size of the last response, to allocate the next one's buffer once.
    last_response_bytes: AtomicUsize,
}

/// The request pipeline over one supergraph.
pub struct Pipeline {
    supergraph: Arc<Supergraph>,
    endpoints: Vec<SubgraphEndpoint>,
    client: SubgraphClient,
    introspection: bool,
    /// Custom (non-percentage) override labels that are switched on.
    enabled_labels: Vec<String>,
    documents: Mutex<HashMap<String, Arc<PreparedDocument>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Pipeline {
    pub fn new(
        supergraph: Arc<Supergraph>,
        endpoints: Vec<SubgraphEndpoint>,
        introspection: bool,
        enabled_labels: Vec<String>,
    ) -> Pipeline {
        Pipeline {
            supergraph,
            endpoints,
            client: SubgraphClient::new(),
            introspection,
            enabled_labels,
            documents: Mutex::new(HashMap::new()),
        }
    }

    /// Decides the progressive-override labels for one request: `percent(N)` is active with
    /// probability N %, any other label when the configuration enables it.
    fn active_labels(&self) -> LabelSet {
        let mut labels = LabelSet::NONE;
        for (index, label) in self.supergraph.override_labels.iter().enumerate() {
            let active = match percent_label(label) {
                Some(percent) => rand::random::<f64>() * 100.0 < percent,
                None => self.enabled_labels.iter().any(|l| l == label),
            };
            if active {
                labels.activate(index);
            }
        }
        labels
    }

    pub fn supergraph(&self) -> &Supergraph {
        &self.supergraph
    }

    fn prepared(&self, query: &str) -> Arc<PreparedDocument> {
        if let Some(found) = lock(&self.documents).get(query) {
            return found.clone();
        }
        let document = operation::parse_and_validate(&self.supergraph.api_schema, query);
        let prepared = Arc::new(PreparedDocument {
            document,
            plans: Mutex::new(HashMap::new()),
        });
        let mut documents = lock(&self.documents);
        if documents.len() >= DOCUMENT_CACHE_CAPACITY {
            documents.clear();
        }
        documents.insert(query.to_owned(), prepared.clone());
        prepared
    }

    /// Runs one request.
    pub async fn run(
        &self,
        request: &GraphqlRequest,
        forwarded_headers: &HeaderMap,
        policy: RequestPolicy,
    ) -> GraphqlResponse {
        let request_error = |errors: Vec<GraphqlError>| GraphqlResponse {
            body: respond::write_errors(&errors),
            is_request_error: true,
            has_errors: true,
            plan: None,
        };
        let prepared = self.prepared(&request.query);
        let document = match &prepared.document {
            Ok(document) => document,
            Err(errors) => return request_error(errors.clone()),
        };
        let operation =
            match operation::select_operation(document, request.operation_name.as_deref()) {
                Ok(operation) => operation,
                Err(error) => return request_error(vec![error]),
            };
        match operation.operation_type {
            OperationType::Mutation if !policy.allow_mutations => {
                return request_error(vec![GraphqlError::new(
                    "mutations cannot be sent with GET; use POST",
                    codes::BAD_REQUEST,
                )]);
            }
            OperationType::Subscription => {
                return request_error(vec![GraphqlError::new(
                    "subscriptions are not supported by this router",
                    codes::BAD_REQUEST,
                )]);
            }
            _ => {}
        }
        let variables = match operation::coerce_variables(
            &self.supergraph.api_schema,
            document,
            operation,
            &request.variables,
        ) {
            Ok(variables) => variables,
            Err(error) => return request_error(vec![error]),
        };
        let conditions: Vec<bool> = normalize::condition_variables(document, operation)
            .iter()
            .map(|name| matches!(variables.get(name.as_str()), Some(JsonValue::Bool(true))))
            .collect();
        let labels = self.active_labels();
        let plan_key = (request.operation_name.clone(), conditions, labels);
        let cached = lock(&prepared.plans).get(&plan_key).cloned();
        let planned = match cached {
            Some(planned) => planned,
            None => {
                let normalized =
                    normalize::normalize(&self.supergraph, document, operation, &variables);
                let plan = plan::build_plan(&self.supergraph, &normalized, labels).map_err(|e| {
                    GraphqlError::new(
                        format!("cannot plan the operation: {e}"),
                        codes::QUERY_PLANNING_FAILED,
                    )
                });
                let planned = Arc::new(PlannedOperation {
                    operation: normalized,
                    plan,
                    last_response_bytes: AtomicUsize::new(4096),
                });
                lock(&prepared.plans).insert(plan_key, planned.clone());
                planned
            }
        };
        let plan = match &planned.plan {
            Ok(plan) => plan,
            Err(error) => return request_error(vec![error.clone()]),
        };

        let mut errors = Vec::new();
        let introspection = if planned.operation.has_introspection {
            if !self.introspection {
                return request_error(vec![GraphqlError::new(
                    "introspection is disabled",
                    codes::VALIDATION_FAILED,
                )]);
            }
            match apollo_compiler::introspection::partial_execute(
                &self.supergraph.api_schema,
                &self.supergraph.api_implementers,
                document,
                operation,
                &variables,
            ) {
                Ok(response) => {
                    for error in response.errors {
                        errors.push(GraphqlError::new(error.message, codes::INTERNAL));
                    }
                    response.data
                }
                Err(error) => {
                    return request_error(vec![GraphqlError::new(
                        error.message().to_string(),
                        codes::VALIDATION_FAILED,
                    )]);
                }
            }
        } else {
            None
        };

        let context = ExecutionContext {
            endpoints: &self.endpoints,
            client: &self.client,
            forwarded_headers,
        };
        let result = execute::execute(&context, plan, &variables).await;
        errors.extend(result.errors);
        let capacity = planned.last_response_bytes.load(Ordering::Relaxed) + 256;
        let (body, has_errors) = respond::write_response(
            capacity,
            &self.supergraph.api_schema,
            &planned.operation,
            &result.tree,
            errors,
            &result.failed_paths,
            introspection.as_ref(),
        );
        planned
            .last_response_bytes
            .store(body.len(), Ordering::Relaxed);
        GraphqlResponse {
            body,
            is_request_error: false,
            has_errors,
            plan: policy.want_plan.then(|| plan.to_string()),
        }
    }
}

/// The plan of an operation, as text, without running it (for `router plan`). Variables take their
/// defaults, so `@skip`/`@include` on variables without defaults count as false.
pub fn plan_text(
    supergraph: &Supergraph,
    query: &str,
    operation_name: Option<&str>,
) -> Result<String, String> {
    let describe = |errors: Vec<GraphqlError>| {
        errors
            .iter()
            .map(|e| match e.locations.first() {
                Some(l) => format!("{}:{}: {}", l.line, l.column, e.message),
                None => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let document =
        operation::parse_and_validate(&supergraph.api_schema, query).map_err(describe)?;
    let operation =
        operation::select_operation(&document, operation_name).map_err(|e| describe(vec![e]))?;
    let variables = operation::coerce_variables(
        &supergraph.api_schema,
        &document,
        operation,
        &JsonMap::new(),
    )
    .map(|v| v.into_inner())
    .unwrap_or_default();
    let normalized = normalize::normalize(supergraph, &document, operation, &variables);
    let plan =
        plan::build_plan(supergraph, &normalized, LabelSet::NONE).map_err(|e| e.to_string())?;
    Ok(plan.to_string())
}

/// `percent(12.5)` → 12.5.
fn percent_label(label: &str) -> Option<f64> {
    label
        .strip_prefix("percent(")?
        .strip_suffix(')')?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
}
