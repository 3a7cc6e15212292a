//! Entity jumps and keys: a field the current subgraph cannot resolve is fetched with an `_entities`
//! fetch to a subgraph that can, keyed by a `@key` of that subgraph the current position can provide
//! (directly, or by fetching the key's fields first through other jumps). Which fetch group a jump
//! goes to is decided by [`Planner::entity_group`] (see the module docs of `builder`).

use super::*;

impl Planner<'_> {
    /// Plans `fields`, which the position's subgraph cannot resolve, through entity jumps: each
    /// round takes the subgraph that serves the most remaining fields (preferring one already
    /// fetched at this position); among equals, the one whose plan below needs the fewest fetches
    /// (one that `@provides` what is below beats one that needs another jump).
    pub(super) fn plan_jumps(
        &mut self,
        position: &Position,
        fields: &[&Field],
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let mut remaining: Vec<&Field> = fields.to_vec();
        while !remaining.is_empty() {
            let mut candidates: Vec<(SubgraphId, Vec<usize>, (bool, usize))> = Vec::new();
            for subgraph in 0..self.supergraph.subgraphs.len() {
                let covered: Vec<usize> = remaining
                    .iter()
                    .enumerate()
                    .filter(|(_, field)| self.can_jump(position, field, subgraph))
                    .map(|(i, _)| i)
                    .collect();
                if covered.is_empty() {
                    continue;
                }
                let existing = self.entity_groups.contains_key(&(
                    position.group,
                    position.path.clone(),
                    subgraph,
                ));
                let score = (existing, covered.len());
                candidates.push((subgraph, covered, score));
            }
            let Some(top) = candidates.iter().map(|(_, _, score)| *score).max() else {
                let field = remaining[0];
                return Err(PlanError::Unsatisfiable {
                    type_name: position.type_name.to_string(),
                    field: field.name.to_string(),
                    path: display_path(&position.path),
                });
            };
            candidates.retain(|(_, _, score)| *score == top);
            let mut chosen = 0;
            if candidates.len() > 1 {
                let mut fewest = usize::MAX;
                for (index, (subgraph, covered, _)) in candidates.iter().enumerate() {
                    let fields: Vec<&Field> = covered.iter().map(|&i| remaining[i]).collect();
                    let fetches = self.trial_jump_fetches(position, &fields, *subgraph, internal);
                    if let Some(fetches) = fetches
                        && fetches < fewest
                    {
                        fewest = fetches;
                        chosen = index;
                    }
                }
            }
            let (subgraph, covered, _) = candidates.swap_remove(chosen);
            let fields: Vec<&Field> = covered.iter().map(|&i| remaining[i]).collect();
            self.jump(position, &fields, subgraph, internal, touched)?;
            let mut index = 0;
            remaining.retain(|_| {
                let keep = !covered.contains(&index);
                index += 1;
                keep
            });
        }
        Ok(())
    }

    /// Plans `fields` at `position` through entity jumps to `subgraph`.
    fn jump(
        &mut self,
        position: &Position,
        fields: &[&Field],
        subgraph: SubgraphId,
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        for field in fields {
            let requirement = self.plan_requirements(position, field, subgraph)?;
            let group = self.entity_group(position, subgraph, requirement.as_ref())?;
            let entity_position = Position {
                group,
                subgraph,
                type_name: entity_type.clone(),
                cursor: vec![Step::Fragment(entity_type.clone())],
                path: position.path.clone(),
                provided: None,
                client: position.client.clone(),
            };
            self.add_local(&entity_position, field, internal, touched)?;
            touched.insert(group);
        }
        Ok(())
    }

    /// How many new fetches jumping to `subgraph` for `fields` would make (`None` when it cannot
    /// be planned). The planner's state is restored afterwards.
    fn trial_jump_fetches(
        &mut self,
        position: &Position,
        fields: &[&Field],
        subgraph: SubgraphId,
        internal: bool,
    ) -> Option<usize> {
        self.count_new_groups(|planner| {
            planner.jump(position, fields, subgraph, internal, &mut BTreeSet::new())
        })
    }

    /// Whether `field` at `position` can be fetched from `subgraph` through an entity jump.
    pub(super) fn can_jump(
        &mut self,
        position: &Position,
        field: &Field,
        subgraph: SubgraphId,
    ) -> bool {
        if !self.can_enter(position, field, subgraph) {
            return false;
        }
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        self.children_plannable(subgraph, &entity_type, field, None)
    }

    /// Whether an entity jump from `position` to `subgraph` can reach `field` itself (a key, the
    /// field resolvable there, its requirements plannable), whatever is selected below it.
    pub(super) fn can_enter(
        &mut self,
        position: &Position,
        field: &Field,
        subgraph: SubgraphId,
    ) -> bool {
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let Some(info) = self.supergraph.field_info(&entity_type, &field.name) else {
            return false;
        };
        if !info.resolvable_with(self.labels).contains(subgraph) {
            return false;
        }
        if entity_type != position.type_name
            && self
                .interface_object_route(&position.type_name, &field.name, subgraph)
                .is_none()
        {
            return false;
        }
        let requires = info.requires_in(subgraph).cloned();
        if subgraph == position.subgraph && requires.is_none() {
            return false;
        }
        if self.key_targets.contains(&subgraph) {
            return false;
        }
        if self.reachable_key(position, subgraph).is_none() {
            return false;
        }
        if let Some(requires) = requires {
            if self.internal_depth >= MAX_INTERNAL_DEPTH {
                return false;
            }
            let set = self.internal_field_set(&position.type_name, &requires);
            self.internal_depth += 1;
            let ok = self.set_plannable(position.subgraph, &set, position.provided.as_deref());
            self.internal_depth -= 1;
            if !ok {
                return false;
            }
        }
        true
    }

    /// The entity fetch to `subgraph` for the objects at `position` that can take a field needing
    /// `requirement`, with the key of the position's type planned at this position and recorded as
    /// its inputs.
    ///
    /// Entity groups are keyed by (parent group, response path, subgraph). The first group there
    /// that can take the field is reused; a new group is made at the same key when every existing
    /// one either
    /// - is one the key or the requirement of this field is fetched by (or depends on such a
    ///   group): the requirement must come back before the field's fetch goes out, so the two
    ///   cannot be one fetch; or
    /// - already sends, for this type, a representation field under the same name but from a
    ///   different value (one field required with two argument sets): a representation has room
    ///   for one value per name.
    ///
    /// The key is planned at every position that uses the group, not only the first: the same
    /// path can be reached under several parent type conditions, and each must select the key.
    pub(super) fn entity_group(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
        requirement: Option<&Requirement>,
    ) -> Result<GroupId, PlanError> {
        let key = self.choose_key(position, subgraph)?;
        let mut key_selection = (*key).clone();
        key_selection.items.insert(
            0,
            SelectionItem::Field {
                name: Name::new_unchecked("__typename"),
                arguments: Vec::new(),
                selection: None,
            },
        );
        let key_set = self.internal_field_set(&position.type_name, &key_selection);
        let mut key_touched = BTreeSet::new();
        self.key_targets.push(subgraph);
        let saved = std::mem::take(&mut self.plannable_memo);
        let planned = self.plan_internal(position, &key_set, &mut key_touched);
        self.plannable_memo = saved;
        self.key_targets.pop();
        planned?;
        let mut inputs = input_selection(position.client.as_deref(), &key_set);
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        if entity_type != position.type_name {
            inputs.as_type = Some(entity_type.clone());
        }
        if let Some(requirement) = requirement {
            inputs.merge(&requirement.inputs);
        }
        let map_key = (position.group, position.path.clone(), subgraph);
        let candidates = self
            .entity_groups
            .get(&map_key)
            .cloned()
            .unwrap_or_default();
        let found = candidates.into_iter().find(|&group| {
            let after_own_inputs = key_touched
                .iter()
                .chain(requirement.iter().flat_map(|r| r.touched.iter()))
                .any(|&t| self.depends_on(t, group));
            let conflicting = self.groups[group]
                .inputs
                .iter()
                .any(|(t, existing)| t == &position.type_name && existing.conflicts_with(&inputs));
            !after_own_inputs && !conflicting
        });
        let group = match found {
            Some(group) => group,
            None => {
                let group = self.new_group(
                    subgraph,
                    None,
                    position.path.clone(),
                    BTreeSet::from([position.group]),
                );
                self.entity_groups.entry(map_key).or_default().push(group);
                group
            }
        };
        let entry = &mut self.groups[group];
        entry.deps.extend(key_touched);
        if let Some(requirement) = requirement {
            entry.deps.extend(requirement.touched.iter().copied());
        }
        match entry
            .inputs
            .iter_mut()
            .find(|(t, _)| t == &position.type_name)
        {
            Some((_, existing)) => existing.merge(&inputs),
            None => entry.inputs.push((position.type_name.clone(), inputs)),
        }
        entry.selection.at_mut(&[Step::Fragment(entity_type)]);
        Ok(group)
    }

    /// Whether `group` is `target` or waits for it, directly or through other groups.
    pub(super) fn depends_on(&self, group: GroupId, target: GroupId) -> bool {
        let mut stack = vec![group];
        let mut seen = BTreeSet::new();
        while let Some(g) = stack.pop() {
            if g == target {
                return true;
            }
            if seen.insert(g) {
                stack.extend(self.groups[g].deps.iter().copied().filter(|&d| d != g));
            }
        }
        false
    }

    pub(super) fn choose_key(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Result<Arc<FieldSelection>, PlanError> {
        self.reachable_key(position, subgraph)
            .ok_or_else(|| PlanError::NoKey {
                type_name: position.type_name.to_string(),
                subgraph: self.supergraph.subgraphs[subgraph].name.clone(),
                path: display_path(&position.path),
            })
    }

    /// A resolvable key of the position's type in `subgraph` that can be obtained from the position:
    /// preferably one the position's subgraph provides itself, otherwise one whose fields further
    /// entity jumps can fetch first (a key the source lacks, reached through a third subgraph).
    pub(super) fn reachable_key(
        &mut self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Option<Arc<FieldSelection>> {
        if let Some(key) = self.available_key(position, subgraph) {
            return Some(key);
        }
        if self.internal_depth >= MAX_KEY_HOPS {
            return None;
        }
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let keys: Vec<Arc<FieldSelection>> = self
            .supergraph
            .type_info(&entity_type)?
            .keys_in(subgraph)
            .cloned()
            .collect();
        self.internal_depth += 1;
        self.key_targets.push(subgraph);
        let found = keys.into_iter().find(|key| {
            let set = self.internal_field_set(&position.type_name, key);
            // Memoised answers were computed without this exclusion.
            let saved = std::mem::take(&mut self.plannable_memo);
            let ok = self.set_plannable(position.subgraph, &set, position.provided.as_deref());
            self.plannable_memo = saved;
            ok
        });
        self.key_targets.pop();
        self.internal_depth -= 1;
        found
    }

    /// The first resolvable key of the position's type in `subgraph` whose fields the position's own
    /// subgraph can provide.
    pub(super) fn available_key(
        &self,
        position: &Position,
        subgraph: SubgraphId,
    ) -> Option<Arc<FieldSelection>> {
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let type_info = self.supergraph.type_info(&entity_type)?;
        type_info
            .keys_in(subgraph)
            .find(|key| {
                selection_local(
                    self.supergraph,
                    self.labels,
                    position.subgraph,
                    &position.type_name,
                    key,
                    position.provided.as_deref(),
                )
            })
            .cloned()
    }
}
