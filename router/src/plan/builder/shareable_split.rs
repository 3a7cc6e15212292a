//! Splitting shareable fields: a field no single subgraph can serve entirely (a shareable value type
//! whose fields are spread over subgraphs) is split into parts that each one subgraph serves — at
//! the root (each part becomes a root fetch of its own) and below an entity jump (each part an
//! entity fetch of its own, in parallel). Only value types are split field by field: an entity's
//! fields are reached through its keys or not at all.

use super::*;

impl Planner<'_> {
    /// For a root field no single subgraph can serve: the candidate (not yet used for it) whose part
    /// covers the most, that part, and the rest.
    pub(super) fn split_root_field(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        used: &[SubgraphId],
    ) -> Option<(SubgraphId, Field, Field)> {
        let candidates: Vec<SubgraphId> = self
            .supergraph
            .field_info(&root.type_name, &field.name)?
            .resolvable_with(self.labels)
            .iter()
            .filter(|s| !used.contains(s))
            .collect();
        let mut best: Option<(SubgraphId, Field, Field, usize)> = None;
        for subgraph in candidates {
            let position = self.probe_position(subgraph, &root.type_name, None);
            if let Some((part, residual)) = self.split_field(&position, field) {
                let coverage = count_fields(&part);
                if best.as_ref().is_none_or(|(_, _, _, c)| coverage > *c) {
                    best = Some((subgraph, part, residual, coverage));
                }
            }
        }
        best.map(|(s, part, residual, _)| (s, part, residual))
    }

    /// Splits a composite field the position's subgraph resolves but cannot serve entirely: the part
    /// it can serve (fields it resolves, and fields reachable from it through entity jumps) and the
    /// rest, which another subgraph resolving the same field must serve. `None` when the subgraph can
    /// serve nothing below the field, or everything.
    pub(super) fn split_field(
        &mut self,
        position: &Position,
        field: &Field,
    ) -> Option<(Field, Field)> {
        let selection = field.selection.as_ref()?;
        let subgraph = position.subgraph;
        let provided = provided_below(
            self.supergraph,
            &position.type_name,
            field,
            subgraph,
            position.provided.as_deref(),
        );
        let possible = self.possible_types_below(&position.type_name, field, subgraph);
        let mut part_sets = Vec::new();
        let mut rest_sets = Vec::new();
        for set in selection.field_sets() {
            if selection.is_abstract() && !possible.contains(&set.type_name) {
                rest_sets.push(set.clone());
                part_sets.push(Arc::new(FieldSet {
                    type_name: set.type_name.clone(),
                    fields: Vec::new(),
                }));
                continue;
            }
            let child = self.probe_position(subgraph, &set.type_name, provided.as_ref());
            let mut part = Vec::new();
            let mut rest = Vec::new();
            for child_field in &set.fields {
                if child_field.kind != FieldKind::Regular {
                    part.push(child_field.clone());
                    continue;
                }
                let local = self.is_local(&child, child_field);
                let served = if local {
                    self.children_plannable(
                        subgraph,
                        &set.type_name,
                        child_field,
                        provided.as_ref(),
                    )
                } else {
                    (0..self.supergraph.subgraphs.len())
                        .any(|target| self.can_jump(&child, child_field, target))
                };
                if served {
                    part.push(child_field.clone());
                } else if local && let Some((p, r)) = self.split_field(&child, child_field) {
                    part.push(p);
                    rest.push(r);
                } else {
                    rest.push(child_field.clone());
                }
            }
            // Only a value type is split field by field; an entity's fields that this subgraph
            // cannot serve are reached through its keys, or not at all.
            if !rest.is_empty() && self.is_entity(&set.type_name) {
                return None;
            }
            let regular_part = part.iter().any(|f| f.kind == FieldKind::Regular);
            if !rest.is_empty() || !regular_part {
                rest_sets.push(Arc::new(FieldSet {
                    type_name: set.type_name.clone(),
                    fields: rest,
                }));
            }
            part_sets.push(Arc::new(FieldSet {
                type_name: set.type_name.clone(),
                fields: part,
            }));
        }
        let has_part = part_sets
            .iter()
            .any(|s| s.fields.iter().any(|f| f.kind == FieldKind::Regular));
        let has_rest = rest_sets.iter().any(|s| !s.fields.is_empty());
        if !has_part || !has_rest {
            return None;
        }
        let rebuild = |sets: Vec<Arc<FieldSet>>| {
            let mut out = field.clone();
            out.selection = Some(if selection.is_abstract() {
                SubSelection::Abstract(sets)
            } else {
                SubSelection::Concrete(sets.into_iter().next().unwrap_or_else(|| {
                    Arc::new(FieldSet {
                        type_name: field.ty.inner_named_type().clone(),
                        fields: Vec::new(),
                    })
                }))
            });
            out
        };
        Some((rebuild(part_sets), rebuild(rest_sets)))
    }

    /// Whether any subgraph has a `@key` for the type.
    pub(super) fn is_entity(&self, type_name: &Name) -> bool {
        self.supergraph
            .type_info(type_name)
            .is_some_and(|t| t.joins.iter().any(|j| j.key.is_some()))
    }

    /// A field below which no single subgraph reachable by an entity jump can serve everything (a
    /// shareable value type whose fields are spread over subgraphs), split into parts that each
    /// one entity jump serves: the part the best subgraph serves, and so on with the rest. `None`
    /// when no such split exists.
    pub(super) fn split_across_jumps(
        &mut self,
        position: &Position,
        field: &Field,
    ) -> Option<Vec<Field>> {
        let subgraphs = self.supergraph.subgraphs.len();
        let mut parts = Vec::new();
        let mut rest = field.clone();
        for _ in 0..subgraphs {
            if (0..subgraphs).any(|target| self.can_jump(position, &rest, target)) {
                parts.push(rest);
                return Some(parts);
            }
            let mut best: Option<(Field, Field, usize)> = None;
            for target in 0..subgraphs {
                if !self.can_enter(position, &rest, target) {
                    continue;
                }
                let entity_type = self.entity_type_in(&position.type_name, target);
                let probe = self.probe_position(target, &entity_type, None);
                if let Some((part, remaining)) = self.split_field(&probe, &rest) {
                    let coverage = count_fields(&part);
                    if best.as_ref().is_none_or(|(_, _, c)| coverage > *c) {
                        best = Some((part, remaining, coverage));
                    }
                }
            }
            let (part, remaining, _) = best?;
            parts.push(part);
            rest = remaining;
        }
        None
    }
}

/// How many fields a field and its subtree select.
pub(super) fn count_fields(field: &Field) -> usize {
    1 + field.selection.as_ref().map_or(0, |selection| {
        selection
            .field_sets()
            .iter()
            .flat_map(|set| set.fields.iter())
            .map(count_fields)
            .sum()
    })
}
