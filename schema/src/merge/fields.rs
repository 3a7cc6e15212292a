//! Merging the fields of object and interface types: the union of all subgraphs' fields, with
//! `@external` fields checked against their definitions, `@override` deciding which subgraph
//! resolves a field, the shareability rule (a field resolved by several subgraphs must be
//! `@shareable` everywhere), and the `@join__field` applications routers need.

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use super::Merger;
use super::mismatch::{describe_values, subgraph_list};
use super::type_ref::{TypeSource, Variance};
use super::{merge_applied, merge_descriptions};
use crate::error::{CompositionError, ErrorCode};
use crate::subgraph::{CompositeType, Field, Subgraph};
use crate::supergraph::{JoinField, MergedField, MergedInputValue, print_value};

/// What `@override` means for one subgraph's instance of a field.
#[derive(Debug, Default, Clone)]
struct OverrideState {
    /// Overridden by another subgraph, but still referenced by this subgraph's keys, requires
    /// or provides (or interfaces), so it stays in the join data.
    used_overridden: bool,
    /// Overridden by another subgraph and otherwise unused: this subgraph no longer resolves it.
    unused_overridden: bool,
    /// Progressive override label (`percent(x)` or a feature name).
    label: Option<String>,
    /// This instance has an `@override(from:)` naming no known subgraph.
    unknown_target: bool,
}

impl<'a> Merger<'a> {
    /// Merges the fields of type `type_name` from `(subgraph, definition)` sources.
    pub(super) fn merge_fields(
        &mut self,
        type_name: &Name,
        sources: &[(usize, &CompositeType)],
        is_object: bool,
    ) -> IndexMap<Name, MergedField> {
        let names: IndexSet<&Name> = sources
            .iter()
            .flat_map(|(_, composite)| composite.fields.keys())
            .collect();
        let mut merged = IndexMap::new();
        for name in names {
            let field_sources: Vec<(usize, &Field)> = sources
                .iter()
                .filter_map(|(index, composite)| composite.fields.get(name).map(|f| (*index, f)))
                .collect();
            if let Some(field) = self.merge_field(type_name, name, &field_sources, is_object) {
                merged.insert(name.clone(), field);
            }
        }
        merged
    }

    fn merge_field(
        &mut self,
        type_name: &Name,
        name: &Name,
        sources: &[(usize, &Field)],
        is_object: bool,
    ) -> Option<MergedField> {
        let coordinate = format!("{type_name}.{name}");
        if sources.iter().all(|(_, field)| field.external) {
            let subgraphs: Vec<&str> = sources
                .iter()
                .map(|(index, _)| self.subgraphs[*index].name.as_str())
                .collect();
            let locations = sources
                .iter()
                .map(|(index, field)| self.location(*index, field.position))
                .collect::<Vec<_>>();
            self.errors.push(
                CompositionError::new(
                    ErrorCode::ExternalMissingOnBase,
                    format!(
                        "Field \"{coordinate}\" is marked @external on all the subgraphs in which it is listed ({}).",
                        subgraph_list(&subgraphs)
                    ),
                )
                .element(&coordinate)
                .at_all(locations),
            );
            return None;
        }
        let overrides = self.override_states(type_name, &coordinate, sources);
        let defining: Vec<(usize, &Field)> = sources
            .iter()
            .filter(|(_, field)| !field.external)
            .copied()
            .collect();

        let arguments = self.merge_arguments(&coordinate, &defining);
        let type_sources: Vec<TypeSource<'_>> = defining
            .iter()
            .map(|(index, field)| TypeSource {
                subgraph: *index,
                ty: &field.ty,
                location: self.location(*index, field.position),
            })
            .collect();
        let (ty, all_types_equal) =
            self.merge_type_reference(&coordinate, false, &type_sources, Variance::Output)?;
        let merged = MergedField {
            name: name.clone(),
            description: merge_descriptions(
                defining
                    .iter()
                    .map(|(_, field)| field.description.as_deref()),
            ),
            ty,
            arguments,
            join_fields: Vec::new(),
            applied: merge_applied(defining.iter().map(|(_, field)| &field.applied)),
        };
        if defining.len() < sources.len() {
            self.check_external_fields(&coordinate, &merged, sources, all_types_equal);
        }
        let join_fields = if self.needs_join_field(type_name, sources, &overrides, all_types_equal)
        {
            self.join_fields(sources, &overrides, all_types_equal)
        } else {
            Vec::new()
        };
        if is_object {
            self.check_field_sharing(type_name, &coordinate, sources, &overrides);
        }
        Some(MergedField {
            join_fields,
            ..merged
        })
    }

    /// Works out, per source, what the field's `@override` directives imply (reporting misuse).
    fn override_states(
        &mut self,
        type_name: &Name,
        coordinate: &str,
        sources: &[(usize, &Field)],
    ) -> Vec<OverrideState> {
        let mut states = vec![OverrideState::default(); self.subgraphs.len()];
        for (index, field) in sources {
            let Some(over) = &field.override_from else {
                continue;
            };
            let subgraphs: &'a [Subgraph] = self.subgraphs;
            let subgraph = &subgraphs[*index];
            let location = subgraph.location(field.position);
            if field.external {
                self.errors.push(
                    CompositionError::new(
                        ErrorCode::OverrideCollisionWithAnotherDirective,
                        format!(
                            "@override cannot be used on field \"{coordinate}\" on subgraph \"{}\" since \"{coordinate}\" on \"{}\" is marked with directive \"@external\"",
                            subgraph.name, subgraph.name
                        ),
                    )
                    .element(coordinate)
                    .at(location),
                );
                continue;
            }
            if over.from == subgraph.name {
                self.errors.push(
                    CompositionError::new(
                        ErrorCode::OverrideFromSelfError,
                        format!(
                            "Source and destination subgraphs \"{}\" are the same for overridden field \"{coordinate}\"",
                            subgraph.name
                        ),
                    )
                    .element(coordinate)
                    .at(location),
                );
                continue;
            }
            if let Some(label) = &over.label
                && !is_valid_override_label(label)
            {
                self.errors.push(
                    CompositionError::new(
                        ErrorCode::OverrideLabelInvalid,
                        format!(
                            "Invalid @override label \"{label}\" on field \"{coordinate}\" on subgraph \"{}\": labels must start with a letter and after that may contain alphanumerics, underscores, minuses, colons, periods, or slashes. Alternatively, labels may be of the form \"percent(x)\" where x is a float between 0-100 inclusive.",
                            subgraph.name
                        ),
                    )
                    .element(coordinate)
                    .at(location.clone()),
                );
                continue;
            }
            let Some(from_index) = self.subgraphs.iter().position(|s| s.name == over.from) else {
                states[*index].unknown_target = true;
                continue;
            };
            let Some((_, overridden)) = sources.iter().find(|(i, _)| *i == from_index) else {
                // The named subgraph does not have the field (any more): nothing to take over.
                continue;
            };
            if overridden.override_from.is_some() {
                self.errors.push(
                    CompositionError::new(
                        ErrorCode::OverrideSourceHasOverride,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" is also marked with directive @override in subgraph \"{}\". Only one @override directive is allowed per field.",
                            subgraph.name, over.from
                        ),
                    )
                    .element(coordinate)
                    .at(location)
                    .at(self.location(from_index, overridden.position)),
                );
                continue;
            }
            if !overridden.external {
                let from = &subgraphs[from_index];
                let used = from
                    .used_fields
                    .contains(&(type_name.clone(), overridden.name.clone()));
                if used {
                    states[from_index].used_overridden = true;
                } else {
                    states[from_index].unused_overridden = true;
                }
            }
            if let Some(label) = &over.label {
                states[*index].label = Some(label.clone());
                states[from_index].label = Some(label.clone());
            }
        }
        states
    }

    /// `@external` instances must agree with the merged field (type, arguments, defaults).
    fn check_external_fields(
        &mut self,
        coordinate: &str,
        merged: &MergedField,
        sources: &[(usize, &Field)],
        all_types_equal: bool,
    ) {
        let mut invalid_type = false;
        let mut missing_arguments: IndexSet<&Name> = IndexSet::new();
        let mut invalid_argument_types: IndexSet<&Name> = IndexSet::new();
        let mut invalid_argument_defaults: IndexSet<&Name> = IndexSet::new();
        for (_, field) in sources.iter().filter(|(_, field)| field.external) {
            if !(merged.ty == field.ty
                || (!all_types_equal && self.is_strict_subtype(&merged.ty, &field.ty)))
            {
                invalid_type = true;
            }
            for (name, argument) in &merged.arguments {
                let Some(external_argument) = field.arguments.get(name) else {
                    missing_arguments.insert(name);
                    continue;
                };
                if argument.ty != external_argument.ty
                    && !self.is_strict_subtype(&external_argument.ty, &argument.ty)
                {
                    invalid_argument_types.insert(name);
                }
                let default = |value: Option<
                    &apollo_compiler::Node<apollo_compiler::ast::Value>,
                >| { value.map(|v| print_value(v)) };
                if default(argument.default.as_ref()) != default(external_argument.default.as_ref())
                {
                    invalid_argument_defaults.insert(name);
                }
            }
        }
        let locations: Vec<_> = sources
            .iter()
            .map(|(index, field)| self.location(*index, field.position))
            .collect();
        let describe = |render: &dyn Fn(&Field) -> String, reference: String| {
            let values: Vec<(String, String)> = sources
                .iter()
                .map(|(index, field)| (self.subgraphs[*index].name.clone(), render(field)))
                .collect();
            describe_values(&values, Some(&reference))
        };
        let mut errors = Vec::new();
        if invalid_type {
            errors.push((
                ErrorCode::ExternalTypeMismatch,
                format!(
                    "Type of field \"{coordinate}\" is incompatible across subgraphs (where marked @external): it has {}",
                    describe(&|f| format!("type \"{}\"", f.ty), format!("type \"{}\"", merged.ty))
                ),
            ));
        }
        for name in missing_arguments {
            let present: Vec<&str> = sources
                .iter()
                .filter(|(_, f)| f.arguments.contains_key(name))
                .map(|(index, _)| self.subgraphs[*index].name.as_str())
                .collect();
            let absent: Vec<&str> = sources
                .iter()
                .filter(|(_, f)| !f.arguments.contains_key(name))
                .map(|(index, _)| self.subgraphs[*index].name.as_str())
                .collect();
            errors.push((
                ErrorCode::ExternalArgumentMissing,
                format!(
                    "Field \"{coordinate}\" is missing argument \"{coordinate}({name}:)\" in some subgraphs where it is marked @external: argument \"{coordinate}({name}:)\" is declared in {} but not in {} (where \"{coordinate}\" is @external).",
                    subgraph_list(&present),
                    subgraph_list(&absent)
                ),
            ));
        }
        for name in invalid_argument_types {
            let reference = format!("type \"{}\"", merged.arguments[name].ty);
            errors.push((
                ErrorCode::ExternalArgumentTypeMismatch,
                format!(
                    "Type of argument \"{coordinate}({name}:)\" is incompatible across subgraphs (where \"{coordinate}\" is marked @external): it has {}",
                    describe(
                        &|f| f
                            .arguments
                            .get(name)
                            .map_or_else(|| "no argument".to_owned(), |a| format!("type \"{}\"", a.ty)),
                        reference
                    )
                ),
            ));
        }
        for name in invalid_argument_defaults {
            let render_default = |value: Option<&MergedInputValue>| {
                value.and_then(|v| v.default.as_ref()).map_or_else(
                    || "no default value".to_owned(),
                    |d| format!("default value {}", print_value(d)),
                )
            };
            let reference = render_default(merged.arguments.get(name));
            errors.push((
                ErrorCode::ExternalArgumentDefaultMismatch,
                format!(
                    "Argument \"{coordinate}({name}:)\" has incompatible defaults across subgraphs (where \"{coordinate}\" is marked @external): it has {}",
                    describe(
                        &|f| f
                            .arguments
                            .get(name)
                            .and_then(|a| a.default.as_ref())
                            .map_or_else(
                                || "no default value".to_owned(),
                                |d| format!("default value {}", print_value(d))
                            ),
                        reference
                    )
                ),
            ));
        }
        for (code, message) in errors {
            self.errors.push(
                CompositionError::new(code, message)
                    .element(coordinate)
                    .at_all(locations.iter().cloned()),
            );
        }
    }

    /// A `@join__field` is needed unless every subgraph defining the type resolves the field
    /// the same plain way.
    fn needs_join_field(
        &self,
        type_name: &Name,
        sources: &[(usize, &Field)],
        overrides: &[OverrideState],
        all_types_equal: bool,
    ) -> bool {
        if !all_types_equal
            || overrides
                .iter()
                .any(|state| state.used_overridden || state.label.is_some())
        {
            return true;
        }
        self.subgraphs.iter().enumerate().any(|(index, subgraph)| {
            match sources.iter().find(|(i, _)| *i == index) {
                Some((_, field)) if !overrides[index].unused_overridden => {
                    field.external || field.requires.is_some() || field.provides.is_some()
                }
                _ => subgraph.types.contains_key(type_name),
            }
        })
    }

    fn join_fields(
        &self,
        sources: &[(usize, &Field)],
        overrides: &[OverrideState],
        all_types_equal: bool,
    ) -> Vec<JoinField> {
        sources
            .iter()
            .filter(|(index, _)| {
                let state = &overrides[*index];
                !state.unused_overridden || state.label.is_some()
            })
            .map(|(index, field)| {
                let state = &overrides[*index];
                JoinField {
                    graph: *index,
                    requires: field.requires.clone(),
                    provides: field.provides.clone(),
                    ty: (!all_types_equal).then(|| field.ty.to_string()),
                    external: field.external,
                    override_from: field.override_from.as_ref().map(|o| o.from.clone()),
                    used_overridden: state.used_overridden,
                    override_label: state.label.clone(),
                }
            })
            .collect()
    }

    /// A field resolved by several subgraphs must be `@shareable` in all of them.
    fn check_field_sharing(
        &mut self,
        type_name: &Name,
        coordinate: &str,
        sources: &[(usize, &Field)],
        overrides: &[OverrideState],
    ) {
        let mut resolving = Vec::new();
        let mut shareable = Vec::new();
        let mut non_shareable = Vec::new();
        for (index, field) in sources {
            let state = &overrides[*index];
            if state.used_overridden || state.unused_overridden {
                continue;
            }
            let subgraphs: &'a [Subgraph] = self.subgraphs;
            let subgraph = &subgraphs[*index];
            let provided = subgraph
                .provided_fields
                .contains(&(type_name.clone(), field.name.clone()));
            if field.external && !provided {
                continue;
            }
            resolving.push((*index, *field));
            if field.shareable {
                shareable.push(subgraph.name.as_str());
            } else {
                non_shareable.push(subgraph.name.as_str());
            }
        }
        if non_shareable.is_empty() || (shareable.is_empty() && non_shareable.len() == 1) {
            return;
        }
        let all: Vec<&str> = non_shareable.iter().chain(&shareable).copied().collect();
        let non_shareable_text = if shareable.is_empty() {
            "all of them".to_owned()
        } else {
            subgraph_list(&non_shareable)
        };
        let unknown_override = sources
            .iter()
            .find(|(index, field)| overrides[*index].unknown_target && !field.shareable)
            .map(|(index, _)| {
                format!(
                    " (please note that \"{coordinate}\" has an @override directive in subgraph \"{}\" that targets an unknown subgraph so this could be due to misspelling the @override(from:) argument)",
                    self.subgraphs[*index].name
                )
            })
            .unwrap_or_default();
        let locations: Vec<_> = resolving
            .iter()
            .map(|(index, field)| self.location(*index, field.position))
            .collect();
        self.errors.push(
            CompositionError::new(
                ErrorCode::InvalidFieldSharing,
                format!(
                    "Non-shareable field \"{coordinate}\" is resolved from multiple subgraphs: it is resolved from {} and defined as non-shareable in {non_shareable_text}{unknown_override}",
                    subgraph_list(&all)
                ),
            )
            .element(coordinate)
            .at_all(locations),
        );
    }
}

/// `percent(x)` with `0 <= x <= 100` (at most 8 decimals), or a name made of letters, digits and
/// `_-:./` that starts with a letter.
fn is_valid_override_label(label: &str) -> bool {
    if let Some(percent) = label
        .strip_prefix("percent(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let (whole, decimals) = percent.split_once('.').unwrap_or((percent, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        return !whole.is_empty()
            && whole.len() <= 3
            && digits(whole)
            && digits(decimals)
            && decimals.len() <= 8
            && (!percent.contains('.') || !decimals.is_empty())
            && percent
                .parse::<f64>()
                .is_ok_and(|p| (0.0..=100.0).contains(&p));
    }
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-:./".contains(c))
}
