//! Normalisation of the client's operation: fragments expanded, `@skip`/`@include` decided from the
//! variables, fields with the same response key merged (the spec's CollectFields), and every selection
//! on an abstract type split into one field list per possible object type. The planner and the
//! response writer both walk this form. Expansion has a budget: every selection visited spends one
//! unit, and an operation that would need more is refused before it grows (a few fragments that
//! spread each other twice would otherwise expand to billions of fields).

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Arc;

use apollo_compiler::ast::{self, OperationType};
use apollo_compiler::executable::{self, Operation, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name, Node};
use indexmap::IndexMap;

use crate::graphql_error::{GraphqlError, codes};
use crate::supergraph::Supergraph;

/// The normalised operation.
#[derive(Debug, Clone)]
pub struct NormalizedOperation {
    pub kind: OperationType,
    pub name: Option<Name>,
    pub root: Arc<FieldSet>,
    /// Variable definitions of the client operation (for subgraph operations).
    pub variables: Vec<Node<executable::VariableDefinition>>,
    /// Whether root fields include `__schema` or `__type`.
    pub has_introspection: bool,
    /// Selections visited while normalising (a measure of the operation's expanded size).
    pub selections: usize,
}

/// The fields selected on one concrete object type, in response order.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSet {
    pub type_name: Name,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A field a subgraph resolves.
    Regular,
    /// `__typename`, answered by the router.
    Typename,
    /// `__schema` / `__type` at the root, answered by the router's introspection.
    Introspection,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub response_key: Name,
    /// `"response_key":` as JSON, for the response writer.
    pub json_key: Arc<str>,
    pub name: Name,
    pub kind: FieldKind,
    pub arguments: Vec<Node<ast::Argument>>,
    /// The field's type in the API schema.
    pub ty: ast::Type,
    pub selection: Option<SubSelection>,
}

/// The selection below a composite field.
#[derive(Debug, Clone, PartialEq)]
pub enum SubSelection {
    /// The field's type is an object type.
    Concrete(Arc<FieldSet>),
    /// The field's type is an interface or union: one field set per possible object type, by name.
    Abstract(Vec<Arc<FieldSet>>),
}

impl SubSelection {
    pub fn field_sets(&self) -> &[Arc<FieldSet>] {
        match self {
            SubSelection::Concrete(set) => std::slice::from_ref(set),
            SubSelection::Abstract(sets) => sets,
        }
    }

    pub fn for_type(&self, type_name: &str) -> Option<&Arc<FieldSet>> {
        self.field_sets().iter().find(|s| s.type_name == type_name)
    }

    pub fn is_abstract(&self) -> bool {
        matches!(self, SubSelection::Abstract(_))
    }
}

impl FieldSet {
    pub fn field_by_key(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.response_key == key)
    }
}

/// Names of the variables whose values decide `@skip`/`@include` in `operation`: they belong in the
/// plan cache key.
pub fn condition_variables(document: &ExecutableDocument, operation: &Operation) -> Vec<Name> {
    let mut names = Vec::new();
    let mut seen_fragments = HashSet::new();
    collect_condition_variables(
        document,
        &operation.selection_set,
        &mut names,
        &mut seen_fragments,
    );
    names.sort();
    names.dedup();
    names
}

fn collect_condition_variables(
    document: &ExecutableDocument,
    set: &SelectionSet,
    names: &mut Vec<Name>,
    seen_fragments: &mut HashSet<Name>,
) {
    for selection in &set.selections {
        for directive in selection.directives().iter() {
            if (directive.name == "skip" || directive.name == "include")
                && let Some(variable) = directive
                    .specified_argument_by_name("if")
                    .and_then(|v| v.as_variable())
            {
                names.push(variable.clone());
            }
        }
        match selection {
            Selection::Field(field) => {
                collect_condition_variables(document, &field.selection_set, names, seen_fragments)
            }
            Selection::InlineFragment(fragment) => collect_condition_variables(
                document,
                &fragment.selection_set,
                names,
                seen_fragments,
            ),
            Selection::FragmentSpread(spread) => {
                if seen_fragments.insert(spread.fragment_name.clone())
                    && let Some(fragment) = document.fragments.get(&spread.fragment_name)
                {
                    collect_condition_variables(
                        document,
                        &fragment.selection_set,
                        names,
                        seen_fragments,
                    )
                }
            }
        }
    }
}

/// Normalises `operation` with the given (coerced) variable values, visiting at most
/// `max_selections` selections (`MAX_SELECTIONS_EXCEEDED` beyond).
pub fn normalize(
    supergraph: &Supergraph,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    variables: &JsonMap,
    max_selections: usize,
) -> Result<NormalizedOperation, GraphqlError> {
    let normalizer = Normalizer {
        supergraph,
        document,
        variables,
        budget: Cell::new(max_selections),
        exhausted: Cell::new(false),
    };
    let root_type = operation.object_type().clone();
    let root = normalizer.field_set(&root_type, &[&operation.selection_set]);
    if normalizer.exhausted.get() {
        let mut error = GraphqlError::new(
            format!(
                "the operation selects more than {max_selections} fields once fragments are \
                 expanded and abstract types split into their object types"
            ),
            codes::MAX_SELECTIONS_EXCEEDED,
        );
        error
            .extensions
            .insert("limit".to_owned(), (max_selections as u64).into());
        return Err(error);
    }
    let has_introspection = root
        .fields
        .iter()
        .any(|f| f.kind == FieldKind::Introspection);
    Ok(NormalizedOperation {
        kind: operation.operation_type,
        name: operation.name.clone(),
        root,
        variables: operation.variables.clone(),
        has_introspection,
        selections: max_selections - normalizer.budget.get(),
    })
}

struct Normalizer<'a> {
    supergraph: &'a Supergraph,
    document: &'a Valid<ExecutableDocument>,
    variables: &'a JsonMap,
    /// Selections that may still be visited.
    budget: Cell<usize>,
    exhausted: Cell<bool>,
}

impl Normalizer<'_> {
    /// Spends one unit of the budget; false once it is gone.
    fn spend(&self) -> bool {
        match self.budget.get().checked_sub(1) {
            Some(left) if !self.exhausted.get() => {
                self.budget.set(left);
                true
            }
            _ => {
                self.exhausted.set(true);
                false
            }
        }
    }

    fn field_set(&self, object_type: &Name, sets: &[&SelectionSet]) -> Arc<FieldSet> {
        let mut grouped: IndexMap<Name, Vec<&Node<executable::Field>>> = IndexMap::new();
        for set in sets {
            let mut visited = HashSet::new();
            self.collect_fields(object_type, set, &mut grouped, &mut visited);
        }
        let is_root = [
            OperationType::Query,
            OperationType::Mutation,
            OperationType::Subscription,
        ]
        .iter()
        .any(|kind| self.supergraph.root_type(*kind) == Some(object_type));
        let fields = grouped
            .into_iter()
            .map(|(response_key, fields)| self.field(response_key, &fields, is_root))
            .collect();
        Arc::new(FieldSet {
            type_name: object_type.clone(),
            fields,
        })
    }

    fn field(
        &self,
        response_key: Name,
        fields: &[&Node<executable::Field>],
        is_root: bool,
    ) -> Field {
        let first = fields[0];
        let kind = match first.name.as_str() {
            "__typename" => FieldKind::Typename,
            "__schema" | "__type" if is_root => FieldKind::Introspection,
            _ => FieldKind::Regular,
        };
        let ty = first.definition.ty.clone();
        let selection = if kind == FieldKind::Regular {
            let sub_sets: Vec<&SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
            self.sub_selection(ty.inner_named_type(), &sub_sets)
        } else {
            None
        };
        Field {
            json_key: crate::respond::json::json_key(&response_key).into(),
            response_key,
            name: first.name.clone(),
            kind,
            arguments: first.arguments.clone(),
            ty,
            selection,
        }
    }

    fn sub_selection(&self, type_name: &Name, sets: &[&SelectionSet]) -> Option<SubSelection> {
        match self.supergraph.api_schema.types.get(type_name)? {
            ExtendedType::Object(_) => {
                Some(SubSelection::Concrete(self.field_set(type_name, sets)))
            }
            ExtendedType::Interface(_) | ExtendedType::Union(_) => {
                let possible = self.supergraph.api_possible_types(type_name);
                Some(SubSelection::Abstract(
                    possible
                        .iter()
                        .map(|object| self.field_set(object, sets))
                        .collect(),
                ))
            }
            _ => None,
        }
    }

    fn collect_fields<'s>(
        &self,
        object_type: &Name,
        set: &'s SelectionSet,
        grouped: &mut IndexMap<Name, Vec<&'s Node<executable::Field>>>,
        visited: &mut HashSet<Name>,
    ) where
        Self: 's,
    {
        for selection in &set.selections {
            if !self.spend() {
                return;
            }
            if !self.is_included(selection.directives()) {
                continue;
            }
            match selection {
                Selection::Field(field) => grouped
                    .entry(field.response_key().clone())
                    .or_default()
                    .push(field),
                Selection::FragmentSpread(spread) => {
                    if !visited.insert(spread.fragment_name.clone()) {
                        continue;
                    }
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    if self.applies(object_type, fragment.type_condition()) {
                        self.collect_fields(object_type, &fragment.selection_set, grouped, visited);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(object_type, condition));
                    if applies {
                        self.collect_fields(object_type, &fragment.selection_set, grouped, visited);
                    }
                }
            }
        }
    }

    /// Whether a fragment on `condition` applies to an object of type `object_type`.
    fn applies(&self, object_type: &Name, condition: &Name) -> bool {
        object_type == condition
            || self
                .supergraph
                .api_schema
                .is_subtype(condition, object_type)
    }

    fn is_included(&self, directives: &executable::DirectiveList) -> bool {
        for directive in directives.iter() {
            let condition = || {
                directive
                    .specified_argument_by_name("if")
                    .map(|value| self.evaluate_bool(value))
                    .unwrap_or(false)
            };
            match directive.name.as_str() {
                "skip" if condition() => return false,
                "include" if !condition() => return false,
                _ => {}
            }
        }
        true
    }

    fn evaluate_bool(&self, value: &ast::Value) -> bool {
        match value {
            ast::Value::Boolean(b) => *b,
            ast::Value::Variable(name) => {
                matches!(
                    self.variables.get(name.as_str()),
                    Some(JsonValue::Bool(true))
                )
            }
            _ => false,
        }
    }
}
