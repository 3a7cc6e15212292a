//! Feasibility: whether everything below a field can be planned if a given subgraph resolves it
//! (locally, through entity jumps, or split), memoised per (subgraph, field set). The checks record
//! the innermost field they give up on, for planning errors.

use super::*;

impl Planner<'_> {
    /// A position for feasibility checks (not inside any fetch).
    pub(super) fn probe_position(
        &self,
        subgraph: SubgraphId,
        type_name: &Name,
        provided: Option<&FieldSelection>,
    ) -> Position {
        Position {
            group: 0,
            subgraph,
            type_name: type_name.clone(),
            cursor: Vec::new(),
            path: Vec::new(),
            provided: provided.map(|p| Arc::new(p.clone())),
            client: None,
        }
    }

    /// Whether everything below `field` can be planned when `subgraph` resolves the field.
    pub(super) fn children_plannable(
        &mut self,
        subgraph: SubgraphId,
        parent_type: &Name,
        field: &Field,
        provided: Option<&FieldSelection>,
    ) -> bool {
        let Some(selection) = &field.selection else {
            return true;
        };
        let child_provided =
            provided_below(self.supergraph, parent_type, field, subgraph, provided);
        let possible = self.possible_types_below(parent_type, field, subgraph);
        for set in selection.field_sets() {
            if selection.is_abstract() && !possible.contains(&set.type_name) {
                continue;
            }
            if !self.set_plannable(subgraph, set, child_provided.as_ref()) {
                return false;
            }
        }
        true
    }

    pub(super) fn set_plannable(
        &mut self,
        subgraph: SubgraphId,
        set: &Arc<FieldSet>,
        provided: Option<&FieldSelection>,
    ) -> bool {
        let memo_key = (subgraph, Arc::as_ptr(set) as usize);
        if provided.is_none()
            && let Some(&known) = self.plannable_memo.get(&memo_key)
        {
            return known;
        }
        let position = self.probe_position(subgraph, &set.type_name, provided);
        let mut ok = true;
        for field in &set.fields {
            if field.kind != FieldKind::Regular {
                continue;
            }
            let is_local = self.is_local(&position, field);
            if is_local && self.children_plannable(subgraph, &set.type_name, field, provided) {
                continue;
            }
            let jumpable = (0..self.supergraph.subgraphs.len())
                .any(|target| self.can_jump(&position, field, target));
            if jumpable {
                continue;
            }
            // Split as `plan_field_set` would: this subgraph serves a part, a jump the rest; or
            // several jumps serve a part each.
            let split = if is_local {
                self.split_field(&position, field).is_some_and(|(_, rest)| {
                    (0..self.supergraph.subgraphs.len())
                        .any(|target| self.can_jump(&position, &rest, target))
                })
            } else {
                self.split_across_jumps(&position, field).is_some()
            };
            if !split {
                // A local field failed below (and the check there named the field); any other
                // field fails itself.
                if !is_local || self.unplannable.is_none() {
                    self.unplannable = Some((set.type_name.clone(), field.name.clone()));
                }
                ok = false;
                break;
            }
        }
        if provided.is_none() {
            self.plannable_memo.insert(memo_key, ok);
        }
        ok
    }
}
