//! The response tree: every object of the response lives in one arena and is referred to by index,
//! so entity results can be merged into the objects they belong to without walking paths again.
//! Subgraph responses are deserialised straight into the arena.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Index of an object in the arena.
pub type ObjectId = usize;

/// A value of the response tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Box<str>),
    List(Vec<Value>),
    Object(ObjectId),
}

/// Fields of one object, in arrival order.
pub type Object = Vec<(Box<str>, Value)>;

/// All objects of one response; object 0 is the root of `data`.
#[derive(Debug)]
pub struct Tree {
    objects: Vec<Object>,
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
            objects: vec![Vec::new()],
        }
    }

    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id]
    }

    pub fn get(&self, id: ObjectId, key: &str) -> Option<&Value> {
        self.objects[id]
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v)
    }

    pub fn typename(&self, id: ObjectId) -> Option<&str> {
        match self.get(id, "__typename") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    fn push_object(&mut self, object: Object) -> ObjectId {
        self.objects.push(object);
        self.objects.len() - 1
    }

    /// Merges the fields of object `source` into object `target`. Objects merge recursively, lists
    /// element by element; otherwise the non-null value wins.
    pub fn merge_objects(&mut self, target: ObjectId, source: ObjectId) {
        if target == source {
            return;
        }
        let fields = self.objects[source].clone();
        for (key, value) in fields {
            self.merge_field(target, key, value);
        }
    }

    fn merge_field(&mut self, target: ObjectId, key: Box<str>, value: Value) {
        let index = self.objects[target].iter().position(|(k, _)| *k == key);
        match index {
            None => self.objects[target].push((key, value)),
            Some(index) => {
                let existing = std::mem::replace(&mut self.objects[target][index].1, Value::Null);
                let merged = self.merge_values(existing, value);
                self.objects[target][index].1 = merged;
            }
        }
    }

    fn merge_values(&mut self, existing: Value, incoming: Value) -> Value {
        match (existing, incoming) {
            (Value::Object(a), Value::Object(b)) => {
                self.merge_objects(a, b);
                Value::Object(a)
            }
            (Value::List(a), Value::List(b)) if a.len() == b.len() => Value::List(
                a.into_iter()
                    .zip(b)
                    .map(|(x, y)| self.merge_values(x, y))
                    .collect(),
            ),
            (existing, Value::Null) => existing,
            (_, incoming) => incoming,
        }
    }

    /// Sets a field of an object (used for the router's own root values).
    pub fn set(&mut self, id: ObjectId, key: &str, value: Value) {
        self.merge_field(id, key.into(), value);
    }

    /// A deserialisation seed that reads one JSON value into this tree.
    pub fn value_seed(&mut self) -> ValueSeed<'_> {
        ValueSeed { tree: self }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Reads a JSON value into the tree.
pub struct ValueSeed<'t> {
    tree: &'t mut Tree,
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

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v.into_boxed_str()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ValueSeed { tree: self.tree })? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields: Object = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(key) = map.next_key::<KeyString>()? {
            let value = map.next_value_seed(ValueSeed { tree: self.tree })?;
            fields.push((key.0, value));
        }
        Ok(Value::Object(self.tree.push_object(fields)))
    }
}

/// A map key, borrowed from the input when possible.
struct KeyString(Box<str>);

impl<'de> de::Deserialize<'de> for KeyString {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.into()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A subgraph's response: `data` read into the tree, `errors` kept as JSON.
#[derive(Debug, Default)]
pub struct SubgraphResponse {
    pub data: Option<Value>,
    pub errors: Vec<serde_json::Value>,
}

/// Reads a subgraph response body into `tree`.
pub fn parse_response(tree: &mut Tree, body: &[u8]) -> Result<SubgraphResponse, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let response = ResponseSeed { tree }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(response)
}

struct ResponseSeed<'t> {
    tree: &'t mut Tree,
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
        while let Some(key) = map.next_key::<KeyString>()? {
            match &*key.0 {
                "data" => response.data = Some(map.next_value_seed(ValueSeed { tree: self.tree })?),
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

    #[test]
    fn parses_and_merges_objects() {
        let mut tree = Tree::new();
        let first = parse_response(
            &mut tree,
            br#"{"data":{"me":{"id":"1","cart":{"items":[{"q":1},{"q":2}]}}}}"#,
        )
        .unwrap();
        let Some(Value::Object(data)) = first.data else {
            panic!()
        };
        tree.merge_objects(Tree::ROOT, data);
        let second = parse_response(&mut tree, br#"{"data":{"me":{"name":"Ada","cart":{"items":[{"p":"a"},{"p":"b"}]}}},"errors":[{"message":"x"}]}"#).unwrap();
        assert_eq!(second.errors.len(), 1);
        let Some(Value::Object(data)) = second.data else {
            panic!()
        };
        tree.merge_objects(Tree::ROOT, data);
        let Some(Value::Object(me)) = tree.get(Tree::ROOT, "me").cloned() else {
            panic!()
        };
        assert_eq!(tree.get(me, "name"), Some(&Value::String("Ada".into())));
        let Some(Value::Object(cart)) = tree.get(me, "cart").cloned() else {
            panic!()
        };
        let Some(Value::List(items)) = tree.get(cart, "items").cloned() else {
            panic!()
        };
        let Value::Object(second_item) = items[1] else {
            panic!()
        };
        assert_eq!(tree.get(second_item, "q"), Some(&Value::Number(2.into())));
        assert_eq!(tree.get(second_item, "p"), Some(&Value::String("b".into())));
    }

    #[test]
    fn rejects_garbage() {
        let mut tree = Tree::new();
        assert!(parse_response(&mut tree, b"<html>").is_err());
        assert!(parse_response(&mut tree, b"[1]").is_err());
        assert!(parse_response(&mut tree, br#"{"data":{}} trailing"#).is_err());
    }
}
