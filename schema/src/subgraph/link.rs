//! Resolution of a subgraph's `@link` to the federation spec: which federation version the
//! subgraph uses, under which local names it sees each federation directive and type (plain
//! imports, renamed imports, or the `federation__` namespaced form), and the definitions of those
//! directives and types (`definitions`).

use std::collections::{HashMap, HashSet};

use apollo_compiler::parser::SourceSpan;
use apollo_compiler::{Node, ast};

const FEDERATION_URL_PREFIX: &str = "https://specs.apollo.dev/federation/";
/// The highest `v2.x` minor version this composer knows the directives of.
const HIGHEST_KNOWN_MINOR: u32 = 9;

/// A directive defined by the federation spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FederationDirective {
    Key,
    Requires,
    Provides,
    External,
    Tag,
    Extends,
    Shareable,
    Inaccessible,
    Override,
    ComposeDirective,
    InterfaceObject,
    Authenticated,
    RequiresScopes,
    Policy,
    Context,
    FromContext,
    Cost,
    ListSize,
}

impl FederationDirective {
    const ALL: [Self; 18] = [
        Self::Key,
        Self::Requires,
        Self::Provides,
        Self::External,
        Self::Tag,
        Self::Extends,
        Self::Shareable,
        Self::Inaccessible,
        Self::Override,
        Self::ComposeDirective,
        Self::InterfaceObject,
        Self::Authenticated,
        Self::RequiresScopes,
        Self::Policy,
        Self::Context,
        Self::FromContext,
        Self::Cost,
        Self::ListSize,
    ];

    /// The directive's name in the spec, without `@`.
    pub(crate) fn spec_name(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Requires => "requires",
            Self::Provides => "provides",
            Self::External => "external",
            Self::Tag => "tag",
            Self::Extends => "extends",
            Self::Shareable => "shareable",
            Self::Inaccessible => "inaccessible",
            Self::Override => "override",
            Self::ComposeDirective => "composeDirective",
            Self::InterfaceObject => "interfaceObject",
            Self::Authenticated => "authenticated",
            Self::RequiresScopes => "requiresScopes",
            Self::Policy => "policy",
            Self::Context => "context",
            Self::FromContext => "fromContext",
            Self::Cost => "cost",
            Self::ListSize => "listSize",
        }
    }

    /// The federation 2 minor version that introduced the directive.
    fn since_minor(self) -> u32 {
        match self {
            Self::Key
            | Self::Requires
            | Self::Provides
            | Self::External
            | Self::Tag
            | Self::Extends
            | Self::Shareable
            | Self::Inaccessible
            | Self::Override => 0,
            Self::ComposeDirective => 1,
            Self::InterfaceObject => 3,
            Self::Authenticated | Self::RequiresScopes => 5,
            Self::Policy => 6,
            Self::Context | Self::FromContext => 8,
            Self::Cost | Self::ListSize => 9,
        }
    }

    /// Whether federation 1 subgraphs (no `@link`) know the directive.
    fn in_federation_1(self) -> bool {
        matches!(
            self,
            Self::Key
                | Self::Requires
                | Self::Provides
                | Self::External
                | Self::Extends
                | Self::Tag
                | Self::Inaccessible
        )
    }

    /// Whether this composer merges the directive; the others are reported as unsupported when
    /// a subgraph applies them.
    pub(crate) fn is_supported(self) -> bool {
        !matches!(
            self,
            Self::Authenticated
                | Self::RequiresScopes
                | Self::Policy
                | Self::Context
                | Self::FromContext
        )
    }
}

/// A type defined by the federation spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum FederationType {
    FieldSet,
    Scope,
    Policy,
    ContextFieldValue,
}

impl FederationType {
    pub(super) const ALL: [Self; 4] = [
        Self::FieldSet,
        Self::Scope,
        Self::Policy,
        Self::ContextFieldValue,
    ];

    pub(super) fn spec_name(self) -> &'static str {
        match self {
            Self::FieldSet => "FieldSet",
            Self::Scope => "Scope",
            Self::Policy => "Policy",
            Self::ContextFieldValue => "ContextFieldValue",
        }
    }

    fn since_minor(self) -> u32 {
        match self {
            Self::FieldSet => 0,
            Self::Scope => 5,
            Self::Policy => 6,
            Self::ContextFieldValue => 8,
        }
    }
}

/// Which federation the subgraph is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FederationVersion {
    /// No `@link` to the federation spec: Federation 1 semantics.
    One,
    /// `@link(url: "https://specs.apollo.dev/federation/v2.<minor>")`.
    Two { minor: u32 },
}

/// A problem with the `@link` directives themselves.
#[derive(Debug)]
pub(crate) struct LinkIssue {
    pub(crate) unknown_version: bool,
    pub(crate) message: String,
    pub(crate) location: Option<SourceSpan>,
}

/// The federation vocabulary of one subgraph, in its own local names.
#[derive(Debug)]
pub(crate) struct FederationNames {
    pub(crate) version: FederationVersion,
    /// Prefix of non-imported names: `federation` unless the link says `as:`.
    pub(super) namespace: String,
    pub(super) directives: HashMap<FederationDirective, String>,
    by_local_name: HashMap<String, FederationDirective>,
    pub(super) types: HashMap<FederationType, String>,
    /// Other names of the field set scalar the subgraph's own federation definitions use.
    pub(super) provided_machinery_types: HashSet<String>,
}

impl FederationNames {
    /// Reads the `@link` directives of the schema definition and extensions of `document`.
    pub(crate) fn resolve(document: &ast::Document) -> Result<Self, Vec<LinkIssue>> {
        let mut issues = Vec::new();
        let mut federation_link: Option<&Node<ast::Directive>> = None;
        for directive in schema_directives(document) {
            if directive.name != "link" {
                continue;
            }
            let Some(url) = directive
                .specified_argument_by_name("url")
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            if !url.starts_with(FEDERATION_URL_PREFIX) {
                continue;
            }
            if federation_link.is_some() {
                issues.push(LinkIssue {
                    unknown_version: false,
                    message: "the federation spec is linked more than once".to_owned(),
                    location: directive.location(),
                });
                continue;
            }
            federation_link = Some(directive);
        }
        let Some(link) = federation_link else {
            return if issues.is_empty() {
                Ok(Self::federation_1())
            } else {
                Err(issues)
            };
        };

        let url = link
            .specified_argument_by_name("url")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let minor = match parse_version(&url[FEDERATION_URL_PREFIX.len()..]) {
            Some((2, minor)) if minor <= HIGHEST_KNOWN_MINOR => minor,
            _ => {
                issues.push(LinkIssue {
                    unknown_version: true,
                    message: format!(
                        "Invalid version in @link(url: \"{url}\"): this composer supports federation v2.0 to v2.{HIGHEST_KNOWN_MINOR}"
                    ),
                    location: link.location(),
                });
                return Err(issues);
            }
        };
        let namespace = match link.specified_argument_by_name("as") {
            None => "federation".to_owned(),
            Some(value) => match value.as_str() {
                Some(name) if !name.starts_with('@') && !name.is_empty() => name.to_owned(),
                _ => {
                    issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Invalid @link(as:) value {value}: it must be a name without \"@\""
                        ),
                        location: value.location(),
                    });
                    "federation".to_owned()
                }
            },
        };

        let mut directives = HashMap::new();
        let mut types = HashMap::new();
        let imports: &[Node<ast::Value>] = match link
            .specified_argument_by_name("import")
            .map(|v| v.as_ref())
        {
            Some(ast::Value::List(items)) => items,
            Some(other) => {
                issues.push(LinkIssue {
                    unknown_version: false,
                    message: format!("Invalid @link(import:) value {other}: expected a list"),
                    location: link.location(),
                });
                &[]
            }
            None => &[],
        };
        for import in imports {
            let (name, alias) = match import.as_ref() {
                ast::Value::String(name) => (name.clone(), name.clone()),
                ast::Value::Object(fields) => {
                    let field = |wanted: &str| {
                        fields
                            .iter()
                            .find(|(n, _)| n == wanted)
                            .and_then(|(_, v)| v.as_str())
                            .map(str::to_owned)
                    };
                    match field("name") {
                        Some(name) => {
                            let alias = field("as").unwrap_or_else(|| name.clone());
                            (name, alias)
                        }
                        None => {
                            issues.push(LinkIssue {
                                unknown_version: false,
                                message: format!(
                                    "Invalid @link import {import}: an object import needs a \"name\""
                                ),
                                location: import.location(),
                            });
                            continue;
                        }
                    }
                }
                _ => {
                    issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Invalid @link import {import}: expected a string or {{ name, as }}"
                        ),
                        location: import.location(),
                    });
                    continue;
                }
            };
            if let Some(directive_name) = name.strip_prefix('@') {
                let known = FederationDirective::ALL
                    .into_iter()
                    .find(|d| d.spec_name() == directive_name && d.since_minor() <= minor);
                match (known, alias.strip_prefix('@')) {
                    (Some(directive), Some(local)) => {
                        directives.insert(directive, local.to_owned());
                    }
                    (Some(_), None) => issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Invalid @link import renaming directive \"{name}\" to \"{alias}\": a directive must be renamed to a name starting with \"@\""
                        ),
                        location: import.location(),
                    }),
                    (None, _) => issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Cannot import unknown element \"{name}\" from federation v2.{minor}."
                        ),
                        location: import.location(),
                    }),
                }
            } else {
                let known = FederationType::ALL
                    .into_iter()
                    .find(|t| t.spec_name() == name && t.since_minor() <= minor);
                match known {
                    Some(ty) if !alias.starts_with('@') => {
                        types.insert(ty, alias);
                    }
                    Some(_) => issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Invalid @link import renaming type \"{name}\" to \"{alias}\": a type cannot be renamed to a directive name"
                        ),
                        location: import.location(),
                    }),
                    None => issues.push(LinkIssue {
                        unknown_version: false,
                        message: format!(
                            "Cannot import unknown element \"{name}\" from federation v2.{minor}."
                        ),
                        location: import.location(),
                    }),
                }
            }
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        for directive in FederationDirective::ALL {
            if directive.since_minor() <= minor {
                directives
                    .entry(directive)
                    .or_insert_with(|| format!("{namespace}__{}", directive.spec_name()));
            }
        }
        for ty in FederationType::ALL {
            if ty.since_minor() <= minor {
                types
                    .entry(ty)
                    .or_insert_with(|| format!("{namespace}__{}", ty.spec_name()));
            }
        }
        Ok(Self::new(
            FederationVersion::Two { minor },
            namespace,
            directives,
            types,
        ))
    }

    fn federation_1() -> Self {
        let directives = FederationDirective::ALL
            .into_iter()
            .filter(|d| d.in_federation_1())
            .map(|d| (d, d.spec_name().to_owned()))
            .collect();
        let types = HashMap::from([(FederationType::FieldSet, "_FieldSet".to_owned())]);
        Self::new(
            FederationVersion::One,
            "federation".to_owned(),
            directives,
            types,
        )
    }

    fn new(
        version: FederationVersion,
        namespace: String,
        directives: HashMap<FederationDirective, String>,
        types: HashMap<FederationType, String>,
    ) -> Self {
        let by_local_name = directives
            .iter()
            .map(|(directive, local)| (local.clone(), *directive))
            .collect();
        Self {
            version,
            namespace,
            directives,
            by_local_name,
            types,
            provided_machinery_types: HashSet::new(),
        }
    }

    /// The federation directive a directive application refers to, if any.
    pub(crate) fn directive(&self, local_name: &str) -> Option<FederationDirective> {
        self.by_local_name.get(local_name).copied()
    }

    /// Whether a type is federation or link machinery that never reaches the supergraph.
    pub(crate) fn is_machinery_type(&self, name: &str) -> bool {
        matches!(name, "_Any" | "_Entity" | "_Service" | "_FieldSet")
            || name.starts_with("link__")
            || name.starts_with(&format!("{}__", self.namespace))
            || self.types.values().any(|local| local == name)
            || self.provided_machinery_types.contains(name)
    }

    /// Whether a directive definition is federation or link machinery.
    pub(crate) fn is_machinery_directive(&self, name: &str) -> bool {
        name == "link" || self.by_local_name.contains_key(name)
    }
}

/// A `@link` to a spec other than the federation and link specs: custom directives that
/// `@composeDirective` may carry into the supergraph come from such links.
#[derive(Debug, Clone)]
pub(crate) struct LinkedFeature {
    /// The URL as written, e.g. `https://custom.dev/cache/v1.2`.
    pub(crate) url: String,
    /// The URL without its version: `https://custom.dev/cache`.
    pub(crate) identity: String,
    pub(crate) major: u32,
    pub(crate) minor: u32,
    /// Prefix of the feature's non-imported elements: `as:` or the spec name (`cache`).
    namespace: String,
    /// Imported directives: (name in the spec, local name), both without `@`.
    imports: Vec<(String, String)>,
}

impl LinkedFeature {
    /// The name in the feature of a directive known locally as `local`, when it belongs to it:
    /// an import, the feature's own directive (named like the namespace) or a namespaced one.
    pub(crate) fn directive_name_in_feature(&self, local: &str) -> Option<String> {
        if let Some((name, _)) = self.imports.iter().find(|(_, alias)| alias == local) {
            return Some(name.clone());
        }
        if local == self.namespace {
            return self
                .identity
                .rsplit('/')
                .next()
                .map(str::to_owned)
                .filter(|name| !name.is_empty());
        }
        local
            .strip_prefix(&format!("{}__", self.namespace))
            .map(str::to_owned)
    }

    /// Whether the feature is one of the specs composition itself manages.
    pub(crate) fn is_built_in_spec(&self) -> bool {
        const BUILT_IN: [&str; 6] = [
            "https://specs.apollo.dev/core",
            "https://specs.apollo.dev/join",
            "https://specs.apollo.dev/link",
            "https://specs.apollo.dev/tag",
            "https://specs.apollo.dev/inaccessible",
            "https://specs.apollo.dev/federation",
        ];
        BUILT_IN.contains(&self.identity.as_str())
    }
}

/// Every `@link` of the schema except those to the link and federation specs (including links
/// it cannot read: those are left out, and composition does not use them).
pub(crate) fn linked_features(document: &ast::Document) -> Vec<LinkedFeature> {
    let mut features = Vec::new();
    for directive in schema_directives(document) {
        if directive.name != "link" {
            continue;
        }
        let Some(url) = directive
            .specified_argument_by_name("url")
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let trimmed = url.trim_end_matches('/');
        let Some((identity, version)) = trimmed.rsplit_once('/') else {
            continue;
        };
        let Some((major, minor)) = parse_version(version) else {
            continue;
        };
        let name = identity.rsplit('/').next().unwrap_or_default();
        if name.is_empty()
            || identity == "https://specs.apollo.dev/link"
            || url.starts_with(FEDERATION_URL_PREFIX)
        {
            continue;
        }
        let namespace = directive
            .specified_argument_by_name("as")
            .and_then(|v| v.as_str())
            .unwrap_or(name)
            .to_owned();
        let mut imports = Vec::new();
        if let Some(ast::Value::List(items)) = directive
            .specified_argument_by_name("import")
            .map(|v| v.as_ref())
        {
            for item in items {
                let (name, alias) = match item.as_ref() {
                    ast::Value::String(name) => (name.clone(), name.clone()),
                    ast::Value::Object(fields) => {
                        let field = |wanted: &str| {
                            fields
                                .iter()
                                .find(|(n, _)| n == wanted)
                                .and_then(|(_, v)| v.as_str())
                                .map(str::to_owned)
                        };
                        let Some(name) = field("name") else { continue };
                        let alias = field("as").unwrap_or_else(|| name.clone());
                        (name, alias)
                    }
                    _ => continue,
                };
                if let (Some(name), Some(alias)) = (name.strip_prefix('@'), alias.strip_prefix('@'))
                {
                    imports.push((name.to_owned(), alias.to_owned()));
                }
            }
        }
        features.push(LinkedFeature {
            url: url.to_owned(),
            identity: identity.to_owned(),
            major,
            minor,
            namespace,
            imports,
        });
    }
    features
}

/// Directives applied to `schema` definitions and extensions.
fn schema_directives(document: &ast::Document) -> impl Iterator<Item = &Node<ast::Directive>> {
    document
        .definitions
        .iter()
        .flat_map(|definition| match definition {
            ast::Definition::SchemaDefinition(def) => def.directives.iter(),
            ast::Definition::SchemaExtension(ext) => ext.directives.iter(),
            _ => [].iter(),
        })
}

/// Parses `v2.5` into `(2, 5)`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.strip_prefix('v')?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
