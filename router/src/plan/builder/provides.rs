//! `@provides`: which otherwise external fields a subgraph provides at a position, inherited down
//! the selection, and whether a subgraph resolves a whole field set (a key) by itself.

use super::*;

/// Whether `field` of `type_name` is among the provided fields.
pub(super) fn is_provided(
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
            let applies = condition_applies(supergraph, type_condition.as_ref(), type_name);
            applies && is_provided(Some(selection), type_name, field, supergraph)
        }
    })
}

/// What `subgraph` provides below `field` of `parent_type`: the part of the inherited provided
/// selection under the field, and the field's own `@provides`.
pub(super) fn provided_below(
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
pub(super) fn provided_sub_selection(
    provided: &FieldSelection,
    field: &Name,
) -> Option<FieldSelection> {
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
pub(super) fn selection_local(
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
            let applies = condition_applies(supergraph, type_condition.as_ref(), type_name);
            !applies
                || selection_local(supergraph, labels, subgraph, type_name, selection, provided)
        }
    })
}
