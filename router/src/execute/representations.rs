//! Representations for `_entities` fetches: find the objects at a path of the response tree, write
//! each one's `__typename`, keys and required fields as JSON, and keep one copy of each distinct
//! representation together with every object it stands for.

use super::fast_hash::FastHashMap;

use crate::graphql_error::PathSegment;
use crate::plan::{EntityFetch, InputSelection, PathStep};

use super::tree::{ObjectId, Tree, Value};
use crate::respond::json::{write_string, write_text};

pub struct Collected {
    /// How many distinct representations were written.
    pub count: usize,
    /// For each representation, the objects it stands for, each with the index of the path it was
    /// found at.
    pub targets: Vec<Vec<(ObjectId, usize)>>,
    /// Objects that should have been sent but could not be, with the index of their path and why.
    pub unsent: Vec<(ObjectId, usize, Unsent)>,
}

/// Why an object at an entity fetch's path was not sent. Never silent: each becomes an error at the
/// object's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsent {
    /// A field of the representation (a key or a required field) has no usable value.
    Incomplete { type_name: String, field: String },
    /// The object has no `__typename`, so no input can match it.
    NoTypename,
    /// The fetch serves every object at the path (it was planned for an interface), yet the
    /// object's type matches none of its inputs.
    Unmatched { type_name: String },
}

impl Unsent {
    pub fn describe(&self) -> String {
        match self {
            Unsent::Incomplete { type_name, field } => {
                format!("the {type_name} object has no usable value for '{field}'")
            }
            Unsent::NoTypename => String::from("the object has no __typename"),
            Unsent::Unmatched { type_name } => {
                format!("its type {type_name} matches no input of the fetch")
            }
        }
    }
}

/// Appends the distinct representations of the objects at the fetch's paths to `out`, separated by
/// commas (the inside of a JSON list), and says which objects each one stands for. Every
/// representation is written once, straight into `out`; a duplicate is recognised by its bytes and
/// cut off again.
pub fn collect(tree: &Tree, entity: &EntityFetch, out: &mut Vec<u8>) -> Collected {
    let mut objects = Vec::new();
    for (index, path) in entity.paths.iter().enumerate() {
        walk(tree, &Value::Object(Tree::ROOT), path, &mut objects, index);
    }
    let base = out.len();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut targets: Vec<Vec<(ObjectId, usize)>> = Vec::new();
    let mut index: FastHashMap<u64, Vec<usize>> = FastHashMap::default();
    let mut unsent = Vec::new();
    // Planned for an interface: every object at the paths is meant to be sent.
    let serves_every_object = entity
        .inputs
        .iter()
        .any(|(t, input)| input.as_type.as_ref() == Some(t));
    for (object, path_index) in objects {
        let Some(typename) = tree.typename_bytes(object) else {
            unsent.push((object, path_index, Unsent::NoTypename));
            continue;
        };
        let Some((_, input)) = entity.inputs.iter().find(|(t, _)| t.as_bytes() == typename) else {
            if serves_every_object {
                let type_name = String::from_utf8_lossy(typename).into_owned();
                unsent.push((object, path_index, Unsent::Unmatched { type_name }));
            }
            continue;
        };
        let mark = out.len();
        if !ranges.is_empty() {
            out.push(b',');
        }
        let start = out.len();
        if let Err(field) = write_object(tree, object, input, out, true) {
            out.truncate(mark);
            let type_name = String::from_utf8_lossy(typename).into_owned();
            unsent.push((object, path_index, Unsent::Incomplete { type_name, field }));
            continue;
        }
        let hash = {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<super::fast_hash::FastHasher>::default().hash_one(&out[start..])
        };
        let same = index.get(&hash).and_then(|candidates| {
            candidates
                .iter()
                .copied()
                .find(|&i| out[ranges[i].clone()] == out[start..])
        });
        match same {
            Some(i) => {
                out.truncate(mark);
                targets[i].push((object, path_index));
            }
            None => {
                index.entry(hash).or_default().push(ranges.len());
                ranges.push(start..out.len());
                targets.push(vec![(object, path_index)]);
            }
        }
    }
    debug_assert!(out.len() >= base);
    Collected {
        count: ranges.len(),
        targets,
        unsent,
    }
}

fn walk(
    tree: &Tree,
    value: &Value,
    path: &[PathStep],
    out: &mut Vec<(ObjectId, usize)>,
    path_index: usize,
) {
    match (path.first(), value) {
        (None, Value::Object(id)) => out.push((*id, path_index)),
        (None, _) => {}
        (Some(PathStep::Key(key)), Value::Object(id)) => {
            if let Some(child) = tree.get(*id, key) {
                walk(tree, child, &path[1..], out, path_index);
            }
        }
        (Some(PathStep::List), Value::List(items)) => {
            for item in tree.list(items) {
                walk(tree, item, &path[1..], out, path_index);
            }
        }
        _ => {}
    }
}

/// Visits the objects at `path` with their concrete response paths.
pub fn walk_with_paths(
    tree: &Tree,
    path: &[PathStep],
    visit: &mut dyn FnMut(ObjectId, &[PathSegment]),
) {
    fn go(
        tree: &Tree,
        value: &Value,
        path: &[PathStep],
        current: &mut Vec<PathSegment>,
        visit: &mut dyn FnMut(ObjectId, &[PathSegment]),
    ) {
        match (path.first(), value) {
            (None, Value::Object(id)) => visit(*id, current),
            (Some(PathStep::Key(key)), Value::Object(id)) => {
                if let Some(child) = tree.get(*id, key) {
                    current.push(PathSegment::Key(key.to_string()));
                    go(tree, child, &path[1..], current, visit);
                    current.pop();
                }
            }
            (Some(PathStep::List), Value::List(items)) => {
                for (i, item) in tree.list(items).iter().enumerate() {
                    current.push(PathSegment::Index(i));
                    go(tree, item, &path[1..], current, visit);
                    current.pop();
                }
            }
            _ => {}
        }
    }
    let mut current = Vec::new();
    go(tree, &Value::Object(Tree::ROOT), path, &mut current, visit);
}

/// Writes the fields of `input` read from `object`. Fails with the name of the field when a
/// top-level field is missing or a non-null one is null (an earlier fetch failed, or a subgraph
/// answered less than it should): the subgraph could not resolve such a representation.
fn write_object(
    tree: &Tree,
    object: ObjectId,
    input: &InputSelection,
    out: &mut Vec<u8>,
    top: bool,
) -> Result<(), String> {
    out.push(b'{');
    let mut first = true;
    let typename = tree.typename_bytes(object);
    let applicable_fragments = input
        .fragments
        .iter()
        .filter(|(t, _)| Some(t.as_bytes()) == typename)
        .map(|(_, s)| s);
    let all_fields = input
        .fields
        .iter()
        .chain(applicable_fragments.flat_map(|s| s.fields.iter()));
    let mut written: Vec<&str> = Vec::new();
    for field in all_fields {
        if written.contains(&field.name.as_str()) {
            continue;
        }
        written.push(field.name.as_str());
        let Some(value) = tree.get(object, &field.tree_key) else {
            if top {
                return Err(field.name.to_string());
            }
            continue;
        };
        if top && field.name == "__typename" && input.as_type.is_some() {
            if !first {
                out.push(b',');
            }
            first = false;
            write_string(out, "__typename");
            out.push(b':');
            write_string(out, input.as_type.as_deref().unwrap_or_default());
            continue;
        }
        if field.non_null && matches!(value, Value::Null) {
            // A required value is missing (its fetch failed): the subgraph could not use this.
            return Err(field.name.to_string());
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_string(out, &field.name);
        out.push(b':');
        write_value(tree, value, field.selection.as_ref(), out)
            .map_err(|inner| format!("{}.{inner}", field.name))?;
    }
    out.push(b'}');
    Ok(())
}

fn write_value(
    tree: &Tree,
    value: &Value,
    selection: Option<&InputSelection>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => crate::respond::json::write_number(out, n),
        Value::Text(text) => write_text(out, tree, text),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in tree.list(items).iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(tree, item, selection, out)?;
            }
            out.push(b']');
        }
        Value::Object(id) => match selection {
            Some(selection) => write_object(tree, *id, selection, out, false)?,
            None => write_raw_object(tree, *id, out),
        },
    }
    Ok(())
}

/// A custom scalar holding an object: all of it.
fn write_raw_object(tree: &Tree, id: ObjectId, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, value)) in tree.fields(id).iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_text(out, tree, key);
        out.push(b':');
        // Without a selection nothing can be missing.
        let _ = write_value(tree, value, None, out);
    }
    out.push(b'}');
}
