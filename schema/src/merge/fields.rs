//! Merging the fields of object and interface types: the union of all subgraphs' fields, with
//! `@external` fields checked against their definitions (and free of merged directives),
//! `@override` deciding which subgraph resolves a field (progressive overrides with a label keep
//! both), the shareability rule (a field resolved by several subgraphs, directly or through an
//! `@interfaceObject`, must be `@shareable` everywhere), and the `@join__field` applications
//! routers need.

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use super::Merger;
use super::mismatch::{describe_values, subgraph_list};
use super::type_ref::{TypeSource, Variance};
use super::{merge_applied, merge_descriptions};
use crate::error::{CompositionError, CompositionHint, ErrorCode, HintCode, labelled_list};
use crate::subgraph::{CompositeType, Field, Subgraph, TypeBody};
use crate::supergraph::{JoinField, MergedField, MergedInputValue, print_value};

/// What `@override` means for one subgraph's instance of a field.
#[derive(Debug, Default, Clone)]
pub(super) struct OverrideState {
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
        let abstracted = if is_object {
            self.interface_object_fields(type_name, name, sources)
        } else {
            Vec::new()
        };
        if sources.iter().all(|(_, field)| field.external)
            && abstracted.iter().all(|(_, _, field)| field.external)
        {
            let mut subgraphs: Vec<String> = sources
                .iter()
                .map(|(index, _)| self.subgraphs[*index].name.clone())
                .collect();
            subgraphs.extend(abstracted.iter().map(|(index, interface, _)| {
                format!(
                    "{} (through @interfaceObject \"{interface}\")",
                    self.subgraphs[*index].name
                )
            }));
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
        self.check_merged_directives_on_external(&coordinate, sources);
        let overrides = self.override_states(type_name, &coordinate, sources);
        let mut defining: Vec<(usize, &Field)> = sources
            .iter()
            .filter(|(_, field)| !field.external)
            .copied()
            .collect();
        if defining.is_empty() {
            // Only an `@interfaceObject` resolves the field: the external declarations give its
            // shape.
            defining = sources.to_vec();
        }

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
            self.check_field_sharing(type_name, name, &coordinate, sources, &overrides);
        }
        Some(MergedField {
            join_fields,
            ..merged
        })
    }

    /// Fields of `@interfaceObject`s standing for an interface of object type `type_name`, in
    /// the subgraphs that do not define `type_name` itself: `(subgraph, interface, field)`.
    pub(super) fn interface_object_fields(
        &self,
        type_name: &Name,
        field_name: &Name,
        sources: &[(usize, &Field)],
    ) -> Vec<(usize, Name, &'a Field)> {
        let subgraphs: &'a [Subgraph] = self.subgraphs;
        let Some(interfaces) = self.implementations.get(type_name) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for (index, subgraph) in subgraphs.iter().enumerate() {
            if subgraph.types.contains_key(type_name) || sources.iter().any(|(i, _)| *i == index) {
                continue;
            }
            for interface in interfaces {
                let Some(ty) = subgraph.types.get(interface) else {
                    continue;
                };
                if let (true, TypeBody::Object(composite)) = (ty.interface_object, &ty.body)
                    && let Some(field) = composite.fields.get(field_name)
                {
                    found.push((index, interface.clone(), field));
                }
            }
        }
        found
    }

    /// Directives merged into the supergraph cannot be applied to `@external` fields (in
    /// Federation 2 subgraphs: Federation 1 ones never meant anything by it).
    fn check_merged_directives_on_external(
        &mut self,
        coordinate: &str,
        sources: &[(usize, &Field)],
    ) {
        for (index, field) in sources {
            let subgraph = &self.subgraphs[*index];
            if !field.external || subgraph.federation_1 {
                continue;
            }
            for directive in field.applied.merged_directives() {
                self.errors.push(
                    CompositionError::new(
                        ErrorCode::MergedDirectiveApplicationOnExternal,
                        format!(
                            "[{}] Cannot apply merged directive {directive} to external field \"{coordinate}\"",
                            subgraph.name
                        ),
                    )
                    .element(coordinate)
                    .at(subgraph.location(field.position)),
                );
            }
        }
    }

    /// Works out, per source, what the field's `@override` directives imply, reporting misuse
    /// as errors and removable overrides or fields as hints.
    fn override_states(
        &mut self,
        type_name: &Name,
        coordinate: &str,
        sources: &[(usize, &Field)],
    ) -> Vec<OverrideState> {
        let mut states = vec![OverrideState::default(); self.subgraphs.len()];
        let subgraphs: &'a [Subgraph] = self.subgraphs;
        for (index, field) in sources {
            let Some(over) = &field.override_from else {
                continue;
            };
            let subgraph = &subgraphs[*index];
            let location = subgraph.location(field.position);
            let error = |code: ErrorCode, message: String| {
                CompositionError::new(code, message)
                    .element(coordinate)
                    .at(location.clone())
            };
            if self.is_interface_object(*index, type_name) {
                self.errors.push(error(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    format!(
                        "@override is not yet supported on fields of @interfaceObject types: cannot be used on field \"{coordinate}\" on subgraph \"{}\".",
                        subgraph.name
                    ),
                ));
                continue;
            }
            let Some(from_index) = subgraphs.iter().position(|s| s.name == over.from) else {
                states[*index].unknown_target = true;
                self.hints.push(
                    CompositionHint::new(
                        HintCode::FromSubgraphDoesNotExist,
                        format!(
                            "Source subgraph \"{}\" for field \"{coordinate}\" on subgraph \"{}\" does not exist.",
                            over.from, subgraph.name
                        ),
                    )
                    .element(coordinate)
                    .at(location.clone()),
                );
                continue;
            };
            if from_index == *index {
                self.errors.push(error(
                    ErrorCode::OverrideFromSelfError,
                    format!(
                        "Source and destination subgraphs \"{}\" are the same for overridden field \"{coordinate}\"",
                        subgraph.name
                    ),
                ));
                continue;
            }
            let overridden = sources
                .iter()
                .find(|(i, _)| *i == from_index)
                .map(|(_, f)| *f);
            if let Some(overridden) = overridden
                && overridden.override_from.is_some()
            {
                self.errors.push(
                    error(
                        ErrorCode::OverrideSourceHasOverride,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" is also marked with directive @override in subgraph \"{}\". Only one @override directive is allowed per field.",
                            subgraph.name, over.from
                        ),
                    )
                    .at(self.location(from_index, overridden.position)),
                );
                continue;
            }
            let Some(overridden) = overridden else {
                let abstracted = self.interface_object_fields(type_name, &field.name, &[]);
                let abstracting: Vec<String> = abstracted
                    .iter()
                    .filter(|(i, _, _)| *i == from_index)
                    .map(|(_, interface, _)| format!("\"{interface}\""))
                    .collect();
                if abstracting.is_empty() {
                    self.hints.push(
                        CompositionHint::new(
                            HintCode::OverrideDirectiveCanBeRemoved,
                            format!(
                                "Field \"{coordinate}\" on subgraph \"{}\" no longer exists in the from subgraph. The @override directive can be removed.",
                                subgraph.name
                            ),
                        )
                        .element(coordinate)
                        .at(location.clone()),
                    );
                } else {
                    self.errors.push(error(
                        ErrorCode::OverrideCollisionWithAnotherDirective,
                        format!(
                            "Invalid @override on field \"{coordinate}\" of subgraph \"{}\": source subgraph \"{}\" does not have field \"{coordinate}\" but abstract it in {} {} and overriding abstracted fields is not supported.",
                            subgraph.name,
                            over.from,
                            if abstracting.len() > 1 { "types" } else { "type" },
                            abstracting.join(", ")
                        ),
                    ));
                }
                continue;
            };
            let conflict = if overridden.requires.is_some() {
                Some((over.from.as_str(), "@requires"))
            } else if overridden.provides.is_some() {
                Some((over.from.as_str(), "@provides"))
            } else if field.external {
                Some((subgraph.name.as_str(), "@external"))
            } else {
                None
            };
            if let Some((marked_in, directive)) = conflict {
                self.errors.push(error(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    format!(
                        "@override cannot be used on field \"{coordinate}\" on subgraph \"{}\" since \"{coordinate}\" on \"{marked_in}\" is marked with directive \"{directive}\"",
                        subgraph.name
                    ),
                ));
                continue;
            }
            let from = &subgraphs[from_index];
            let from_location = from.location(overridden.position);
            let referenced = from
                .used_fields
                .contains(&(type_name.clone(), overridden.name.clone()));
            let hint = |code: HintCode, message: String, at| {
                CompositionHint::new(code, message)
                    .element(coordinate)
                    .at(at)
            };
            if overridden.external {
                self.hints.push(hint(
                    HintCode::OverrideDirectiveCanBeRemoved,
                    format!(
                        "Field \"{coordinate}\" on subgraph \"{}\" is not resolved anymore by the from subgraph (it is marked \"@external\" in \"{}\"). The @override directive can be removed.",
                        subgraph.name, from.name
                    ),
                    location.clone(),
                ));
            } else if referenced {
                states[from_index].used_overridden = true;
                if over.label.is_none() {
                    self.hints.push(hint(
                        HintCode::OverriddenFieldCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" is overridden. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s), but consider marking it @external explicitly or removing it along with its references.",
                            from.name
                        ),
                        from_location.clone(),
                    ));
                }
            } else {
                states[from_index].unused_overridden = true;
                if over.label.is_none() {
                    self.hints.push(hint(
                        HintCode::OverriddenFieldCanBeRemoved,
                        format!(
                            "Field \"{coordinate}\" on subgraph \"{}\" is overridden. Consider removing it.",
                            from.name
                        ),
                        from_location.clone(),
                    ));
                }
            }
            let Some(label) = &over.label else {
                continue;
            };
            if !is_valid_override_label(label) {
                self.errors.push(error(
                    ErrorCode::OverrideLabelInvalid,
                    format!(
                        "Invalid @override label \"{label}\" on field \"{coordinate}\" on subgraph \"{}\": labels must start with a letter and after that may contain alphanumerics, underscores, minuses, colons, periods, or slashes. Alternatively, labels may be of the form \"percent(x)\" where x is a float between 0-100 inclusive.",
                        subgraph.name
                    ),
                ));
                continue;
            }
            states[*index].label = Some(label.clone());
            states[from_index].label = Some(label.clone());
            self.hints.push(hint(
                HintCode::OverrideMigrationInProgress,
                if referenced {
                    format!(
                        "Field \"{coordinate}\" on subgraph \"{}\" is currently being migrated via progressive @override. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s). Once the migration is complete, consider marking it @external explicitly or removing it along with its references.",
                        from.name
                    )
                } else {
                    format!(
                        "Field \"{coordinate}\" is currently being migrated with progressive @override. Once the migration is complete, remove the field from subgraph \"{}\".",
                        from.name
                    )
                },
                from_location,
            ));
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
                    graph: Some(*index),
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

    /// A field resolved by several subgraphs (directly, or through an `@interfaceObject` of an
    /// interface of its type) must be `@shareable` in all of them.
    pub(super) fn check_field_sharing(
        &mut self,
        type_name: &Name,
        field_name: &Name,
        coordinate: &str,
        sources: &[(usize, &Field)],
        overrides: &[OverrideState],
    ) {
        let subgraphs: &'a [Subgraph] = self.subgraphs;
        // (label, subgraph, field) of every resolving instance.
        let mut resolving: Vec<(String, usize, &Field)> = Vec::new();
        for (index, field) in sources {
            if let Some(state) = overrides.get(*index)
                && (state.used_overridden || state.unused_overridden)
            {
                continue;
            }
            let provided = subgraphs[*index]
                .provided_fields
                .contains(&(type_name.clone(), field.name.clone()));
            if field.external && !provided {
                continue;
            }
            resolving.push((format!("\"{}\"", subgraphs[*index].name), *index, *field));
        }
        for (index, interface, field) in
            self.interface_object_fields(type_name, field_name, sources)
        {
            if field.external {
                continue;
            }
            resolving.push((
                format!(
                    "\"{}\" (through @interfaceObject field \"{interface}.{field_name}\")",
                    subgraphs[index].name
                ),
                index,
                field,
            ));
        }
        let shareable: Vec<String> = resolving
            .iter()
            .filter(|(_, _, f)| f.shareable)
            .map(|(label, _, _)| label.clone())
            .collect();
        let non_shareable: Vec<(String, usize)> = resolving
            .iter()
            .filter(|(_, _, f)| !f.shareable)
            .map(|(label, index, _)| (label.clone(), *index))
            .collect();
        if non_shareable.is_empty() || (shareable.is_empty() && non_shareable.len() == 1) {
            return;
        }
        let non_shareable_labels: Vec<String> = non_shareable
            .iter()
            .map(|(label, _)| label.clone())
            .collect();
        let all: Vec<String> = non_shareable_labels
            .iter()
            .chain(&shareable)
            .cloned()
            .collect();
        let non_shareable_text = if shareable.is_empty() {
            "all of them".to_owned()
        } else {
            labelled_list(&non_shareable_labels)
        };
        let unknown_override = non_shareable
            .iter()
            .find(|(_, index)| overrides.get(*index).is_some_and(|s| s.unknown_target))
            .map(|(label, _)| {
                format!(
                    " (please note that \"{coordinate}\" has an @override directive in subgraph {label} that targets an unknown subgraph so this could be due to misspelling the @override(from:) argument)"
                )
            })
            .unwrap_or_default();
        let locations: Vec<_> = resolving
            .iter()
            .map(|(_, index, field)| self.location(*index, field.position))
            .collect();
        self.errors.push(
            CompositionError::new(
                ErrorCode::InvalidFieldSharing,
                format!(
                    "Non-shareable field \"{coordinate}\" is resolved from multiple subgraphs: it is resolved from {} and defined as non-shareable in {non_shareable_text}{unknown_override}",
                    labelled_list(&all)
                ),
            )
            .element(coordinate)
            .at_all(locations),
        );
    }
}

/// `percent(x)` with `x` either `100` or one or two digits with at most 8 decimals, or a name
/// made of letters, digits and `_-:./` that starts with a letter.
pub(crate) fn is_valid_override_label(label: &str) -> bool {
    if let Some(percent) = label
        .strip_prefix("percent(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        if percent == "100" {
            return true;
        }
        let (whole, decimals) = match percent.split_once('.') {
            Some((whole, decimals)) => (whole, Some(decimals)),
            None => (percent, None),
        };
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        return (1..=2).contains(&whole.len())
            && digits(whole)
            && decimals.is_none_or(|d| (1..=8).contains(&d.len()) && digits(d));
    }
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-:./".contains(c))
}
