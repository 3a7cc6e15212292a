//! `shopgraph-schema` composes Federation v2 subgraph SDLs into the supergraph that our router
//! (or any Federation v2 router) runs, and checks proposed changes against the committed one.
//!
//! Composition is a pipeline: each subgraph is parsed, its `@link` to the federation spec
//! resolved and its SDL validated, giving a model of the subgraph with the federation
//! machinery stripped and Federation 1 subgraphs brought to Federation 2 semantics
//! (`subgraph`); the models are merged following the Federation v2 rules, including
//! `@interfaceObject`, progressive `@override` and `@composeDirective` (`merge`); the result is
//! checked as a whole (`validate`), every field of its API schema must be reachable from a root
//! through the subgraphs (`satisfiability`), and it is printed as standard join-v0.5 supergraph
//! SDL (`supergraph`). Every error of every stage is collected and returned with a stable
//! Federation error code and the subgraph, file and line it comes from; things that compose but
//! deserve attention come back as hints. Subgraph SDLs come from files or from the running
//! subgraphs (`config`). [`check`] compares API schemas change by change.
//!
//! The output follows the conventions of Apollo's composition (`rover supergraph compose`), so
//! any Federation v2 router can run it: `@link` to link v1.0 and join v0.5 (`for: EXECUTION`),
//! plus tag v0.3 and inaccessible v0.2 (`for: SECURITY`) when subgraphs use them, and one per
//! spec of composed custom directives; one `@join__type` per key per subgraph (one without key
//! for subgraphs without keys, `isInterfaceObject` for `@interfaceObject`s; every subgraph has
//! `Query`, since every subgraph serves the federation queries); `@join__field` only where a
//! field is not resolved the same plain way by every subgraph defining its type (a bare one for
//! fields an implementation only gets through an `@interfaceObject`); `@join__implements`,
//! `@join__unionMember` and `@join__enumValue` per subgraph. Subgraphs are processed sorted by
//! name, so the output does not depend on their order. Definitions are sorted by name (ASCII
//! case-insensitively, like rover); fields, arguments, enum values and union members keep the
//! order in which they first appear going through the subgraphs sorted by name (again like
//! rover).
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

pub mod check;
pub mod config;
mod error;
mod merge;
mod satisfiability;
mod selection;
mod subgraph;
mod supergraph;
mod validate;

use std::collections::HashSet;

use apollo_compiler::Schema;

pub use config::{ConfigError, SubgraphConfig, SupergraphConfig, fetch_sdl};
pub use error::{CompositionError, CompositionHint, ErrorCode, ErrorLocation, HintCode, Position};
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
    let merge::Merged {
        schema: merged,
        hints,
    } = merge::merge(&models)?;
    validate::validate(&merged, &models)?;
    let unsatisfiable = satisfiability::check(&merged, &models);
    if !unsatisfiable.is_empty() {
        return Err(unsatisfiable);
    }
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
    Ok(Supergraph::new(merged.graphs, sdl, hints))
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
