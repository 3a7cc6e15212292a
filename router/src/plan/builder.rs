//! The planner. It walks the normalised operation from the root, keeping track of the subgraph that
//! resolves each position. A field the current subgraph can resolve goes into the current fetch; any
//! other field makes an entity jump: an `_entities` fetch to a subgraph that can resolve it, keyed by a
//! `@key` the current subgraph can provide, with its `@requires` planned first as internal selections
//! (which may jump themselves). Fetches to the same subgraph at the same path from the same parent are
//! shared, and among candidate subgraphs the planner prefers one already fetched, then the one that
//! covers the most fields.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use apollo_compiler::ast::{self, OperationType};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Node};
use indexmap::IndexMap;

use super::selection::{FetchSelection, InputField, InputSelection, Step};
use super::{EntityFetch, Fetch, INTERNAL_KEY_PREFIX, PathStep, QueryPlan};
use crate::operation::{Field, FieldKind, FieldSet, NormalizedOperation, SubSelection};
use crate::supergraph::{
    FieldSelection, LabelSet, SelectionItem, SubgraphId, Supergraph, TypeKind,
};

/// How deep `@requires`/`@key` planning may recurse before the planner gives up.
const MAX_INTERNAL_DEPTH: usize = 16;
/// How many entity jumps a key may need before it is usable (keys fetched to reach other keys).
const MAX_KEY_HOPS: usize = 4;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("no subgraph can resolve {type_name}.{field} at {path}")]
    Unsatisfiable {
        type_name: String,
        field: String,
        path: String,
    },
    #[error("no key of {type_name} in {subgraph} can be provided at {path}")]
    NoKey {
        type_name: String,
        subgraph: String,
        path: String,
    },
    #[error("requirements nest deeper than {MAX_INTERNAL_DEPTH} levels at {type_name}")]
    TooDeep { type_name: String },
    #[error("the schema has no {0} root type")]
    NoRootType(&'static str),
}

type GroupId = usize;

/// A fetch being built.
#[derive(Debug, Clone)]
struct Group {
    subgraph: SubgraphId,
    /// `Some` for root operations.
    root_kind: Option<OperationType>,
    /// Where the objects of an entity fetch are (several once fetches are merged).
    paths: Vec<Vec<PathStep>>,
    /// For each path, the response keys the fetch fills there (filled in when fetches are merged).
    path_keys: Vec<Vec<Name>>,
    selection: FetchSelection,
    inputs: Vec<(Name, InputSelection)>,
    deps: BTreeSet<GroupId>,
}

/// The `@requires` of one field, planned: what its representation carries and which groups fetch it.
#[derive(Debug)]
struct Requirement {
    inputs: InputSelection,
    touched: BTreeSet<GroupId>,
}

/// Where the planner stands: a concrete type, resolved by one subgraph, inside one fetch.
#[derive(Debug, Clone)]
struct Position {
    group: GroupId,
    subgraph: SubgraphId,
    type_name: Name,
    /// Where in the group's selection this position's fields go.
    cursor: Vec<Step>,
    /// Path of this position in the response tree.
    path: Vec<PathStep>,
    /// Fields of this type that the subgraph provides here (`@provides`) although they are external.
    provided: Option<Arc<FieldSelection>>,
    /// The client's fields at this position, if the client selects anything here.
    client: Option<Arc<FieldSet>>,
}

impl Position {
    /// The root of the operation, in `group` on `subgraph`.
    fn root(group: GroupId, subgraph: SubgraphId, root: &Arc<FieldSet>) -> Position {
        Position {
            group,
            subgraph,
            type_name: root.type_name.clone(),
            cursor: Vec::new(),
            path: Vec::new(),
            provided: None,
            client: Some(root.clone()),
        }
    }
}

/// Builds the plan for `operation` with the given progressive-override labels active.
pub fn build_plan(
    supergraph: &Supergraph,
    operation: &NormalizedOperation,
    labels: LabelSet,
) -> Result<QueryPlan, PlanError> {
    let mut planner = Planner {
        supergraph,
        labels,
        operation,
        groups: Vec::new(),
        entity_groups: HashMap::new(),
        plannable_memo: HashMap::new(),
        internal_depth: 0,
        key_targets: Vec::new(),
        unplannable: None,
    };
    planner.plan_root()?;
    Ok(planner.finish())
}

struct Planner<'a> {
    supergraph: &'a Supergraph,
    labels: LabelSet,
    operation: &'a NormalizedOperation,
    groups: Vec<Group>,
    /// (parent group, path, subgraph) → the entity groups there, in creation order. Usually one; a
    /// second one is made when the first cannot take a field (see [`Planner::entity_group`]).
    entity_groups: HashMap<(GroupId, Vec<PathStep>, SubgraphId), Vec<GroupId>>,
    /// (subgraph, field set address) → whether the subgraph can plan the set.
    plannable_memo: HashMap<(SubgraphId, usize), bool>,
    internal_depth: usize,
    /// Subgraphs whose keys are being planned: they cannot be jumped to for their own key fields.
    key_targets: Vec<SubgraphId>,
    /// The field the last failed feasibility check gave up on, for planning errors.
    unplannable: Option<(Name, Name)>,
}

impl Planner<'_> {
    fn plan_root(&mut self) -> Result<(), PlanError> {
        let kind = self.operation.kind;
        let root = self.operation.root.clone();
        let kind_name = match kind {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        if self.supergraph.root_type(kind).is_none() {
            return Err(PlanError::NoRootType(kind_name));
        }
        let mut query_groups: HashMap<SubgraphId, GroupId> = HashMap::new();
        let mut last_mutation_group: Option<GroupId> = None;
        for field in &root.fields {
            if field.kind != FieldKind::Regular {
                continue;
            }
            // A field no single subgraph can serve (a shareable value type whose fields are spread
            // over subgraphs) is split: each part goes to a subgraph that resolves it.
            let mut pending = vec![field.clone()];
            let mut used: Vec<SubgraphId> = Vec::new();
            while let Some(field) = pending.pop() {
                let (subgraph, part) = match self.choose_root_subgraph(&root, &field, &query_groups)
                {
                    Ok(subgraph) => (subgraph, field),
                    Err(error) => {
                        let Some((subgraph, part, residual)) =
                            self.split_root_field(&root, &field, &used)
                        else {
                            return Err(error);
                        };
                        pending.push(residual);
                        (subgraph, part)
                    }
                };
                used.push(subgraph);
                let group = match kind {
                    OperationType::Mutation => match last_mutation_group {
                        // Consecutive mutation fields on one subgraph run in one operation, in order.
                        Some(g) if self.groups[g].subgraph == subgraph => g,
                        _ => {
                            let deps: BTreeSet<GroupId> = (0..self.groups.len()).collect();
                            let g = self.new_group(subgraph, Some(kind), Vec::new(), deps);
                            last_mutation_group = Some(g);
                            g
                        }
                    },
                    _ => match query_groups.get(&subgraph) {
                        Some(&g) => g,
                        None => {
                            let g =
                                self.new_group(subgraph, Some(kind), Vec::new(), BTreeSet::new());
                            query_groups.insert(subgraph, g);
                            g
                        }
                    },
                };
                let position = Position::root(group, subgraph, &root);
                let mut touched = BTreeSet::new();
                self.add_local(&position, &part, false, &mut touched)?;
            }
        }
        Ok(())
    }

    /// For a root field no single subgraph can serve: the candidate (not yet used for it) whose part
    /// covers the most, that part, and the rest.
    fn split_root_field(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        used: &[SubgraphId],
    ) -> Option<(SubgraphId, Field, Field)> {
        let candidates: Vec<SubgraphId> = self
            .supergraph
            .field_info(&root.type_name, &field.name)?
            .resolvable_with(self.labels)
            .iter()
            .filter(|s| !used.contains(s))
            .collect();
        let mut best: Option<(SubgraphId, Field, Field, usize)> = None;
        for subgraph in candidates {
            let position = self.probe_position(subgraph, &root.type_name, None);
            if let Some((part, residual)) = self.split_field(&position, field) {
                let coverage = count_fields(&part);
                if best.as_ref().is_none_or(|(_, _, _, c)| coverage > *c) {
                    best = Some((subgraph, part, residual, coverage));
                }
            }
        }
        best.map(|(s, part, residual, _)| (s, part, residual))
    }

    /// A position for feasibility checks (not inside any fetch).
    fn probe_position(
        &self,
        subgraph: SubgraphId,
        type_name: &Name,
        provided: Option<&FieldSelection>,
    ) -> Position {
        Position {
            group: 0,
            subgraph,
            type_name: type_name.clone(),
            cursor: Vec::new(),
            path: Vec::new(),
            provided: provided.map(|p| Arc::new(p.clone())),
            client: None,
        }
    }

    /// Splits a composite field the position's subgraph resolves but cannot serve entirely: the part
    /// it can serve (fields it resolves, and fields reachable from it through entity jumps) and the
    /// rest, which another subgraph resolving the same field must serve. `None` when the subgraph can
    /// serve nothing below the field, or everything.
    fn split_field(&mut self, position: &Position, field: &Field) -> Option<(Field, Field)> {
        let selection = field.selection.as_ref()?;
        let subgraph = position.subgraph;
        let provided = provided_below(
            self.supergraph,
            &position.type_name,
            field,
            subgraph,
            position.provided.as_deref(),
        );
        let possible = self.possible_types_below(&position.type_name, field, subgraph);
        let mut part_sets = Vec::new();
        let mut rest_sets = Vec::new();
        for set in selection.field_sets() {
            if selection.is_abstract() && !possible.contains(&set.type_name) {
                rest_sets.push(set.clone());
                part_sets.push(Arc::new(FieldSet {
                    type_name: set.type_name.clone(),
                    fields: Vec::new(),
                }));
                continue;
            }
            let child = self.probe_position(subgraph, &set.type_name, provided.as_ref());
            let mut part = Vec::new();
            let mut rest = Vec::new();
            for child_field in &set.fields {
                if child_field.kind != FieldKind::Regular {
                    part.push(child_field.clone());
                    continue;
                }
                let local = self.is_local(&child, child_field);
                let served = if local {
                    self.children_plannable(
                        subgraph,
                        &set.type_name,
                        child_field,
                        provided.as_ref(),
                    )
                } else {
                    (0..self.supergraph.subgraphs.len())
                        .any(|target| self.can_jump(&child, child_field, target))
                };
                if served {
                    part.push(child_field.clone());
                } else if local && let Some((p, r)) = self.split_field(&child, child_field) {
                    part.push(p);
                    rest.push(r);
                } else {
                    rest.push(child_field.clone());
                }
            }
            // Only a value type is split field by field; an entity's fields that this subgraph
            // cannot serve are reached through its keys, or not at all.
            if !rest.is_empty() && self.is_entity(&set.type_name) {
                return None;
            }
            let regular_part = part.iter().any(|f| f.kind == FieldKind::Regular);
            if !rest.is_empty() || !regular_part {
                rest_sets.push(Arc::new(FieldSet {
                    type_name: set.type_name.clone(),
                    fields: rest,
                }));
            }
            part_sets.push(Arc::new(FieldSet {
                type_name: set.type_name.clone(),
                fields: part,
            }));
        }
        let has_part = part_sets
            .iter()
            .any(|s| s.fields.iter().any(|f| f.kind == FieldKind::Regular));
        let has_rest = rest_sets.iter().any(|s| !s.fields.is_empty());
        if !has_part || !has_rest {
            return None;
        }
        let rebuild = |sets: Vec<Arc<FieldSet>>| {
            let mut out = field.clone();
            out.selection = Some(if selection.is_abstract() {
                SubSelection::Abstract(sets)
            } else {
                SubSelection::Concrete(sets.into_iter().next().unwrap_or_else(|| {
                    Arc::new(FieldSet {
                        type_name: field.ty.inner_named_type().clone(),
                        fields: Vec::new(),
                    })
                }))
            });
            out
        };
        Some((rebuild(part_sets), rebuild(rest_sets)))
    }

    /// Whether any subgraph has a `@key` for the type.
    fn is_entity(&self, type_name: &Name) -> bool {
        self.supergraph
            .type_info(type_name)
            .is_some_and(|t| t.joins.iter().any(|j| j.key.is_some()))
    }

    fn new_group(
        &mut self,
        subgraph: SubgraphId,
        root_kind: Option<OperationType>,
        path: Vec<PathStep>,
        deps: BTreeSet<GroupId>,
    ) -> GroupId {
        self.groups.push(Group {
            subgraph,
            root_kind,
            paths: if root_kind.is_some() {
                Vec::new()
            } else {
                vec![path]
            },
            path_keys: Vec::new(),
            selection: FetchSelection::default(),
            inputs: Vec::new(),
            deps,
        });
        self.groups.len() - 1
    }

    /// The subgraph that serves a root field: among those that resolve it and can plan everything
    /// below it, the one whose plan needs the fewest fetches (a subgraph that `@provides` the whole
    /// selection beats one that needs an entity jump), then one already fetched, then the one that
    /// resolves the most fields itself.
    fn choose_root_subgraph(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        existing: &HashMap<SubgraphId, GroupId>,
    ) -> Result<SubgraphId, PlanError> {
        let info = self.supergraph.field_info(&root.type_name, &field.name);
        let resolving: Vec<SubgraphId> = info
            .map(|i| i.resolvable_with(self.labels).iter().collect())
            .unwrap_or_default();
        let mut candidates = resolving.clone();
        candidates
            .retain(|&subgraph| self.children_plannable(subgraph, &root.type_name, field, None));
        let unsatisfiable = || PlanError::Unsatisfiable {
            type_name: root.type_name.to_string(),
            field: field.name.to_string(),
            path: String::from("(root)"),
        };
        if candidates.is_empty() {
            return Err(self
                .explain_unplannable(root, field, &resolving)
                .unwrap_or_else(unsatisfiable));
        }
        if candidates.len() == 1 {
            return Ok(candidates[0]);
        }
        // (fewer fetches, already fetched, more fields resolved there)
        type Score = (std::cmp::Reverse<usize>, bool, usize);
        let mut best: Option<(SubgraphId, Score)> = None;
        for subgraph in candidates {
            let Some(fetches) = self.trial_fetches(root, field, subgraph, existing) else {
                continue;
            };
            let score = (
                std::cmp::Reverse(fetches),
                existing.contains_key(&subgraph),
                self.local_coverage(subgraph, field),
            );
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((subgraph, score));
            }
        }
        best.map(|(s, _)| s).ok_or_else(unsatisfiable)
    }

    /// Names the field below the root `field` that no subgraph can serve, from the first subgraph
    /// that resolves the root field: the innermost field the feasibility check gave up on.
    fn explain_unplannable(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        resolving: &[SubgraphId],
    ) -> Option<PlanError> {
        let &subgraph = resolving.first()?;
        // Memoised answers would skip the places where the check gives up.
        self.plannable_memo.clear();
        self.unplannable = None;
        self.children_plannable(subgraph, &root.type_name, field, None);
        let (type_name, inner) = self.unplannable.take()?;
        Some(PlanError::Unsatisfiable {
            type_name: type_name.to_string(),
            field: inner.to_string(),
            path: field.response_key.to_string(),
        })
    }

    /// How many new fetches planning the root `field` on `subgraph` would make (`None` when it
    /// cannot be planned there). The planner's state is restored afterwards.
    fn trial_fetches(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        subgraph: SubgraphId,
        existing: &HashMap<SubgraphId, GroupId>,
    ) -> Option<usize> {
        let saved_groups = self.groups.clone();
        let saved_entity_groups = self.entity_groups.clone();
        let group = match existing.get(&subgraph) {
            Some(&group) => group,
            None => self.new_group(
                subgraph,
                Some(self.operation.kind),
                Vec::new(),
                BTreeSet::new(),
            ),
        };
        let position = Position::root(group, subgraph, root);
        let mut touched = BTreeSet::new();
        let planned = self.add_local(&position, field, false, &mut touched);
        let created = self.groups.len() - saved_groups.len();
        self.groups = saved_groups;
        self.entity_groups = saved_entity_groups;
        planned.ok().map(|_| created)
    }

    /// How many fields below `field` `subgraph` resolves without leaving it.
    fn local_coverage(&self, subgraph: SubgraphId, field: &Field) -> usize {
        let Some(selection) = &field.selection else {
            return 0;
        };
        selection
            .field_sets()
            .iter()
            .map(|set| {
                set.fields
                    .iter()
                    .filter(|f| {
                        f.kind != FieldKind::Regular
                            || self.supergraph.is_field_local(
                                &set.type_name,
                                &f.name,
                                subgraph,
                                self.labels,
                            )
                    })
                    .map(|f| 1 + self.local_coverage(subgraph, f))
                    .sum::<usize>()
            })
            .sum()
    }

    // ----- planning a field set at a position -----

    fn plan_field_set(
        &mut self,
        position: &Position,
        set: &Arc<FieldSet>,
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let mut residuals: Vec<Field> = Vec::new();
        let mut jumps: Vec<&Field> = Vec::new();
        for field in &set.fields {
            match field.kind {
                FieldKind::Introspection => {}
                FieldKind::Typename => {
                    if internal {
                        self.add_typename(position, touched);
                    }
                }
                FieldKind::Regular => {
                    if !self.is_local(position, field) {
                        let jumpable = (0..self.supergraph.subgraphs.len())
                            .any(|target| self.can_jump(position, field, target));
                        let parts = if jumpable {
                            None
                        } else {
                            self.split_across_jumps(position, field)
                        };
                        match parts {
                            // Parts of a shareable value from several subgraphs.
                            Some(parts) => residuals.extend(parts),
                            None => jumps.push(field),
                        }
                    } else if self.children_plannable(
                        position.subgraph,
                        &position.type_name,
                        field,
                        position.provided.as_deref(),
                    ) {
                        self.add_local(position, field, internal, touched)?;
                    } else if !(0..self.supergraph.subgraphs.len())
                        .any(|target| self.can_jump(position, field, target))
                        && let Some((part, rest)) = self.split_field(position, field)
                    {
                        // Part of a shareable value here, the rest from another subgraph.
                        self.add_local(position, &part, internal, touched)?;
                        residuals.push(rest);
                    } else {
                        jumps.push(field);
                    }
                }
            }
        }
        jumps.extend(residuals.iter());
        if !jumps.is_empty() {
            self.plan_jumps(position, &jumps, internal, touched)?;
        }
        Ok(())
    }

    fn add_typename(&mut self, position: &Position, touched: &mut BTreeSet<GroupId>) {
        let typename = Name::new_unchecked("__typename");
        self.groups[position.group]
            .selection
            .at_mut(&position.cursor)
            .add_field(&typename, &typename, &[], false);
        touched.insert(position.group);
    }

    /// Whether the position's subgraph resolves `field` itself, in the fetch it is in.
    fn is_local(&self, position: &Position, field: &Field) -> bool {
        let local = self.supergraph.is_field_local(
            &position.type_name,
            &field.name,
            position.subgraph,
            self.labels,
        );
        if local {
            // A field with @requires needs an entity fetch that carries its requirements.
            let requires = self
                .supergraph
                .field_info(&position.type_name, &field.name)
                .and_then(|info| info.requires_in(position.subgraph))
                .is_some();
            return !requires;
        }
        is_provided(
            position.provided.as_deref(),
            &position.type_name,
            &field.name,
            self.supergraph,
        )
    }

    /// Adds `field` to the position's fetch and plans what is below it.
    fn add_local(
        &mut self,
        position: &Position,
        field: &Field,
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let key = self.response_key(position, field, internal);
        let composite = field.selection.is_some();
        self.groups[position.group]
            .selection
            .at_mut(&position.cursor)
            .add_field(&key, &field.name, &field.arguments, composite);
        touched.insert(position.group);
        let Some(selection) = &field.selection else {
            return Ok(());
        };
        let mut path = position.path.clone();
        path.push(PathStep::Key(key.clone()));
        path.extend(std::iter::repeat_n(PathStep::List, list_depth(&field.ty)));
        let mut cursor = position.cursor.clone();
        cursor.push(Step::Field(key.clone()));
        let field_type = field.ty.inner_named_type();
        let provided = self.child_provided(position, field);
        let client_selection = client_sub_selection(position.client.as_deref(), &key, field);
        if selection.is_abstract() {
            let typename = Name::new_unchecked("__typename");
            self.groups[position.group]
                .selection
                .at_mut(&cursor)
                .add_field(&typename, &typename, &[], false);
        }
        if selection.is_abstract() && self.is_interface_object(field_type, position.subgraph) {
            return self.add_interface_object_selection(
                position,
                field_type,
                selection,
                cursor,
                path,
                provided,
                client_selection.as_ref(),
                internal,
                touched,
            );
        }
        // The type conditions sent are the members this subgraph knows for the field's type
        // (`@join__unionMember`, `@join__implements`), also when the field is `@shareable` and
        // another subgraph resolving it knows other members. The members are not intersected over
        // the subgraphs sharing the field (reading `@shareable` as "every subgraph answers alike"):
        // an object of a member only this subgraph knows can still come back from it, and a
        // dropped type condition would answer its fields with a silent null.
        let narrowed = self.object_type_in_subgraph(&position.type_name, field, position.subgraph);
        let possible = self.possible_types_below(&position.type_name, field, position.subgraph);
        for set in selection.field_sets() {
            let mut child_cursor = cursor.clone();
            if selection.is_abstract() {
                if !possible.contains(&set.type_name) || set.fields.is_empty() {
                    continue;
                }
                // Where the subgraph's type is the object itself, a type condition would be
                // invalid there (and is not needed).
                if narrowed.is_none() {
                    child_cursor.push(Step::Fragment(set.type_name.clone()));
                }
            }
            let child = Position {
                group: position.group,
                subgraph: position.subgraph,
                type_name: set.type_name.clone(),
                cursor: child_cursor,
                path: path.clone(),
                provided: provided.clone(),
                client: client_selection
                    .as_ref()
                    .and_then(|s| s.for_type(&set.type_name).cloned()),
            };
            self.plan_field_set(&child, set, internal, touched)?;
        }
        Ok(())
    }

    /// The object types `field` of `parent_type` can return in `subgraph`: those of its type
    /// there, which may be narrower than the supergraph's (`@join__field(type:)`).
    fn possible_types_below(
        &self,
        parent_type: &Name,
        field: &Field,
        subgraph: SubgraphId,
    ) -> Vec<Name> {
        match self.object_type_in_subgraph(parent_type, field, subgraph) {
            Some(object) => vec![object],
            None => self
                .supergraph
                .possible_types_in(field.ty.inner_named_type(), subgraph),
        }
    }

    /// The object type `field` has in `subgraph` when the supergraph gives it an abstract type
    /// (`Film` in the subgraph, the union `Show` in the supergraph).
    fn object_type_in_subgraph(
        &self,
        parent_type: &Name,
        field: &Field,
        subgraph: SubgraphId,
    ) -> Option<Name> {
        let supergraph_type = field.ty.inner_named_type();
        let declared = self
            .supergraph
            .field_info(parent_type, &field.name)?
            .join_in(subgraph)?
            .type_in_subgraph
            .as_deref()?;
        let name = declared.trim_matches(|c| c == '[' || c == ']' || c == '!');
        let info = self.supergraph.type_info(name)?;
        (info.kind == TypeKind::Object && name != supergraph_type.as_str())
            .then(|| info.name.clone())
    }

    fn is_interface_object(&self, type_name: &str, subgraph: SubgraphId) -> bool {
        self.supergraph
            .type_info(type_name)
            .is_some_and(|t| t.kind == TypeKind::Interface && t.is_interface_object_in(subgraph))
    }

    /// The selection below a field whose type the position's subgraph knows only as an
    /// `@interfaceObject`: its objects come back with the interface as `__typename`. Fields every
    /// implementation selects alike are planned on the interface itself; when the client needs the
    /// concrete type (its `__typename` or type-specific fields), an entity fetch to the subgraph that
    /// owns the interface (a resolvable `@key` on it) turns each object into its concrete type.
    #[allow(clippy::too_many_arguments)]
    fn add_interface_object_selection(
        &mut self,
        position: &Position,
        interface: &Name,
        selection: &SubSelection,
        cursor: Vec<Step>,
        path: Vec<PathStep>,
        provided: Option<Arc<FieldSelection>>,
        client_selection: Option<&SubSelection>,
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let sets = selection.field_sets();
        let Some(first) = sets.first() else {
            return Ok(());
        };
        let interface_fields = self
            .supergraph
            .type_info(interface)
            .map(|t| t.fields.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let common: Vec<Field> = first
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Regular && interface_fields.contains(&f.name))
            .filter(|f| sets.iter().all(|set| set.fields.contains(f)))
            .cloned()
            .collect();
        let needs_concrete = sets.iter().any(|set| {
            set.fields
                .iter()
                .any(|f| f.kind == FieldKind::Typename || !common.contains(f))
        });
        let common_set = Arc::new(FieldSet {
            type_name: interface.clone(),
            fields: common,
        });
        let on_interface = Position {
            group: position.group,
            subgraph: position.subgraph,
            type_name: interface.clone(),
            cursor,
            path: path.clone(),
            provided,
            client: client_selection.and_then(|s| s.field_sets().first().cloned()),
        };
        self.plan_field_set(&on_interface, &common_set, internal, touched)?;
        if !needs_concrete {
            return Ok(());
        }
        let owner = (0..self.supergraph.subgraphs.len()).find(|&g| {
            !self.is_interface_object(interface, g)
                && self
                    .supergraph
                    .type_info(interface)
                    .is_some_and(|t| t.keys_in(g).next().is_some())
        });
        let Some(owner) = owner else {
            return Err(PlanError::Unsatisfiable {
                type_name: interface.to_string(),
                field: String::from("__typename"),
                path: display_path(&path),
            });
        };
        let group = self.entity_group(&on_interface, owner, None)?;
        touched.insert(group);
        let typename = Name::new_unchecked("__typename");
        let interface_cursor = vec![Step::Fragment(interface.clone())];
        self.groups[group]
            .selection
            .at_mut(&interface_cursor)
            .add_field(&typename, &typename, &[], false);
        for set in sets {
            let specific: Vec<Field> = set
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Regular && !common_set.fields.contains(f))
                .cloned()
                .collect();
            if specific.is_empty() {
                continue;
            }
            let mut concrete_cursor = interface_cursor.clone();
            concrete_cursor.push(Step::Fragment(set.type_name.clone()));
            let concrete = Position {
                group,
                subgraph: owner,
                type_name: set.type_name.clone(),
                cursor: concrete_cursor,
                path: path.clone(),
                provided: None,
                client: client_selection.and_then(|s| s.for_type(&set.type_name).cloned()),
            };
            let specific_set = Arc::new(FieldSet {
                type_name: set.type_name.clone(),
                fields: specific,
            });
            self.plan_field_set(&concrete, &specific_set, internal, touched)?;
        }
        Ok(())
    }

    /// The interface through which `subgraph` resolves `field` for objects of `type_name` when it
    /// knows that interface only as an `@interfaceObject` (and not the type itself).
    fn interface_object_route(
        &self,
        type_name: &Name,
        field: &Name,
        subgraph: SubgraphId,
    ) -> Option<Name> {
        let object = self.supergraph.schema.get_object(type_name)?;
        object
            .implements_interfaces
            .iter()
            .map(|i| i.name.clone())
            .find(|interface| {
                self.is_interface_object(interface, subgraph)
                    && self
                        .supergraph
                        .field_info(interface, field)
                        .is_some_and(|info| info.resolvable_with(self.labels).contains(subgraph))
            })
    }

    /// The type under which objects of `type_name` are sent to `subgraph`: the type itself, or the
    /// `@interfaceObject` interface standing for it there.
    fn entity_type_in(&self, type_name: &Name, subgraph: SubgraphId) -> Name {
        let defined = self
            .supergraph
            .type_info(type_name)
            .is_some_and(|t| t.defined_in.contains(subgraph));
        if defined {
            return type_name.clone();
        }
        self.supergraph
            .schema
            .get_object(type_name)
            .and_then(|object| {
                object
                    .implements_interfaces
                    .iter()
                    .find(|i| self.is_interface_object(&i.name, subgraph))
                    .map(|i| i.name.clone())
            })
            .unwrap_or_else(|| type_name.clone())
    }

    /// What the subgraph provides below `field`: the rest of the position's provided selection, and
    /// the field's own `@provides`.
    fn child_provided(&self, position: &Position, field: &Field) -> Option<Arc<FieldSelection>> {
        provided_below(
            self.supergraph,
            &position.type_name,
            field,
            position.subgraph,
            position.provided.as_deref(),
        )
        .map(Arc::new)
    }

    /// The response key of `field` at `position`: the client's own key, or for fields the planner adds,
    /// the field name unless the client uses that key for something else.
    fn response_key(&self, position: &Position, field: &Field, internal: bool) -> Name {
        if internal {
            internal_key(position.client.as_deref(), &field.name, &field.arguments)
        } else {
            field.response_key.clone()
        }
    }

    // ----- entity jumps -----

    fn plan_jumps(
        &mut self,
        position: &Position,
        fields: &[&Field],
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let mut remaining: Vec<&Field> = fields.to_vec();
        while !remaining.is_empty() {
            let mut best: Option<(SubgraphId, Vec<usize>, (bool, usize))> = None;
            for subgraph in 0..self.supergraph.subgraphs.len() {
                let covered: Vec<usize> = remaining
                    .iter()
                    .enumerate()
                    .filter(|(_, field)| self.can_jump(position, field, subgraph))
                    .map(|(i, _)| i)
                    .collect();
                if covered.is_empty() {
                    continue;
                }
                let existing = self.entity_groups.contains_key(&(
                    position.group,
                    position.path.clone(),
                    subgraph,
                ));
                let score = (existing, covered.len());
                if best.as_ref().is_none_or(|(_, _, s)| score > *s) {
                    best = Some((subgraph, covered, score));
                }
            }
            let Some((subgraph, covered, _)) = best else {
                let field = remaining[0];
                return Err(PlanError::Unsatisfiable {
                    type_name: position.type_name.to_string(),
                    field: field.name.to_string(),
                    path: display_path(&position.path),
                });
            };
            let entity_type = self.entity_type_in(&position.type_name, subgraph);
            for &index in &covered {
                let field = remaining[index];
                let requirement = self.plan_requirements(position, field, subgraph)?;
                let group = self.entity_group(position, subgraph, requirement.as_ref())?;
                let entity_position = Position {
                    group,
                    subgraph,
                    type_name: entity_type.clone(),
                    cursor: vec![Step::Fragment(entity_type.clone())],
                    path: position.path.clone(),
                    provided: None,
                    client: position.client.clone(),
                };
                self.add_local(&entity_position, field, internal, touched)?;
                touched.insert(group);
            }
            let mut index = 0;
            remaining.retain(|_| {
                let keep = !covered.contains(&index);
                index += 1;
                keep
            });
        }
        Ok(())
    }

    /// Whether `field` at `position` can be fetched from `subgraph` through an entity jump.
    fn can_jump(&mut self, position: &Position, field: &Field, subgraph: SubgraphId) -> bool {
        if !self.can_enter(position, field, subgraph) {
            return false;
        }
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        self.children_plannable(subgraph, &entity_type, field, None)
    }

    /// Whether an entity jump from `position` to `subgraph` can reach `field` itself (a key, the
    /// field resolvable there, its requirements plannable), whatever is selected below it.
    fn can_enter(&mut self, position: &Position, field: &Field, subgraph: SubgraphId) -> bool {
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let Some(info) = self.supergraph.field_info(&entity_type, &field.name) else {
            return false;
        };
        if !info.resolvable_with(self.labels).contains(subgraph) {
            return false;
        }
        if entity_type != position.type_name
            && self
                .interface_object_route(&position.type_name, &field.name, subgraph)
                .is_none()
        {
            return false;
        }
        let requires = info.requires_in(subgraph).cloned();
        if subgraph == position.subgraph && requires.is_none() {
            return false;
        }
        if self.key_targets.contains(&subgraph) {
            return false;
        }
        if self.reachable_key(position, subgraph).is_none() {
            return false;
        }
        if let Some(requires) = requires {
            if self.internal_depth >= MAX_INTERNAL_DEPTH {
                return false;
            }
            let set = self.internal_field_set(&position.type_name, &requires);
            self.internal_depth += 1;
            let ok = self.set_plannable(position.subgraph, &set, position.provided.as_deref());
            self.internal_depth -= 1;
            if !ok {
                return false;
            }
        }
        true
    }

    /// A field below which no single subgraph reachable by an entity jump can serve everything (a
    /// shareable value type whose fields are spread over subgraphs), split into parts that each
    /// one entity jump serves: the part the best subgraph serves, and so on with the rest. `None`
    /// when no such split exists.
    fn split_across_jumps(&mut self, position: &Position, field: &Field) -> Option<Vec<Field>> {
        let subgraphs = self.supergraph.subgraphs.len();
        let mut parts = Vec::new();
        let mut rest = field.clone();
        for _ in 0..subgraphs {
            if (0..subgraphs).any(|target| self.can_jump(position, &rest, target)) {
                parts.push(rest);
                return Some(parts);
            }
            let mut best: Option<(Field, Field, usize)> = None;
            for target in 0..subgraphs {
                if !self.can_enter(position, &rest, target) {
                    continue;
                }
                let entity_type = self.entity_type_in(&position.type_name, target);
                let probe = self.probe_position(target, &entity_type, None);
                if let Some((part, remaining)) = self.split_field(&probe, &rest) {
                    let coverage = count_fields(&part);
                    if best.as_ref().is_none_or(|(_, _, c)| coverage > *c) {
                        best = Some((part, remaining, coverage));
                    }
                }
            }
            let (part, remaining, _) = best?;
            parts.push(part);
            rest = remaining;
        }
        None
    }

    /// The entity fetch to `subgraph` for the objects at `position` that can take a field needing
    /// `requirement`, with the key of the position's type planned at this position and recorded as
    /// its inputs.
    ///
    /// Entity groups are keyed by (parent group, response path, subgraph). The first group there
    /// that can take the field is reused; a new group is made at the same key when every existing
    /// one either
    /// - is one the key or the requirement of this field is fetched by (or depends on such a
    ///   group): the requirement must come back before the field's fetch goes out, so the two
    ///   cannot be one fetch; or
    /// - already sends, for this type, a representation field under the same name but from a
    ///   different value (one field required with two argument sets): a representation has room
    ///   for one value per name.
    ///
    /// The key is planned at every position that uses the group, not only the first: the same
    /// path can be reached under several parent type conditions, and each must select the key.
    fn entity_group(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
        requirement: Option<&Requirement>,
    ) -> Result<GroupId, PlanError> {
        let key = self.choose_key(position, subgraph)?;
        let mut key_selection = (*key).clone();
        key_selection.items.insert(
            0,
            SelectionItem::Field {
                name: Name::new_unchecked("__typename"),
                arguments: Vec::new(),
                selection: None,
            },
        );
        let key_set = self.internal_field_set(&position.type_name, &key_selection);
        let mut key_touched = BTreeSet::new();
        self.key_targets.push(subgraph);
        let saved = std::mem::take(&mut self.plannable_memo);
        let planned = self.plan_internal(position, &key_set, &mut key_touched);
        self.plannable_memo = saved;
        self.key_targets.pop();
        planned?;
        let mut inputs = input_selection(position.client.as_deref(), &key_set);
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        if entity_type != position.type_name {
            inputs.as_type = Some(entity_type.clone());
        }
        if let Some(requirement) = requirement {
            inputs.merge(&requirement.inputs);
        }
        let map_key = (position.group, position.path.clone(), subgraph);
        let candidates = self
            .entity_groups
            .get(&map_key)
            .cloned()
            .unwrap_or_default();
        let found = candidates.into_iter().find(|&group| {
            let after_own_inputs = key_touched
                .iter()
                .chain(requirement.iter().flat_map(|r| r.touched.iter()))
                .any(|&t| self.depends_on(t, group));
            let conflicting = self.groups[group]
                .inputs
                .iter()
                .any(|(t, existing)| t == &position.type_name && existing.conflicts_with(&inputs));
            !after_own_inputs && !conflicting
        });
        let group = match found {
            Some(group) => group,
            None => {
                let group = self.new_group(
                    subgraph,
                    None,
                    position.path.clone(),
                    BTreeSet::from([position.group]),
                );
                self.entity_groups.entry(map_key).or_default().push(group);
                group
            }
        };
        let entry = &mut self.groups[group];
        entry.deps.extend(key_touched);
        if let Some(requirement) = requirement {
            entry.deps.extend(requirement.touched.iter().copied());
        }
        match entry
            .inputs
            .iter_mut()
            .find(|(t, _)| t == &position.type_name)
        {
            Some((_, existing)) => existing.merge(&inputs),
            None => entry.inputs.push((position.type_name.clone(), inputs)),
        }
        entry.selection.at_mut(&[Step::Fragment(entity_type)]);
        Ok(group)
    }

    /// Whether `group` is `target` or waits for it, directly or through other groups.
    fn depends_on(&self, group: GroupId, target: GroupId) -> bool {
        let mut stack = vec![group];
        let mut seen = BTreeSet::new();
        while let Some(g) = stack.pop() {
            if g == target {
                return true;
            }
            if seen.insert(g) {
                stack.extend(self.groups[g].deps.iter().copied().filter(|&d| d != g));
            }
        }
        false
    }

    fn choose_key(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Result<Arc<FieldSelection>, PlanError> {
        self.reachable_key(position, subgraph)
            .ok_or_else(|| PlanError::NoKey {
                type_name: position.type_name.to_string(),
                subgraph: self.supergraph.subgraphs[subgraph].name.clone(),
                path: display_path(&position.path),
            })
    }

    /// A resolvable key of the position's type in `subgraph` that can be obtained from the position:
    /// preferably one the position's subgraph provides itself, otherwise one whose fields further
    /// entity jumps can fetch first (a key the source lacks, reached through a third subgraph).
    fn reachable_key(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Option<Arc<FieldSelection>> {
        if let Some(key) = self.available_key(position, subgraph) {
            return Some(key);
        }
        if self.internal_depth >= MAX_KEY_HOPS {
            return None;
        }
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let keys: Vec<Arc<FieldSelection>> = self
            .supergraph
            .type_info(&entity_type)?
            .keys_in(subgraph)
            .cloned()
            .collect();
        self.internal_depth += 1;
        self.key_targets.push(subgraph);
        let found = keys.into_iter().find(|key| {
            let set = self.internal_field_set(&position.type_name, key);
            // Memoised answers were computed without this exclusion.
            let saved = std::mem::take(&mut self.plannable_memo);
            let ok = self.set_plannable(position.subgraph, &set, position.provided.as_deref());
            self.plannable_memo = saved;
            ok
        });
        self.key_targets.pop();
        self.internal_depth -= 1;
        found
    }

    /// The first resolvable key of the position's type in `subgraph` whose fields the position's own
    /// subgraph can provide.
    fn available_key(
        &self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Option<Arc<FieldSelection>> {
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let type_info = self.supergraph.type_info(&entity_type)?;
        type_info
            .keys_in(subgraph)
            .find(|key| {
                selection_local(
                    self.supergraph,
                    self.labels,
                    position.subgraph,
                    &position.type_name,
                    key,
                    position.provided.as_deref(),
                )
            })
            .cloned()
    }

    /// Plans the `@requires` of `field` in `subgraph` from `position`: what the representation must
    /// carry, and the fetches that provide it (the field's fetch waits for them).
    fn plan_requirements(
        &mut self,
        position: &Position,
        field: &Field,
        subgraph: SubgraphId,
    ) -> Result<Option<Requirement>, PlanError> {
        // An `@interfaceObject` field's requirement lives on the interface in that subgraph.
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let Some(requires) = self
            .supergraph
            .field_info(&entity_type, &field.name)
            .and_then(|info| info.requires_in(subgraph).cloned())
        else {
            return Ok(None);
        };
        let set = self.internal_field_set(&position.type_name, &requires);
        let mut touched = BTreeSet::new();
        self.plan_internal(position, &set, &mut touched)?;
        Ok(Some(Requirement {
            inputs: input_selection(position.client.as_deref(), &set),
            touched,
        }))
    }

    fn plan_internal(
        &mut self,
        position: &Position,
        set: &Arc<FieldSet>,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        if self.internal_depth >= MAX_INTERNAL_DEPTH {
            return Err(PlanError::TooDeep {
                type_name: position.type_name.to_string(),
            });
        }
        self.internal_depth += 1;
        let result = self.plan_field_set(position, set, true, touched);
        self.internal_depth -= 1;
        result
    }

    // ----- feasibility -----

    /// Whether everything below `field` can be planned when `subgraph` resolves the field.
    fn children_plannable(
        &mut self,
        subgraph: SubgraphId,
        parent_type: &Name,
        field: &Field,
        provided: Option<&FieldSelection>,
    ) -> bool {
        let Some(selection) = &field.selection else {
            return true;
        };
        let child_provided =
            provided_below(self.supergraph, parent_type, field, subgraph, provided);
        let possible = self.possible_types_below(parent_type, field, subgraph);
        for set in selection.field_sets() {
            if selection.is_abstract() && !possible.contains(&set.type_name) {
                continue;
            }
            if !self.set_plannable(subgraph, set, child_provided.as_ref()) {
                return false;
            }
        }
        true
    }

    fn set_plannable(
        &mut self,
        subgraph: SubgraphId,
        set: &Arc<FieldSet>,
        provided: Option<&FieldSelection>,
    ) -> bool {
        let memo_key = (subgraph, Arc::as_ptr(set) as usize);
        if provided.is_none()
            && let Some(&known) = self.plannable_memo.get(&memo_key)
        {
            return known;
        }
        let position = self.probe_position(subgraph, &set.type_name, provided);
        let mut ok = true;
        for field in &set.fields {
            if field.kind != FieldKind::Regular {
                continue;
            }
            let is_local = self.is_local(&position, field);
            if is_local && self.children_plannable(subgraph, &set.type_name, field, provided) {
                continue;
            }
            let jumpable = (0..self.supergraph.subgraphs.len())
                .any(|target| self.can_jump(&position, field, target));
            if jumpable {
                continue;
            }
            // Split as `plan_field_set` would: this subgraph serves a part, a jump the rest; or
            // several jumps serve a part each.
            let split = if is_local {
                self.split_field(&position, field).is_some_and(|(_, rest)| {
                    (0..self.supergraph.subgraphs.len())
                        .any(|target| self.can_jump(&position, &rest, target))
                })
            } else {
                self.split_across_jumps(&position, field).is_some()
            };
            if !split {
                // A local field failed below (and the check there named the field); any other
                // field fails itself.
                if !is_local || self.unplannable.is_none() {
                    self.unplannable = Some((set.type_name.clone(), field.name.clone()));
                }
                ok = false;
                break;
            }
        }
        if provided.is_none() {
            self.plannable_memo.insert(memo_key, ok);
        }
        ok
    }

    /// A `@key`/`@requires` field set in the normalised form, typed from the supergraph.
    fn internal_field_set(&self, type_name: &Name, selection: &FieldSelection) -> Arc<FieldSet> {
        internal_field_set(self.supergraph, type_name, &[selection])
    }

    // ----- output -----

    fn finish(mut self) -> QueryPlan {
        merge_entity_groups(&mut self.groups);
        let order = topological_order(&self.groups);
        let mut new_index = vec![0; self.groups.len()];
        for (position, &group) in order.iter().enumerate() {
            new_index[group] = position;
        }
        let operation_name = self.operation.name.as_ref().map(|n| n.to_string());
        let fetches = order
            .iter()
            .enumerate()
            .map(|(id, &group_id)| {
                let group = &self.groups[group_id];
                let service = self.supergraph.subgraphs[group.subgraph].name.clone();
                let name = operation_name
                    .as_ref()
                    .map(|n| format!("{n}__{}__{id}", sanitize(&service)));
                let (operation, variables) = self.operation_text(group, name.as_deref());
                let operation_json =
                    serde_json::to_string(&operation).unwrap_or_else(|_| String::from("\"\""));
                let mut depends_on: Vec<usize> = group.deps.iter().map(|d| new_index[*d]).collect();
                depends_on.sort_unstable();
                Fetch {
                    id,
                    subgraph: group.subgraph,
                    service,
                    operation,
                    operation_json,
                    operation_name: name,
                    variables,
                    entity: group.root_kind.is_none().then(|| EntityFetch {
                        paths: group.paths.clone(),
                        path_keys: group.path_keys.clone(),
                        inputs: self.inputs_by_object_type(&group.inputs),
                    }),
                    root_keys: if group.root_kind.is_some() {
                        group.selection.top_level_keys()
                    } else {
                        Vec::new()
                    },
                    depends_on,
                }
            })
            .collect();
        QueryPlan {
            kind: self.operation.kind,
            fetches,
        }
    }

    /// The inputs of an entity fetch as execution matches them, by the object's `__typename`. Inputs
    /// planned for an interface (an `@interfaceObject` position) stand for every object type that
    /// implements it: an earlier fetch may have turned the objects' `__typename` from the interface
    /// into their concrete type. Such objects are still sent under the interface's name.
    fn inputs_by_object_type(
        &self,
        inputs: &[(Name, InputSelection)],
    ) -> Vec<(Name, InputSelection)> {
        let mut out: Vec<(Name, InputSelection)> = inputs.to_vec();
        for (type_name, input) in inputs {
            let is_interface = self
                .supergraph
                .type_info(type_name)
                .is_some_and(|t| t.kind == TypeKind::Interface);
            if !is_interface {
                continue;
            }
            let mut as_interface = input.clone();
            as_interface.as_type = Some(type_name.clone());
            if let Some((_, entry)) = out.iter_mut().find(|(t, _)| t == type_name) {
                entry.as_type = Some(type_name.clone());
            }
            let mut implementers: Vec<&Name> = self
                .supergraph
                .schema
                .types
                .values()
                .filter_map(|ty| match ty {
                    ExtendedType::Object(object)
                        if object
                            .implements_interfaces
                            .iter()
                            .any(|i| i.name == *type_name) =>
                    {
                        Some(&object.name)
                    }
                    _ => None,
                })
                .collect();
            implementers.sort();
            for object in implementers {
                if !out.iter().any(|(t, _)| t == object) {
                    out.push((object.clone(), as_interface.clone()));
                }
            }
        }
        out
    }

    fn operation_text(&self, group: &Group, name: Option<&str>) -> (String, Vec<Name>) {
        let mut variables = Vec::new();
        group.selection.collect_variables(&mut variables);
        let mut definitions = Vec::new();
        if group.root_kind.is_none() {
            definitions.push(String::from("$representations: [_Any!]!"));
        }
        for variable in &variables {
            if let Some(definition) = self
                .operation
                .variables
                .iter()
                .find(|v| &v.name == variable)
            {
                definitions.push(format!("${}: {}", definition.name, definition.ty));
            }
        }
        let mut text = String::new();
        text.push_str(match group.root_kind {
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            _ => "query",
        });
        if let Some(name) = name {
            text.push(' ');
            text.push_str(name);
        }
        if !definitions.is_empty() {
            text.push('(');
            text.push_str(&definitions.join(", "));
            text.push(')');
        }
        text.push(' ');
        if group.root_kind.is_some() {
            group.selection.write(&mut text, None);
        } else {
            text.push_str("{ _entities(representations: $representations) ");
            group.selection.write(&mut text, None);
            text.push_str(" }");
        }
        (text, variables)
    }
}

/// Merges entity fetches that can go out as one request: same subgraph, same dependencies, the same
/// representation inputs for the types they share, and selections without conflicting keys. The
/// merged fetch collects representations at all their paths ("one request per subgraph per step").
/// Merged-away groups are left empty and unreferenced.
fn merge_entity_groups(groups: &mut Vec<Group>) {
    for group in groups.iter_mut() {
        if group.root_kind.is_none() {
            let keys = group.selection.entity_keys();
            group.path_keys = vec![keys; group.paths.len()];
        }
    }
    let mut merged_into: Vec<Option<GroupId>> = vec![None; groups.len()];
    for b in 0..groups.len() {
        if groups[b].root_kind.is_some() {
            continue;
        }
        let target = (0..b).find(|&a| {
            merged_into[a].is_none()
                && groups[a].root_kind.is_none()
                && groups[a].subgraph == groups[b].subgraph
                && groups[a].deps == groups[b].deps
                && groups[b].inputs.iter().all(|(t, input)| {
                    groups[a]
                        .inputs
                        .iter()
                        .find(|(u, _)| u == t)
                        .is_none_or(|(_, other)| other == input)
                })
                && groups[a].selection.compatible(&groups[b].selection)
        });
        let Some(a) = target else { continue };
        let subgraph = groups[a].subgraph;
        let taken = std::mem::replace(
            &mut groups[b],
            Group {
                subgraph,
                root_kind: None,
                paths: Vec::new(),
                path_keys: Vec::new(),
                selection: FetchSelection::default(),
                inputs: Vec::new(),
                deps: BTreeSet::new(),
            },
        );
        let group = &mut groups[a];
        group.selection.merge(&taken.selection);
        for (path, keys) in taken.paths.into_iter().zip(taken.path_keys) {
            match group.paths.iter().position(|p| *p == path) {
                Some(index) => {
                    for key in keys {
                        if !group.path_keys[index].contains(&key) {
                            group.path_keys[index].push(key);
                        }
                    }
                }
                None => {
                    group.paths.push(path);
                    group.path_keys.push(keys);
                }
            }
        }
        for (type_name, input) in taken.inputs {
            if !group.inputs.iter().any(|(t, _)| *t == type_name) {
                group.inputs.push((type_name, input));
            }
        }
        merged_into[b] = Some(a);
        for group in groups.iter_mut() {
            if group.deps.remove(&b) {
                group.deps.insert(a);
            }
        }
    }
    if merged_into.iter().all(Option::is_none) {
        return;
    }
    // Point dependencies at the surviving groups, then drop the merged-away ones.
    for group in groups.iter_mut() {
        group.deps = group
            .deps
            .iter()
            .map(|d| merged_into[*d].unwrap_or(*d))
            .collect();
    }
    let mut new_id = vec![0; groups.len()];
    let mut next = 0;
    for (id, merged) in merged_into.iter().enumerate() {
        new_id[id] = next;
        if merged.is_none() {
            next += 1;
        }
    }
    let mut id = 0;
    groups.retain(|_| {
        let keep = merged_into[id].is_none();
        id += 1;
        keep
    });
    for group in groups.iter_mut() {
        group.deps = group.deps.iter().map(|d| new_id[*d]).collect();
    }
}

/// Groups ordered so that dependencies come first; among ready groups, creation order.
fn topological_order(groups: &[Group]) -> Vec<GroupId> {
    let mut done = vec![false; groups.len()];
    let mut order = Vec::with_capacity(groups.len());
    while order.len() < groups.len() {
        let before = order.len();
        for (id, group) in groups.iter().enumerate() {
            if !done[id] && group.deps.iter().all(|d| done[*d] || *d == id) {
                done[id] = true;
                order.push(id);
            }
        }
        if order.len() == before {
            // A cycle slipped through: keep the remaining groups in creation order.
            for (id, flag) in done.iter_mut().enumerate() {
                if !*flag {
                    *flag = true;
                    order.push(id);
                }
            }
        }
    }
    order
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn display_path(path: &[PathStep]) -> String {
    if path.is_empty() {
        return String::from("(root)");
    }
    path.iter()
        .map(|step| match step {
            PathStep::Key(key) => key.to_string(),
            PathStep::List => String::from("@"),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn list_depth(ty: &ast::Type) -> usize {
    match ty {
        ast::Type::Named(_) | ast::Type::NonNullNamed(_) => 0,
        ast::Type::List(inner) | ast::Type::NonNullList(inner) => 1 + list_depth(inner),
    }
}

/// The key a field the planner adds is stored under: its name, unless the client uses that key for a
/// different field (or the field has arguments), in which case a reserved alias.
fn internal_key(client: Option<&FieldSet>, name: &Name, arguments: &[Node<ast::Argument>]) -> Name {
    let clash = client
        .and_then(|c| c.field_by_key(name))
        .is_some_and(|f| f.name != *name || f.arguments != arguments);
    if !clash && arguments.is_empty() {
        return name.clone();
    }
    if arguments.is_empty() {
        return Name::new_unchecked(&format!("{INTERNAL_KEY_PREFIX}{name}"));
    }
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for argument in arguments {
        argument.name.as_str().hash(&mut hasher);
        argument.value.to_string().hash(&mut hasher);
    }
    Name::new_unchecked(&format!(
        "{INTERNAL_KEY_PREFIX}{name}_{:x}",
        hasher.finish() & 0xffff_ffff
    ))
}

/// The client's selection below the field stored under `key`, when it is the same field.
fn client_sub_selection(
    client: Option<&FieldSet>,
    key: &Name,
    field: &Field,
) -> Option<SubSelection> {
    let client_field = client?.field_by_key(key)?;
    if client_field.name != field.name || client_field.arguments != field.arguments {
        return None;
    }
    client_field.selection.clone()
}

/// How many fields a field and its subtree select.
fn count_fields(field: &Field) -> usize {
    1 + field.selection.as_ref().map_or(0, |selection| {
        selection
            .field_sets()
            .iter()
            .flat_map(|set| set.fields.iter())
            .map(count_fields)
            .sum()
    })
}

/// Whether `field` of `type_name` is among the provided fields.
fn is_provided(
    provided: Option<&FieldSelection>,
    type_name: &Name,
    field: &Name,
    supergraph: &Supergraph,
) -> bool {
    let Some(provided) = provided else {
        return false;
    };
    provided.items.iter().any(|item| match item {
        SelectionItem::Field { name, .. } => name == field,
        SelectionItem::Fragment {
            type_condition,
            selection,
        } => {
            let applies = type_condition.as_ref().is_none_or(|condition| {
                condition == type_name || supergraph.schema.is_subtype(condition, type_name)
            });
            applies && is_provided(Some(selection), type_name, field, supergraph)
        }
    })
}

/// What `subgraph` provides below `field` of `parent_type`: the part of the inherited provided
/// selection under the field, and the field's own `@provides`.
fn provided_below(
    supergraph: &Supergraph,
    parent_type: &Name,
    field: &Field,
    subgraph: SubgraphId,
    provided: Option<&FieldSelection>,
) -> Option<FieldSelection> {
    let own = supergraph
        .field_info(parent_type, &field.name)
        .and_then(|info| info.provides_in(subgraph).cloned());
    let inherited = provided.and_then(|p| provided_sub_selection(p, &field.name));
    match (own, inherited) {
        (Some(own), Some(inherited)) => {
            let mut merged = (*own).clone();
            merged.items.extend(inherited.items);
            Some(merged)
        }
        (Some(own), None) => Some((*own).clone()),
        (None, inherited) => inherited,
    }
}

/// The provided selection below `field`.
fn provided_sub_selection(provided: &FieldSelection, field: &Name) -> Option<FieldSelection> {
    let mut merged = FieldSelection::default();
    let mut found = false;
    for item in &provided.items {
        match item {
            SelectionItem::Field {
                name,
                selection: Some(selection),
                ..
            } if name == field => {
                found = true;
                merged.items.extend(selection.items.iter().cloned());
            }
            SelectionItem::Fragment { selection, .. } => {
                if let Some(inner) = provided_sub_selection(selection, field) {
                    found = true;
                    merged.items.extend(inner.items);
                }
            }
            _ => {}
        }
    }
    found.then_some(merged)
}

/// Whether `subgraph` resolves every field of `selection` on `type_name` by itself.
fn selection_local(
    supergraph: &Supergraph,
    labels: LabelSet,
    subgraph: SubgraphId,
    type_name: &Name,
    selection: &FieldSelection,
    provided: Option<&FieldSelection>,
) -> bool {
    selection.items.iter().all(|item| match item {
        SelectionItem::Field {
            name,
            selection: sub,
            ..
        } => {
            let local = supergraph.is_field_local(type_name, name, subgraph, labels)
                || is_provided(provided, type_name, name, supergraph);
            if !local {
                return false;
            }
            let Some(sub) = sub else { return true };
            let Some(field_type) = supergraph
                .schema
                .type_field(type_name, name)
                .ok()
                .map(|f| f.ty.inner_named_type().clone())
            else {
                return false;
            };
            let inner_provided = provided.and_then(|p| provided_sub_selection(p, name));
            supergraph
                .possible_types_in(&field_type, subgraph)
                .iter()
                .all(|t| {
                    selection_local(
                        supergraph,
                        labels,
                        subgraph,
                        t,
                        sub,
                        inner_provided.as_ref(),
                    )
                })
        }
        SelectionItem::Fragment {
            type_condition,
            selection,
        } => {
            let applies = type_condition.as_ref().is_none_or(|condition| {
                condition == type_name || supergraph.schema.is_subtype(condition, type_name)
            });
            !applies
                || selection_local(supergraph, labels, subgraph, type_name, selection, provided)
        }
    })
}

/// Builds the normalised form of field sets (`@key`, `@requires`) on the concrete type `type_name`.
fn internal_field_set(
    supergraph: &Supergraph,
    type_name: &Name,
    selections: &[&FieldSelection],
) -> Arc<FieldSet> {
    let mut grouped: IndexMap<Name, (Vec<Node<ast::Argument>>, Vec<&FieldSelection>)> =
        IndexMap::new();
    fn collect<'s>(
        supergraph: &Supergraph,
        type_name: &Name,
        selection: &'s FieldSelection,
        grouped: &mut IndexMap<Name, (Vec<Node<ast::Argument>>, Vec<&'s FieldSelection>)>,
    ) {
        for item in &selection.items {
            match item {
                SelectionItem::Field {
                    name,
                    arguments,
                    selection,
                } => {
                    let entry = grouped
                        .entry(name.clone())
                        .or_insert_with(|| (arguments.clone(), Vec::new()));
                    if let Some(selection) = selection {
                        entry.1.push(selection);
                    }
                }
                SelectionItem::Fragment {
                    type_condition,
                    selection,
                } => {
                    let applies = type_condition.as_ref().is_none_or(|condition| {
                        condition == type_name || supergraph.schema.is_subtype(condition, type_name)
                    });
                    if applies {
                        collect(supergraph, type_name, selection, grouped);
                    }
                }
            }
        }
    }
    for selection in selections {
        collect(supergraph, type_name, selection, &mut grouped);
    }
    let fields = grouped
        .into_iter()
        .map(|(name, (arguments, subs))| {
            if name == "__typename" {
                return Field {
                    json_key: crate::respond::json::json_key(&name).into(),
                    response_key: name.clone(),
                    name,
                    kind: FieldKind::Typename,
                    arguments: Vec::new(),
                    ty: ast::Type::NonNullNamed(Name::new_unchecked("String")),
                    selection: None,
                };
            }
            let ty = supergraph
                .schema
                .type_field(type_name, &name)
                .map(|f| f.ty.clone())
                .unwrap_or_else(|_| ast::Type::Named(Name::new_unchecked("String")));
            let inner = ty.inner_named_type().clone();
            let selection = if subs.is_empty() {
                None
            } else {
                match supergraph.schema.types.get(&inner) {
                    Some(ExtendedType::Object(_)) => Some(SubSelection::Concrete(
                        internal_field_set(supergraph, &inner, &subs),
                    )),
                    Some(ExtendedType::Interface(_)) | Some(ExtendedType::Union(_)) => {
                        let mut possible: Vec<Name> = supergraph
                            .type_info(&inner)
                            .map(|t| {
                                t.possible_in
                                    .values()
                                    .flatten()
                                    .cloned()
                                    .collect::<BTreeSet<_>>()
                                    .into_iter()
                                    .collect()
                            })
                            .unwrap_or_default();
                        possible.retain(|p| {
                            supergraph
                                .type_info(p)
                                .is_some_and(|t| t.kind == TypeKind::Object)
                        });
                        Some(SubSelection::Abstract(
                            possible
                                .iter()
                                .map(|object| internal_field_set(supergraph, object, &subs))
                                .collect(),
                        ))
                    }
                    _ => None,
                }
            };
            Field {
                json_key: crate::respond::json::json_key(&name).into(),
                response_key: name.clone(),
                name,
                kind: FieldKind::Regular,
                arguments,
                ty,
                selection,
            }
        })
        .collect();
    Arc::new(FieldSet {
        type_name: type_name.clone(),
        fields,
    })
}

/// What to read from a tree object to send `set` as part of a representation.
fn input_selection(client: Option<&FieldSet>, set: &FieldSet) -> InputSelection {
    let mut input = InputSelection::default();
    for field in &set.fields {
        let tree_key = if field.kind == FieldKind::Typename {
            field.name.clone()
        } else {
            internal_key(client, &field.name, &field.arguments)
        };
        let selection = field.selection.as_ref().map(|sub| {
            let client_sub = client_sub_selection(client, &tree_key, field);
            match sub {
                SubSelection::Concrete(child) => input_selection(
                    client_sub
                        .as_ref()
                        .and_then(|s| s.for_type(&child.type_name))
                        .map(|s| &**s),
                    child,
                ),
                SubSelection::Abstract(children) => InputSelection {
                    as_type: None,
                    fields: vec![InputField {
                        tree_key: Name::new_unchecked("__typename"),
                        name: Name::new_unchecked("__typename"),
                        non_null: true,
                        selection: None,
                    }],
                    fragments: children
                        .iter()
                        .map(|child| {
                            (
                                child.type_name.clone(),
                                input_selection(
                                    client_sub
                                        .as_ref()
                                        .and_then(|s| s.for_type(&child.type_name))
                                        .map(|s| &**s),
                                    child,
                                ),
                            )
                        })
                        .collect(),
                },
            }
        });
        input.fields.push(InputField {
            tree_key,
            name: field.name.clone(),
            non_null: field.ty.is_non_null(),
            selection,
        });
    }
    input
}
