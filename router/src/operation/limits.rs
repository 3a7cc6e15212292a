//! Operation limits checked on the validated document before anything expands it: depth, aliases,
//! root fields, selections, directives and introspection depth, each counted as if every fragment
//! spread were expanded — but computed once per fragment, so a document whose expansion would be
//! exponential is measured in time linear in its size. Counts saturate instead of overflowing.

use std::collections::HashMap;

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::{ExecutableDocument, Name};

use crate::config::OperationLimits;
use crate::graphql_error::{GraphqlError, codes};

/// Introspection fields that return lists: their nesting is what makes introspection expensive.
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];

/// What an operation (or a fragment) amounts to once its fragments are expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Deepest field nesting outside introspection.
    pub depth: usize,
    /// Deepest nesting of introspection list fields.
    pub introspection_depth: usize,
    pub aliases: u64,
    pub selections: u64,
    pub directives: u64,
    /// Fields at the top level of the selection set.
    pub width: u64,
}

impl Shape {
    fn add(&mut self, other: &Shape) {
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.selections = self.selections.saturating_add(other.selections);
        self.directives = self.directives.saturating_add(other.directives);
        self.width = self.width.saturating_add(other.width);
    }
}

/// The shape of `operation` in `document`.
pub fn shape(document: &ExecutableDocument, operation: &Operation) -> Shape {
    let fragments = fragment_shapes(document);
    let measure = Measure {
        fragments: &fragments,
    };
    let mut shape = measure.set(&operation.selection_set, false);
    shape.directives = shape
        .directives
        .saturating_add(operation.directives.len() as u64);
    shape
}

/// Checks `operation` against `limits`; the first limit exceeded is the error.
pub fn check(
    document: &ExecutableDocument,
    operation: &Operation,
    limits: &OperationLimits,
) -> Result<(), GraphqlError> {
    let shape = shape(document, operation);
    let checks = [
        (
            shape.selections,
            limits.max_selections,
            "field selections after fragment expansion",
            codes::MAX_SELECTIONS_EXCEEDED,
        ),
        (
            shape.depth as u64,
            limits.max_depth,
            "levels of field nesting",
            codes::MAX_DEPTH_EXCEEDED,
        ),
        (
            shape.introspection_depth as u64,
            limits.max_introspection_depth,
            "levels of nested introspection lists",
            codes::MAX_INTROSPECTION_DEPTH_EXCEEDED,
        ),
        (
            shape.aliases,
            limits.max_aliases,
            "aliases",
            codes::MAX_ALIASES_EXCEEDED,
        ),
        (
            shape.width,
            limits.max_root_fields,
            "root fields",
            codes::MAX_ROOT_FIELDS_EXCEEDED,
        ),
        (
            shape.directives,
            limits.max_directives,
            "directives",
            codes::MAX_DIRECTIVES_EXCEEDED,
        ),
    ];
    for (actual, limit, what, code) in checks {
        if actual > limit as u64 {
            let mut error = GraphqlError::new(
                format!("the operation has {actual} {what}; at most {limit} are allowed"),
                code,
            );
            error
                .extensions
                .insert("limit".to_owned(), (limit as u64).into());
            error.extensions.insert("actual".to_owned(), actual.into());
            return Err(error);
        }
    }
    Ok(())
}

/// The shape of every fragment, each computed once, dependencies first (an explicit stack, so a
/// long chain of fragments cannot exhaust the thread's stack).
fn fragment_shapes(document: &ExecutableDocument) -> HashMap<Name, Shape> {
    let mut shapes: HashMap<Name, Shape> = HashMap::with_capacity(document.fragments.len());
    let mut in_progress: Vec<Name> = Vec::new();
    for name in document.fragments.keys() {
        if shapes.contains_key(name) {
            continue;
        }
        // (fragment, whether its dependencies have been pushed)
        let mut stack: Vec<(Name, bool)> = vec![(name.clone(), false)];
        while let Some((current, expanded)) = stack.pop() {
            if shapes.contains_key(&current) {
                continue;
            }
            let Some(fragment) = document.fragments.get(&current) else {
                shapes.insert(current, Shape::default());
                continue;
            };
            if expanded {
                in_progress.retain(|n| n != &current);
                let introspection = fragment.type_condition().starts_with("__");
                let shape =
                    Measure { fragments: &shapes }.set(&fragment.selection_set, introspection);
                shapes.insert(current, shape);
                continue;
            }
            if in_progress.contains(&current) {
                // A cycle (validation forbids them): count the fragment as empty.
                shapes.insert(current, Shape::default());
                continue;
            }
            in_progress.push(current.clone());
            stack.push((current, true));
            let mut spreads = Vec::new();
            direct_spreads(&fragment.selection_set, &mut spreads);
            for spread in spreads {
                if !shapes.contains_key(&spread) {
                    stack.push((spread, false));
                }
            }
        }
    }
    shapes
}

fn direct_spreads(set: &SelectionSet, out: &mut Vec<Name>) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => direct_spreads(&field.selection_set, out),
            Selection::InlineFragment(inline) => direct_spreads(&inline.selection_set, out),
            Selection::FragmentSpread(spread) => out.push(spread.fragment_name.clone()),
        }
    }
}

struct Measure<'a> {
    fragments: &'a HashMap<Name, Shape>,
}

impl Measure<'_> {
    fn set(&self, set: &SelectionSet, introspection: bool) -> Shape {
        let mut shape = Shape::default();
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    let enters_introspection =
                        introspection || matches!(field.name.as_str(), "__schema" | "__type");
                    let below = self.set(&field.selection_set, enters_introspection);
                    let mut own = Shape {
                        depth: if enters_introspection {
                            0
                        } else {
                            below.depth + 1
                        },
                        introspection_depth: below.introspection_depth
                            + usize::from(
                                introspection && INTROSPECTION_LISTS.contains(&field.name.as_str()),
                            ),
                        aliases: below.aliases,
                        selections: below.selections.saturating_add(1),
                        directives: below
                            .directives
                            .saturating_add(field.directives.len() as u64),
                        width: 1,
                    };
                    if field.alias.is_some() {
                        own.aliases = own.aliases.saturating_add(1);
                    }
                    shape.add(&own);
                }
                Selection::InlineFragment(inline) => {
                    let mut own = self.set(&inline.selection_set, introspection);
                    own.directives = own
                        .directives
                        .saturating_add(inline.directives.len() as u64);
                    shape.add(&own);
                }
                Selection::FragmentSpread(spread) => {
                    let mut own = self
                        .fragments
                        .get(&spread.fragment_name)
                        .copied()
                        .unwrap_or_default();
                    own.directives = own
                        .directives
                        .saturating_add(spread.directives.len() as u64);
                    shape.add(&own);
                }
            }
        }
        shape
    }
}
