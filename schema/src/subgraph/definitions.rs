//! The definitions of the federation and link directives and types: the spec's signature of
//! each, the SDL of those a subgraph uses without defining (added so that the subgraph
//! validates as plain GraphQL), and the check of those a subgraph defines itself. Many subgraph
//! libraries print every federation definition in `_service { sdl }`; such a definition is kept
//! when its signature is compatible with the spec's (no argument the spec lacks, every required
//! argument, the same types up to nullability, locations the spec allows, not repeatable unless
//! the spec's is) and reported otherwise.

use std::collections::{HashMap, HashSet};

use apollo_compiler::parser::SourceSpan;
use apollo_compiler::{Node, ast};

use super::link::{FederationDirective, FederationNames, FederationType, FederationVersion};
use crate::error::ErrorCode;

/// The link spec's `@link` definition.
const LINK_DEFINITION: &str = "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA";
/// Values of the link spec's `link__Purpose` enum.
const LINK_PURPOSES: [&str; 2] = ["SECURITY", "EXECUTION"];

/// A federation or link definition provided by a subgraph that does not match the spec.
#[derive(Debug)]
pub(crate) struct DefinitionIssue {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) location: Option<SourceSpan>,
}

/// The directive and type definitions of one subgraph document, by name.
struct Defined<'a> {
    directives: HashMap<&'a str, &'a Node<ast::DirectiveDefinition>>,
    types: HashMap<&'a str, &'a ast::Definition>,
}

impl<'a> Defined<'a> {
    fn of(document: &'a ast::Document) -> Self {
        let mut directives = HashMap::new();
        let mut types = HashMap::new();
        for definition in &document.definitions {
            match definition {
                ast::Definition::DirectiveDefinition(def) => {
                    directives.insert(def.name.as_str(), def);
                }
                other if !other.is_extension_definition() => {
                    if let Some(name) = other.name() {
                        types.insert(name.as_str(), other);
                    }
                }
                _ => {}
            }
        }
        Self { directives, types }
    }
}

impl FederationNames {
    /// The local name of a federation type (the import's alias, or the namespaced name).
    fn type_name(&self, ty: FederationType) -> String {
        self.types
            .get(&ty)
            .cloned()
            .unwrap_or_else(|| format!("{}__{}", self.namespace, ty.spec_name()))
    }

    /// The spec's definition of a federation directive under its local name.
    fn spec_definition(&self, directive: FederationDirective, local: &str) -> String {
        let (arguments, tail, uses) = directive_shape(directive, self.version);
        let arguments = uses.iter().fold(arguments.to_owned(), |text, ty| {
            text.replace(&format!("${}", ty.spec_name()), &self.type_name(*ty))
        });
        format!("directive @{local}{arguments} {tail}")
    }

    /// The local federation directives, sorted by local name.
    fn sorted_directives(&self) -> Vec<(FederationDirective, &str)> {
        let mut directives: Vec<_> = self
            .directives
            .iter()
            .map(|(directive, local)| (*directive, local.as_str()))
            .collect();
        directives.sort_by_key(|(_, local)| *local);
        directives
    }

    /// SDL defining every federation directive, type and link element that `document` uses
    /// without defining, so that the subgraph can be validated as a plain GraphQL schema. When
    /// the subgraph defines `@link` itself, the link types it refers to must be its own too.
    pub(crate) fn missing_definitions(&self, document: &ast::Document) -> String {
        let defined = Defined::of(document);
        let mut sdl = String::new();
        let mut used_types = HashSet::new();
        for (directive, local) in self.sorted_directives() {
            if defined.directives.contains_key(local) {
                continue;
            }
            used_types.extend(directive_shape(directive, self.version).2.iter().copied());
            sdl.push_str(&self.spec_definition(directive, local));
            sdl.push('\n');
        }
        for ty in FederationType::ALL {
            let name = self.type_name(ty);
            if used_types.contains(&ty) && !defined.types.contains_key(name.as_str()) {
                sdl.push_str(&format!("scalar {name}\n"));
            }
        }
        if self.version != FederationVersion::One && !defined.directives.contains_key("link") {
            sdl.push_str(LINK_DEFINITION);
            sdl.push('\n');
            if !defined.types.contains_key("link__Import") {
                sdl.push_str("scalar link__Import\n");
            }
            if !defined.types.contains_key("link__Purpose") {
                sdl.push_str("enum link__Purpose { SECURITY EXECUTION }\n");
            }
        }
        sdl
    }

    /// Checks the federation and link definitions `document` provides against the spec's.
    /// Libraries spell the field set scalar `_FieldSet` or `FieldSet` whatever they import, and
    /// `@link(import:)` as `[String!]`; those spellings are accepted, and a field set scalar the
    /// subgraph's federation definitions use becomes machinery (it never reaches the supergraph).
    pub(crate) fn check_provided_definitions(
        &mut self,
        document: &ast::Document,
    ) -> Vec<DefinitionIssue> {
        let defined = Defined::of(document);
        let mut issues = Vec::new();
        let field_set_names: HashSet<String> = [
            self.type_name(FederationType::FieldSet),
            "_FieldSet".to_owned(),
            "FieldSet".to_owned(),
            format!("{}__FieldSet", self.namespace),
        ]
        .into_iter()
        .collect();
        let spellings = [
            field_set_names.clone(),
            HashSet::from(["link__Import".to_owned(), "String".to_owned()]),
        ];
        let mut expected: Vec<(String, String)> = self
            .sorted_directives()
            .into_iter()
            .map(|(directive, local)| (local.to_owned(), self.spec_definition(directive, local)))
            .collect();
        if self.version != FederationVersion::One {
            expected.push(("link".to_owned(), LINK_DEFINITION.to_owned()));
        }
        for (local, spec_text) in expected {
            let Some(provided) = defined.directives.get(local.as_str()) else {
                continue;
            };
            let Some(spec) = parse_directive_definition(&spec_text) else {
                continue;
            };
            for argument in &provided.arguments {
                let ty = argument.ty.inner_named_type().as_str();
                if field_set_names.contains(ty) {
                    self.provided_machinery_types.insert(ty.to_owned());
                }
            }
            if let Some(problem) = incompatibility(provided, &spec, &spellings) {
                issues.push(DefinitionIssue {
                    code: ErrorCode::DirectiveDefinitionInvalid,
                    message: format!(
                        "Invalid definition for directive \"@{local}\": {problem}; the federation spec defines it as `{spec_text}`"
                    ),
                    location: provided.location(),
                });
            }
        }
        if let Some(link) = defined.directives.get("link")
            && self.version != FederationVersion::One
        {
            for name in ["link__Purpose", "link__Import"] {
                let used = link
                    .arguments
                    .iter()
                    .any(|argument| argument.ty.inner_named_type() == name);
                if used && !defined.types.contains_key(name) {
                    issues.push(DefinitionIssue {
                        code: ErrorCode::InvalidGraphql,
                        message: format!(
                            "Unknown type {name}: the subgraph defines @link, which uses it, but not {name}"
                        ),
                        location: link.location(),
                    });
                }
            }
        }
        for (name, kind) in self.expected_types() {
            let Some(provided) = defined.types.get(name.as_str()) else {
                continue;
            };
            let problem = match (kind, provided) {
                (ExpectedType::Scalar, ast::Definition::ScalarTypeDefinition(_)) => None,
                (ExpectedType::Scalar, _) => Some("it must be a scalar".to_owned()),
                (ExpectedType::Purpose, ast::Definition::EnumTypeDefinition(def)) => {
                    let values: Vec<&str> = def.values.iter().map(|v| v.value.as_str()).collect();
                    let mut sorted = values.clone();
                    sorted.sort_unstable();
                    (sorted != ["EXECUTION", "SECURITY"]).then(|| {
                        format!(
                            "it must have exactly the values {}, not {}",
                            LINK_PURPOSES.join(" and "),
                            values.join(", ")
                        )
                    })
                }
                (ExpectedType::Purpose, _) => Some("it must be an enum".to_owned()),
            };
            if let Some(problem) = problem {
                issues.push(DefinitionIssue {
                    code: ErrorCode::TypeDefinitionInvalid,
                    message: format!("Invalid definition for type \"{name}\": {problem}"),
                    location: provided.location(),
                });
            }
        }
        issues
    }

    fn expected_types(&self) -> Vec<(String, ExpectedType)> {
        let mut types: Vec<(String, ExpectedType)> = FederationType::ALL
            .into_iter()
            .filter(|ty| self.types.contains_key(ty))
            .map(|ty| (self.type_name(ty), ExpectedType::Scalar))
            .collect();
        if self.version != FederationVersion::One {
            types.push(("link__Import".to_owned(), ExpectedType::Scalar));
            types.push(("link__Purpose".to_owned(), ExpectedType::Purpose));
        }
        types
    }
}

#[derive(Debug, Clone, Copy)]
enum ExpectedType {
    Scalar,
    /// The `link__Purpose` enum.
    Purpose,
}

fn parse_directive_definition(text: &str) -> Option<Node<ast::DirectiveDefinition>> {
    let document = ast::Document::parse(text, "<federation spec>").ok()?;
    document
        .definitions
        .into_iter()
        .find_map(|definition| match definition {
            ast::Definition::DirectiveDefinition(def) => Some(def),
            _ => None,
        })
}

/// Why `provided` is not compatible with the spec's definition, if it is not.
fn incompatibility(
    provided: &ast::DirectiveDefinition,
    spec: &ast::DirectiveDefinition,
    spellings: &[HashSet<String>],
) -> Option<String> {
    for argument in &provided.arguments {
        let Some(expected) = spec.arguments.iter().find(|a| a.name == argument.name) else {
            return Some(format!("unknown argument \"{}\"", argument.name));
        };
        if !same_type_up_to_nullability(&argument.ty, &expected.ty, spellings) {
            return Some(format!(
                "argument \"{}\" has type {} where {} is expected",
                argument.name, argument.ty, expected.ty
            ));
        }
    }
    for expected in &spec.arguments {
        if expected.is_required() && !provided.arguments.iter().any(|a| a.name == expected.name) {
            return Some(format!("missing required argument \"{}\"", expected.name));
        }
    }
    if provided.repeatable && !spec.repeatable {
        return Some("it must not be repeatable".to_owned());
    }
    let extra: Vec<&str> = provided
        .locations
        .iter()
        .filter(|location| !spec.locations.contains(location))
        .map(|location| location.name())
        .collect();
    if !extra.is_empty() {
        return Some(format!("location {} is not allowed", extra.join(" | ")));
    }
    None
}

/// Whether two argument types are the same list structure around the same named type (names
/// in one set of `spellings` count as the same), nullability aside.
fn same_type_up_to_nullability(
    provided: &ast::Type,
    expected: &ast::Type,
    spellings: &[HashSet<String>],
) -> bool {
    match (provided.item_type(), expected.item_type()) {
        (provided_item, expected_item) if provided.is_list() && expected.is_list() => {
            same_type_up_to_nullability(provided_item, expected_item, spellings)
        }
        _ if provided.is_list() || expected.is_list() => false,
        _ => {
            let (provided, expected) = (provided.inner_named_type(), expected.inner_named_type());
            provided == expected
                || spellings.iter().any(|same| {
                    same.contains(provided.as_str()) && same.contains(expected.as_str())
                })
        }
    }
}

/// Arguments (with `$Type` placeholders), repeatability and locations of a federation directive.
fn directive_shape(
    directive: FederationDirective,
    version: FederationVersion,
) -> (&'static str, &'static str, &'static [FederationType]) {
    const ALL_LOCATIONS: &str = "on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION";
    const TAG_LOCATIONS: &str = "repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA";
    const AUTH_LOCATIONS: &str = "on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM";
    use FederationDirective as D;
    use FederationType as T;
    match directive {
        D::Key => (
            "(fields: $FieldSet!, resolvable: Boolean = true)",
            "repeatable on OBJECT | INTERFACE",
            &[T::FieldSet],
        ),
        D::Requires | D::Provides => (
            "(fields: $FieldSet!)",
            "on FIELD_DEFINITION",
            &[T::FieldSet],
        ),
        D::External if version == FederationVersion::One => {
            ("", "on FIELD_DEFINITION | OBJECT", &[])
        }
        D::External => ("(reason: String)", "on OBJECT | FIELD_DEFINITION", &[]),
        D::Tag => ("(name: String!)", TAG_LOCATIONS, &[]),
        D::Extends => ("", "on OBJECT | INTERFACE", &[]),
        D::Shareable => ("", "repeatable on OBJECT | FIELD_DEFINITION", &[]),
        D::Inaccessible => ("", ALL_LOCATIONS, &[]),
        D::Override => ("(from: String!, label: String)", "on FIELD_DEFINITION", &[]),
        D::ComposeDirective => ("(name: String!)", "repeatable on SCHEMA", &[]),
        D::InterfaceObject => ("", "on OBJECT", &[]),
        D::Authenticated => ("", AUTH_LOCATIONS, &[]),
        D::RequiresScopes => ("(scopes: [[$Scope!]!]!)", AUTH_LOCATIONS, &[T::Scope]),
        D::Policy => ("(policies: [[$Policy!]!]!)", AUTH_LOCATIONS, &[T::Policy]),
        D::Context => (
            "(name: String!)",
            "repeatable on INTERFACE | OBJECT | UNION",
            &[],
        ),
        D::FromContext => (
            "(field: $ContextFieldValue)",
            "on ARGUMENT_DEFINITION",
            &[T::ContextFieldValue],
        ),
        D::Cost => (
            "(weight: Int!)",
            "on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
            &[],
        ),
        D::ListSize => (
            "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true)",
            "on FIELD_DEFINITION",
            &[],
        ),
    }
}
