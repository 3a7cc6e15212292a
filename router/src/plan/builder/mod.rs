//! The planner: turns a normalised operation into fetch groups, then into a [`QueryPlan`]. It walks
//! the operation from the root, keeping track of the subgraph that resolves each position, in this
//! order of steps (one file each):
//!
//! 1. [`root`]: which subgraph serves each root field.
//! 2. This file: planning a field set at a position. A field the position's subgraph resolves goes
//!    into the position's fetch; any other field makes an entity jump.
//! 3. [`entity_jumps`]: `_entities` fetches to a subgraph that resolves the field, keyed by a `@key`
//!    the position can provide; [`interface_objects`] for subgraphs that know an interface only as
//!    an `@interfaceObject`.
//! 4. [`requirements`]: a jump's `@requires`, planned first as internal selections (which may jump
//!    themselves), and the representation inputs read from the response tree.
//! 5. [`shareable_split`]: a field no single subgraph can serve, split over several.
//! 6. [`feasibility`] and [`provides`]: whether a subgraph can serve what is below a field.
//! 7. [`fetch_groups`]: merging groups, ordering them, writing subgraph operations.
//!
//! # Fetch groups: how they are keyed and when a new one is made
//!
//! A group is one future subgraph request. Root groups are keyed by subgraph: every query root
//! field served by a subgraph goes into its one root group (mutation fields: one group per run of
//! consecutive fields on one subgraph, in order). Entity groups are keyed by
//! **(parent group, response path, target subgraph)**, where the parent group is the fetch that
//! returns the objects at that path. Jumps from the same parent fetch to the same subgraph at the
//! same path share the first group under that key that can take them; a new group is made under
//! the same key when every existing one
//! - is fetched by, or waits for, a group that fetches this field's requirements or key: the
//!   requirement must be in the tree before the field's fetch leaves, so they cannot be one fetch
//!   (a `@requires` that itself needs the subgraph that needs it); or
//! - already sends, for the same type, a representation field under the same name but from a
//!   different value (one field required with two argument sets): a representation holds one
//!   value per name.
//!
//! Every position that uses a group plans the group's key there, so one group can serve objects
//! reached under several parent type conditions at one path. After planning, entity groups with the
//! same subgraph, the same dependencies, agreeing inputs and compatible selections are merged into
//! one request over all their paths ([`fetch_groups`]).
//!
//! Never silent: what no subgraph can serve fails planning with [`PlanError::Unsatisfiable`] naming
//! the field; execution reports, at its path, an object a fetch should have sent but could not.

mod entity_jumps;
mod feasibility;
mod fetch_groups;
mod interface_objects;
mod provides;
mod requirements;
mod root;
mod shareable_split;

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
use provides::{is_provided, provided_below, selection_local};
use requirements::input_selection;

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
    #[error("the fetches to {0} wait for each other")]
    Cycle(String),
}

impl PlanError {
    /// What a client is told: the field and path that cannot be planned, never subgraph names or
    /// planner internals (those go to the log with the whole error).
    pub fn client_message(&self) -> String {
        match self {
            PlanError::Unsatisfiable {
                type_name,
                field,
                path,
            } => format!(
                "the router cannot plan this operation: no subgraph can resolve {type_name}.{field} at {path}"
            ),
            PlanError::NoKey {
                type_name, path, ..
            } => format!(
                "the router cannot plan this operation: {type_name} at {path} cannot be fetched from where its fields are"
            ),
            PlanError::TooDeep { .. } | PlanError::NoRootType(_) | PlanError::Cycle(_) => {
                "the router cannot plan this operation".to_owned()
            }
        }
    }
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
    planner.finish()
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
}

fn display_path(path: &[PathStep]) -> String {
    super::display::path_text(path)
}

/// Whether a fragment with `condition` (none: the enclosing type) applies to objects of `type_name`.
fn condition_applies(supergraph: &Supergraph, condition: Option<&Name>, type_name: &Name) -> bool {
    condition.is_none_or(|condition| {
        condition == type_name || supergraph.schema.is_subtype(condition, type_name)
    })
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
