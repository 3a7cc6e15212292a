//! Parsing and validating the `fields:` selections of `@key`, `@requires` and `@provides`
//! against the subgraph schema, flattened into the list of fields they select.

use apollo_compiler::executable::{self, FieldSet, Selection};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use crate::supergraph::print_value;

/// One field selected by a field set.
#[derive(Debug)]
pub(super) struct SelectedField {
    /// The type the field is selected on (the type condition inside inline fragments).
    pub(super) parent: Name,
    pub(super) name: Name,
    pub(super) aliased: bool,
    pub(super) has_arguments: bool,
    /// Name of the field's type, without list or non-null wrappers.
    pub(super) type_name: Name,
    /// The field has no sub-selection.
    pub(super) is_leaf: bool,
    /// Some enclosing field of the selection is external.
    pub(super) under_external: bool,
    /// The field itself is external.
    pub(super) external: bool,
}

/// The fields a field set selects, in selection order, and whether it applies any directive.
#[derive(Debug)]
pub(super) struct FieldSelection {
    pub(super) fields: Vec<SelectedField>,
    pub(super) directive: Option<String>,
    /// The selection printed without its "inactive" parts: leaf fields that are neither
    /// external nor under an external field (empty when nothing is left). Federation 1
    /// `@requires`/`@provides` selections are reduced to this.
    pub(super) active: String,
}

/// Parses and validates `source` as a selection set on `type_name`. `is_external` tells which
/// fields the subgraph marks `@external`. Errors are apollo-compiler's messages.
pub(super) fn select(
    schema: &Valid<Schema>,
    type_name: &Name,
    source: &str,
    is_external: &dyn Fn(&str, &str) -> bool,
) -> Result<FieldSelection, Vec<String>> {
    let field_set = FieldSet::parse_and_validate(schema, type_name.clone(), source, "fields")
        .map_err(|with_errors| {
            with_errors
                .errors
                .iter()
                .map(|diagnostic| diagnostic.error.to_string())
                .collect::<Vec<_>>()
        })?;
    let mut selection = FieldSelection {
        fields: Vec::new(),
        directive: None,
        active: active(&field_set.selection_set, false, is_external).join(" "),
    };
    walk(&field_set.selection_set, false, is_external, &mut selection);
    Ok(selection)
}

fn active(
    set: &executable::SelectionSet,
    under_external: bool,
    is_external: &dyn Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut parts = Vec::new();
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                if field.name.starts_with("__") {
                    continue;
                }
                let external = is_external(&set.ty, &field.name);
                let sub = active(
                    &field.selection_set,
                    under_external || external,
                    is_external,
                );
                let keep = if field.selection_set.selections.is_empty() {
                    external || under_external
                } else {
                    !sub.is_empty()
                };
                if !keep {
                    continue;
                }
                let mut text = field.name.to_string();
                if !field.arguments.is_empty() {
                    let arguments: Vec<String> = field
                        .arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.name, print_value(&a.value)))
                        .collect();
                    text.push_str(&format!("({})", arguments.join(", ")));
                }
                if !sub.is_empty() {
                    text.push_str(&format!(" {{ {} }}", sub.join(" ")));
                }
                parts.push(text);
            }
            Selection::InlineFragment(fragment) => {
                let sub = active(&fragment.selection_set, under_external, is_external);
                if sub.is_empty() {
                    continue;
                }
                match &fragment.type_condition {
                    Some(on) => parts.push(format!("... on {on} {{ {} }}", sub.join(" "))),
                    None => parts.push(format!("... {{ {} }}", sub.join(" "))),
                }
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    parts
}

fn walk(
    set: &executable::SelectionSet,
    under_external: bool,
    is_external: &dyn Fn(&str, &str) -> bool,
    out: &mut FieldSelection,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(field) => {
                if let Some(directive) = field.directives.first() {
                    out.directive.get_or_insert_with(|| directive.to_string());
                }
                if field.name.starts_with("__") {
                    continue;
                }
                let external = is_external(&set.ty, &field.name);
                out.fields.push(SelectedField {
                    parent: set.ty.clone(),
                    name: field.name.clone(),
                    aliased: field.alias.is_some(),
                    has_arguments: !field.definition.arguments.is_empty(),
                    type_name: field.definition.ty.inner_named_type().clone(),
                    is_leaf: field.selection_set.selections.is_empty(),
                    under_external,
                    external,
                });
                walk(
                    &field.selection_set,
                    under_external || external,
                    is_external,
                    out,
                );
            }
            Selection::InlineFragment(fragment) => {
                if let Some(directive) = fragment.directives.first() {
                    out.directive.get_or_insert_with(|| directive.to_string());
                }
                walk(&fragment.selection_set, under_external, is_external, out);
            }
            // Field sets cannot define fragments, so there is nothing a spread could name;
            // apollo-compiler already reported it as an error.
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// `Interface` or `Union` when a type is abstract, which keys may not select.
pub(super) fn abstract_kind(schema: &Schema, type_name: &str) -> Option<&'static str> {
    match schema.types.get(type_name) {
        Some(ExtendedType::Interface(_)) => Some("Interface"),
        Some(ExtendedType::Union(_)) => Some("Union"),
        _ => None,
    }
}
