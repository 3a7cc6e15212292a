//! `shopgraph-schema` composes Federation v2 subgraph SDLs into the supergraph that our router
//! (or any Federation v2 router) runs.
//!
//! Composition is a pipeline: each subgraph is parsed, its `@link` to the federation spec
//! resolved and its SDL validated, giving a model of the subgraph with the federation
//! machinery stripped (`subgraph`); the models are merged following the Federation v2 rules
//! (`merge`); the result is checked as a whole (`validate`) and printed as standard join-v0.5
//! supergraph SDL (`supergraph`). Every error of every stage is collected and returned with a
//! stable Federation error code and the subgraph, file and line it comes from.
//!
//! The output follows the conventions of Apollo's composition (`rover supergraph compose`), so
//! any Federation v2 router can run it: `@link` to link v1.0 and join v0.5 (`for: EXECUTION`),
//! plus tag v0.3 and inaccessible v0.2 (`for: SECURITY`) when subgraphs use them; one
//! `@join__type` per key per subgraph (one without key for subgraphs without keys; every
//! subgraph has `Query`, since every subgraph serves the federation queries); `@join__field`
//! only where a field is not resolved the same plain way by every subgraph defining its type;
//! `@join__implements`, `@join__unionMember` and `@join__enumValue` per subgraph. Subgraphs are
//! processed sorted by name, so the output does not depend on their order. Definitions are
//! sorted by name (ASCII case-insensitively, like rover); fields, arguments, enum values and
//! union members keep the order in which they first appear going through the subgraphs sorted
//! by name (again like rover).
//!
//! ```no_run
//! use shopgraph_schema::{SubgraphInput, compose};
//!
//! let users = SubgraphInput::new("users", "http://localhost:4001/graphql", "type Query { me: ID }");
//! match compose(&[users]) {
//!     Ok(supergraph) => print!("{}", supergraph.sdl()),
//!     Err(errors) => errors.iter().for_each(|error| eprintln!("{error}")),
//! }
//! ```

pub mod config;
mod error;
mod merge;
mod subgraph;
mod supergraph;
mod validate;

use std::collections::HashSet;

use apollo_compiler::Schema;

pub use config::{ConfigError, SubgraphConfig, SupergraphConfig};
pub use error::{CompositionError, ErrorCode, ErrorLocation, Position};
pub use subgraph::SubgraphInput;
pub use supergraph::{JoinGraph, Supergraph};

/// Composes subgraphs into a supergraph. The order of `subgraphs` does not matter: they are
/// composed sorted by name. On failure, every error found is returned.
pub fn compose(subgraphs: &[SubgraphInput]) -> Result<Supergraph, Vec<CompositionError>> {
    let mut errors = check_names(subgraphs);
    let mut sorted: Vec<&SubgraphInput> = subgraphs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted.dedup_by(|a, b| a.name == b.name);

    let mut models = Vec::new();
    for input in sorted {
        match subgraph::build_subgraph(input) {
            Ok(model) => models.push(model),
            Err(subgraph_errors) => errors.extend(subgraph_errors),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let merged = merge::merge(&models)?;
    validate::validate(&merged, &models)?;
    let sdl = supergraph::print_supergraph(&merged);
    if let Err(invalid) = Schema::parse_and_validate(sdl.as_str(), "supergraph.graphql") {
        // Composition only produces valid schemas; this guards against composer bugs.
        return Err(invalid
            .errors
            .iter()
            .map(|diagnostic| {
                CompositionError::new(
                    ErrorCode::InvalidGraphql,
                    format!(
                        "the composed supergraph is not a valid schema ({}); this is a composer bug",
                        diagnostic.error
                    ),
                )
            })
            .collect());
    }
    Ok(Supergraph::new(merged.graphs, sdl))
}

fn check_names(subgraphs: &[SubgraphInput]) -> Vec<CompositionError> {
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for input in subgraphs {
        let problem = if input.name.trim().is_empty() {
            Some("A subgraph name cannot be empty.".to_owned())
        } else if input.name == "_" {
            Some("Invalid name \"_\" for a subgraph: this name is reserved.".to_owned())
        } else if !seen.insert(input.name.as_str()) {
            Some(format!(
                "A subgraph named \"{}\" is given more than once.",
                input.name
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            errors.push(CompositionError::new(
                ErrorCode::InvalidSubgraphName,
                message,
            ));
        }
    }
    errors
}
