//! What the `@key`, `@requires` and `@provides` selections of a subgraph mean for its fields:
//! each selection is checked (against the subgraph schema and the federation rules for that
//! directive), then the fields they select decide which fields are used, provided, genuinely
//! external (not Federation-1 style key markers) and shareable.

use std::collections::HashSet;

use apollo_compiler::Name;
use apollo_compiler::schema::ExtendedType;
use indexmap::IndexMap;

use super::build::Builder;
use super::field_set::{self, FieldSelection};
use super::link::FederationVersion;
use super::{Field, FieldCoordinate, Key, SubgraphType, TypeBody};
use crate::error::{ErrorCode, Position};

const ROOT_TYPES: [&str; 3] = ["Query", "Mutation", "Subscription"];

impl Builder<'_> {
    /// Checks the `@key`, `@requires` and `@provides` selections, settles which fields are
    /// external and shareable, and returns the used and the provided fields.
    pub(super) fn check_field_sets(
        &mut self,
        types: &mut IndexMap<Name, SubgraphType>,
    ) -> (HashSet<FieldCoordinate>, HashSet<FieldCoordinate>) {
        let mut used = HashSet::new();
        let mut provided = HashSet::new();
        let mut key_fields = HashSet::new();
        let mut fake_external = HashSet::new();
        // Types some invalid field set was about: which of their external fields it meant to
        // use is unknown, so they are not reported as unused.
        let mut unchecked_types: HashSet<Name> = HashSet::new();

        // Keys first: they decide which `@external` key fields are only Federation-1 style
        // markers ("fake" externals) rather than genuinely external.
        for ty in types.values() {
            let (TypeBody::Object(composite) | TypeBody::Interface(composite)) = &ty.body else {
                continue;
            };
            for key in &composite.keys {
                let Some(selection) = self.select(
                    &ty.name,
                    &key.fields,
                    types,
                    ErrorCode::KeyInvalidFields,
                    &format!(
                        "On type \"{}\", for @key(fields: {:?})",
                        ty.name, key.fields
                    ),
                    key.position,
                ) else {
                    unchecked_types.insert(ty.name.clone());
                    continue;
                };
                self.check_key_selection(&ty.name, key, &selection);
                for field in &selection.fields {
                    let coordinate = (self.rename(&field.parent), field.name.clone());
                    if key.on_extension && declared_external(types, &coordinate) {
                        fake_external.insert(coordinate.clone());
                    }
                    key_fields.insert(coordinate.clone());
                    used.insert(coordinate);
                }
            }
        }
        for (type_name, field_name) in &fake_external {
            if let Some(field) = composite_field_mut(types, type_name, field_name) {
                field.external = false;
            }
        }

        let federation_1 = self.names.version == FederationVersion::One;
        // Federation 1 selections reduced to their active part (`None`: dropped entirely).
        let mut rewritten_requires: Vec<(Name, Name, Option<String>)> = Vec::new();
        let mut rewritten_provides: Vec<(Name, Name, Option<String>)> = Vec::new();
        for ty in types.values() {
            let (TypeBody::Object(composite) | TypeBody::Interface(composite)) = &ty.body else {
                continue;
            };
            for field in composite.fields.values() {
                let coordinate = format!("{}.{}", ty.name, field.name);
                if let Some(requires) = &field.requires {
                    let context =
                        format!("On field \"{coordinate}\", for @requires(fields: {requires:?})");
                    if let Some(selection) = self.select(
                        &ty.name,
                        requires,
                        types,
                        ErrorCode::RequiresInvalidFields,
                        &context,
                        field.position,
                    ) {
                        if federation_1 {
                            // Federation 1 accepted selecting local fields; they are dropped.
                            if selection.active != *requires {
                                rewritten_requires.push((
                                    ty.name.clone(),
                                    field.name.clone(),
                                    (!selection.active.is_empty())
                                        .then(|| selection.active.clone()),
                                ));
                            }
                        } else {
                            self.check_external_selection(
                                &selection,
                                &coordinate,
                                &context,
                                "@requires",
                                field.position,
                            );
                        }
                        used.extend(
                            selection
                                .fields
                                .iter()
                                .map(|f| (self.rename(&f.parent), f.name.clone())),
                        );
                    } else {
                        unchecked_types.insert(ty.name.clone());
                    }
                }
                if let Some(provides) = &field.provides {
                    let target = field.ty.inner_named_type();
                    let composite_target = matches!(
                        self.schema.types.get(&self.original_name(target)),
                        Some(
                            ExtendedType::Object(_)
                                | ExtendedType::Interface(_)
                                | ExtendedType::Union(_)
                        )
                    );
                    if !composite_target && federation_1 {
                        // Federation 1 ignored such `@provides`.
                        rewritten_provides.push((ty.name.clone(), field.name.clone(), None));
                        continue;
                    }
                    if !composite_target {
                        let error = self.reporter.error(
                            ErrorCode::ProvidesOnNonObjectField,
                            &coordinate,
                            format!(
                                "Invalid @provides directive on field \"{coordinate}\": field has type \"{}\" which is not a Composite Type",
                                field.ty
                            ),
                            field.position,
                        );
                        self.errors.push(error);
                        continue;
                    }
                    let context =
                        format!("On field \"{coordinate}\", for @provides(fields: {provides:?})");
                    if let Some(selection) = self.select(
                        target,
                        provides,
                        types,
                        ErrorCode::ProvidesInvalidFields,
                        &context,
                        field.position,
                    ) {
                        if federation_1 {
                            if selection.active != *provides {
                                rewritten_provides.push((
                                    ty.name.clone(),
                                    field.name.clone(),
                                    (!selection.active.is_empty())
                                        .then(|| selection.active.clone()),
                                ));
                            }
                        } else {
                            self.check_external_selection(
                                &selection,
                                &coordinate,
                                &context,
                                "@provides",
                                field.position,
                            );
                        }
                        for selected in &selection.fields {
                            let coordinate = (self.rename(&selected.parent), selected.name.clone());
                            provided.insert(coordinate.clone());
                            used.insert(coordinate);
                        }
                    } else {
                        unchecked_types.insert(target.clone());
                    }
                }
            }
        }

        // Fields implementing an interface field are used by that interface.
        for ty in types.values() {
            let (TypeBody::Object(composite) | TypeBody::Interface(composite)) = &ty.body else {
                continue;
            };
            for interface in &composite.implements {
                let Some(TypeBody::Interface(declared)) = types.get(interface).map(|t| &t.body)
                else {
                    continue;
                };
                for field_name in composite.fields.keys() {
                    if declared.fields.contains_key(field_name) {
                        used.insert((ty.name.clone(), field_name.clone()));
                    }
                }
            }
        }

        for (type_name, field_name, fields) in rewritten_requires {
            if let Some(field) = composite_field_mut(types, &type_name, &field_name) {
                field.requires = fields;
            }
        }
        for (type_name, field_name, fields) in rewritten_provides {
            if let Some(field) = composite_field_mut(types, &type_name, &field_name) {
                field.provides = fields;
            }
        }

        let mut emptied = Vec::new();
        for ty in types.values_mut() {
            let (TypeBody::Object(composite) | TypeBody::Interface(composite)) = &mut ty.body
            else {
                continue;
            };
            let mut unused_external = Vec::new();
            for field in composite.fields.values_mut() {
                let coordinate = (ty.name.clone(), field.name.clone());
                // Federation 1 has no `@shareable`: a field other subgraphs also resolve is
                // shareable there (value types are shareable as a whole).
                field.shareable = field.shareable
                    || key_fields.contains(&coordinate)
                    || provided.contains(&coordinate)
                    || federation_1;
                if field.external
                    && !used.contains(&coordinate)
                    && !unchecked_types.contains(&ty.name)
                {
                    unused_external.push(field.name.clone());
                }
            }
            for field_name in unused_external {
                if federation_1 {
                    // Federation 1 tolerated unused externals; they carry no meaning.
                    composite.fields.shift_remove(&field_name);
                    if composite.fields.is_empty() && !ROOT_TYPES.contains(&ty.name.as_str()) {
                        emptied.push(ty.name.clone());
                    }
                    continue;
                }
                let coordinate = format!("{}.{field_name}", ty.name);
                let position = composite.fields.get(&field_name).and_then(|f| f.position);
                self.errors.push(self.reporter.error(
                    ErrorCode::ExternalUnused,
                    &coordinate,
                    format!(
                        "Field \"{coordinate}\" is marked @external but is not used in any federation directive (@key, @provides, @requires) or to satisfy an interface; the field declaration has no use and should be removed (or the field should not be @external)."
                    ),
                    position,
                ));
            }
        }
        for type_name in emptied {
            if is_referenced(types, &type_name) {
                let position = types.get(&type_name).and_then(|t| t.position);
                self.errors.push(self.reporter.error(
                    ErrorCode::TypeWithOnlyUnusedExternal,
                    &type_name,
                    format!(
                        "Type {type_name} contains only external fields and all those fields are all unused (they do not appear in any @key, @provides or @requires)."
                    ),
                    position,
                ));
            } else {
                types.shift_remove(&type_name);
            }
        }
        (used, provided)
    }

    /// Parses and validates a field set on `type_name` (a model name), reporting errors under
    /// `code` with `context` (e.g. `On type "T", for @key(fields: "id")`) as message prefix.
    fn select(
        &mut self,
        type_name: &Name,
        fields: &str,
        types: &IndexMap<Name, SubgraphType>,
        code: ErrorCode,
        context: &str,
        position: Option<Position>,
    ) -> Option<FieldSelection> {
        let renames = &self.renames;
        let is_external = |parent: &str, field: &str| {
            let parent = renames
                .iter()
                .find(|(original, _)| original.as_str() == parent)
                .map_or(parent, |(_, standard)| standard.as_str());
            let external_in = |ty: &SubgraphType| match &ty.body {
                TypeBody::Object(c) => c.fields.get(field).is_some_and(|f| f.external),
                _ => false,
            };
            match types.get(parent) {
                // An interface field is external where an implementation marks it so: what
                // is selected below it then comes from the `@provides` too.
                Some(interface) if matches!(interface.body, TypeBody::Interface(_)) => {
                    types.values().any(|ty| {
                        matches!(&ty.body, TypeBody::Object(c) if c.implements.iter().any(|i| i == parent))
                            && external_in(ty)
                    })
                }
                Some(ty) => external_in(ty),
                None => false,
            }
        };
        match field_set::select(
            &self.schema,
            &self.original_name(type_name),
            fields,
            &is_external,
        ) {
            Ok(selection) => Some(selection),
            Err(messages) => {
                for message in messages {
                    let error = self.reporter.error(
                        code,
                        type_name,
                        format!("{context}: {message}"),
                        position,
                    );
                    self.errors.push(error);
                }
                None
            }
        }
    }

    fn check_key_selection(&mut self, type_name: &Name, key: &Key, selection: &FieldSelection) {
        let context = format!(
            "On type \"{type_name}\", for @key(fields: {:?})",
            key.fields
        );
        let mut problems = Vec::new();
        if let Some(directive) = &selection.directive {
            problems.push((
                ErrorCode::KeyDirectiveInFieldsArgs,
                format!("{context}: cannot have directive applications in the @key(fields:) argument but found {directive}."),
            ));
        }
        for field in &selection.fields {
            let coordinate = format!("{}.{}", self.rename(&field.parent), field.name);
            if field.aliased {
                problems.push((
                    ErrorCode::KeyInvalidFields,
                    format!("{context}: field \"{coordinate}\" is aliased, and aliases are not allowed in @key."),
                ));
            }
            if field.has_arguments {
                problems.push((
                    ErrorCode::KeyFieldsHasArgs,
                    format!("{context}: field {coordinate} cannot be included because it has arguments (fields with argument are not allowed in @key)"),
                ));
            }
            if let Some(kind) = field_set::abstract_kind(&self.schema, &field.type_name) {
                problems.push((
                    ErrorCode::KeyFieldsSelectInvalidType,
                    format!("{context}: field \"{coordinate}\" is a {kind} type which is not allowed in @key"),
                ));
            }
        }
        for (code, message) in problems {
            let error = self.reporter.error(code, type_name, message, key.position);
            self.errors.push(error);
        }
    }

    /// `@requires` and `@provides` may only select external fields (or fields nested in one).
    fn check_external_selection(
        &mut self,
        selection: &FieldSelection,
        coordinate: &str,
        context: &str,
        directive_name: &str,
        position: Option<Position>,
    ) {
        let (directive_code, missing_code) = if directive_name == "@requires" {
            (
                ErrorCode::RequiresDirectiveInFieldsArg,
                ErrorCode::RequiresFieldsMissingExternal,
            )
        } else {
            (
                ErrorCode::ProvidesDirectiveInFieldsArg,
                ErrorCode::ProvidesFieldsMissingExternal,
            )
        };
        if let Some(directive) = &selection.directive {
            let error = self.reporter.error(
                directive_code,
                coordinate,
                format!("{context}: cannot have directive applications in the {directive_name}(fields:) argument but found {directive}."),
                position,
            );
            self.errors.push(error);
        }
        for field in &selection.fields {
            if field.has_arguments && directive_name == "@provides" {
                let selected = format!("{}.{}", self.rename(&field.parent), field.name);
                let error = self.reporter.error(
                    ErrorCode::ProvidesFieldsHasArgs,
                    coordinate,
                    format!("{context}: field {selected} cannot be included because it has arguments (fields with argument are not allowed in @provides)"),
                    position,
                );
                self.errors.push(error);
            }
            if field.is_leaf && !field.external && !field.under_external {
                let selected = format!("{}.{}", self.rename(&field.parent), field.name);
                let error = self.reporter.error(
                    missing_code,
                    coordinate,
                    format!("{context}: field \"{selected}\" should not be part of a {directive_name} since it is already provided by this subgraph (it is not marked @external)"),
                    position,
                );
                self.errors.push(error);
            }
        }
    }
}

/// Whether some field, argument, input field, union or implementation refers to `type_name`.
fn is_referenced(types: &IndexMap<Name, SubgraphType>, type_name: &str) -> bool {
    let refers = |ty: &apollo_compiler::ast::Type| ty.inner_named_type() == type_name;
    types.values().any(|ty| match &ty.body {
        TypeBody::Object(c) | TypeBody::Interface(c) => {
            c.implements.iter().any(|i| i == type_name)
                || c.fields
                    .values()
                    .any(|f| refers(&f.ty) || f.arguments.values().any(|a| refers(&a.ty)))
        }
        TypeBody::Union { members } => members.iter().any(|m| m == type_name),
        TypeBody::InputObject { fields } => fields.values().any(|f| refers(&f.ty)),
        TypeBody::Scalar { .. } | TypeBody::Enum { .. } => false,
    })
}

fn declared_external(types: &IndexMap<Name, SubgraphType>, (ty, field): &FieldCoordinate) -> bool {
    types
        .get(ty)
        .and_then(|t| match &t.body {
            TypeBody::Object(c) | TypeBody::Interface(c) => c.fields.get(field),
            _ => None,
        })
        .is_some_and(|f| f.external)
}

fn composite_field_mut<'t>(
    types: &'t mut IndexMap<Name, SubgraphType>,
    type_name: &str,
    field_name: &str,
) -> Option<&'t mut Field> {
    match &mut types.get_mut(type_name)?.body {
        TypeBody::Object(c) | TypeBody::Interface(c) => c.fields.get_mut(field_name),
        _ => None,
    }
}
