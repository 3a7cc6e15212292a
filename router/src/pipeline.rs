//! One GraphQL request from text to response bytes: the cached parse, validation and limits check of
//! the document, operation selection, variable coercion, the cached normalisation, cost estimate and
//! plan (keyed by operation and by the values of the variables that decide `@skip`/`@include`),
//! introspection answered locally, execution, and the response. Both caches are bounded by bytes
//! (moka, TinyLFU admission). Identical query requests in flight may share one execution.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use apollo_compiler::ast::OperationType;
use apollo_compiler::executable::Operation;
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Node};
use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use http::{HeaderMap, HeaderName, HeaderValue};
use moka::sync::Cache;

use crate::config::{CacheConfig, CostConfig, OperationLimits};
use crate::cost::{self, CostModel};
use crate::execute::fast_hash::FastHashMap;
use crate::execute::{self, ExecutionContext, SubgraphClient, SubgraphEndpoint};
use crate::graphql_error::{GraphqlError, codes};
use crate::operation::{self, NormalizedOperation, normalize};
use crate::plan::{self, QueryPlan};
use crate::respond;
use crate::supergraph::{LabelSet, Supergraph};

/// A client request.
#[derive(Debug, Default, Clone)]
pub struct GraphqlRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: JsonMap,
}

/// What the HTTP layer sends back.
#[derive(Debug, Clone)]
pub struct GraphqlResponse {
    pub body: Bytes,
    /// A request error (nothing executed): `data` is absent.
    pub is_request_error: bool,
    /// Whether the response has errors.
    pub has_errors: bool,
    /// The plan, when asked for.
    pub plan: Option<String>,
    /// The operation's estimated cost, when it was estimated.
    pub estimated_cost: Option<f64>,
    /// Objects in the response's `data`, when it executed.
    pub actual_cost: Option<u64>,
}

impl GraphqlResponse {
    /// A response with only errors: nothing executed.
    pub fn request_error(errors: &[GraphqlError]) -> GraphqlResponse {
        GraphqlResponse {
            body: Bytes::from(respond::write_errors(errors)),
            is_request_error: true,
            has_errors: true,
            plan: None,
            estimated_cost: None,
            actual_cost: None,
        }
    }
}

/// Restrictions that depend on how the request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestPolicy {
    /// GET requests may not run mutations.
    pub allow_mutations: bool,
    pub want_plan: bool,
    /// The client's address, passed to the subgraphs of mutations (`X-Forwarded-For`) so that their
    /// per-client limits (sign-in attempts) count clients, not the router.
    pub client_address: Option<IpAddr>,
}

/// How the pipeline protects itself and what it shows.
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    pub introspection: bool,
    /// Custom (non-percentage) override labels that are switched on.
    pub enabled_labels: Vec<String>,
    pub limits: OperationLimits,
    pub cost: CostConfig,
    pub cache: CacheConfig,
    /// Bytes of subgraph responses one request may receive, and the largest client response.
    pub max_response_bytes: usize,
    pub expose_subgraph_errors: bool,
    /// Share one execution among identical query operations in flight.
    pub deduplicate_inbound: bool,
}

/// Document id, operation name, the values of the `@skip`/`@include` variables, and the active
/// override labels.
type PlanKey = (u64, Option<String>, Vec<bool>, LabelSet);

struct PreparedDocument {
    /// Unique per prepared document (plan cache entries refer to it).
    id: u64,
    query: Box<str>,
    document: Result<Valid<ExecutableDocument>, Vec<GraphqlError>>,
    /// The operation limits check of each operation, by name.
    checks: Vec<(Option<Name>, Result<(), GraphqlError>)>,
}

struct PlannedOperation {
    /// Normalisation or planning failures are cached like plans.
    result: Result<Planned, GraphqlError>,
    /// Approximate memory held, for the cache's weigher.
    weight: u32,
}

struct Planned {
    operation: NormalizedOperation,
    plan: QueryPlan,
    /// The estimated cost when it does not depend on variable values.
    fixed_cost: Option<f64>,
    /// Size of the last response, to allocate the next one's buffer once.
    last_response_bytes: AtomicUsize,
}

/// What makes two inbound requests the same execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct InboundKey {
    document: u64,
    operation_name: Option<String>,
    variables: Vec<u8>,
    headers: Vec<(HeaderName, HeaderValue)>,
    policy: RequestPolicy,
}

type SharedRun = Shared<BoxFuture<'static, GraphqlResponse>>;

/// Above this many entries, the in-flight map drops the entries whose requests were all abandoned.
const INFLIGHT_SWEEP: usize = 1024;

/// The request pipeline over one supergraph.
pub struct Pipeline {
    supergraph: Arc<Supergraph>,
    endpoints: Vec<SubgraphEndpoint>,
    client: SubgraphClient,
    options: PipelineOptions,
    cost_model: CostModel,
    /// Documents by a keyed hash of their text (the text is compared on a hit).
    documents: Cache<u64, Arc<PreparedDocument>>,
    plans: Cache<PlanKey, Arc<PlannedOperation>>,
    document_hasher: RandomState,
    next_document_id: AtomicU64,
    inflight: Mutex<FastHashMap<InboundKey, WeakShared<BoxFuture<'static, GraphqlResponse>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl Pipeline {
    pub fn new(
        supergraph: Arc<Supergraph>,
        endpoints: Vec<SubgraphEndpoint>,
        client: SubgraphClient,
        options: PipelineOptions,
    ) -> Pipeline {
        let cost_model = CostModel::new(&supergraph.schema, &options.cost);
        let documents = Cache::builder()
            .max_capacity(options.cache.documents_bytes)
            .weigher(|_: &u64, document: &Arc<PreparedDocument>| {
                // The parsed and validated forms take several times the text.
                weight(512 + document.query.len() * 12)
            })
            .build();
        let plans = Cache::builder()
            .max_capacity(options.cache.plans_bytes)
            .weigher(|_: &PlanKey, planned: &Arc<PlannedOperation>| planned.weight)
            .build();
        Pipeline {
            supergraph,
            endpoints,
            client,
            options,
            cost_model,
            documents,
            plans,
            document_hasher: RandomState::new(),
            next_document_id: AtomicU64::new(1),
            inflight: Mutex::new(FastHashMap::default()),
        }
    }

    /// Decides the progressive-override labels for one request: `percent(N)` is active with
    /// probability N %, any other label when the configuration enables it.
    fn active_labels(&self) -> LabelSet {
        let mut labels = LabelSet::NONE;
        for (index, label) in self.supergraph.override_labels.iter().enumerate() {
            let active = match percent_label(label) {
                Some(percent) => rand::random::<f64>() * 100.0 < percent,
                None => self.options.enabled_labels.iter().any(|l| l == label),
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
        let hash = self.document_hasher.hash_one(query);
        if let Some(found) = self.documents.get(&hash)
            && *found.query == *query
        {
            return found;
        }
        let checked = operation::parse_check_validate(
            &self.supergraph.api_schema,
            query,
            &self.options.limits,
        );
        let prepared = Arc::new(PreparedDocument {
            id: self.next_document_id.fetch_add(1, Ordering::Relaxed),
            query: query.into(),
            document: checked.document,
            checks: checked.checks,
        });
        self.documents.insert(hash, prepared.clone());
        prepared
    }

    /// Runs one request, sharing the execution with identical query requests in flight when
    /// inbound de-duplication is on.
    pub async fn run_shared(
        self: &Arc<Self>,
        request: GraphqlRequest,
        forwarded_headers: HeaderMap,
        policy: RequestPolicy,
    ) -> GraphqlResponse {
        if !self.options.deduplicate_inbound {
            return self.run(&request, &forwarded_headers, policy).await;
        }
        let prepared = self.prepared(&request.query);
        let is_query = match &prepared.document {
            Ok(document) => {
                operation::select_operation(document, request.operation_name.as_deref())
                    .is_ok_and(|o| o.operation_type == OperationType::Query)
            }
            Err(_) => false,
        };
        if !is_query {
            return self
                .run_prepared(prepared, &request, &forwarded_headers, policy)
                .await;
        }
        let key = InboundKey {
            document: prepared.id,
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_vec(&request.variables).unwrap_or_default(),
            headers: forwarded_headers
                .iter()
                .filter(|(n, _)| n.as_str() != "traceparent")
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            policy,
        };
        let shared: SharedRun = {
            let mut inflight = lock(&self.inflight);
            match inflight.get(&key).and_then(WeakShared::upgrade) {
                Some(running) => running,
                None => {
                    if inflight.len() >= INFLIGHT_SWEEP {
                        inflight.retain(|_, weak| weak.upgrade().is_some());
                    }
                    let pipeline = Arc::clone(self);
                    let own_key = key.clone();
                    let run = async move {
                        let response = pipeline
                            .run_prepared(prepared, &request, &forwarded_headers, policy)
                            .await;
                        lock(&pipeline.inflight).remove(&own_key);
                        response
                    }
                    .boxed()
                    .shared();
                    if let Some(weak) = run.downgrade() {
                        inflight.insert(key, weak);
                    }
                    run
                }
            }
        };
        shared.await
    }

    /// Runs one request.
    pub async fn run(
        &self,
        request: &GraphqlRequest,
        forwarded_headers: &HeaderMap,
        policy: RequestPolicy,
    ) -> GraphqlResponse {
        self.run_prepared(
            self.prepared(&request.query),
            request,
            forwarded_headers,
            policy,
        )
        .await
    }

    async fn run_prepared(
        &self,
        prepared: Arc<PreparedDocument>,
        request: &GraphqlRequest,
        forwarded_headers: &HeaderMap,
        policy: RequestPolicy,
    ) -> GraphqlResponse {
        let request_error = |errors: Vec<GraphqlError>| GraphqlResponse::request_error(&errors);
        let document = match &prepared.document {
            Ok(document) => document,
            Err(errors) => return request_error(errors.clone()),
        };
        let operation =
            match operation::select_operation(document, request.operation_name.as_deref()) {
                Ok(operation) => operation,
                Err(error) => return request_error(vec![error]),
            };
        if let Some((_, Err(error))) = prepared.checks.iter().find(|(n, _)| *n == operation.name) {
            return request_error(vec![error.clone()]);
        }
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
        let plan_key = (
            prepared.id,
            request.operation_name.clone(),
            conditions,
            labels,
        );
        let planned = match self.plans.get(&plan_key) {
            Some(planned) => planned,
            None => {
                let planned = Arc::new(self.plan(document, operation, &variables, labels));
                self.plans.insert(plan_key, planned.clone());
                planned
            }
        };
        let planned = match &planned.result {
            Ok(planned) => planned,
            Err(error) => return request_error(vec![error.clone()]),
        };
        let estimated_cost = if self.options.cost.enabled {
            let cost = match planned.fixed_cost {
                Some(cost) => cost,
                None => {
                    self.cost_model
                        .estimate(&self.supergraph.api_schema, &planned.operation, &variables)
                        .cost
                }
            };
            if cost > self.options.cost.max_cost {
                return request_error(vec![cost::too_expensive(cost, self.options.cost.max_cost)]);
            }
            Some(cost)
        } else {
            None
        };
        let plan = &planned.plan;

        let mut errors = Vec::new();
        let introspection = if planned.operation.has_introspection {
            if !self.options.introspection {
                return request_error(vec![GraphqlError::new(
                    "introspection is disabled",
                    codes::INTROSPECTION_DISABLED,
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
            max_response_bytes: self.options.max_response_bytes,
            expose_errors: self.options.expose_subgraph_errors,
            client_address: policy.client_address,
        };
        let result = execute::execute(&context, plan, &variables).await;
        errors.extend(result.errors);
        let capacity = planned.last_response_bytes.load(Ordering::Relaxed) + 256;
        let written = respond::write_response(
            capacity,
            &self.supergraph.api_schema,
            &planned.operation,
            &result.tree,
            errors,
            &result.failed_paths,
            introspection.as_ref(),
        );
        if written.body.len() > self.options.max_response_bytes {
            let mut response = request_error(vec![GraphqlError::new(
                format!(
                    "the response would be larger than {} bytes",
                    self.options.max_response_bytes
                ),
                codes::RESPONSE_TOO_LARGE,
            )]);
            response.is_request_error = false;
            return response;
        }
        planned
            .last_response_bytes
            .store(written.body.len(), Ordering::Relaxed);
        GraphqlResponse {
            body: Bytes::from(written.body),
            is_request_error: false,
            has_errors: written.has_errors,
            plan: policy.want_plan.then(|| plan.to_string()),
            estimated_cost,
            // The root object is not counted in estimates either.
            actual_cost: Some(written.objects.saturating_sub(1)),
        }
    }

    /// Normalises (within the selection budget), estimates the cost when it does not depend on
    /// variables (refusing at once when it is too high), and plans.
    fn plan(
        &self,
        document: &Valid<ExecutableDocument>,
        operation: &Node<Operation>,
        variables: &JsonMap,
        labels: LabelSet,
    ) -> PlannedOperation {
        let failed = |error: GraphqlError| PlannedOperation {
            result: Err(error),
            weight: 1024,
        };
        let normalized = match normalize::normalize(
            &self.supergraph,
            document,
            operation,
            variables,
            self.options.limits.max_selections,
        ) {
            Ok(normalized) => normalized,
            Err(error) => return failed(error),
        };
        let mut fixed_cost = None;
        if self.options.cost.enabled {
            let estimate =
                self.cost_model
                    .estimate(&self.supergraph.api_schema, &normalized, variables);
            if !estimate.uses_variables {
                if estimate.cost > self.options.cost.max_cost {
                    return failed(cost::too_expensive(
                        estimate.cost,
                        self.options.cost.max_cost,
                    ));
                }
                fixed_cost = Some(estimate.cost);
            }
        }
        let plan = match plan::build_plan(&self.supergraph, &normalized, labels) {
            Ok(plan) => plan,
            Err(e) => {
                tracing::warn!(error = %e, "cannot plan an operation");
                return failed(GraphqlError::new(
                    e.client_message(),
                    codes::QUERY_PLANNING_FAILED,
                ));
            }
        };
        let weight = weight(
            1024 + normalized.selections * 512
                + plan
                    .fetches
                    .iter()
                    .map(|f| 512 + f.operation_json.len() * 2)
                    .sum::<usize>(),
        );
        PlannedOperation {
            result: Ok(Planned {
                operation: normalized,
                plan,
                fixed_cost,
                last_response_bytes: AtomicUsize::new(4096),
            }),
            weight,
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
    let limits = OperationLimits::default();
    let document = operation::parse_and_validate(&supergraph.api_schema, query, limits.max_tokens)
        .map_err(describe)?;
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
    let normalized = normalize::normalize(
        supergraph,
        &document,
        operation,
        &variables,
        limits.max_selections,
    )
    .map_err(|e| describe(vec![e]))?;
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
