//! Merging enums by how the supergraph uses them: output-only enums get the union of all
//! subgraphs' values, input-only enums the intersection, and enums used both ways must have
//! the same values everywhere (unused enums merge like output-only ones).

use std::collections::HashMap;

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use super::mismatch::subgraph_list;
use super::{Merger, merge_applied, merge_descriptions};
use crate::error::{CompositionError, ErrorCode};
use crate::subgraph::{TypeBody, TypeKind};
use crate::supergraph::{MergedBody, MergedEnumValue, MergedInputValue, MergedType};

/// Where an enum appears in the merged schema, with an example coordinate of each use.
#[derive(Debug, Default)]
pub(super) struct EnumUsage {
    input_example: Option<String>,
    output_example: Option<String>,
}

/// Collects, for every enum, an example of its use in input and in output position.
pub(super) fn enum_usages(types: &IndexMap<Name, MergedType>) -> HashMap<Name, EnumUsage> {
    let mut usages: HashMap<Name, EnumUsage> = HashMap::new();
    let mut record = |type_name: &Name, coordinate: String, input: bool| {
        let usage = usages.entry(type_name.clone()).or_default();
        let example = if input {
            &mut usage.input_example
        } else {
            &mut usage.output_example
        };
        example.get_or_insert(coordinate);
    };
    let mut record_inputs =
        |parent: &str, values: &IndexMap<Name, MergedInputValue>, arguments: bool| {
            for (name, value) in values {
                let coordinate = if arguments {
                    format!("{parent}({name}:)")
                } else {
                    format!("{parent}.{name}")
                };
                record(value.ty.inner_named_type(), coordinate, true);
            }
        };
    let mut outputs = Vec::new();
    for ty in types.values() {
        match &ty.body {
            MergedBody::Object(composite) | MergedBody::Interface(composite) => {
                for field in composite.fields.values() {
                    let coordinate = format!("{}.{}", ty.name, field.name);
                    record_inputs(&coordinate, &field.arguments, true);
                    outputs.push((field.ty.inner_named_type().clone(), coordinate));
                }
            }
            MergedBody::InputObject { fields } => record_inputs(&ty.name, fields, false),
            _ => {}
        }
    }
    for (type_name, coordinate) in outputs {
        record(&type_name, coordinate, false);
    }
    usages
}

impl Merger<'_> {
    pub(super) fn merge_enum(&mut self, name: &Name, usage: Option<&EnumUsage>) -> MergedType {
        let sources = self.sources(name, TypeKind::Enum);
        let enums: Vec<(usize, &IndexMap<Name, crate::subgraph::EnumValue>)> = sources
            .iter()
            .filter_map(|(index, ty)| match &ty.body {
                TypeBody::Enum { values } => Some((*index, values)),
                _ => None,
            })
            .collect();
        let input_example = usage.and_then(|u| u.input_example.as_deref());
        let output_example = usage.and_then(|u| u.output_example.as_deref());
        let value_names: IndexSet<&Name> =
            enums.iter().flat_map(|(_, values)| values.keys()).collect();
        let mut values = IndexMap::new();
        for value_name in value_names {
            let value_sources: Vec<(usize, &crate::subgraph::EnumValue)> = enums
                .iter()
                .filter_map(|(index, values)| values.get(value_name).map(|v| (*index, v)))
                .collect();
            let merged = MergedEnumValue {
                description: merge_descriptions(
                    value_sources.iter().map(|(_, v)| v.description.as_deref()),
                ),
                applied: merge_applied(value_sources.iter().map(|(_, v)| &v.applied)),
                graphs: value_sources.iter().map(|(index, _)| *index).collect(),
            };
            let consistent = value_sources.len() == enums.len();
            if !consistent && !merged.applied.inaccessible && input_example.is_some() {
                if let Some(output_example) = output_example {
                    let defining: Vec<&str> = value_sources
                        .iter()
                        .map(|(index, _)| self.subgraphs[*index].name.as_str())
                        .collect();
                    let lacking: Vec<&str> = enums
                        .iter()
                        .filter(|(_, values)| !values.contains_key(value_name))
                        .map(|(index, _)| self.subgraphs[*index].name.as_str())
                        .collect();
                    let locations: Vec<_> = sources
                        .iter()
                        .map(|(index, ty)| self.location(*index, ty.position))
                        .collect();
                    self.errors.push(
                        CompositionError::new(
                            ErrorCode::EnumValueMismatch,
                            format!(
                                "Enum type \"{name}\" is used as both input type (for example, as type of \"{}\") and output type (for example, as type of \"{output_example}\"), but value \"{value_name}\" is not defined in all the subgraphs defining \"{name}\": \"{value_name}\" is defined in {} but not in {}",
                                input_example.unwrap_or_default(),
                                subgraph_list(&defining),
                                subgraph_list(&lacking)
                            ),
                        )
                        .element(format!("{name}.{value_name}"))
                        .at_all(locations),
                    );
                } else {
                    // Input-only: a value some subgraph does not know cannot be sent to it.
                    continue;
                }
            }
            values.insert(value_name.clone(), merged);
        }
        if values.is_empty() {
            let locations: Vec<_> = sources
                .iter()
                .map(|(index, ty)| self.location(*index, ty.position))
                .collect();
            self.errors.push(
                CompositionError::new(
                    ErrorCode::EmptyMergedEnumType,
                    format!(
                        "None of the values of enum type \"{name}\" are defined consistently in all the subgraphs defining that type. As only values common to all subgraphs are merged, this would result in an empty type."
                    ),
                )
                .element(name.as_str())
                .at_all(locations),
            );
        }
        MergedType {
            name: name.clone(),
            description: merge_descriptions(
                sources.iter().map(|(_, ty)| ty.description.as_deref()),
            ),
            applied: merge_applied(sources.iter().map(|(_, ty)| &ty.applied)),
            join_types: super::join_types(&sources),
            body: MergedBody::Enum { values },
        }
    }
}
