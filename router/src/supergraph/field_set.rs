//! Field sets as they appear in `@key`, `@requires` and `@provides`: parsed once against the supergraph
//! into a small selection tree the planner walks.

use std::fmt;

use apollo_compiler::executable::{self, FieldSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema, ast};

/// A parsed field set such as `id organization { id }`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldSelection {
    pub items: Vec<SelectionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SelectionItem {
    Field {
        name: Name,
        arguments: Vec<Node<ast::Argument>>,
        selection: Option<FieldSelection>,
    },
    Fragment {
        type_condition: Option<Name>,
        selection: FieldSelection,
    },
}

impl FieldSelection {
    /// Parses `text` as a selection on `type_name` of the supergraph.
    pub fn parse(
        schema: &Valid<Schema>,
        type_name: &Name,
        text: &str,
    ) -> Result<FieldSelection, String> {
        let parsed =
            FieldSet::parse_and_validate(schema, type_name.clone(), text, "field-set.graphql")
                .map_err(|e| e.errors.to_string())?;
        Ok(FieldSelection::from_executable(&parsed.selection_set))
    }

    fn from_executable(set: &executable::SelectionSet) -> FieldSelection {
        let items = set
            .selections
            .iter()
            .filter_map(|selection| match selection {
                executable::Selection::Field(field) => Some(SelectionItem::Field {
                    name: field.name.clone(),
                    arguments: field.arguments.clone(),
                    selection: (!field.selection_set.selections.is_empty())
                        .then(|| FieldSelection::from_executable(&field.selection_set)),
                }),
                executable::Selection::InlineFragment(fragment) => Some(SelectionItem::Fragment {
                    type_condition: fragment.type_condition.clone(),
                    selection: FieldSelection::from_executable(&fragment.selection_set),
                }),
                executable::Selection::FragmentSpread(_) => None,
            })
            .collect();
        FieldSelection { items }
    }

    /// Whether the set selects `name` at its top level.
    pub fn has_top_level_field(&self, name: &str) -> bool {
        self.items.iter().any(|item| match item {
            SelectionItem::Field { name: n, .. } => n == name,
            SelectionItem::Fragment { selection, .. } => selection.has_top_level_field(name),
        })
    }
}

impl fmt::Display for FieldSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match item {
                SelectionItem::Field {
                    name,
                    arguments,
                    selection,
                } => {
                    write!(f, "{name}")?;
                    if !arguments.is_empty() {
                        f.write_str("(")?;
                        for (j, argument) in arguments.iter().enumerate() {
                            if j > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "{}: {}", argument.name, argument.value)?;
                        }
                        f.write_str(")")?;
                    }
                    if let Some(selection) = selection {
                        write!(f, " {{ {selection} }}")?;
                    }
                }
                SelectionItem::Fragment {
                    type_condition,
                    selection,
                } => match type_condition {
                    Some(t) => write!(f, "... on {t} {{ {selection} }}")?,
                    None => write!(f, "... {{ {selection} }}")?,
                },
            }
        }
        Ok(())
    }
}
