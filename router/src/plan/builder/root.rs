//! Root subgraph choice: which subgraph serves each root field. Among the subgraphs that resolve
//! it and can plan everything below it, the planner trial-plans the field on each and keeps the one
//! whose plan needs the fewest fetches (so a subgraph that `@provides` the whole selection wins over
//! one that needs an entity jump), then one already fetched, then the one resolving the most fields
//! itself. Mutation fields keep their order: consecutive fields on one subgraph share a fetch. When
//! no subgraph can serve a root field, the error names the innermost field that cannot be served.

use super::*;

impl Planner<'_> {
    pub(super) fn plan_root(&mut self) -> Result<(), PlanError> {
        let kind = self.operation.kind;
        let root = self.operation.root.clone();
        let kind_name = match kind {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        if self.supergraph.root_type(kind).is_none() {
            return Err(PlanError::NoRootType(kind_name));
        }
        let mut query_groups: HashMap<SubgraphId, GroupId> = HashMap::new();
        let mut last_mutation_group: Option<GroupId> = None;
        for field in &root.fields {
            if field.kind != FieldKind::Regular {
                continue;
            }
            // A field no single subgraph can serve (a shareable value type whose fields are spread
            // over subgraphs) is split: each part goes to a subgraph that resolves it.
            let mut pending = vec![field.clone()];
            let mut used: Vec<SubgraphId> = Vec::new();
            while let Some(field) = pending.pop() {
                let (subgraph, part) = match self.choose_root_subgraph(&root, &field, &query_groups)
                {
                    Ok(subgraph) => (subgraph, field),
                    Err(error) => {
                        let Some((subgraph, part, residual)) =
                            self.split_root_field(&root, &field, &used)
                        else {
                            return Err(error);
                        };
                        pending.push(residual);
                        (subgraph, part)
                    }
                };
                used.push(subgraph);
                let group = match kind {
                    OperationType::Mutation => match last_mutation_group {
                        // Consecutive mutation fields on one subgraph run in one operation, in order.
                        Some(g) if self.groups[g].subgraph == subgraph => g,
                        _ => {
                            let deps: BTreeSet<GroupId> = (0..self.groups.len()).collect();
                            let g = self.new_group(subgraph, Some(kind), Vec::new(), deps);
                            last_mutation_group = Some(g);
                            g
                        }
                    },
                    _ => match query_groups.get(&subgraph) {
                        Some(&g) => g,
                        None => {
                            let g =
                                self.new_group(subgraph, Some(kind), Vec::new(), BTreeSet::new());
                            query_groups.insert(subgraph, g);
                            g
                        }
                    },
                };
                let position = Position::root(group, subgraph, &root);
                let mut touched = BTreeSet::new();
                self.add_local(&position, &part, false, &mut touched)?;
            }
        }
        Ok(())
    }

    /// The subgraph that serves a root field: among those that resolve it and can plan everything
    /// below it, the one whose plan needs the fewest fetches (a subgraph that `@provides` the whole
    /// selection beats one that needs an entity jump), then one already fetched, then the one that
    /// resolves the most fields itself.
    pub(super) fn choose_root_subgraph(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        existing: &HashMap<SubgraphId, GroupId>,
    ) -> Result<SubgraphId, PlanError> {
        let info = self.supergraph.field_info(&root.type_name, &field.name);
        let resolving: Vec<SubgraphId> = info
            .map(|i| i.resolvable_with(self.labels).iter().collect())
            .unwrap_or_default();
        let mut candidates = resolving.clone();
        candidates
            .retain(|&subgraph| self.children_plannable(subgraph, &root.type_name, field, None));
        let unsatisfiable = || PlanError::Unsatisfiable {
            type_name: root.type_name.to_string(),
            field: field.name.to_string(),
            path: String::from("(root)"),
        };
        if candidates.is_empty() {
            return Err(self
                .explain_unplannable(root, field, &resolving)
                .unwrap_or_else(unsatisfiable));
        }
        if candidates.len() == 1 {
            return Ok(candidates[0]);
        }
        // (fewer fetches, already fetched, more fields resolved there)
        type Score = (std::cmp::Reverse<usize>, bool, usize);
        let mut best: Option<(SubgraphId, Score)> = None;
        for subgraph in candidates {
            let Some(fetches) = self.trial_fetches(root, field, subgraph, existing) else {
                continue;
            };
            let score = (
                std::cmp::Reverse(fetches),
                existing.contains_key(&subgraph),
                self.local_coverage(subgraph, field),
            );
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((subgraph, score));
            }
        }
        best.map(|(s, _)| s).ok_or_else(unsatisfiable)
    }

    /// Names the field below the root `field` that no subgraph can serve, from the first subgraph
    /// that resolves the root field: the innermost field the feasibility check gave up on.
    pub(super) fn explain_unplannable(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        resolving: &[SubgraphId],
    ) -> Option<PlanError> {
        let &subgraph = resolving.first()?;
        // Memoised answers would skip the places where the check gives up.
        self.plannable_memo.clear();
        self.unplannable = None;
        self.children_plannable(subgraph, &root.type_name, field, None);
        let (type_name, inner) = self.unplannable.take()?;
        Some(PlanError::Unsatisfiable {
            type_name: type_name.to_string(),
            field: inner.to_string(),
            path: field.response_key.to_string(),
        })
    }

    /// How many new fetches planning the root `field` on `subgraph` would make (`None` when it
    /// cannot be planned there). The planner's state is restored afterwards.
    pub(super) fn trial_fetches(
        &mut self,
        root: &Arc<FieldSet>,
        field: &Field,
        subgraph: SubgraphId,
        existing: &HashMap<SubgraphId, GroupId>,
    ) -> Option<usize> {
        self.count_new_groups(|planner| {
            let group = match existing.get(&subgraph) {
                Some(&group) => group,
                None => planner.new_group(
                    subgraph,
                    Some(planner.operation.kind),
                    Vec::new(),
                    BTreeSet::new(),
                ),
            };
            let position = Position::root(group, subgraph, root);
            planner.add_local(&position, field, false, &mut BTreeSet::new())
        })
    }

    /// How many fields below `field` `subgraph` resolves without leaving it.
    pub(super) fn local_coverage(&self, subgraph: SubgraphId, field: &Field) -> usize {
        let Some(selection) = &field.selection else {
            return 0;
        };
        selection
            .field_sets()
            .iter()
            .map(|set| {
                set.fields
                    .iter()
                    .filter(|f| {
                        f.kind != FieldKind::Regular
                            || self.supergraph.is_field_local(
                                &set.type_name,
                                &f.name,
                                subgraph,
                                self.labels,
                            )
                    })
                    .map(|f| 1 + self.local_coverage(subgraph, f))
                    .sum::<usize>()
            })
            .sum()
    }
}
