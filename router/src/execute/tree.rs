//! The response tree: every object of the response lives in one arena and is referred to by index,
//! so entity results can be merged into the objects they belong to without walking paths again.
//! Subgraph responses are deserialised straight into the arena, and the response bodies are kept:
//! keys and strings that need no unescaping stay where they are in those bodies (no copy, and they
//! can be written out again byte for byte).

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Index of an object in the arena.
pub type ObjectId = usize;

/// Text of the tree: a slice of a kept response body, or an owned string.
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    /// Bytes `start..start + len` of body `buffer`; valid UTF-8 that contained no escapes, so it
    /// needs none when written as a JSON string.
    Raw {
        buffer: u32,
        start: u32,
        len: u32,
    },
    Owned(Box<str>),
}

impl Text {
    /// What a moved-out field leaves behind.
    const VACANT: Text = Text::Raw {
        buffer: u32::MAX,
        start: 0,
        len: 0,
    };
}

/// A list of the tree: `len` items of the item arena from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRef {
    start: u32,
    len: u32,
}

impl ListRef {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A value of the response tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(Text),
    List(ListRef),
    Object(ObjectId),
}

/// Where an object's fields are in the field arena.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    start: u32,
    len: u32,
}

/// All objects of one response; object 0 is the root of `data`. Objects and lists are ranges of two
/// arenas (`fields`, `items`), so a response costs a handful of allocations, not one per object. An
/// object can be made an alias of another (the same entity at several places of one path): reads and
/// merges go to the other.
#[derive(Debug)]
pub struct Tree {
    fields: Vec<(Text, Value)>,
    items: Vec<Value>,
    objects: Vec<Slot>,
    /// `redirect[id] == id`, or the object `id` stands for.
    redirect: Vec<ObjectId>,
    buffers: Vec<Bytes>,
    /// Parse stacks: the fields and items of the maps and lists being read.
    pending_fields: Vec<(Text, Value)>,
    pending_items: Vec<Value>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    pub const ROOT: ObjectId = 0;

    pub fn new() -> Tree {
        Tree {
            fields: Vec::with_capacity(1024),
            items: Vec::with_capacity(256),
            objects: vec![Slot::default()],
            redirect: vec![0],
            buffers: Vec::new(),
            pending_fields: Vec::with_capacity(64),
            pending_items: Vec::with_capacity(64),
        }
    }

    /// The bytes of a text.
    pub fn bytes<'a>(&'a self, text: &'a Text) -> &'a [u8] {
        match text {
            Text::Raw { buffer, start, len } => {
                let start = *start as usize;
                self.buffers
                    .get(*buffer as usize)
                    .and_then(|b| b.get(start..start + *len as usize))
                    .unwrap_or_default()
            }
            Text::Owned(s) => s.as_bytes(),
        }
    }

    /// A text as a string slice.
    pub fn str<'a>(&'a self, text: &'a Text) -> &'a str {
        match text {
            Text::Owned(s) => s,
            raw => std::str::from_utf8(self.bytes(raw)).unwrap_or_default(),
        }
    }

    /// The object that holds `id`'s fields (itself unless it is an alias).
    pub fn resolve(&self, mut id: ObjectId) -> ObjectId {
        while self.redirect[id] != id {
            id = self.redirect[id];
        }
        id
    }

    /// Makes `alias` stand for `target` from now on; `alias`'s own fields are dropped (they are the
    /// same entity's, already in `target`).
    pub fn alias(&mut self, alias: ObjectId, target: ObjectId) {
        let (alias, target) = (self.resolve(alias), self.resolve(target));
        if alias != target {
            self.redirect[alias] = target;
            self.objects[alias] = Slot::default();
        }
    }

    fn range(&self, id: ObjectId) -> std::ops::Range<usize> {
        let slot = self.objects[self.resolve(id)];
        slot.start as usize..(slot.start + slot.len) as usize
    }

    pub fn fields(&self, id: ObjectId) -> &[(Text, Value)] {
        &self.fields[self.range(id)]
    }

    /// The items of a list.
    pub fn list(&self, list: &ListRef) -> &[Value] {
        let start = list.start as usize;
        &self.items[start..start + list.len as usize]
    }

    pub fn get(&self, id: ObjectId, key: &str) -> Option<&Value> {
        let key = key.as_bytes();
        self.fields(id)
            .iter()
            .find(|(k, _)| self.key_is(k, key))
            .map(|(_, v)| v)
    }

    /// Like [`Tree::get`], starting the search at `*hint` and leaving the position after the found
    /// field there: reading fields in the order they arrived costs one comparison each.
    pub fn get_hinted(&self, id: ObjectId, key: &str, hint: &mut usize) -> Option<&Value> {
        let key = key.as_bytes();
        let fields = self.fields(id);
        let start = (*hint).min(fields.len());
        let found = fields[start..]
            .iter()
            .position(|(k, _)| self.key_is(k, key))
            .map(|i| start + i)
            .or_else(|| {
                fields[..start]
                    .iter()
                    .position(|(k, _)| self.key_is(k, key))
            })?;
        *hint = found + 1;
        Some(&fields[found].1)
    }

    /// Whether a key is `wanted`, comparing lengths before bytes.
    fn key_is(&self, key: &Text, wanted: &[u8]) -> bool {
        match key {
            Text::Raw { len, .. } => *len as usize == wanted.len() && self.bytes(key) == wanted,
            Text::Owned(s) => s.as_bytes() == wanted,
        }
    }

    fn find(&self, id: ObjectId, wanted: &[u8]) -> Option<usize> {
        let range = self.range(id);
        let start = range.start;
        self.fields[range]
            .iter()
            .position(|(k, _)| self.key_is(k, wanted))
            .map(|i| start + i)
    }

    /// Takes a field's value out of an object (leaving null).
    pub fn take(&mut self, id: ObjectId, key: &str) -> Option<Value> {
        let index = self.find(id, key.as_bytes())?;
        Some(std::mem::replace(&mut self.fields[index].1, Value::Null))
    }

    /// `__typename` of an object, when it has one.
    pub fn typename(&self, id: ObjectId) -> Option<&str> {
        match self.get(id, "__typename") {
            Some(Value::Text(text)) => Some(self.str(text)),
            _ => None,
        }
    }

    /// `__typename` of an object as bytes (no UTF-8 check), when it has one.
    pub fn typename_bytes(&self, id: ObjectId) -> Option<&[u8]> {
        match self.get(id, "__typename") {
            Some(Value::Text(text)) => Some(self.bytes(text)),
            _ => None,
        }
    }

    /// Sets a field of an object (for the router's own values).
    pub fn set(&mut self, id: ObjectId, key: &str, value: Value) {
        self.merge_field(id, Text::Owned(key.into()), value, true);
    }

    /// Moves the fields of object `source` into object `target`: objects merge recursively, lists
    /// element by element; otherwise the non-null value wins. `source` is left empty.
    pub fn merge_objects(&mut self, target: ObjectId, source: ObjectId) {
        self.merge_into(target, source, true);
    }

    /// Like [`Tree::merge_objects`] but leaves `source` as it is (its nested objects are shared), for
    /// a result that belongs in several places.
    pub fn merge_objects_copy(&mut self, target: ObjectId, source: ObjectId) {
        self.merge_into(target, source, false);
    }

    fn merge_into(&mut self, target: ObjectId, source: ObjectId, consume: bool) {
        let (target, source) = (self.resolve(target), self.resolve(source));
        if target == source {
            return;
        }
        if consume && self.objects[target].len == 0 {
            self.objects[target] = self.objects[source];
            self.objects[source] = Slot::default();
            return;
        }
        let range = self.range(source);
        if consume {
            self.objects[source] = Slot::default();
        }
        for index in range {
            let (key, value) = if consume {
                std::mem::replace(&mut self.fields[index], (Text::VACANT, Value::Null))
            } else {
                self.fields[index].clone()
            };
            self.merge_field(target, key, value, consume);
        }
    }

    fn merge_field(&mut self, target: ObjectId, key: Text, value: Value, consume: bool) {
        let target = self.resolve(target);
        let existing = {
            let wanted = self.bytes(&key);
            self.find(target, wanted)
        };
        match existing {
            Some(index) => {
                let old = std::mem::replace(&mut self.fields[index].1, Value::Null);
                let merged = self.merge_values(old, value, consume);
                self.fields[index].1 = merged;
            }
            None => self.push_field(target, key, value),
        }
    }

    /// Appends a field to an object, moving the object to the end of the arena when it is not there.
    fn push_field(&mut self, target: ObjectId, key: Text, value: Value) {
        let slot = self.objects[target];
        let end = (slot.start + slot.len) as usize;
        if end != self.fields.len() || slot.len == 0 {
            let start = self.fields.len();
            for index in slot.start as usize..end {
                let field = std::mem::replace(&mut self.fields[index], (Text::VACANT, Value::Null));
                self.fields.push(field);
            }
            self.objects[target].start = start as u32;
        }
        self.fields.push((key, value));
        self.objects[target].len += 1;
    }

    fn merge_values(&mut self, existing: Value, incoming: Value, consume: bool) -> Value {
        match (existing, incoming) {
            (Value::Object(a), Value::Object(b)) => {
                self.merge_into(a, b, consume);
                Value::Object(a)
            }
            (Value::List(a), Value::List(b)) if a.len == b.len => {
                for i in 0..a.len as usize {
                    let (ai, bi) = (a.start as usize + i, b.start as usize + i);
                    let x = std::mem::replace(&mut self.items[ai], Value::Null);
                    let y = if consume {
                        std::mem::replace(&mut self.items[bi], Value::Null)
                    } else {
                        self.items[bi].clone()
                    };
                    let merged = self.merge_values(x, y, consume);
                    self.items[ai] = merged;
                }
                Value::List(a)
            }
            (existing, Value::Null) => existing,
            (_, incoming) => incoming,
        }
    }

    fn finish_object(&mut self, from: usize) -> ObjectId {
        let start = self.fields.len();
        let len = self.pending_fields.len() - from;
        self.fields.extend(self.pending_fields.drain(from..));
        self.objects.push(Slot {
            start: start as u32,
            len: len as u32,
        });
        self.redirect.push(self.objects.len() - 1);
        self.objects.len() - 1
    }

    fn finish_list(&mut self, from: usize) -> ListRef {
        let start = self.items.len();
        let len = self.pending_items.len() - from;
        self.items.extend(self.pending_items.drain(from..));
        ListRef {
            start: start as u32,
            len: len as u32,
        }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Where the body being parsed sits, to turn borrowed strings into [`Text::Raw`].
#[derive(Clone, Copy)]
struct Source {
    buffer: u32,
    base: usize,
    len: usize,
}

impl Source {
    fn text(&self, s: &str) -> Text {
        let address = s.as_ptr() as usize;
        match address.checked_sub(self.base) {
            Some(start) if start + s.len() <= self.len => Text::Raw {
                buffer: self.buffer,
                start: start as u32,
                len: s.len() as u32,
            },
            _ => Text::Owned(s.into()),
        }
    }
}

struct ValueSeed<'t> {
    tree: &'t mut Tree,
    source: Source,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value, E> {
        Ok(Value::Text(self.source.text(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(Text::Owned(v.into())))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(Text::Owned(v.into_boxed_str())))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let from = self.tree.pending_items.len();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            tree: self.tree,
            source: self.source,
        })? {
            self.tree.pending_items.push(item);
        }
        Ok(Value::List(self.tree.finish_list(from)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let from = self.tree.pending_fields.len();
        while let Some(key) = map.next_key_seed(KeySeed {
            source: self.source,
        })? {
            let value = map.next_value_seed(ValueSeed {
                tree: self.tree,
                source: self.source,
            })?;
            self.tree.pending_fields.push((key, value));
        }
        Ok(Value::Object(self.tree.finish_object(from)))
    }
}

/// A map key, as a slice of the body when possible.
struct KeySeed {
    source: Source,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Text;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text, E> {
        Ok(self.source.text(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text, E> {
        Ok(Text::Owned(v.into()))
    }
}

/// A subgraph's response: `data` read into the tree, `errors` kept as JSON.
#[derive(Debug, Default)]
pub struct SubgraphResponse {
    pub data: Option<Value>,
    pub errors: Vec<serde_json::Value>,
}

/// Reads a subgraph response body into `tree`; the tree keeps the body.
pub fn parse_response(tree: &mut Tree, body: Bytes) -> Result<SubgraphResponse, serde_json::Error> {
    let source = Source {
        buffer: u32::try_from(tree.buffers.len()).unwrap_or(u32::MAX),
        base: body.as_ptr() as usize,
        len: body.len(),
    };
    // One vectorised UTF-8 check of the whole body lets the parser skip it per string.
    let text = std::str::from_utf8(&body).map_err(|e| {
        <serde_json::Error as de::Error>::custom(format!("the response is not UTF-8: {e}"))
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = ResponseSeed {
        tree: &mut *tree,
        source,
    }
    .deserialize(&mut deserializer)
    .and_then(|response| deserializer.end().map(|()| response));
    let response = match parsed {
        Ok(response) => response,
        Err(error) => {
            tree.pending_fields.clear();
            tree.pending_items.clear();
            return Err(error);
        }
    };
    tree.buffers.push(body);
    Ok(response)
}

struct ResponseSeed<'t> {
    tree: &'t mut Tree,
    source: Source,
}

impl<'de> DeserializeSeed<'de> for ResponseSeed<'_> {
    type Value = SubgraphResponse;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResponseSeed<'_> {
    type Value = SubgraphResponse;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GraphQL response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut response = SubgraphResponse::default();
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "data" => {
                    response.data = Some(map.next_value_seed(ValueSeed {
                        tree: self.tree,
                        source: self.source,
                    })?)
                }
                "errors" => {
                    let errors: Option<Vec<serde_json::Value>> = map.next_value()?;
                    response.errors = errors.unwrap_or_default();
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tree: &mut Tree, body: &'static [u8]) -> SubgraphResponse {
        parse_response(tree, Bytes::from_static(body)).unwrap()
    }

    #[test]
    fn parses_and_merges_objects() {
        let mut tree = Tree::new();
        let first = parse(
            &mut tree,
            br#"{"data":{"me":{"id":"1","cart":{"items":[{"q":1},{"q":2}]}}}}"#,
        );
        let Some(Value::Object(data)) = first.data else {
            panic!()
        };
        tree.merge_objects(Tree::ROOT, data);
        let second = parse(
            &mut tree,
            br#"{"data":{"me":{"name":"Ada \"A\"","cart":{"items":[{"p":"a"},{"p":"b"}]}}},"errors":[{"message":"x"}]}"#,
        );
        assert_eq!(second.errors.len(), 1);
        let Some(Value::Object(data)) = second.data else {
            panic!()
        };
        tree.merge_objects(Tree::ROOT, data);
        let Some(Value::Object(me)) = tree.get(Tree::ROOT, "me").cloned() else {
            panic!()
        };
        let Some(Value::Text(name)) = tree.get(me, "name") else {
            panic!()
        };
        assert_eq!(tree.str(name), "Ada \"A\"");
        assert!(
            matches!(name, Text::Owned(_)),
            "escaped strings are decoded"
        );
        let Some(Value::Object(cart)) = tree.get(me, "cart").cloned() else {
            panic!()
        };
        let Some(Value::List(items)) = tree.get(cart, "items").cloned() else {
            panic!()
        };
        let Value::Object(second_item) = tree.list(&items)[1] else {
            panic!()
        };
        assert_eq!(tree.get(second_item, "q"), Some(&Value::Number(2.into())));
        let Some(Value::Text(p)) = tree.get(second_item, "p") else {
            panic!()
        };
        assert!(
            matches!(p, Text::Raw { .. }),
            "plain strings stay in the body"
        );
        assert_eq!(tree.str(p), "b");
    }

    #[test]
    fn rejects_garbage() {
        let mut tree = Tree::new();
        for body in [
            &b"<html>"[..],
            b"[1]",
            br#"{"data":{}} trailing"#,
            b"{\"data\":\"a\x01b\"}",
        ] {
            assert!(parse_response(&mut tree, Bytes::from_static(body)).is_err());
        }
    }
}
