//! Query plans: which subgraph operations to send, in what order, and where their results go.
//! A plan is a set of fetches with dependencies; each fetch is a root operation on one subgraph or an
//! `_entities` operation whose representations are collected at a path of the response tree.
//! [`builder`] turns a normalised operation into a plan; [`display`] prints it for people.

mod builder;
mod display;
mod selection;

use apollo_compiler::Name;
use apollo_compiler::ast::OperationType;

pub use builder::{PlanError, build_plan};
pub use selection::{InputField, InputSelection};

use crate::supergraph::SubgraphId;

/// Response keys that start with this are aliases the planner made up for fields it needs itself.
pub const INTERNAL_KEY_PREFIX: &str = "__sg_";

/// One step along a path of the response tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// The value under this response key.
    Key(Name),
    /// Every element of the list here.
    List,
}

/// A complete plan.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub kind: OperationType,
    /// In an order where every fetch comes after the fetches it depends on.
    pub fetches: Vec<Fetch>,
}

/// One operation sent to one subgraph.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// Index in [`QueryPlan::fetches`].
    pub id: usize,
    pub subgraph: SubgraphId,
    pub service: String,
    /// The GraphQL document sent to the subgraph.
    pub operation: String,
    /// `operation` as a JSON string literal, ready for request bodies.
    pub operation_json: String,
    /// The operation name, when the client's operation had one.
    pub operation_name: Option<String>,
    /// Client variables the document uses.
    pub variables: Vec<Name>,
    /// For `_entities` fetches: where the representations come from.
    pub entity: Option<EntityFetch>,
    /// For root fetches: the response keys it fills at the root.
    pub root_keys: Vec<Name>,
    /// Fetches that must complete first.
    pub depends_on: Vec<usize>,
    /// Fields the operation asks under an alias (see [`Rename`]), deepest first.
    pub renames: Vec<Rename>,
}

/// A field a fetch asks under an alias because a sibling fragment selects the same response key
/// with another type in the subgraph (`String!` on one type, `String` on another), which would make
/// the subgraph operation invalid. Execution moves the value back under the client's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// Where the objects are, from the fetch's data (a root fetch) or from each entity it returns.
    pub path: Vec<PathStep>,
    pub alias: Name,
    pub key: Name,
}

/// Where an `_entities` fetch finds its representations and what they contain.
#[derive(Debug, Clone)]
pub struct EntityFetch {
    /// Paths in the response tree of the objects to send (one fetch serves several paths when their
    /// selections agree).
    pub paths: Vec<Vec<PathStep>>,
    /// For each path, the response keys the fetch fills there: an error under a key goes only to
    /// the paths that asked for it.
    pub path_keys: Vec<Vec<Name>>,
    /// Per concrete type: the fields of a representation (keys, `@requires`, `__typename`).
    pub inputs: Vec<(Name, InputSelection)>,
}

impl Fetch {
    /// The paths whose objects this fetch fills: its entity paths, or its root keys.
    pub fn filled_paths(&self) -> Vec<Vec<PathStep>> {
        match &self.entity {
            Some(entity) => entity.paths.clone(),
            None => self
                .root_keys
                .iter()
                .map(|key| vec![PathStep::Key(key.clone())])
                .collect(),
        }
    }
}

impl QueryPlan {
    pub fn is_empty(&self) -> bool {
        self.fetches.is_empty()
    }
}
