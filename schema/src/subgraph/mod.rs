//! The model of one subgraph after federation-link resolution: its types, fields and federation
//! metadata (keys, `@external`, `@requires`, `@provides`, shareability, `@override`,
//! `@interfaceObject`, `@inaccessible`, `@tag`, directives composed with `@composeDirective`)
//! with the federation machinery stripped, root types named `Query`/`Mutation`/`Subscription`,
//! Federation 1 subgraphs brought to Federation 2 semantics, and source positions kept for error
//! messages.

mod build;
mod definitions;
mod demand_control;
mod directives;
mod field_set;
mod field_usage;
mod link;

use std::collections::HashSet;
use std::path::PathBuf;

use apollo_compiler::ast::{self, Type};
use apollo_compiler::{Name, Node};
use indexmap::IndexMap;

pub(crate) use build::build_subgraph;

use crate::error::{CompositionHint, ErrorLocation, Position};

/// One subgraph to compose: its name (as routers will know it), the URL routers send its
/// requests to, its Federation SDL, and the file the SDL came from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphInput {
    pub name: String,
    pub url: String,
    pub sdl: String,
    pub source_path: Option<PathBuf>,
}

impl SubgraphInput {
    pub fn new(name: impl Into<String>, url: impl Into<String>, sdl: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            sdl: sdl.into(),
            source_path: None,
        }
    }

    /// Records the file the SDL was read from, so errors can point at `file:line:column`.
    pub fn with_source_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.source_path = Some(path.into());
        self
    }
}

/// A (schema coordinate) pair `(type name, field name)`.
pub(crate) type FieldCoordinate = (Name, Name);

#[derive(Debug)]
pub(crate) struct Subgraph {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) file: Option<String>,
    /// The subgraph has no `@link` to federation v2: it was written for Federation 1.
    pub(crate) federation_1: bool,
    /// Interfaces a Federation 1 subgraph put a `@key` on (which Federation 1 ignores).
    pub(crate) ignored_interface_keys: HashSet<Name>,
    pub(crate) types: IndexMap<Name, SubgraphType>,
    /// Custom directives the subgraph asks to keep in the supergraph (`@composeDirective`).
    pub(crate) composed_directives: Vec<ComposedDirective>,
    /// Hints found while building the subgraph.
    pub(crate) hints: Vec<CompositionHint>,
    /// Custom directive definitions with executable locations (`on FIELD | QUERY | ...`).
    pub(crate) executable_directives: IndexMap<Name, ExecutableDirective>,
    /// Fields selected by some `@key`, `@requires` or `@provides` of this subgraph, or declared
    /// by an interface that their type implements: what makes an `@external` or overridden field
    /// still "used".
    pub(crate) used_fields: HashSet<FieldCoordinate>,
    /// Fields selected by some `@provides` of this subgraph.
    pub(crate) provided_fields: HashSet<FieldCoordinate>,
}

impl Subgraph {
    pub(crate) fn location(&self, position: Option<Position>) -> ErrorLocation {
        ErrorLocation {
            subgraph: self.name.clone(),
            file: self.file.clone(),
            position,
        }
    }

    pub(crate) fn object_or_interface(&self, name: &str) -> Option<&CompositeType> {
        match &self.types.get(name)?.body {
            TypeBody::Object(composite) | TypeBody::Interface(composite) => Some(composite),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct SubgraphType {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) position: Option<Position>,
    pub(crate) applied: Applied,
    /// `false` when the subgraph only declares the type with `extend` blocks.
    pub(crate) has_definition: bool,
    /// An object type marked `@interfaceObject`: it stands for the interface of that name that
    /// other subgraphs define.
    pub(crate) interface_object: bool,
    pub(crate) body: TypeBody,
}

impl SubgraphType {
    /// The kind the type has in the supergraph: an `@interfaceObject` is an interface there.
    pub(crate) fn merge_kind(&self) -> TypeKind {
        if self.interface_object {
            TypeKind::Interface
        } else {
            self.body.kind()
        }
    }
}

#[derive(Debug)]
pub(crate) enum TypeBody {
    Scalar { specified_by: Option<String> },
    Object(CompositeType),
    Interface(CompositeType),
    Union { members: Vec<Name> },
    Enum { values: IndexMap<Name, EnumValue> },
    InputObject { fields: IndexMap<Name, InputValue> },
}

/// Kinds of named types, as Federation error messages spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

impl TypeKind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Scalar => "Scalar Type",
            Self::Object => "Object Type",
            Self::Interface => "Interface Type",
            Self::Union => "Union Type",
            Self::Enum => "Enum Type",
            Self::InputObject => "Input Object Type",
        }
    }
}

impl TypeBody {
    pub(crate) fn kind(&self) -> TypeKind {
        match self {
            Self::Scalar { .. } => TypeKind::Scalar,
            Self::Object(_) => TypeKind::Object,
            Self::Interface(_) => TypeKind::Interface,
            Self::Union { .. } => TypeKind::Union,
            Self::Enum { .. } => TypeKind::Enum,
            Self::InputObject { .. } => TypeKind::InputObject,
        }
    }
}

/// An object or interface type.
#[derive(Debug)]
pub(crate) struct CompositeType {
    pub(crate) implements: Vec<Name>,
    pub(crate) keys: Vec<Key>,
    pub(crate) fields: IndexMap<Name, Field>,
}

#[derive(Debug)]
pub(crate) struct Key {
    /// The `fields:` selection, exactly as written.
    pub(crate) fields: String,
    pub(crate) resolvable: bool,
    /// The key is declared on an `extend type` block or on a type marked `@extends`.
    pub(crate) on_extension: bool,
    pub(crate) position: Option<Position>,
}

#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) ty: Type,
    pub(crate) arguments: IndexMap<Name, InputValue>,
    /// `@external`, except for Federation-1 style key fields of type extensions.
    pub(crate) external: bool,
    pub(crate) requires: Option<String>,
    pub(crate) provides: Option<String>,
    pub(crate) shareable: bool,
    pub(crate) override_from: Option<Override>,
    pub(crate) applied: Applied,
    pub(crate) position: Option<Position>,
}

#[derive(Debug)]
pub(crate) struct Override {
    pub(crate) from: String,
    pub(crate) label: Option<String>,
}

/// An argument or an input object field.
#[derive(Debug)]
pub(crate) struct InputValue {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) ty: Type,
    pub(crate) default: Option<Node<ast::Value>>,
    pub(crate) applied: Applied,
    pub(crate) position: Option<Position>,
}

impl InputValue {
    /// Non-null without a default: callers must always pass it.
    pub(crate) fn is_required(&self) -> bool {
        self.ty.is_non_null() && self.default.is_none()
    }
}

#[derive(Debug)]
pub(crate) struct EnumValue {
    pub(crate) description: Option<String>,
    pub(crate) applied: Applied,
    pub(crate) position: Option<Position>,
}

/// The directives that composition carries from subgraphs into the supergraph.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) inaccessible: bool,
    pub(crate) tags: Vec<String>,
    /// `@deprecated`, with its reason when one is given.
    pub(crate) deprecated: Option<Option<String>>,
    /// Applications of composed custom directives, printed: `@cache(maxAge: 60)`.
    pub(crate) composed: Vec<String>,
    /// `@cost(weight:)` (demand control).
    pub(crate) cost: Option<i32>,
    /// `@listSize` (demand control).
    pub(crate) list_size: Option<ListSize>,
}

/// The arguments of a `@listSize` application (demand control); `None` where not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListSize {
    pub(crate) assumed_size: Option<i32>,
    pub(crate) slicing_arguments: Option<Vec<String>>,
    pub(crate) sized_fields: Option<Vec<String>>,
    pub(crate) require_one_slicing_argument: Option<bool>,
}

impl Applied {
    /// The merged directives applied, printed, for messages.
    pub(crate) fn merged_directives(&self) -> Vec<String> {
        let mut printed: Vec<String> = self
            .tags
            .iter()
            .map(|tag| format!("@tag(name: \"{tag}\")"))
            .collect();
        if self.inaccessible {
            printed.push("@inaccessible".to_owned());
        }
        if self.deprecated.is_some() {
            printed.push("@deprecated".to_owned());
        }
        printed.extend(self.composed.iter().cloned());
        printed
    }
}

/// A custom directive a subgraph composes into the supergraph with `@composeDirective`.
#[derive(Debug)]
pub(crate) struct ComposedDirective {
    /// Name in the subgraph, which is also its name in the supergraph.
    pub(crate) name: Name,
    /// Name of the directive in its feature (the spec it is `@link`ed from).
    pub(crate) name_in_feature: String,
    /// The `@link` URL of the feature, and the URL without version (the feature's identity).
    pub(crate) feature_url: String,
    pub(crate) feature_identity: String,
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) definition: Node<ast::DirectiveDefinition>,
    /// Where the `@composeDirective` is.
    pub(crate) position: Option<Position>,
}

#[derive(Debug)]
pub(crate) struct ExecutableDirective {
    pub(crate) description: Option<String>,
    pub(crate) arguments: IndexMap<Name, InputValue>,
    pub(crate) repeatable: bool,
    /// Executable locations only, in the order written.
    pub(crate) locations: Vec<String>,
}
