//! The composed supergraph: the public [`Supergraph`] (its SDL and its subgraphs) and the
//! merged model that composition builds and the printer turns into join-v0.5 SDL.

mod join_spec;
mod print;

use std::fmt;

use apollo_compiler::ast::{self, Type};
use apollo_compiler::{Name, Node};
use indexmap::IndexMap;

pub(crate) use join_spec::graph_enum_values;
pub(crate) use print::{print_supergraph, print_value};

use crate::error::CompositionHint;
use crate::subgraph::Applied;

/// One subgraph as the supergraph's `join__Graph` enum lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGraph {
    /// The subgraph name, as given to composition.
    pub name: String,
    /// The `join__Graph` enum value standing for the subgraph, e.g. `PRODUCTS`.
    pub enum_value: String,
    /// Where routers send the subgraph's requests.
    pub url: String,
}

/// A successfully composed supergraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supergraph {
    graphs: Vec<JoinGraph>,
    sdl: String,
    hints: Vec<CompositionHint>,
}

impl Supergraph {
    pub(crate) fn new(graphs: Vec<JoinGraph>, sdl: String, hints: Vec<CompositionHint>) -> Self {
        Self { graphs, sdl, hints }
    }

    /// Things that composed but deserve attention (an `@override` that can be removed, ...).
    pub fn hints(&self) -> &[CompositionHint] {
        &self.hints
    }

    /// The supergraph SDL, ending with a newline.
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    pub fn into_sdl(self) -> String {
        self.sdl
    }

    /// The composed subgraphs, sorted by name (the order of `join__Graph`).
    pub fn graphs(&self) -> &[JoinGraph] {
        &self.graphs
    }
}

impl fmt::Display for Supergraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sdl)
    }
}

/// Everything composition decided, before printing. Graph numbers index `graphs`.
#[derive(Debug)]
pub(crate) struct MergedSchema {
    pub(crate) graphs: Vec<JoinGraph>,
    pub(crate) types: IndexMap<Name, MergedType>,
    pub(crate) directives: IndexMap<Name, MergedDirective>,
    /// `@link`s to the specs of composed custom directives, sorted by URL.
    pub(crate) links: Vec<ComposedLink>,
}

/// A `@link(url:, import:)` on the supergraph's schema for directives composed with
/// `@composeDirective`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComposedLink {
    pub(crate) url: String,
    /// Import list items, printed: `"@cache"` or `{name: "@cache", as: "@cached"}`.
    pub(crate) imports: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct MergedType {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) applied: Applied,
    pub(crate) join_types: Vec<JoinType>,
    pub(crate) body: MergedBody,
}

#[derive(Debug)]
pub(crate) enum MergedBody {
    Scalar {
        specified_by: Option<String>,
    },
    Object(MergedComposite),
    Interface(MergedComposite),
    Union {
        members: Vec<Name>,
        /// `(graph, member)` in printing order.
        join_members: Vec<(usize, Name)>,
    },
    Enum {
        values: IndexMap<Name, MergedEnumValue>,
    },
    InputObject {
        fields: IndexMap<Name, MergedInputValue>,
    },
}

#[derive(Debug)]
pub(crate) struct MergedComposite {
    pub(crate) implements: Vec<Name>,
    /// `(graph, interface)` in printing order.
    pub(crate) join_implements: Vec<(usize, Name)>,
    pub(crate) fields: IndexMap<Name, MergedField>,
}

/// One `@join__type` application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinType {
    pub(crate) graph: usize,
    pub(crate) key: Option<String>,
    pub(crate) extension: bool,
    pub(crate) resolvable: bool,
    pub(crate) interface_object: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MergedField {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) ty: Type,
    pub(crate) arguments: IndexMap<Name, MergedInputValue>,
    pub(crate) join_fields: Vec<JoinField>,
    pub(crate) applied: Applied,
}

/// One `@join__field` application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JoinField {
    /// `None` for a field an implementation only gets through an `@interfaceObject`: it is
    /// printed as a bare `@join__field`.
    pub(crate) graph: Option<usize>,
    pub(crate) requires: Option<String>,
    pub(crate) provides: Option<String>,
    /// The field's type in this graph, when the graphs disagree.
    pub(crate) ty: Option<String>,
    pub(crate) external: bool,
    pub(crate) override_from: Option<String>,
    pub(crate) used_overridden: bool,
    pub(crate) override_label: Option<String>,
}

/// An argument or an input object field.
#[derive(Debug, Clone)]
pub(crate) struct MergedInputValue {
    pub(crate) name: Name,
    pub(crate) description: Option<String>,
    pub(crate) ty: Type,
    pub(crate) default: Option<Node<ast::Value>>,
    pub(crate) applied: Applied,
    /// Only ever set on input object fields.
    pub(crate) join_fields: Vec<JoinField>,
}

impl MergedInputValue {
    pub(crate) fn is_required(&self) -> bool {
        self.ty.is_non_null() && self.default.is_none()
    }
}

#[derive(Debug)]
pub(crate) struct MergedEnumValue {
    pub(crate) description: Option<String>,
    pub(crate) applied: Applied,
    /// Graphs defining the value, each printed as `@join__enumValue`.
    pub(crate) graphs: Vec<usize>,
}

/// An executable directive every subgraph defines, or a composed custom directive.
#[derive(Debug)]
pub(crate) struct MergedDirective {
    pub(crate) description: Option<String>,
    pub(crate) arguments: IndexMap<Name, MergedInputValue>,
    pub(crate) repeatable: bool,
    pub(crate) locations: Vec<String>,
}
