//! Building the [`Subgraph`] model from SDL: parse, resolve the federation `@link`, validate as
//! GraphQL (adding the federation definitions subgraph SDLs leave out), and read types, fields
//! and federation directives into the model. What the field sets of `@key`, `@requires` and
//! `@provides` imply is worked out by `field_usage`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use apollo_compiler::ast::{self, Type};
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::parser::{SourceMap, SourceSpan};
use apollo_compiler::schema::{
    Component, ComponentName, ComponentOrigin, DirectiveList, ExtendedType, FieldDefinition,
};
use apollo_compiler::validation::{DiagnosticList, Valid};
use apollo_compiler::{Name, Node, Schema, collections};
use indexmap::IndexMap;

use super::link::{
    FederationDirective, FederationNames, FederationVersion, LinkIssue, LinkedFeature,
    linked_features,
};
use super::{
    CompositeType, EnumValue, Field, InputValue, Key, Override, Subgraph, SubgraphInput,
    SubgraphType, TypeBody,
};
use crate::error::{CompositionError, CompositionHint, ErrorCode, ErrorLocation, Position};

/// Source name of the federation definitions added for validation.
const DEFINITIONS_PATH: &str = "<federation definitions>";

/// Builds and checks one subgraph; all problems found are returned together.
pub(crate) fn build_subgraph(input: &SubgraphInput) -> Result<Subgraph, Vec<CompositionError>> {
    let file = input
        .source_path
        .as_ref()
        .map(|path| path.display().to_string());
    let reporter = Reporter {
        subgraph: input.name.clone(),
        file: file.clone(),
    };
    let parse_path = file.unwrap_or_else(|| format!("<subgraph {}>", input.name));
    let document =
        ast::Document::parse(input.sdl.as_str(), &parse_path).map_err(|with_errors| {
            // The parser recovers from a syntax error by guessing, and what follows often yields
            // more errors that are only consequences of the first one.
            let mut errors = reporter.graphql_errors(&with_errors.errors);
            errors.truncate(1);
            errors
        })?;
    let mut names = FederationNames::resolve(&document).map_err(|issues| {
        issues
            .into_iter()
            .map(|issue| reporter.link_issue(issue, &document.sources))
            .collect::<Vec<_>>()
    })?;
    let definition_issues = names.check_provided_definitions(&document);
    if !definition_issues.is_empty() {
        return Err(definition_issues
            .into_iter()
            .map(|issue| {
                CompositionError::new(
                    issue.code,
                    format!("[{}] {}", reporter.subgraph, issue.message),
                )
                .at(reporter.location(position_in_subgraph(issue.location, &document.sources)))
            })
            .collect());
    }
    let defined_types = document
        .definitions
        .iter()
        .filter(|definition| !definition.is_extension_definition())
        .filter_map(|definition| definition.name().cloned())
        .collect();
    let mut schema = Schema::builder()
        .adopt_orphan_extensions()
        .add_ast(&document);
    // A subgraph printing every federation definition leaves nothing to add (and the parser
    // rejects an empty document).
    let missing = missing_definitions(&names, &document);
    if !missing.is_empty() {
        schema = schema.parse(missing, DEFINITIONS_PATH);
    }
    let schema = schema
        .build()
        .map_err(|with_errors| reporter.graphql_errors(&with_errors.errors))?
        .validate()
        .map_err(|with_errors| reporter.graphql_errors(&with_errors.errors))?;
    let features = linked_features(&document);
    Builder {
        input,
        reporter,
        names,
        schema,
        defined_types,
        features,
        renames: HashMap::new(),
        composed_names: HashSet::new(),
        errors: Vec::new(),
        hints: Vec::new(),
        ignored_interface_keys: HashSet::new(),
    }
    .build()
}

/// The federation definitions `document` relies on without defining them. A subgraph whose
/// only queries are the federation ones (`_service`, `_entities`) may leave out its `Query`
/// type; it gets the `_service` query every subgraph serves, so it validates.
fn missing_definitions(names: &FederationNames, document: &ast::Document) -> String {
    let mut sdl = names.missing_definitions(document);
    let has_query_root = document
        .definitions
        .iter()
        .any(|definition| match definition {
            ast::Definition::SchemaDefinition(def) => def
                .root_operations
                .iter()
                .any(|root| root.0 == ast::OperationType::Query),
            ast::Definition::SchemaExtension(ext) => ext
                .root_operations
                .iter()
                .any(|root| root.0 == ast::OperationType::Query),
            other => other.name().is_some_and(|name| name == "Query"),
        });
    if !has_query_root {
        sdl.push_str("type Query { _service: _Service! }\n");
        if !document
            .definitions
            .iter()
            .any(|definition| definition.name().is_some_and(|name| name == "_Service"))
        {
            sdl.push_str("type _Service { sdl: String }\n");
        }
    }
    sdl
}

/// Turns positions and diagnostics into [`CompositionError`]s naming this subgraph.
pub(super) struct Reporter {
    subgraph: String,
    file: Option<String>,
}

impl Reporter {
    pub(super) fn location(&self, position: Option<Position>) -> ErrorLocation {
        ErrorLocation {
            subgraph: self.subgraph.clone(),
            file: self.file.clone(),
            position,
        }
    }

    /// An error found while checking this subgraph alone; the message is prefixed with the
    /// subgraph name like Federation does.
    pub(super) fn error(
        &self,
        code: ErrorCode,
        element: &str,
        message: impl AsRef<str>,
        position: Option<Position>,
    ) -> CompositionError {
        CompositionError::new(code, format!("[{}] {}", self.subgraph, message.as_ref()))
            .element(element)
            .at(self.location(position))
    }

    fn graphql_errors(&self, diagnostics: &DiagnosticList) -> Vec<CompositionError> {
        diagnostics
            .iter()
            .map(|diagnostic| {
                let position =
                    position_in_subgraph(diagnostic.error.location(), diagnostic.sources);
                CompositionError::new(
                    ErrorCode::InvalidGraphql,
                    format!("[{}] {}", self.subgraph, diagnostic.error),
                )
                .at(self.location(position))
            })
            .collect()
    }

    fn link_issue(&self, issue: LinkIssue, sources: &SourceMap) -> CompositionError {
        let code = if issue.unknown_version {
            ErrorCode::UnknownFederationLinkVersion
        } else {
            ErrorCode::InvalidLinkDirectiveUsage
        };
        CompositionError::new(code, format!("[{}] {}", self.subgraph, issue.message))
            .at(self.location(position_in_subgraph(issue.location, sources)))
    }
}

/// The line and column of `span`, unless it points into the added federation definitions.
fn position_in_subgraph(span: Option<SourceSpan>, sources: &SourceMap) -> Option<Position> {
    let span = span?;
    let file = sources.get(&span.file_id())?;
    if file.path() == Path::new(DEFINITIONS_PATH) {
        return None;
    }
    let start = span.line_column(sources)?;
    Some(Position {
        line: start.line,
        column: start.column,
    })
}

pub(super) struct Builder<'a> {
    pub(super) input: &'a SubgraphInput,
    pub(super) reporter: Reporter,
    pub(super) names: FederationNames,
    pub(super) schema: Valid<Schema>,
    /// Types with a definition that is not an `extend` block.
    defined_types: HashSet<Name>,
    /// `@link`s to specs other than federation.
    pub(super) features: Vec<LinkedFeature>,
    /// Root operation types not named `Query`/`Mutation`/`Subscription`, to their standard name.
    pub(super) renames: HashMap<Name, Name>,
    /// Directives composed with `@composeDirective`, whose applications are kept.
    pub(super) composed_names: HashSet<Name>,
    pub(super) errors: Vec<CompositionError>,
    pub(super) hints: Vec<CompositionHint>,
    /// Interfaces with a `@key` that Federation 1 semantics ignore.
    ignored_interface_keys: HashSet<Name>,
}

impl Builder<'_> {
    fn build(mut self) -> Result<Subgraph, Vec<CompositionError>> {
        let schema_definition = &self.schema.schema_definition;
        for (root, standard) in [
            (&schema_definition.query, "Query"),
            (&schema_definition.mutation, "Mutation"),
            (&schema_definition.subscription, "Subscription"),
        ] {
            if let Some(root) = root
                && root.name != standard
            {
                self.renames
                    .insert(root.name.clone(), Name::new_unchecked(standard));
            }
        }
        let schema_directives: Vec<_> = schema_definition
            .directives
            .iter()
            .map(|d| d.node.clone())
            .collect();
        let composed_directives = self.composed_directives(&schema_directives);
        self.composed_names = composed_directives
            .iter()
            .map(|composed| composed.name.clone())
            .collect();
        self.applied(schema_directives.iter(), "schema");

        let mut types = IndexMap::new();
        let schema = self.schema.clone();
        for (name, ty) in &schema.types {
            if ty.is_built_in() || self.names.is_machinery_type(name) {
                continue;
            }
            let model = self.named_type(name, ty);
            types.insert(model.name.clone(), model);
        }
        self.check_interface_object_keys(&types);
        self.check_interface_keys_on_implementations(&types);
        self.check_demand_control(&types);
        let (used_fields, provided_fields) = self.check_field_sets(&mut types);
        let executable_directives = self.executable_directives();

        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Subgraph {
            name: self.input.name.clone(),
            url: self.input.url.clone(),
            file: self.reporter.file.clone(),
            federation_1: self.names.version == FederationVersion::One,
            ignored_interface_keys: self.ignored_interface_keys,
            types,
            composed_directives,
            hints: self.hints,
            executable_directives,
            used_fields,
            provided_fields,
        })
    }

    /// An error at `position` of this subgraph, with the message as given.
    pub(super) fn plain_error(
        &self,
        code: ErrorCode,
        element: &str,
        message: String,
        position: Option<Position>,
    ) -> CompositionError {
        CompositionError::new(code, message)
            .element(element)
            .at(self.reporter.location(position))
    }

    /// `@interfaceObject` types must be entities.
    fn check_interface_object_keys(&mut self, types: &IndexMap<Name, SubgraphType>) {
        for ty in types.values() {
            let TypeBody::Object(composite) = &ty.body else {
                continue;
            };
            if ty.interface_object && composite.keys.is_empty() {
                let error = self.plain_error(
                    ErrorCode::InterfaceObjectUsageError,
                    &ty.name,
                    format!(
                        "[{}] The @interfaceObject directive can only be applied to entity types but type \"{}\" has no @key in this subgraph.",
                        self.input.name, ty.name
                    ),
                    ty.position,
                );
                self.errors.push(error);
            }
        }
    }

    /// Every `@key` of an interface must be a key (resolvable when it is) of each of its
    /// implementations in the subgraph, so that the router can resolve any of them from it.
    fn check_interface_keys_on_implementations(&mut self, types: &IndexMap<Name, SubgraphType>) {
        let normalized_key =
            |fields: &str| crate::selection::parse(fields).map(crate::selection::normalized);
        let mut errors = Vec::new();
        for interface in types.values() {
            let TypeBody::Interface(declared) = &interface.body else {
                continue;
            };
            for key in &declared.keys {
                let wanted = normalized_key(&key.fields);
                let mut missing = Vec::new();
                let mut unresolvable = Vec::new();
                for implementation in types.values() {
                    let TypeBody::Object(object) = &implementation.body else {
                        continue;
                    };
                    if !object.implements.contains(&interface.name) {
                        continue;
                    }
                    match object
                        .keys
                        .iter()
                        .find(|k| normalized_key(&k.fields) == wanted)
                    {
                        None => missing.push(implementation),
                        Some(found) if key.resolvable && !found.resolvable => {
                            unresolvable.push(implementation)
                        }
                        Some(_) => {}
                    }
                }
                let application = if key.resolvable {
                    format!("@key(fields: {:?})", key.fields)
                } else {
                    format!("@key(fields: {:?}, resolvable: false)", key.fields)
                };
                let listed = |implementations: &[&SubgraphType]| {
                    let names: Vec<String> = implementations
                        .iter()
                        .map(|t| format!("\"{}\"", t.name))
                        .collect();
                    let prefix = if names.len() > 1 { "types" } else { "type" };
                    format!("{prefix} {}", human_list(&names))
                };
                let (offending, message) = if !missing.is_empty() {
                    (
                        missing.clone(),
                        format!(
                            "[{}] Key {application} on interface type \"{}\" is missing on implementation {}.",
                            self.input.name,
                            interface.name,
                            listed(&missing)
                        ),
                    )
                } else if !unresolvable.is_empty() {
                    (
                        unresolvable.clone(),
                        format!(
                            "[{}] Key {application} on interface type \"{}\" should be resolvable on all implementation types, but is declared with argument \"@key(resolvable:)\" set to false in {}.",
                            self.input.name,
                            interface.name,
                            listed(&unresolvable)
                        ),
                    )
                } else {
                    continue;
                };
                let mut error =
                    CompositionError::new(ErrorCode::InterfaceKeyNotOnImplementation, message)
                        .element(interface.name.as_str());
                for implementation in offending {
                    error = error.at(self.reporter.location(implementation.position));
                }
                errors.push(error);
            }
        }
        self.errors.extend(errors);
    }

    pub(super) fn rename(&self, name: &Name) -> Name {
        self.renames.get(name).unwrap_or(name).clone()
    }

    pub(super) fn original_name(&self, name: &Name) -> Name {
        self.renames
            .iter()
            .find(|(_, standard)| *standard == name)
            .map(|(original, _)| original.clone())
            .unwrap_or_else(|| name.clone())
    }

    fn rename_type(&self, ty: &Type) -> Type {
        match ty {
            Type::Named(name) => Type::Named(self.rename(name)),
            Type::NonNullNamed(name) => Type::NonNullNamed(self.rename(name)),
            Type::List(inner) => Type::List(Box::new(self.rename_type(inner))),
            Type::NonNullList(inner) => Type::NonNullList(Box::new(self.rename_type(inner))),
        }
    }

    pub(super) fn position(&self, span: Option<SourceSpan>) -> Option<Position> {
        position_in_subgraph(span, &self.schema.sources)
    }

    pub(super) fn federation_directive(
        &self,
        directive: &ast::Directive,
    ) -> Option<FederationDirective> {
        self.names.directive(&directive.name)
    }

    fn named_type(&mut self, name: &Name, ty: &ExtendedType) -> SubgraphType {
        let model_name = self.rename(name);
        let coordinate = model_name.to_string();
        let (body, applied) = match ty {
            ExtendedType::Scalar(scalar) => {
                let specified_by = scalar
                    .directives
                    .get("specifiedBy")
                    .and_then(|d| d.specified_argument_by_name("url"))
                    .and_then(|url| url.as_str())
                    .map(str::to_owned);
                let applied = self.applied(component_directives(&scalar.directives), &coordinate);
                (TypeBody::Scalar { specified_by }, applied)
            }
            ExtendedType::Object(object) => {
                let composite = self.composite(
                    &model_name,
                    &object.directives,
                    &object.implements_interfaces,
                    &object.fields,
                    false,
                );
                // A `Query` left without fields (it only had `_service`/`_entities`, or the SDL
                // has none) is kept: every subgraph serves the federation queries, so routers are
                // told (`@join__type`) that every subgraph has a `Query` type.
                let applied = self.applied(component_directives(&object.directives), &coordinate);
                (TypeBody::Object(composite), applied)
            }
            ExtendedType::Interface(interface) => {
                let composite = self.composite(
                    &model_name,
                    &interface.directives,
                    &interface.implements_interfaces,
                    &interface.fields,
                    true,
                );
                let applied =
                    self.applied(component_directives(&interface.directives), &coordinate);
                (TypeBody::Interface(composite), applied)
            }
            ExtendedType::Union(union) => {
                let members = union
                    .members
                    .iter()
                    .map(|member| self.rename(&member.name))
                    .collect();
                let applied = self.applied(component_directives(&union.directives), &coordinate);
                (TypeBody::Union { members }, applied)
            }
            ExtendedType::Enum(enumeration) => {
                let mut values = IndexMap::new();
                for (value_name, value) in &enumeration.values {
                    let applied = self.applied(
                        value.directives.iter(),
                        &format!("{model_name}.{value_name}"),
                    );
                    values.insert(
                        value_name.clone(),
                        EnumValue {
                            description: value.description.as_ref().map(|d| d.to_string()),
                            applied,
                            position: self.position(value_name.location()),
                        },
                    );
                }
                let applied =
                    self.applied(component_directives(&enumeration.directives), &coordinate);
                (TypeBody::Enum { values }, applied)
            }
            ExtendedType::InputObject(input) => {
                let mut fields = IndexMap::new();
                for (field_name, field) in &input.fields {
                    let value = self.input_value(field, &format!("{model_name}.{field_name}"));
                    fields.insert(field_name.clone(), value);
                }
                let applied = self.applied(component_directives(&input.directives), &coordinate);
                (TypeBody::InputObject { fields }, applied)
            }
        };
        let directives = ty.directives();
        let has_directive = |wanted: FederationDirective| {
            directives
                .iter()
                .any(|d| self.federation_directive(d) == Some(wanted))
        };
        let interface_object = matches!(ty, ExtendedType::Object(_))
            && has_directive(FederationDirective::InterfaceObject);
        // Federation 1 marks type extensions with `extend` or `@extends`; one of them needs a
        // definition somewhere, like in Federation 2.
        let has_definition = self.defined_types.contains(name)
            && !(self.names.version == FederationVersion::One
                && has_directive(FederationDirective::Extends));
        SubgraphType {
            name: model_name,
            description: ty.description().map(|d| d.to_string()),
            position: self.position(name.location()),
            applied,
            has_definition,
            interface_object,
            body,
        }
    }

    fn composite(
        &mut self,
        type_name: &Name,
        directives: &DirectiveList,
        implements: &collections::IndexSet<ComponentName>,
        fields: &collections::IndexMap<Name, Component<FieldDefinition>>,
        is_interface: bool,
    ) -> CompositeType {
        let is_query = type_name == "Query";
        let federation_1 = self.names.version == FederationVersion::One;
        let extends = directives
            .iter()
            .any(|d| self.federation_directive(d) == Some(FederationDirective::Extends));
        let mut keys = Vec::new();
        let mut shareable_origins = Vec::new();
        let mut external_origins = Vec::new();
        for directive in directives.iter() {
            match self.federation_directive(directive) {
                Some(FederationDirective::Key) if is_interface && federation_1 => {
                    // Federation 1 accepted and ignored keys on interfaces.
                    self.ignored_interface_keys.insert(type_name.clone());
                }
                Some(FederationDirective::Key) => {
                    let position = self.position(directive.location());
                    if is_interface
                        && let FederationVersion::Two { minor } = self.names.version
                        && minor < 3
                    {
                        let error = self.reporter.error(
                            ErrorCode::KeyUnsupportedOnInterface,
                            type_name,
                            format!(
                                "Cannot use @key on interface \"{type_name}\": @key on interfaces is only supported from federation v2.3 on (this subgraph links v2.{minor})"
                            ),
                            position,
                        );
                        self.errors.push(error);
                        continue;
                    }
                    let fields = directive
                        .specified_argument_by_name("fields")
                        .and_then(|v| v.as_str());
                    let Some(fields) = fields else {
                        let error = self.reporter.error(
                            ErrorCode::KeyInvalidFieldsType,
                            type_name,
                            format!(
                                "On type \"{type_name}\", for {}: invalid value for argument \"fields\": must be a string.",
                                directive.node
                            ),
                            position,
                        );
                        self.errors.push(error);
                        continue;
                    };
                    let resolvable = directive
                        .specified_argument_by_name("resolvable")
                        .and_then(|v| v.to_bool())
                        .unwrap_or(true);
                    keys.push(Key {
                        fields: fields.to_owned(),
                        resolvable,
                        on_extension: extends
                            || matches!(directive.origin, ComponentOrigin::Extension(_)),
                        position,
                    });
                }
                Some(FederationDirective::Shareable) => {
                    shareable_origins.push(directive.origin.clone())
                }
                // Federation 1 ignores `@external` on a type.
                Some(FederationDirective::External) if !federation_1 => {
                    external_origins.push(directive.origin.clone())
                }
                _ => {}
            }
        }

        let mut model_fields = IndexMap::new();
        for (field_name, field) in fields {
            if is_query && (field_name == "_service" || field_name == "_entities") {
                continue;
            }
            let coordinate = format!("{type_name}.{field_name}");
            let position = self.position(field_name.location());
            let mut external = external_origins.contains(&field.origin);
            let mut shareable = shareable_origins.contains(&field.origin);
            let mut requires = None;
            let mut provides = None;
            let mut override_from = None;
            for directive in field.directives.iter() {
                match self.federation_directive(directive) {
                    Some(FederationDirective::External) => external = true,
                    Some(FederationDirective::Shareable) => shareable = true,
                    Some(FederationDirective::Requires) => {
                        requires = self.field_set_argument(
                            directive,
                            ErrorCode::RequiresInvalidFieldsType,
                            &coordinate,
                        )
                    }
                    Some(FederationDirective::Provides) => {
                        provides = self.field_set_argument(
                            directive,
                            ErrorCode::ProvidesInvalidFieldsType,
                            &coordinate,
                        )
                    }
                    Some(FederationDirective::Override) => {
                        let argument = |name: &str| {
                            directive
                                .specified_argument_by_name(name)
                                .and_then(|v| v.as_str())
                                .map(str::to_owned)
                        };
                        override_from = argument("from").map(|from| Override {
                            from,
                            label: argument("label"),
                        });
                    }
                    _ => {}
                }
            }
            if is_interface && federation_1 {
                // Federation 1 accepted and ignored these on interface fields.
                requires = None;
                provides = None;
            }
            if is_interface && override_from.is_some() && !federation_1 {
                let error = self.plain_error(
                    ErrorCode::OverrideOnInterface,
                    &coordinate,
                    format!(
                        "@override cannot be used on field \"{coordinate}\" on subgraph \"{}\": @override is not supported on interface type fields.",
                        self.input.name
                    ),
                    position,
                );
                self.errors.push(error);
                override_from = None;
            }
            if is_interface {
                let federation_2 = !federation_1;
                let misuse = [
                    (
                        external && federation_2,
                        ErrorCode::ExternalOnInterface,
                        "@external",
                    ),
                    (
                        requires.is_some(),
                        ErrorCode::RequiresUnsupportedOnInterface,
                        "@requires",
                    ),
                    (
                        provides.is_some(),
                        ErrorCode::ProvidesUnsupportedOnInterface,
                        "@provides",
                    ),
                ];
                for (_, code, directive) in misuse.into_iter().filter(|(bad, _, _)| *bad) {
                    let error = self.reporter.error(
                        code,
                        &coordinate,
                        format!(
                            "Cannot use {directive} on field \"{coordinate}\" of interface \"{type_name}\": only fields of object types can be {directive}."
                        ),
                        position,
                    );
                    self.errors.push(error);
                }
                // Their field sets mean nothing on an interface: not checked further.
                requires = None;
                provides = None;
                external = false;
            }
            let applied = self.applied(field.directives.iter(), &coordinate);
            let mut arguments = IndexMap::new();
            for argument in &field.arguments {
                let value =
                    self.input_value(argument, &format!("{coordinate}({}:)", argument.name));
                arguments.insert(argument.name.clone(), value);
            }
            model_fields.insert(
                field_name.clone(),
                Field {
                    name: field_name.clone(),
                    description: field.description.as_ref().map(|d| d.to_string()),
                    ty: self.rename_type(&field.ty),
                    arguments,
                    external,
                    requires,
                    provides,
                    shareable,
                    override_from,
                    applied,
                    position,
                },
            );
        }
        CompositeType {
            implements: implements.iter().map(|i| self.rename(&i.name)).collect(),
            keys,
            fields: model_fields,
        }
    }

    fn field_set_argument(
        &mut self,
        directive: &Node<ast::Directive>,
        code: ErrorCode,
        coordinate: &str,
    ) -> Option<String> {
        let fields = directive
            .specified_argument_by_name("fields")
            .and_then(|v| v.as_str());
        if fields.is_none() {
            let error = self.reporter.error(
                code,
                coordinate,
                format!(
                    "On field \"{coordinate}\", for {directive}: invalid value for argument \"fields\": must be a string."
                ),
                self.position(directive.location()),
            );
            self.errors.push(error);
        }
        fields.map(str::to_owned)
    }

    pub(super) fn input_value(
        &mut self,
        value: &Node<ast::InputValueDefinition>,
        coordinate: &str,
    ) -> InputValue {
        InputValue {
            name: value.name.clone(),
            description: value.description.as_ref().map(|d| d.to_string()),
            ty: self.rename_type(&value.ty),
            default: value.default_value.clone(),
            applied: self.applied(value.directives.iter(), coordinate),
            position: self.position(value.name.location()),
        }
    }
}

/// `"a"`, `"a" and "b"`, `"a", "b" and "c"`.
fn human_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn component_directives(directives: &DirectiveList) -> impl Iterator<Item = &Node<ast::Directive>> {
    directives.iter().map(|directive| &directive.node)
}
