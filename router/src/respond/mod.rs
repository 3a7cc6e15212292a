//! The response the client gets: the merged tree projected onto exactly the client's selection — its
//! fields, aliases and order, nothing the planner added — with leaf values checked against the API
//! schema and the GraphQL null-propagation rules applied, written straight to JSON bytes.

use apollo_compiler::response::JsonMap;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Schema, ast};

pub mod json;

use crate::execute::tree::{ObjectId, Tree, Value};
use crate::graphql_error::{GraphqlError, PathSegment, codes};
use crate::operation::{FieldKind, FieldSet, NormalizedOperation, SubSelection};
use crate::plan::PathStep;
use json::{write_string, write_text};

/// A null reached a non-null position and must replace the nearest nullable ancestor.
struct NullBubble;

struct Writer<'a> {
    schema: &'a Schema,
    tree: &'a Tree,
    introspection: Option<&'a JsonMap>,
    out: Vec<u8>,
    path: Vec<PathSegment>,
    errors: Vec<GraphqlError>,
    failed_paths: &'a [Vec<PathStep>],
    /// Objects written: the actual cost of the response (see [`crate::cost`]).
    objects: u64,
}

/// A written response.
pub struct Written {
    pub body: Vec<u8>,
    pub has_errors: bool,
    /// Objects in `data`: the response's actual cost.
    pub objects: u64,
}

/// Writes `{"data": …, "errors": […]}` for an executed operation.
pub fn write_response(
    capacity: usize,
    schema: &Schema,
    operation: &NormalizedOperation,
    tree: &Tree,
    errors: Vec<GraphqlError>,
    failed_paths: &[Vec<PathStep>],
    introspection: Option<&JsonMap>,
) -> Written {
    let mut writer = Writer {
        schema,
        tree,
        introspection,
        out: Vec::with_capacity(capacity),
        path: Vec::new(),
        errors,
        failed_paths,
        objects: 0,
    };
    writer.out.extend_from_slice(b"{\"data\":");
    let mark = writer.out.len();
    if writer.write_object(Tree::ROOT, &operation.root).is_err() {
        writer.out.truncate(mark);
        writer.out.extend_from_slice(b"null");
    }
    let Writer {
        mut out,
        errors,
        objects,
        ..
    } = writer;
    if !errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        if serde_json::to_writer(&mut out, &errors).is_err() {
            out.extend_from_slice(b"[]");
        }
    }
    out.push(b'}');
    Written {
        body: out,
        has_errors: !errors.is_empty(),
        objects,
    }
}

/// Writes a response that has only errors (a request error: no `data` at all).
pub fn write_errors(errors: &[GraphqlError]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"errors\":");
    if serde_json::to_writer(&mut out, errors).is_err() {
        out.extend_from_slice(b"[]");
    }
    out.push(b'}');
    out
}

impl Writer<'_> {
    fn write_object(&mut self, id: ObjectId, set: &FieldSet) -> Result<(), NullBubble> {
        self.objects += 1;
        self.out.push(b'{');
        let mut hint = 0;
        for (i, field) in set.fields.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(field.json_key.as_bytes());
            match field.kind {
                FieldKind::Typename => {
                    // Each field set belongs to one concrete type: that is the object's type.
                    write_string(&mut self.out, &set.type_name);
                }
                FieldKind::Introspection => {
                    let value = self
                        .introspection
                        .and_then(|data| data.get(field.response_key.as_str()));
                    match value {
                        Some(value) => {
                            if serde_json::to_writer(&mut self.out, value).is_err() {
                                self.out.extend_from_slice(b"null");
                            }
                        }
                        None => self.out.extend_from_slice(b"null"),
                    }
                }
                FieldKind::Regular => {
                    self.path
                        .push(PathSegment::Key(field.response_key.to_string()));
                    let value = self.tree.get_hinted(id, &field.response_key, &mut hint);
                    let result = self.write_value(
                        value,
                        &field.ty,
                        field.selection.as_ref(),
                        set,
                        &field.name,
                    );
                    self.path.pop();
                    result?;
                }
            }
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Writes a value of type `ty`; a null in a non-null position bubbles up.
    fn write_value(
        &mut self,
        value: Option<&Value>,
        ty: &ast::Type,
        selection: Option<&SubSelection>,
        parent: &FieldSet,
        field_name: &str,
    ) -> Result<(), NullBubble> {
        let mark = self.out.len();
        let result = self.write_non_null_value(value, ty, selection, parent, field_name);
        match result {
            Ok(()) => Ok(()),
            Err(NullBubble) if !ty.is_non_null() => {
                self.out.truncate(mark);
                self.out.extend_from_slice(b"null");
                Ok(())
            }
            Err(bubble) => Err(bubble),
        }
    }

    /// Writes the value, or reports a null (which the caller resolves by nullability).
    fn write_non_null_value(
        &mut self,
        value: Option<&Value>,
        ty: &ast::Type,
        selection: Option<&SubSelection>,
        parent: &FieldSet,
        field_name: &str,
    ) -> Result<(), NullBubble> {
        let value = match value {
            None | Some(Value::Null) => {
                if ty.is_non_null() {
                    self.non_null_violation(parent, field_name);
                    return Err(NullBubble);
                }
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            Some(value) => value,
        };
        match ty {
            ast::Type::List(item) | ast::Type::NonNullList(item) => {
                let Value::List(items) = value else {
                    return self.invalid(ty, parent, field_name);
                };
                self.out.push(b'[');
                for (i, element) in self.tree.list(items).iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.path.push(PathSegment::Index(i));
                    let result =
                        self.write_value(Some(element), item, selection, parent, field_name);
                    self.path.pop();
                    result?;
                }
                self.out.push(b']');
                Ok(())
            }
            ast::Type::Named(name) | ast::Type::NonNullNamed(name) => match selection {
                Some(selection) => {
                    let Value::Object(id) = value else {
                        return self.invalid(ty, parent, field_name);
                    };
                    let set = match selection {
                        SubSelection::Concrete(set) => Some(set),
                        SubSelection::Abstract(sets) => match self.tree.typename_bytes(*id) {
                            // An object still typed as its `@interfaceObject` interface: the
                            // planner only leaves it so when every implementation's selection is
                            // the same.
                            Some(typename) if typename == name.as_bytes() => sets.first(),
                            Some(typename) => {
                                sets.iter().find(|s| s.type_name.as_bytes() == typename)
                            }
                            None => None,
                        },
                    };
                    match set {
                        Some(set) => {
                            let set = set.clone();
                            self.write_object(*id, &set)
                        }
                        None => {
                            self.errors.push(
                                GraphqlError::new(
                                    format!(
                                        "abstract type {name} resolved to an unknown type {:?} at {}.{}",
                                        self.tree.typename(*id).unwrap_or("(none)"),
                                        parent.type_name,
                                        field_name
                                    ),
                                    codes::INVALID_RESPONSE_VALUE,
                                )
                                .with_path(self.path.clone()),
                            );
                            self.bubble_or_null(ty)
                        }
                    }
                }
                None => self.write_leaf(value, name, ty, parent, field_name),
            },
        }
    }

    fn write_leaf(
        &mut self,
        value: &Value,
        type_name: &str,
        ty: &ast::Type,
        parent: &FieldSet,
        field_name: &str,
    ) -> Result<(), NullBubble> {
        let valid = match (type_name, value) {
            ("Int", Value::Number(n)) => n.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
            ("Float", Value::Number(_)) => true,
            ("String", Value::Text(_)) => true,
            ("Boolean", Value::Bool(_)) => true,
            ("ID", Value::Text(_)) => true,
            ("ID", Value::Number(n)) => {
                if n.as_i64().is_some() {
                    write_string(&mut self.out, &n.to_string());
                    return Ok(());
                }
                false
            }
            ("Int" | "Float" | "String" | "Boolean" | "ID", _) => false,
            _ => match self.schema.types.get(type_name) {
                Some(ExtendedType::Enum(enum_type)) => match value {
                    Value::Text(text) => enum_type.values.contains_key(self.tree.str(text)),
                    _ => false,
                },
                // Custom scalars carry any JSON.
                _ => true,
            },
        };
        if !valid {
            return self.invalid(ty, parent, field_name);
        }
        self.write_raw(value);
        Ok(())
    }

    fn write_raw(&mut self, value: &Value) {
        match value {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Number(n) => json::write_number(&mut self.out, n),
            Value::Text(text) => write_text(&mut self.out, self.tree, text),
            Value::List(items) => {
                self.out.push(b'[');
                for (i, item) in self.tree.list(items).iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.write_raw(item);
                }
                self.out.push(b']');
            }
            Value::Object(id) => {
                self.out.push(b'{');
                for (i, (key, item)) in self.tree.fields(*id).iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    write_text(&mut self.out, self.tree, key);
                    self.out.push(b':');
                    self.write_raw(item);
                }
                self.out.push(b'}');
            }
        }
    }

    fn invalid(
        &mut self,
        ty: &ast::Type,
        parent: &FieldSet,
        field_name: &str,
    ) -> Result<(), NullBubble> {
        self.errors.push(
            GraphqlError::new(
                format!(
                    "subgraph returned a value that is not a valid {ty} for {}.{field_name}",
                    parent.type_name
                ),
                codes::INVALID_RESPONSE_VALUE,
            )
            .with_path(self.path.clone()),
        );
        self.bubble_or_null(ty)
    }

    fn bubble_or_null(&mut self, ty: &ast::Type) -> Result<(), NullBubble> {
        if ty.is_non_null() {
            Err(NullBubble)
        } else {
            self.out.extend_from_slice(b"null");
            Ok(())
        }
    }

    /// Records an error for a null in a non-null position unless one already explains it.
    fn non_null_violation(&mut self, parent: &FieldSet, field_name: &str) {
        let explained = self
            .failed_paths
            .iter()
            .any(|pattern| covers(pattern, &self.path))
            || self.errors.iter().any(|e| match &e.path {
                Some(path) => path.starts_with(&self.path) || self.path.starts_with(path),
                None => false,
            });
        if !explained {
            self.errors.push(
                GraphqlError::new(
                    format!(
                        "Cannot return null for non-nullable field {}.{field_name}",
                        parent.type_name
                    ),
                    codes::NON_NULL_VIOLATION,
                )
                .with_path(self.path.clone()),
            );
        }
    }
}

/// Whether `path` lies under the objects a fetch at `pattern` fills (`List` matches any index).
fn covers(pattern: &[PathStep], path: &[PathSegment]) -> bool {
    pattern.len() <= path.len()
        && pattern
            .iter()
            .zip(path)
            .all(|(step, segment)| match (step, segment) {
                (PathStep::Key(key), PathSegment::Key(k)) => key.as_str() == k,
                (PathStep::List, PathSegment::Index(_)) => true,
                _ => false,
            })
}
