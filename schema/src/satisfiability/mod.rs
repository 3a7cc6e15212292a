//! Satisfiability: every field of the API schema must be resolvable, at every place a query can
//! select it, by some sequence of subgraph fetches starting at a root.
//!
//! The check walks the API schema from the root types. Each place in a query (a type reached
//! through a path of fields and type conditions) carries the set of ways the router may be
//! there: a subgraph that returned the object, plus what an `@provides` on the way guarantees
//! that subgraph knows. A field is satisfiable at a place if, from at least one of those ways,
//! some subgraph resolves it: the current one, or one reached through `@key` jumps (an entity
//! fetch whose key fields the subgraph being left can provide, itself or through fetches from
//! other subgraphs; `@interfaceObject`s are reached through the keys of the interface), with
//! any `@requires` of the field satisfiable in turn from that subgraph. Interface fields a
//! subgraph does not resolve on the interface itself may be resolved on each of its
//! implementations there. Every way that resolves the field leads to the next places. The
//! fields of an interface no object type implements are vacuously satisfiable (no value can
//! have that type). A field unsatisfiable somewhere is reported once, with the shortest query
//! reaching it and why each subgraph the router could be in cannot resolve it. With progressive
//! `@override`s the walk is made with the labels off and with them on.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use crate::error::CompositionError;
use crate::selection::Selected;
use crate::subgraph::Subgraph;
use crate::supergraph::MergedSchema;
use model::{FieldModel, JoinModel, Kind, Model, TypeModel};

mod model;
mod report;

/// Checks that every API field is reachable; returns one error per unreachable field.
pub(crate) fn check(schema: &MergedSchema, subgraphs: &[Subgraph]) -> Vec<CompositionError> {
    let model = Model::new(schema);
    let has_labels = model
        .types
        .values()
        .flat_map(|t| t.fields.values())
        .flat_map(|f| f.joins.iter().flatten())
        .any(|j| j.labelled);
    let modes: &[bool] = if has_labels { &[false, true] } else { &[false] };
    let mut errors = Vec::new();
    let mut reported = HashSet::new();
    for &label_on in modes {
        let walker = Walker {
            model: &model,
            label_on: has_labels.then_some(label_on),
            closures: RefCell::new(HashMap::new()),
            closing: RefCell::new(Vec::new()),
            drafts: RefCell::new(HashMap::new()),
            used_drafts: RefCell::new(HashSet::new()),
            requires: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(HashSet::new()),
        };
        walker.walk(subgraphs, &mut reported, &mut errors);
    }
    errors
}

/// One way the router can be at a place of a query: the subgraph that returned the object (as
/// type `ty`, which is an interface when reached through an `@interfaceObject`), and what an
/// `@provides` guarantees that subgraph knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Way<'a> {
    ty: &'a str,
    graph: usize,
    provided: Option<Rc<Vec<Selected>>>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Field(&'a str),
    Cast(&'a str),
}

struct Place<'a> {
    ty: &'a str,
    ways: Vec<Way<'a>>,
    parent: Option<(usize, Step<'a>)>,
}

struct Walker<'m, 'a> {
    model: &'m Model<'a>,
    /// `Some(on)` when the supergraph has progressive overrides: whether their labels are on.
    label_on: Option<bool>,
    closures: RefCell<HashMap<Way<'a>, Rc<Vec<Way<'a>>>>>,
    /// Ways whose closure is being computed, innermost last.
    closing: RefCell<Vec<Way<'a>>>,
    /// The closure found so far of ways being computed again.
    drafts: RefCell<HashMap<Way<'a>, Rc<Vec<Way<'a>>>>>,
    /// Ways being computed whose draft was used by a nested computation.
    used_drafts: RefCell<HashSet<Way<'a>>>,
    requires: RefCell<HashMap<(&'a str, &'a str, usize), bool>>,
    in_progress: RefCell<HashSet<(&'a str, &'a str, usize)>>,
}

impl<'a> Walker<'_, 'a> {
    fn ty(&self, name: &str) -> Option<&TypeModel<'a>> {
        self.model.types.get(name)
    }

    fn walk(
        &self,
        subgraphs: &[Subgraph],
        reported: &mut HashSet<String>,
        errors: &mut Vec<CompositionError>,
    ) {
        let mut places: Vec<Place<'a>> = Vec::new();
        let mut seen: HashSet<(&'a str, Vec<Way<'a>>)> = HashSet::new();
        let mut queue = VecDeque::new();
        for root in &self.model.roots {
            let Some(model) = self.ty(root) else { continue };
            if !model.visible {
                continue;
            }
            let ways: Vec<Way<'a>> = model
                .defined_in
                .iter()
                .map(|graph| Way {
                    ty: root,
                    graph: *graph,
                    provided: None,
                })
                .collect();
            seen.insert((root, ways.clone()));
            places.push(Place {
                ty: root,
                ways,
                parent: None,
            });
            queue.push_back(places.len() - 1);
        }
        while let Some(index) = queue.pop_front() {
            let ty = places[index].ty;
            let ways = places[index].ways.clone();
            let Some(model) = self.ty(ty) else { continue };
            let mut children: Vec<(&'a str, Vec<Way<'a>>, Step<'a>)> = Vec::new();
            // No value can ever be of an interface no object type implements: its fields are
            // vacuously satisfiable.
            let vacuous = model.kind == Kind::Interface
                && model.api_possible.is_empty()
                && model.possible_in.values().all(Vec::is_empty);
            if matches!(model.kind, Kind::Object | Kind::Interface) && !vacuous {
                for (field_name, field) in &model.fields {
                    if !field.visible {
                        continue;
                    }
                    let next: BTreeSet<Way<'a>> = ways
                        .iter()
                        .flat_map(|way| self.resolve(way, field_name, field.result))
                        .collect();
                    if next.is_empty() {
                        let coordinate = format!("{ty}.{field_name}");
                        if reported.insert(coordinate.clone()) {
                            errors.push(self.error(&places, index, field_name, subgraphs));
                        }
                        continue;
                    }
                    let composite = self
                        .ty(field.result)
                        .is_some_and(|t| t.kind != Kind::Leaf && t.visible);
                    if composite {
                        children.push((
                            field.result,
                            next.into_iter().collect(),
                            Step::Field(field_name),
                        ));
                    }
                }
            }
            if matches!(model.kind, Kind::Interface | Kind::Union) {
                for object in &model.api_possible {
                    let next: BTreeSet<Way<'a>> =
                        self.downcast(&ways, object).into_iter().collect();
                    if !next.is_empty() {
                        children.push((object, next.into_iter().collect(), Step::Cast(object)));
                    }
                }
            }
            for (child, ways, step) in children {
                if seen.insert((child, ways.clone())) {
                    places.push(Place {
                        ty: child,
                        ways,
                        parent: Some((index, step)),
                    });
                    queue.push_back(places.len() - 1);
                }
            }
        }
    }

    /// Whether the join resolves the field in the current label mode.
    fn join_resolves(&self, join: &JoinModel) -> bool {
        if join.external {
            return false;
        }
        if join.labelled {
            return match self.label_on {
                Some(on) => on == join.overriding,
                None => true,
            };
        }
        !join.used_overridden
    }

    /// `Some(join)` when `graph` resolves the field itself (`Some(None)`: without join data).
    fn resolving_join<'f>(
        &self,
        ty: &TypeModel<'a>,
        field: &'f FieldModel<'a>,
        graph: usize,
    ) -> Option<Option<&'f JoinModel>> {
        match &field.joins {
            None => ty.defined_in.contains(&graph).then_some(None),
            Some(joins) => joins
                .iter()
                .find(|j| j.graph == Some(graph) && self.join_resolves(j))
                .map(Some),
        }
    }

    /// Whether `graph` can give the value of `ty.field` for a key: it has the field (not
    /// external), or the field is part of one of its keys for the type.
    fn knows(&self, ty: &str, field: &str, graph: usize) -> bool {
        let Some(model) = self.ty(ty) else {
            return false;
        };
        let has_field = model.fields.get(field).is_some_and(|f| match &f.joins {
            None => model.defined_in.contains(&graph),
            Some(joins) => joins.iter().any(|j| j.graph == Some(graph) && !j.external),
        });
        has_field
            || model.keys.iter().any(|key| {
                key.graph == graph
                    && key
                        .fields
                        .iter()
                        .any(|s| matches!(s, Selected::Field { name, .. } if name == field))
            })
    }

    /// The sub-selection `provided` guarantees for `ty.field`, if it guarantees the field.
    fn provided_sub(
        &self,
        provided: &Option<Rc<Vec<Selected>>>,
        ty: &str,
        field: &str,
    ) -> Option<Option<Rc<Vec<Selected>>>> {
        let provided = provided.as_ref()?;
        self.find_provided(provided, ty, field)
    }

    fn find_provided(
        &self,
        set: &[Selected],
        ty: &str,
        field: &str,
    ) -> Option<Option<Rc<Vec<Selected>>>> {
        for item in set {
            match item {
                Selected::Field { name, sub } if name == field => {
                    return Some((!sub.is_empty()).then(|| Rc::new(sub.clone())));
                }
                Selected::Fragment { on, sub } => {
                    let applies = on.as_deref().is_none_or(|on| {
                        on == ty || self.ty(ty).is_some_and(|t| t.implements.contains(&on))
                    });
                    if applies && let Some(found) = self.find_provided(sub, ty, field) {
                        return Some(found);
                    }
                }
                Selected::Field { .. } => {}
            }
        }
        None
    }

    /// Whether the subgraph of `way` can provide every field of key `fields` on type `ty`.
    fn collectable(
        &self,
        fields: &[Selected],
        ty: &str,
        graph: usize,
        provided: &Option<Rc<Vec<Selected>>>,
    ) -> bool {
        fields.iter().all(|item| match item {
            Selected::Field { name, sub } => {
                if name == "__typename" {
                    return true;
                }
                let from_provides = self.provided_sub(provided, ty, name);
                if !self.knows(ty, name, graph) && from_provides.is_none() {
                    return false;
                }
                if sub.is_empty() {
                    return true;
                }
                let Some(result) = self
                    .ty(ty)
                    .and_then(|t| t.fields.get(name.as_str()))
                    .map(|f| f.result)
                else {
                    return false;
                };
                self.collectable(sub, result, graph, &from_provides.flatten())
            }
            Selected::Fragment { on, sub } => {
                self.collectable(sub, on.as_deref().unwrap_or(ty), graph, provided)
            }
        })
    }

    /// Whether the key `fields` can be fetched for the object of `way` through other subgraphs
    /// (e.g. a nested entity's key field only a third subgraph resolves).
    fn fetchable(&self, way: &Way<'a>, fields: &[Selected]) -> bool {
        self.selection_satisfied(std::slice::from_ref(way), way.ty, fields)
    }

    /// `way` and every way reachable from it through entity fetches (`@key` jumps to other
    /// subgraphs, and to `@interfaceObject`s of the interfaces of an object type). Key fields
    /// may themselves need fetches, even from the closure being computed: such a request is
    /// answered with the closure found so far (a draft), and the closure is computed again with
    /// the larger draft until it stops growing. Closures that used the draft of an enclosing
    /// computation are not remembered, as that draft was not final.
    fn closure(&self, way: &Way<'a>) -> Rc<Vec<Way<'a>>> {
        if let Some(found) = self.closures.borrow().get(way) {
            return found.clone();
        }
        if self.closing.borrow().contains(way) {
            self.used_drafts.borrow_mut().insert(way.clone());
            let draft = self.drafts.borrow().get(way).cloned();
            return draft.unwrap_or_else(|| Rc::new(vec![way.clone()]));
        }
        self.closing.borrow_mut().push(way.clone());
        let (mut reached, mut retry) = self.compute_closure(way);
        while retry {
            self.drafts
                .borrow_mut()
                .insert(way.clone(), reached.clone());
            let (next, next_retry) = self.compute_closure(way);
            retry = next_retry && next.len() > reached.len();
            reached = next;
        }
        self.drafts.borrow_mut().remove(way);
        self.closing.borrow_mut().pop();
        if self.used_drafts.borrow().is_empty() {
            self.closures
                .borrow_mut()
                .insert(way.clone(), reached.clone());
        }
        reached
    }

    /// One pass of the closure of `root`, and whether a key was refused while the draft of
    /// `root` was used (the pass is then worth repeating with a larger draft).
    fn compute_closure(&self, root: &Way<'a>) -> (Rc<Vec<Way<'a>>>, bool) {
        let mut retry = false;
        let mut reached = vec![root.clone()];
        let mut queue = VecDeque::from([root.clone()]);
        while let Some(current) = queue.pop_front() {
            let Some(model) = self.ty(current.ty) else {
                continue;
            };
            let mut targets = Vec::new();
            for key in &model.keys {
                let target = Way {
                    ty: current.ty,
                    graph: key.graph,
                    provided: None,
                };
                if !key.resolvable
                    || key.graph == current.graph
                    || reached.contains(&target)
                    || targets.contains(&target)
                {
                    continue;
                }
                if self.collectable(&key.fields, current.ty, current.graph, &current.provided) {
                    targets.push(target);
                    continue;
                }
                self.used_drafts.borrow_mut().remove(root);
                if self.fetchable(&current, &key.fields) {
                    targets.push(target);
                } else if self.used_drafts.borrow().contains(root) {
                    retry = true;
                }
            }
            if model.kind == Kind::Object {
                for interface in &model.implements {
                    let Some(interface_model) = self.ty(interface) else {
                        continue;
                    };
                    for key in &interface_model.keys {
                        if key.resolvable
                            && key.graph != current.graph
                            && interface_model.interface_object_in.contains(&key.graph)
                            && self.collectable(
                                &key.fields,
                                current.ty,
                                current.graph,
                                &current.provided,
                            )
                        {
                            targets.push(Way {
                                ty: interface,
                                graph: key.graph,
                                provided: None,
                            });
                        }
                    }
                }
            }
            for target in targets {
                if !reached.contains(&target) {
                    reached.push(target.clone());
                    queue.push_back(target);
                }
            }
        }
        self.used_drafts.borrow_mut().remove(root);
        (Rc::new(reached), retry)
    }

    /// The ways to be at the value of `field` (of type `result`) starting from `way`.
    fn resolve(&self, way: &Way<'a>, field: &str, result: &'a str) -> Vec<Way<'a>> {
        let mut found = BTreeSet::new();
        for candidate in self.closure(way).iter() {
            if let Some(provided) = self.direct(candidate, field) {
                found.insert(Way {
                    ty: result,
                    graph: candidate.graph,
                    provided,
                });
            }
        }
        if found.is_empty()
            && let Some(model) = self.ty(way.ty)
            && model.kind == Kind::Interface
            && !model.interface_object_in.contains(&way.graph)
        {
            // Resolve the field on each implementation the subgraph may return instead.
            let Some(objects) = model.possible_in.get(&way.graph) else {
                return Vec::new();
            };
            for object in objects {
                let object_way = Way {
                    ty: object,
                    graph: way.graph,
                    provided: way.provided.clone(),
                };
                let resolved = self.resolve(&object_way, field, result);
                if resolved.is_empty() {
                    return Vec::new();
                }
                found.extend(resolved);
            }
        }
        found.into_iter().collect()
    }

    /// `Some(provided)` when the subgraph of `way` resolves `field` itself, with what an
    /// `@provides` guarantees about the value.
    fn direct(&self, way: &Way<'a>, field: &str) -> Option<Option<Rc<Vec<Selected>>>> {
        let model = self.ty(way.ty)?;
        let (field_name, field_model) = model.fields.get_key_value(field)?;
        if let Some(sub) = self.provided_sub(&way.provided, way.ty, field) {
            return Some(sub);
        }
        let join = self.resolving_join(model, field_model, way.graph)?;
        if let Some(join) = join
            && let Some(requires) = &join.requires
            && !self.requires_satisfied(way.ty, field_name, way.graph, requires)
        {
            return None;
        }
        Some(join.and_then(|j| j.provides.clone()))
    }

    /// Whether the fields `@requires` asks for can be fetched for `ty` from `graph`.
    fn requires_satisfied(
        &self,
        ty: &'a str,
        field: &'a str,
        graph: usize,
        requires: &[Selected],
    ) -> bool {
        let key = (ty, field, graph);
        if let Some(known) = self.requires.borrow().get(&key) {
            return *known;
        }
        if !self.in_progress.borrow_mut().insert(key) {
            // A requirement that needs itself cannot be met.
            return false;
        }
        let start = [Way {
            ty,
            graph,
            provided: None,
        }];
        let satisfied = self.selection_satisfied(&start, ty, requires);
        self.in_progress.borrow_mut().remove(&key);
        self.requires.borrow_mut().insert(key, satisfied);
        satisfied
    }

    fn selection_satisfied(&self, ways: &[Way<'a>], ty: &'a str, set: &[Selected]) -> bool {
        for item in set {
            match item {
                Selected::Field { name, sub } => {
                    if name == "__typename" {
                        continue;
                    }
                    let Some(field) = self.ty(ty).and_then(|t| t.fields.get(name.as_str())) else {
                        return false;
                    };
                    let next: BTreeSet<Way<'a>> = ways
                        .iter()
                        .flat_map(|way| self.resolve(way, name, field.result))
                        .collect();
                    if next.is_empty() {
                        return false;
                    }
                    if !sub.is_empty() {
                        let next: Vec<Way<'a>> = next.into_iter().collect();
                        if !self.selection_satisfied(&next, field.result, sub) {
                            return false;
                        }
                    }
                }
                Selected::Fragment { on, sub } => {
                    let target = match on {
                        Some(on) => match self.model.types.get_key_value(on.as_str()) {
                            Some((name, _)) => *name,
                            None => return false,
                        },
                        None => ty,
                    };
                    let next = if target == ty {
                        ways.to_vec()
                    } else {
                        self.downcast(ways, target)
                    };
                    if !next.is_empty() && !self.selection_satisfied(&next, target, sub) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// The ways to be at an object of type `object` from ways at an abstract type: a subgraph
    /// that may return `object` there, or, from an `@interfaceObject` (which cannot tell the
    /// concrete type), a subgraph defining the interface reached through its keys.
    fn downcast(&self, ways: &[Way<'a>], object: &'a str) -> Vec<Way<'a>> {
        let mut found = Vec::new();
        for way in ways {
            if way.ty == object {
                found.push(way.clone());
                continue;
            }
            let Some(model) = self.ty(way.ty) else {
                continue;
            };
            let possible_in = |graph: usize| {
                model
                    .possible_in
                    .get(&graph)
                    .is_some_and(|objects| objects.contains(&object))
            };
            if model.interface_object_in.contains(&way.graph) {
                for candidate in self.closure(way).iter() {
                    if candidate.ty == way.ty
                        && !model.interface_object_in.contains(&candidate.graph)
                        && possible_in(candidate.graph)
                    {
                        found.push(Way {
                            ty: object,
                            graph: candidate.graph,
                            provided: None,
                        });
                    }
                }
            } else if possible_in(way.graph) {
                found.push(Way {
                    ty: object,
                    graph: way.graph,
                    provided: way.provided.clone(),
                });
            }
        }
        found
    }
}
