//! The supergraph as the satisfiability walk reads it: for every type and field, which subgraphs
//! define and resolve it, with their keys, `@requires`, `@provides` and override labels.

use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::selection::{self, Selected};
use crate::supergraph::{MergedBody, MergedSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Object,
    Interface,
    Union,
    Leaf,
}

pub(super) struct Model<'a> {
    pub(super) graphs: Vec<&'a str>,
    pub(super) types: HashMap<&'a str, TypeModel<'a>>,
    pub(super) roots: Vec<&'a str>,
}

pub(super) struct TypeModel<'a> {
    pub(super) kind: Kind,
    pub(super) visible: bool,
    /// Graphs defining the type (with `@join__type`).
    pub(super) defined_in: Vec<usize>,
    pub(super) keys: Vec<KeyModel>,
    /// Graphs where the interface is an `@interfaceObject`.
    pub(super) interface_object_in: Vec<usize>,
    pub(super) fields: IndexMap<&'a str, FieldModel<'a>>,
    /// Interfaces an object or interface implements in the supergraph.
    pub(super) implements: Vec<&'a str>,
    /// For interfaces and unions: the object types each graph may return for it.
    pub(super) possible_in: HashMap<usize, Vec<&'a str>>,
    /// For interfaces and unions: the object types of the API schema a query may ask for.
    pub(super) api_possible: Vec<&'a str>,
}

pub(super) struct KeyModel {
    pub(super) graph: usize,
    pub(super) text: String,
    pub(super) fields: Vec<Selected>,
    pub(super) resolvable: bool,
}

pub(super) struct FieldModel<'a> {
    /// Name of the field's type, without wrappers.
    pub(super) result: &'a str,
    pub(super) visible: bool,
    /// `None`: no `@join__field`, so every graph defining the type resolves it.
    pub(super) joins: Option<Vec<JoinModel>>,
}

pub(super) struct JoinModel {
    pub(super) graph: Option<usize>,
    pub(super) external: bool,
    pub(super) used_overridden: bool,
    /// This graph takes the field over (`override:`).
    pub(super) overriding: bool,
    /// Progressive override: resolves with the label on (overriding) or off (overridden).
    pub(super) labelled: bool,
    pub(super) requires: Option<Vec<Selected>>,
    pub(super) provides: Option<Rc<Vec<Selected>>>,
}

impl<'a> Model<'a> {
    pub(super) fn new(schema: &'a MergedSchema) -> Self {
        let mut types: HashMap<&'a str, TypeModel<'a>> = HashMap::new();
        for ty in schema.types.values() {
            let kind = match &ty.body {
                MergedBody::Object(_) => Kind::Object,
                MergedBody::Interface(_) => Kind::Interface,
                MergedBody::Union { .. } => Kind::Union,
                _ => Kind::Leaf,
            };
            let mut defined_in: Vec<usize> = ty.join_types.iter().map(|j| j.graph).collect();
            defined_in.sort_unstable();
            defined_in.dedup();
            let keys = ty
                .join_types
                .iter()
                .filter_map(|join| {
                    let text = join.key.as_ref()?;
                    Some(KeyModel {
                        graph: join.graph,
                        text: text.clone(),
                        fields: selection::parse(text).unwrap_or_default(),
                        resolvable: join.resolvable,
                    })
                })
                .collect();
            let interface_object_in = ty
                .join_types
                .iter()
                .filter(|j| j.interface_object)
                .map(|j| j.graph)
                .collect();
            let mut fields = IndexMap::new();
            let mut implements = Vec::new();
            if let MergedBody::Object(composite) | MergedBody::Interface(composite) = &ty.body {
                implements = composite.implements.iter().map(|i| i.as_str()).collect();
                for field in composite.fields.values() {
                    let joins = (!field.join_fields.is_empty()).then(|| {
                        field
                            .join_fields
                            .iter()
                            .map(|join| JoinModel {
                                graph: join.graph,
                                external: join.external,
                                used_overridden: join.used_overridden,
                                overriding: join.override_from.is_some(),
                                labelled: join.override_label.is_some(),
                                requires: join.requires.as_deref().and_then(selection::parse),
                                provides: join
                                    .provides
                                    .as_deref()
                                    .and_then(selection::parse)
                                    .map(Rc::new),
                            })
                            .collect()
                    });
                    let result = field.ty.inner_named_type().as_str();
                    let result_visible = schema
                        .types
                        .get(result)
                        .is_none_or(|t| !t.applied.inaccessible);
                    fields.insert(
                        field.name.as_str(),
                        FieldModel {
                            result,
                            visible: !field.applied.inaccessible && result_visible,
                            joins,
                        },
                    );
                }
            }
            types.insert(
                ty.name.as_str(),
                TypeModel {
                    kind,
                    visible: !ty.applied.inaccessible,
                    defined_in,
                    keys,
                    interface_object_in,
                    fields,
                    implements,
                    possible_in: HashMap::new(),
                    api_possible: Vec::new(),
                },
            );
        }
        // Possible types of interfaces and unions, per graph and in the API.
        let mut possible: Vec<(&'a str, Option<usize>, &'a str)> = Vec::new();
        for ty in schema.types.values() {
            match &ty.body {
                MergedBody::Object(object) => {
                    for (graph, interface) in &object.join_implements {
                        possible.push((interface.as_str(), Some(*graph), ty.name.as_str()));
                    }
                    if !ty.applied.inaccessible {
                        for interface in &object.implements {
                            possible.push((interface.as_str(), None, ty.name.as_str()));
                        }
                    }
                }
                MergedBody::Union {
                    members,
                    join_members,
                } => {
                    for (graph, member) in join_members {
                        possible.push((ty.name.as_str(), Some(*graph), member.as_str()));
                    }
                    for member in members {
                        let visible = schema
                            .types
                            .get(member)
                            .is_some_and(|t| !t.applied.inaccessible);
                        if visible {
                            possible.push((ty.name.as_str(), None, member.as_str()));
                        }
                    }
                }
                _ => {}
            }
        }
        for (abstract_type, graph, object) in possible {
            let Some(model) = types.get_mut(abstract_type) else {
                continue;
            };
            let list = match graph {
                Some(graph) => model.possible_in.entry(graph).or_default(),
                None => &mut model.api_possible,
            };
            if !list.contains(&object) {
                list.push(object);
            }
        }
        let roots = ["Query", "Mutation", "Subscription"]
            .into_iter()
            .filter_map(|root| {
                schema
                    .types
                    .get_key_value(root)
                    .map(|(name, _)| name.as_str())
            })
            .collect();
        Model {
            graphs: schema.graphs.iter().map(|g| g.name.as_str()).collect(),
            types,
            roots,
        }
    }
}
