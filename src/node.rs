//! The untyped YAML tree with a source position on every node and key.
//!
//! Loading produces one tree per file; merging layers trees; schema validation maps
//! JSON pointers back to nodes; semantic rules look up the span of a field path.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::source::{FileId, Span};

/// One YAML node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// One entry of a mapping: where its key was written, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key_span: Span,
    pub node: Node,
    /// Where the key stands among its mapping's keys, as written: the file's order,
    /// and after layering the lower file's keys first, then keys the upper file adds.
    /// Typed values that keep order (`env`) read the mapping in this order.
    pub order: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Mapping),
}

/// A mapping's entries by key, in key order. A sorted vector rather than a `BTreeMap`:
/// most mappings in a spec have one to five keys, and a `BTreeMap` allocates a node of
/// eleven entries for each (parsed trees were 24 times the size of their text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping(Vec<(String, Entry)>);

impl Mapping {
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.position(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Insert or replace the entry of `key`; the replaced entry.
    pub fn insert(&mut self, key: String, entry: Entry) -> Option<Entry> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, entry)),
            Err(i) => {
                self.0.insert(i, (key, entry));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order.
    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&String, &Entry)> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, e)| (k, e))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, e)| e)
    }
}

/// In key order; of a key given twice, the last entry (as a map's `insert` keeps).
impl FromIterator<(String, Entry)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (String, Entry)>>(entries: I) -> Self {
        let mut entries: Vec<(String, Entry)> = entries.into_iter().collect();
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut kept: Vec<(String, Entry)> = Vec::with_capacity(entries.len());
        for (key, entry) in entries {
            match kept.last_mut() {
                Some((last, slot)) if *last == key => *slot = entry,
                _ => kept.push((key, entry)),
            }
        }
        Mapping(kept)
    }
}

impl<'a> IntoIterator for &'a Mapping {
    type Item = (&'a String, &'a Entry);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Entry)>,
        fn(&'a (String, Entry)) -> (&'a String, &'a Entry),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, e)| (k, e))
    }
}

/// One step of a field path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A field path such as `services.gateway.image.digest`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        Self::default()
    }

    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Parse a JSON pointer (`/services/gateway/port`) as produced by schema validation.
    pub fn from_pointer(pointer: &str) -> Self {
        let segments = pointer
            .split('/')
            .skip(1)
            .map(|raw| raw.replace("~1", "/").replace("~0", "~"))
            .map(|raw| match raw.parse::<usize>() {
                Ok(index) => Segment::Index(index),
                Err(_) => Segment::Key(raw),
            })
            .collect();
        Self(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Where a lookup of a field path ended: on the node itself, or on the nearest ancestor
/// that exists (a missing field is reported at its parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub span: Span,
    pub exact: bool,
}

impl Node {
    pub fn mapping(&self) -> Option<&Mapping> {
        match &self.value {
            Value::Mapping(map) => Some(map),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.mapping()?.get(key).map(|entry| &entry.node)
    }

    /// The node at `path`, if every step exists.
    pub fn at(&self, path: &FieldPath) -> Option<&Node> {
        let mut node = self;
        for segment in &path.0 {
            node = match (segment, &node.value) {
                (Segment::Key(key), Value::Mapping(map)) => &map.get(key)?.node,
                (Segment::Index(i), Value::Sequence(items)) => items.get(*i)?,
                // A numeric-looking mapping key parses as an index.
                (Segment::Index(i), Value::Mapping(map)) => &map.get(&i.to_string())?.node,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The span of the value at `path`, or of its nearest existing ancestor.
    pub fn locate(&self, path: &FieldPath) -> Located {
        let mut node = self;
        // A missing field is reported at the key of its nearest existing ancestor
        // (`persistence:`), which reads better than that mapping's first child.
        let mut key_span = None;
        for segment in &path.0 {
            let next = match (segment, &node.value) {
                (Segment::Key(key), Value::Mapping(map)) => {
                    map.get(key).map(|e| (&e.node, Some(e.key_span)))
                }
                (Segment::Index(i), Value::Sequence(items)) => items.get(*i).map(|n| (n, None)),
                (Segment::Index(i), Value::Mapping(map)) => {
                    map.get(&i.to_string()).map(|e| (&e.node, Some(e.key_span)))
                }
                _ => None,
            };
            match next {
                Some((child, key)) => {
                    node = child;
                    key_span = key;
                }
                None => {
                    let span = match &node.value {
                        Value::Mapping(_) | Value::Sequence(_) => key_span.unwrap_or(node.span),
                        _ => node.span,
                    };
                    return Located { span, exact: false };
                }
            }
        }
        Located {
            span: node.span,
            exact: true,
        }
    }

    /// The span of the key that introduces `path` (for unknown keys), falling back to
    /// the value's position.
    pub fn locate_key(&self, path: &FieldPath) -> Located {
        let Some((last, parent)) = path.0.split_last() else {
            return self.locate(path);
        };
        let parent_path = FieldPath(parent.to_vec());
        if let (Some(parent_node), Segment::Key(key)) = (self.at(&parent_path), last)
            && let Some(entry) = parent_node.mapping().and_then(|m| m.get(key))
        {
            return Located {
                span: entry.key_span,
                exact: true,
            };
        }
        self.locate(path)
    }

    /// Plain JSON for schema validation and typed deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Mapping(map) => {
                let mut entries: Vec<(&String, &Entry)> = map.iter().collect();
                entries.sort_by_key(|(_, entry)| entry.order);
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(key, entry)| (key.clone(), entry.node.to_json()))
                        .collect(),
                )
            }
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Integer(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Sequence(_) => "sequence",
            Value::Mapping(_) => "mapping",
        }
    }
}

/// A node as serde-saphyr hands it over, before the file is known.
pub(crate) enum RawValue {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Sequence(Vec<Spanned<RawValue>>),
    Mapping(Vec<(Spanned<String>, Spanned<RawValue>)>),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Integer)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Integer)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Integer)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Mapping(entries))
    }
}

fn span_of(file: FileId, location: serde_saphyr::Location) -> Span {
    Span {
        file,
        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
        column: u32::try_from(location.column()).unwrap_or(u32::MAX),
    }
}

/// Attach the file to a parsed tree. Duplicate keys are rejected by the parser, so a
/// mapping's entries are unique here.
pub(crate) fn from_raw(file: FileId, raw: Spanned<RawValue>) -> Node {
    let span = span_of(file, raw.referenced);
    let value = match raw.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Integer(i) => Value::Integer(i),
        RawValue::Float(f) => Value::Float(f),
        RawValue::String(s) => Value::String(s),
        RawValue::Sequence(items) => {
            Value::Sequence(items.into_iter().map(|item| from_raw(file, item)).collect())
        }
        RawValue::Mapping(entries) => Value::Mapping(
            entries
                .into_iter()
                .enumerate()
                .map(|(order, (key, value))| {
                    let entry = Entry {
                        key_span: span_of(file, key.referenced),
                        node: from_raw(file, value),
                        order,
                    };
                    (key.value, entry)
                })
                .collect(),
        ),
    };
    Node { value, span }
}
