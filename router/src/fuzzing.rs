//! Entry points shared by the fuzz targets (`router/fuzz`) and the test that replays their corpus:
//! any bytes as a client operation (through the same parse → validate → normalise → plan steps as a
//! request) or as a supergraph. Each returns what the router would conclude; none may panic.

use crate::pipeline::plan_text;
use crate::supergraph::Supergraph;

/// The supergraphs an operation input is tried against; the input's first byte picks one.
pub struct OperationTarget {
    supergraphs: Vec<Supergraph>,
}

impl OperationTarget {
    /// Reads the given supergraph texts; one that does not read is an error naming its position.
    pub fn new(sdls: &[&str]) -> Result<Self, String> {
        let supergraphs = sdls
            .iter()
            .enumerate()
            .map(|(i, sdl)| {
                Supergraph::parse(sdl, "fuzz-supergraph.graphql")
                    .map_err(|e| format!("supergraph {i}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if supergraphs.is_empty() {
            return Err("no supergraph given".to_owned());
        }
        Ok(OperationTarget { supergraphs })
    }

    /// How many supergraphs the target holds.
    pub fn len(&self) -> usize {
        self.supergraphs.len()
    }

    /// Whether the target holds no supergraph (never, once built).
    pub fn is_empty(&self) -> bool {
        self.supergraphs.is_empty()
    }
}

/// Plans `data` as an operation: the first byte chooses the supergraph, the rest is the document.
/// `None` when the bytes are not UTF-8 (the HTTP layer refuses those before any of this runs).
pub fn run_operation(target: &OperationTarget, data: &[u8]) -> Option<Result<String, String>> {
    let (&first, rest) = data.split_first()?;
    let query = std::str::from_utf8(rest).ok()?;
    let supergraph = &target.supergraphs[usize::from(first) % target.supergraphs.len()];
    Some(plan_text(supergraph, query, None))
}

/// Reads `data` as a supergraph and, when it reads, plans a trivial operation over it.
pub fn run_supergraph(data: &[u8]) -> Option<Result<String, String>> {
    let sdl = std::str::from_utf8(data).ok()?;
    Some(
        Supergraph::parse(sdl, "fuzz-supergraph.graphql")
            .map_err(|e| e.to_string())
            .and_then(|supergraph| plan_text(&supergraph, "{ __typename }", None)),
    )
}
