//! Reporting an unsatisfiable field: the shortest query reaching it, and why each subgraph the
//! router could be in cannot resolve it, located in the subgraphs' files.

use std::fmt::Write as _;

use super::model::KeyModel;
use super::{Place, Step, Walker, Way};
use crate::error::{CompositionError, ErrorCode, ErrorLocation};
use crate::subgraph::{Subgraph, TypeBody};

impl<'a> Walker<'_, 'a> {
    pub(super) fn error(
        &self,
        places: &[Place<'a>],
        index: usize,
        field: &str,
        subgraphs: &[Subgraph],
    ) -> CompositionError {
        let place = &places[index];
        let coordinate = format!("{}.{field}", place.ty);
        let mut steps = Vec::new();
        let mut current = index;
        while let Some((parent, step)) = places[current].parent {
            steps.push(step);
            current = parent;
        }
        steps.reverse();
        let root = places[current].ty;
        let mut query = String::from(match root {
            "Mutation" => "mutation {\n",
            "Subscription" => "subscription {\n",
            _ => "{\n",
        });
        for (depth, step) in steps.iter().enumerate() {
            let indent = "  ".repeat(depth + 1);
            match step {
                Step::Field(name) => {
                    let _ = writeln!(query, "{indent}{name} {{");
                }
                Step::Cast(object) => {
                    let _ = writeln!(query, "{indent}... on {object} {{");
                }
            }
        }
        let _ = writeln!(query, "{}{field}", "  ".repeat(steps.len() + 1));
        for depth in (0..=steps.len()).rev() {
            let _ = writeln!(query, "{}}}", "  ".repeat(depth));
        }

        let mut graphs: Vec<usize> = place.ways.iter().map(|w| w.graph).collect();
        graphs.sort_by_key(|graph| self.model.graphs[*graph]);
        graphs.dedup();
        let mut reasons = String::new();
        for graph in graphs {
            let _ = writeln!(reasons, "- from subgraph \"{}\":", self.model.graphs[graph]);
            for reason in self.reasons(place, graph, field, &coordinate) {
                let _ = writeln!(reasons, "  - {reason}");
            }
        }
        let mode = match self.label_on {
            Some(true) => " (with the progressive @override labels enabled)",
            Some(false) => " (with the progressive @override labels disabled)",
            None => "",
        };
        let message = format!(
            "The following supergraph API query:\n{query}cannot be satisfied by the subgraphs{mode} because:\n{}",
            reasons.trim_end()
        );
        let mut locations = locate(subgraphs, place.ty, Some(field));
        if locations.is_empty() {
            locations = locate(subgraphs, place.ty, None);
        }
        CompositionError::new(ErrorCode::SatisfiabilityError, message)
            .element(coordinate)
            .at_all(locations)
    }

    /// Why the router, having `place.ty` from `graph`, cannot get `field`.
    fn reasons(
        &self,
        place: &Place<'a>,
        graph: usize,
        field: &str,
        coordinate: &str,
    ) -> Vec<String> {
        let name = |graph: usize| self.model.graphs[graph];
        let Some(model) = self.ty(place.ty) else {
            return Vec::new();
        };
        let Some(field_model) = model.fields.get(field) else {
            return Vec::new();
        };
        let mut reasons = Vec::new();
        let own_join = field_model
            .joins
            .as_ref()
            .and_then(|joins| joins.iter().find(|j| j.graph == Some(graph)));
        if own_join.is_some_and(|j| j.external) {
            reasons.push(format!(
                "field \"{coordinate}\" is @external in subgraph \"{}\" and nothing on the path @provides it.",
                name(graph)
            ));
        } else if let Some(join) = self.resolving_join(model, field_model, graph) {
            if join.is_some_and(|j| j.requires.is_some()) {
                reasons.push(format!(
                    "cannot satisfy the @requires of field \"{coordinate}\" in subgraph \"{}\".",
                    name(graph)
                ));
            } else {
                reasons.push(format!("cannot find field \"{coordinate}\"."));
            }
        } else if own_join.is_some() {
            reasons.push(format!(
                "field \"{coordinate}\" is overridden in subgraph \"{}\".",
                name(graph)
            ));
        } else {
            reasons.push(format!("cannot find field \"{coordinate}\"."));
        }
        let ways: Vec<&Way<'a>> = place.ways.iter().filter(|w| w.graph == graph).collect();
        let mut others: Vec<usize> = (0..self.model.graphs.len())
            .filter(|other| *other != graph)
            .filter(|other| self.resolving_join(model, field_model, *other).is_some())
            .collect();
        others.sort_by_key(|other| name(*other));
        for other in others {
            let keys: Vec<&KeyModel> = model.keys.iter().filter(|k| k.graph == other).collect();
            let reachable = ways
                .iter()
                .any(|way| self.closure(way).iter().any(|w| w.graph == other));
            let reason = if keys.is_empty() {
                format!(
                    "cannot move to subgraph \"{}\", which has field \"{coordinate}\", because type \"{}\" has no @key defined in subgraph \"{}\".",
                    name(other),
                    place.ty,
                    name(other)
                )
            } else if keys.iter().all(|k| !k.resolvable) {
                format!(
                    "cannot move to subgraph \"{}\", which has field \"{coordinate}\", because its @key on type \"{}\" is not resolvable (resolvable: false).",
                    name(other),
                    place.ty
                )
            } else if reachable {
                format!(
                    "cannot satisfy the @requires of field \"{coordinate}\" in subgraph \"{}\".",
                    name(other)
                )
            } else {
                let listed: Vec<String> = keys
                    .iter()
                    .filter(|k| k.resolvable)
                    .map(|k| format!("@key(fields: \"{}\")", k.text))
                    .collect();
                format!(
                    "cannot move to subgraph \"{}\", which has field \"{coordinate}\", because none of its keys on type \"{}\" ({}) can be collected from subgraph \"{}\".",
                    name(other),
                    place.ty,
                    listed.join(", "),
                    name(graph)
                )
            };
            reasons.push(reason);
        }
        reasons
    }
}

/// Where subgraphs define a type (no field) or a field of it.
fn locate(subgraphs: &[Subgraph], type_name: &str, field: Option<&str>) -> Vec<ErrorLocation> {
    subgraphs
        .iter()
        .filter_map(|subgraph| {
            let ty = subgraph.types.get(type_name)?;
            let position = match field {
                None => ty.position,
                Some(field) => match &ty.body {
                    TypeBody::Object(c) | TypeBody::Interface(c) => c.fields.get(field)?.position,
                    _ => return None,
                },
            };
            Some(subgraph.location(position))
        })
        .collect()
}
