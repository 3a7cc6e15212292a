//! The directives of a subgraph that reach the supergraph: `@composeDirective` (which custom
//! directives are kept), the applications of merged directives read from each element
//! (`@inaccessible`, `@tag`, `@deprecated`, `@cost`, `@listSize`, composed ones), and the
//! definitions of executable directives.

use apollo_compiler::ast::{self, DirectiveLocation};
use apollo_compiler::{Name, Node};
use indexmap::IndexMap;

use super::build::Builder;
use super::demand_control::read_list_size;
use super::link::FederationDirective;
use super::{Applied, ComposedDirective, ExecutableDirective};
use crate::error::{CompositionHint, ErrorCode, HintCode, Position};
use crate::supergraph::print_value;

/// Directive definitions GraphQL itself provides; subgraph SDLs sometimes print them.
const BUILT_IN_DIRECTIVES: &[&str] = &[
    "skip",
    "include",
    "deprecated",
    "specifiedBy",
    "oneOf",
    "defer",
    "stream",
];

impl Builder<'_> {
    /// A `DIRECTIVE_COMPOSITION_ERROR` about the `@composeDirective(name: argument)` at `position`.
    fn composition_error(&mut self, argument: &str, message: String, position: Option<Position>) {
        let error = self.plain_error(
            ErrorCode::DirectiveCompositionError,
            argument,
            message,
            position,
        );
        self.errors.push(error);
    }

    /// Reads the `@composeDirective` applications: each must name (with a leading `@`) a
    /// directive the subgraph defines and imports from a linked spec other than the federation
    /// ones.
    pub(super) fn composed_directives(
        &mut self,
        schema_directives: &[Node<ast::Directive>],
    ) -> Vec<ComposedDirective> {
        let subgraph = self.input.name.clone();
        let mut composed: Vec<ComposedDirective> = Vec::new();
        for directive in schema_directives {
            if self.federation_directive(directive) != Some(FederationDirective::ComposeDirective) {
                continue;
            }
            let position = self.position(directive.location());
            let Some(argument) = directive
                .specified_argument_by_name("name")
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            let Some(local) = argument.strip_prefix('@') else {
                self.composition_error(argument, format!(
                        "Argument to @composeDirective \"{argument}\" in subgraph \"{subgraph}\" must have a leading \"@\""
                    ), position);
                continue;
            };
            let Some(definition) = self.schema.directive_definitions.get(local).cloned() else {
                self.composition_error(argument, format!(
                        "Could not find matching directive definition for argument to @composeDirective \"{argument}\" in subgraph \"{subgraph}\"."
                    ), position);
                continue;
            };
            if let Some(federation) = self.names.directive(local) {
                if matches!(
                    federation,
                    FederationDirective::Tag | FederationDirective::Inaccessible
                ) {
                    self.hints.push(
                        CompositionHint::new(
                            HintCode::DirectiveCompositionInfo,
                            format!(
                                "Directive \"{argument}\" should not be explicitly manually composed since it is a federation directive composed by default"
                            ),
                        )
                        .element(argument)
                        .at(self.reporter.location(position)),
                    );
                } else {
                    self.composition_error(argument, format!(
                            "Composing federation directive \"{argument}\" in subgraph \"{subgraph}\" is not supported"
                        ), position);
                }
                continue;
            }
            let feature = self.features.iter().find_map(|feature| {
                feature
                    .directive_name_in_feature(local)
                    .map(|name| (feature, name))
            });
            let Some((feature, name_in_feature)) = feature else {
                self.composition_error(argument, format!(
                        "Directive \"{argument}\" in subgraph \"{subgraph}\" cannot be composed because it is not a member of a core feature"
                    ), position);
                continue;
            };
            if feature.is_built_in_spec() {
                self.composition_error(argument, format!(
                        "Composing federation directive \"{argument}\" in subgraph \"{subgraph}\" is not supported"
                    ), position);
                continue;
            }
            if composed.iter().any(|c| c.name == local) {
                continue;
            }
            composed.push(ComposedDirective {
                name: definition.name.clone(),
                name_in_feature,
                feature_url: feature.url.clone(),
                feature_identity: feature.identity.clone(),
                major: feature.major,
                minor: feature.minor,
                definition,
                position,
            });
        }
        composed
    }

    /// Reads `@inaccessible`, `@tag` and `@deprecated`, and reports federation directives this
    /// composer does not support yet.
    pub(super) fn applied<'d>(
        &mut self,
        directives: impl Iterator<Item = &'d Node<ast::Directive>>,
        coordinate: &str,
    ) -> Applied {
        let mut applied = Applied::default();
        for directive in directives {
            match self.federation_directive(directive) {
                Some(FederationDirective::Inaccessible) => applied.inaccessible = true,
                Some(FederationDirective::Tag) => {
                    if let Some(name) = directive
                        .specified_argument_by_name("name")
                        .and_then(|v| v.as_str())
                        && !applied.tags.iter().any(|tag| tag == name)
                    {
                        applied.tags.push(name.to_owned());
                    }
                }
                Some(FederationDirective::Cost) => {
                    applied.cost = directive
                        .specified_argument_by_name("weight")
                        .and_then(|v| v.to_i32());
                }
                Some(FederationDirective::ListSize) => {
                    applied.list_size = Some(read_list_size(directive));
                }
                Some(
                    FederationDirective::InterfaceObject | FederationDirective::ComposeDirective,
                ) => {}
                Some(unsupported) if !unsupported.is_supported() => {
                    let error = self.reporter.error(
                        ErrorCode::UnsupportedFeature,
                        coordinate,
                        if directive.name == unsupported.spec_name() {
                            format!(
                                "@{} on \"{coordinate}\" is not supported by this composer yet.",
                                directive.name
                            )
                        } else {
                            format!(
                                "@{} (federation @{}) on \"{coordinate}\" is not supported by this composer yet.",
                                directive.name,
                                unsupported.spec_name()
                            )
                        },
                        self.position(directive.location()),
                    );
                    self.errors.push(error);
                }
                Some(_) => {}
                None if directive.name == "deprecated" => {
                    let reason = directive
                        .specified_argument_by_name("reason")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                    applied.deprecated = Some(reason);
                }
                None if self.composed_names.contains(&directive.name) => {
                    let printed = print_directive(directive);
                    if !applied.composed.contains(&printed) {
                        applied.composed.push(printed);
                    }
                }
                None => {}
            }
        }
        applied
    }

    pub(super) fn executable_directives(&mut self) -> IndexMap<Name, ExecutableDirective> {
        let mut directives = IndexMap::new();
        let schema = self.schema.clone();
        for (name, definition) in &schema.directive_definitions {
            // Federation and link directives (defined by the subgraph or added for validation)
            // are machinery; GraphQL's own directives are every schema's anyway.
            if definition.is_built_in()
                || BUILT_IN_DIRECTIVES.contains(&name.as_str())
                || self.names.is_machinery_directive(name)
                || self.composed_names.contains(name)
            {
                continue;
            }
            let locations: Vec<String> = definition
                .locations
                .iter()
                .filter(|location| is_executable(**location))
                .map(|location| location.name().to_owned())
                .collect();
            if locations.is_empty() {
                continue;
            }
            let mut arguments = IndexMap::new();
            for argument in &definition.arguments {
                let value = self.input_value(argument, &format!("@{name}({}:)", argument.name));
                arguments.insert(argument.name.clone(), value);
            }
            directives.insert(
                name.clone(),
                ExecutableDirective {
                    description: definition.description.as_ref().map(|d| d.to_string()),
                    arguments,
                    repeatable: definition.repeatable,
                    locations,
                },
            );
        }
        directives
    }
}

/// `@name(argument: value, ...)` on one line.
fn print_directive(directive: &ast::Directive) -> String {
    if directive.arguments.is_empty() {
        return format!("@{}", directive.name);
    }
    let arguments: Vec<String> = directive
        .arguments
        .iter()
        .map(|argument| format!("{}: {}", argument.name, print_value(&argument.value)))
        .collect();
    format!("@{}({})", directive.name, arguments.join(", "))
}

fn is_executable(location: DirectiveLocation) -> bool {
    matches!(
        location,
        DirectiveLocation::Query
            | DirectiveLocation::Mutation
            | DirectiveLocation::Subscription
            | DirectiveLocation::Field
            | DirectiveLocation::FragmentDefinition
            | DirectiveLocation::FragmentSpread
            | DirectiveLocation::InlineFragment
            | DirectiveLocation::VariableDefinition
    )
}
