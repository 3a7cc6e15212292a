//! Merging input positions: field arguments, input object fields and executable directive
//! definitions. Inputs merge by intersection (only what every subgraph accepts is exposed; a
//! required input missing somewhere is an error), types by their most restrictive form, and
//! default values must agree.

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use super::mismatch::{describe_values, subgraph_list};
use super::type_ref::{TypeSource, Variance};
use super::{Merger, merge_applied, merge_descriptions};
use crate::error::{CompositionError, ErrorCode};
use crate::subgraph::{Field, InputValue};
use crate::supergraph::{JoinField, MergedDirective, MergedInputValue, print_value};

/// Whether input values are arguments or input object fields (for codes and wording).
#[derive(Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Argument,
    InputField,
}

impl Merger<'_> {
    /// The arguments of a field, from the subgraphs that define (not just reference) it.
    pub(super) fn merge_arguments(
        &mut self,
        field_coordinate: &str,
        sources: &[(usize, &Field)],
    ) -> IndexMap<Name, MergedInputValue> {
        let sets: Vec<(usize, &IndexMap<Name, InputValue>)> = sources
            .iter()
            .map(|(index, field)| (*index, &field.arguments))
            .collect();
        self.merge_input_values(field_coordinate, &sets, InputKind::Argument, None)
    }

    /// The fields of an input object type.
    pub(super) fn merge_input_object(
        &mut self,
        type_name: &Name,
        sources: &[(usize, &IndexMap<Name, InputValue>)],
    ) -> IndexMap<Name, MergedInputValue> {
        let fields =
            self.merge_input_values(type_name, sources, InputKind::InputField, Some(type_name));
        if fields.is_empty() {
            let locations: Vec<_> = sources
                .iter()
                .filter_map(|(index, _)| {
                    let ty = self.subgraphs[*index].types.get(type_name)?;
                    Some(self.location(*index, ty.position))
                })
                .collect();
            self.errors.push(
                CompositionError::new(
                    ErrorCode::EmptyMergedInputType,
                    format!(
                        "None of the fields of input object type \"{type_name}\" are consistently defined in all the subgraphs defining that type. As only fields common to all subgraphs are merged, this would result in an empty type."
                    ),
                )
                .element(type_name.as_str())
                .at_all(locations),
            );
        }
        fields
    }

    /// Intersection of argument or input field lists. `input_type` is set for input objects:
    /// their fields get `@join__field` when the subgraphs disagree on them.
    fn merge_input_values(
        &mut self,
        parent: &str,
        sources: &[(usize, &IndexMap<Name, InputValue>)],
        kind: InputKind,
        input_type: Option<&Name>,
    ) -> IndexMap<Name, MergedInputValue> {
        let names: IndexSet<&Name> = sources
            .iter()
            .flat_map(|(_, values)| values.keys())
            .collect();
        let mut merged = IndexMap::new();
        for name in names {
            let coordinate = match kind {
                InputKind::Argument => format!("{parent}({name}:)"),
                InputKind::InputField => format!("{parent}.{name}"),
            };
            let value_sources: Vec<(usize, &InputValue)> = sources
                .iter()
                .filter_map(|(index, values)| values.get(name).map(|v| (*index, v)))
                .collect();
            let Some(mut value) = self.merge_input_value(&coordinate, &value_sources, kind) else {
                continue;
            };
            let missing: Vec<usize> = sources
                .iter()
                .filter(|(_, values)| !values.contains_key(name))
                .map(|(index, _)| *index)
                .collect();
            if !missing.is_empty() && !value.applied.inaccessible {
                let required: Vec<&str> = value_sources
                    .iter()
                    .filter(|(_, v)| v.is_required())
                    .map(|(index, _)| self.subgraphs[*index].name.as_str())
                    .collect();
                if !required.is_empty() {
                    let absent: Vec<&str> = missing
                        .iter()
                        .map(|index| self.subgraphs[*index].name.as_str())
                        .collect();
                    let (code, what) = match kind {
                        InputKind::Argument => {
                            (ErrorCode::RequiredArgumentMissingInSomeSubgraph, "Argument")
                        }
                        InputKind::InputField => (
                            ErrorCode::RequiredInputFieldMissingInSomeSubgraph,
                            "Input object field",
                        ),
                    };
                    let locations: Vec<_> = value_sources
                        .iter()
                        .map(|(index, v)| self.location(*index, v.position))
                        .collect();
                    self.errors.push(
                        CompositionError::new(
                            code,
                            format!(
                                "{what} \"{coordinate}\" is required in some subgraphs but does not appear in all subgraphs: it is required in {} but does not appear in {}",
                                subgraph_list(&required),
                                subgraph_list(&absent)
                            ),
                        )
                        .element(&coordinate)
                        .at_all(locations),
                    );
                }
                // Optional values only some subgraphs accept are left out of the supergraph.
                continue;
            }
            if let Some(type_name) = input_type {
                let type_differs = value_sources.iter().any(|(_, v)| v.ty != value.ty);
                let field_missing = self.subgraphs.iter().enumerate().any(|(index, subgraph)| {
                    subgraph.types.contains_key(type_name)
                        && !value_sources.iter().any(|(i, _)| *i == index)
                });
                if type_differs || field_missing {
                    value.join_fields = value_sources
                        .iter()
                        .map(|(index, v)| JoinField {
                            graph: Some(*index),
                            ty: type_differs.then(|| v.ty.to_string()),
                            ..JoinField::default()
                        })
                        .collect();
                }
            }
            merged.insert(name.clone(), value);
        }
        merged
    }

    fn merge_input_value(
        &mut self,
        coordinate: &str,
        sources: &[(usize, &InputValue)],
        kind: InputKind,
    ) -> Option<MergedInputValue> {
        let type_sources: Vec<TypeSource<'_>> = sources
            .iter()
            .map(|(index, value)| TypeSource {
                subgraph: *index,
                ty: &value.ty,
                location: self.location(*index, value.position),
            })
            .collect();
        let (ty, _) = self.merge_type_reference(
            coordinate,
            kind == InputKind::Argument,
            &type_sources,
            Variance::Input,
        )?;
        let name = sources.first()?.1.name.clone();
        Some(MergedInputValue {
            name,
            description: merge_descriptions(sources.iter().map(|(_, v)| v.description.as_deref())),
            ty,
            default: self.merge_default(coordinate, sources, kind),
            applied: merge_applied(sources.iter().map(|(_, v)| &v.applied)),
            join_fields: Vec::new(),
        })
    }

    /// A default exists in the supergraph only if every subgraph has the same one; two different
    /// defaults are an error.
    fn merge_default(
        &mut self,
        coordinate: &str,
        sources: &[(usize, &InputValue)],
        kind: InputKind,
    ) -> Option<apollo_compiler::Node<apollo_compiler::ast::Value>> {
        let printed: Vec<Option<String>> = sources
            .iter()
            .map(|(_, v)| v.default.as_ref().map(|d| print_value(d)))
            .collect();
        let distinct: IndexSet<&String> = printed.iter().flatten().collect();
        if distinct.len() > 1 {
            let (code, what) = match kind {
                InputKind::Argument => (ErrorCode::FieldArgumentDefaultMismatch, "Argument"),
                InputKind::InputField => (ErrorCode::InputFieldDefaultMismatch, "Input field"),
            };
            let values: Vec<(String, String)> = sources
                .iter()
                .zip(&printed)
                .map(|((index, _), default)| {
                    (
                        self.subgraphs[*index].name.clone(),
                        default.as_ref().map_or_else(
                            || "no default value".to_owned(),
                            |d| format!("default value {d}"),
                        ),
                    )
                })
                .collect();
            let locations: Vec<_> = sources
                .iter()
                .map(|(index, v)| self.location(*index, v.position))
                .collect();
            self.errors.push(
                CompositionError::new(
                    code,
                    format!(
                        "{what} \"{coordinate}\" has incompatible default values across subgraphs: it has {}",
                        describe_values(&values, None)
                    ),
                )
                .element(coordinate)
                .at_all(locations),
            );
            return None;
        }
        if printed.iter().all(Option::is_some) {
            sources.first().and_then(|(_, v)| v.default.clone())
        } else {
            None
        }
    }

    /// Executable directives (usable in operations) are kept only when every subgraph defines
    /// them, with the locations all subgraphs accept.
    pub(super) fn merge_executable_directives(&mut self) -> IndexMap<Name, MergedDirective> {
        let names: IndexSet<&Name> = self
            .subgraphs
            .iter()
            .flat_map(|s| s.executable_directives.keys())
            .collect();
        let mut merged = IndexMap::new();
        for name in names {
            let definitions: Vec<_> = self
                .subgraphs
                .iter()
                .enumerate()
                .filter_map(|(index, s)| s.executable_directives.get(name).map(|d| (index, d)))
                .collect();
            if definitions.len() < self.subgraphs.len() {
                continue;
            }
            let locations: Vec<String> = definitions[0]
                .1
                .locations
                .iter()
                .filter(|location| {
                    definitions
                        .iter()
                        .all(|(_, d)| d.locations.contains(location))
                })
                .cloned()
                .collect();
            if locations.is_empty() {
                continue;
            }
            let argument_sets: Vec<_> = definitions
                .iter()
                .map(|(i, d)| (*i, &d.arguments))
                .collect();
            let arguments = self.merge_input_values(
                &format!("@{name}"),
                &argument_sets,
                InputKind::Argument,
                None,
            );
            merged.insert(
                name.clone(),
                MergedDirective {
                    description: merge_descriptions(
                        definitions.iter().map(|(_, d)| d.description.as_deref()),
                    ),
                    arguments,
                    repeatable: definitions.iter().all(|(_, d)| d.repeatable),
                    locations,
                },
            );
        }
        merged
    }
}
