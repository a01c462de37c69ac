//! The JSON Schema of spec files: generated from the `spec` types, used to validate
//! every file before anything else, and committed as `schema/values.schema.json`.

use schemars::generate::SchemaSettings;
use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::node::{FieldPath, Node, Segment};
use crate::spec::Values;

/// Where the schema is committed, relative to the project root.
pub const SCHEMA_PATH: &str = "schema/values.schema.json";

/// The schema as a JSON value (draft 2020-12), generated once per process.
pub fn generate() -> &'static Json {
    static SCHEMA: std::sync::OnceLock<Json> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let settings = SchemaSettings::draft2020_12();
        let schema = settings.into_generator().into_root_schema_for::<Values>();
        let mut value = schema.to_value();
        forbid_null(&mut value);
        value
    })
}

/// Optional fields are left out, never written as `null`: a `null` in a spec (a key
/// with nothing after the colon) is a mistake to report, so the schema drops the null
/// alternative schemars gives every `Option`.
fn forbid_null(schema: &mut Json) {
    match schema {
        Json::Object(map) => {
            if let Some(Json::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [single] = types.as_slice() {
                    let single = single.clone();
                    map.insert("type".into(), single);
                }
            }
            if let Some(Json::Array(branches)) = map.get_mut("anyOf") {
                branches.retain(|b| b.get("type").and_then(Json::as_str) != Some("null"));
                if let [single] = branches.as_slice() {
                    let single = single.clone();
                    map.remove("anyOf");
                    if let Json::Object(inner) = single {
                        for (key, value) in inner {
                            map.entry(key).or_insert(value);
                        }
                    }
                }
            }
            map.values_mut().for_each(forbid_null);
        }
        Json::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
    }
}

/// The committed text of the schema: pretty JSON with a final newline.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(generate()).unwrap_or_default();
    text.push('\n');
    text
}

/// What checking one file found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    /// Required fields of mappings the file leaves out: the other file may set them.
    pub deferred: Vec<Deferred>,
}

/// A required field one file left out, and the diagnostic if neither file sets it.
#[derive(Debug, Clone)]
pub struct Deferred {
    /// The mapping that needs the field.
    pub object: FieldPath,
    pub property: String,
    pub diagnostic: Diagnostic,
}

/// The required fields still missing once `merged` layers the files that deferred
/// them, each placed in the layered tree. Nothing is validated again: a field missing
/// from the layered tree is missing from every file that has its mapping.
pub fn still_missing<'a>(
    merged: &Node,
    deferred: impl IntoIterator<Item = &'a Deferred>,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = deferred
        .into_iter()
        .filter(|d| {
            merged
                .at(&d.object)
                .is_some_and(|node| node.get(&d.property).is_none())
        })
        .map(|d| {
            let mut diagnostic = d.diagnostic.clone();
            diagnostic.span = Some(merged.locate(&d.object).span);
            diagnostic
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Validates documents against the schema; built once per run.
pub struct Validator {
    schema: &'static Json,
    validator: jsonschema::Validator,
}

impl Validator {
    pub fn new() -> Self {
        let schema = generate();
        let validator = jsonschema::draft202012::new(schema)
            .expect("the generated schema is a valid draft 2020-12 schema");
        Self { schema, validator }
    }

    /// Every schema violation in one file's tree, each placed at its node. A required
    /// field of a mapping may come from the other file once layered, so its absence is
    /// left to [`Validator::check_layered`]; a required field of a list item is not
    /// (lists replace whole), so it is reported here.
    pub fn check(&self, document: &Node) -> Checked {
        let instance = document.to_json();
        let mut found = Checked::default();
        for error in self.validator.iter_errors(&instance) {
            self.describe(document, &error, &mut found);
        }
        found.diagnostics.sort();
        found.diagnostics.dedup();
        found
    }

    fn describe(
        &self,
        document: &Node,
        error: &jsonschema::ValidationError<'_>,
        checked: &mut Checked,
    ) {
        use jsonschema::error::ValidationErrorKind as Kind;
        let path = FieldPath::from_pointer(error.instance_path().as_str());
        let in_list = path.0.iter().any(|s| matches!(s, Segment::Index(_)));
        let deferred = match error.kind() {
            Kind::Required { property } if !in_list => property.as_str().map(str::to_owned),
            _ => None,
        };
        let out = &mut checked.diagnostics;
        let located = document.locate(&path);
        let found = document.at(&path).map(Node::kind_name).unwrap_or("nothing");
        let diagnostic = match error.kind() {
            Kind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    out.push(self.unknown_key(document, &path, key));
                }
                return;
            }
            Kind::AnyOf { context } | Kind::OneOfNotValid { context } => {
                // An untagged value (e.g. an env var: a string or a reference): report the
                // branch that got furthest, when one branch matched the value's type.
                let branches: Vec<_> = context
                    .iter()
                    .filter(|errors| !errors.iter().all(|e| is_type_error_at(e, &path)))
                    .collect();
                if let [errors] = branches.as_slice() {
                    for inner in *errors {
                        self.describe(document, inner, checked);
                    }
                    return;
                }
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("unexpected {found} at `{path}`"),
                )
                .expected(expected_for(self.subschema(&path)))
                .help(type_help(document.at(&path), self.subschema(&path)))
            }
            Kind::Type { .. } => Diagnostic::error(
                Code::WrongType,
                format!(
                    "expected {}, found {found}",
                    expected_for(self.subschema(&path))
                ),
            )
            .expected(expected_for(self.subschema(&path)))
            .help(type_help(document.at(&path), self.subschema(&path))),
            Kind::Enum { options } => {
                let choices = enum_choices(options);
                let given = document
                    .at(&path)
                    .map(|n| n.to_json().to_string())
                    .unwrap_or_default();
                let mut d = Diagnostic::error(
                    Code::InvalidValue,
                    format!("{given} is not one of {choices}"),
                )
                .expected(format!("one of {choices}"));
                if let (Some(text), Some(list)) =
                    (document.at(&path).map(Node::to_json), options.as_array())
                    && let Some(text) = text.as_str()
                    && let Some(near) = did_you_mean(text, list.iter().filter_map(Json::as_str))
                {
                    d = d.help(format!("did you mean `{near}`?"));
                }
                d
            }
            Kind::Pattern { .. } => {
                let given = document
                    .at(&path)
                    .map(|n| n.to_json().to_string())
                    .unwrap_or_default();
                let what = description_of(self.subschema(&path));
                let mut d = Diagnostic::error(
                    Code::InvalidValue,
                    format!("{given} is not in the expected format"),
                )
                .expected(what);
                if let Some(text) = document.at(&path).and_then(|n| match &n.value {
                    crate::node::Value::String(s) => Some(s.as_str()),
                    _ => None,
                }) && let Some(help) = quantity_help(text)
                {
                    d = d.help(help);
                }
                if path.0.last() == Some(&Segment::Key("digest".to_owned())) {
                    d = Diagnostic::error(Code::InvalidDigest, format!("{given} is not an image digest"))
                        .expected("`sha256:` followed by 64 lowercase hex digits")
                        .help("copy the digest from your registry, e.g. `docker buildx imagetools inspect IMAGE:TAG`");
                }
                d
            }
            Kind::Minimum { limit } => Diagnostic::error(
                Code::OutOfRange,
                format!("value is below the minimum of {limit}"),
            )
            .expected(format!("a number >= {limit}"))
            .help(format!("e.g. `{limit}`")),
            Kind::Maximum { limit } => Diagnostic::error(
                Code::OutOfRange,
                format!("value is above the maximum of {limit}"),
            )
            .expected(format!("a number <= {limit}"))
            .help(format!("e.g. `{limit}`")),
            Kind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let field = self.subschema(&path.key(name));
                let example = field
                    .and_then(|f| f.get("examples"))
                    .and_then(Json::as_array)
                    .and_then(|e| e.first())
                    .map(|e| format!("e.g. `{name}: {e}`"));
                let mut d = Diagnostic::error(
                    Code::MissingField,
                    format!("missing required field {property}"),
                )
                .expected(format!(
                    "a `{name}` field here: {}",
                    lowercase_first(&description_of(field))
                ));
                if let Some(example) = example {
                    d = d.help(example);
                }
                d
            }
            _ => Diagnostic::error(Code::InvalidValue, error.to_string()),
        };
        let diagnostic = diagnostic.at(located.span).path(path.clone());
        match deferred {
            Some(property) => checked.deferred.push(Deferred {
                object: path,
                property,
                diagnostic,
            }),
            None => out.push(diagnostic),
        }
    }

    fn unknown_key(&self, document: &Node, parent: &FieldPath, key: &str) -> Diagnostic {
        let path = parent.key(key);
        let located = document.locate_key(&path);
        let known = self.property_names(parent);
        let mut diagnostic = Diagnostic::error(Code::UnknownKey, format!("unknown field `{key}`"))
            .at(located.span)
            .path(path)
            .expected(format!(
                "one of {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        if let Some(near) = did_you_mean(key, known.iter().map(String::as_str)) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        diagnostic
    }

    /// Field names the schema allows in the object at `path`.
    pub fn property_names(&self, path: &FieldPath) -> Vec<String> {
        self.subschema(path)
            .and_then(|schema| schema.get("properties"))
            .and_then(Json::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema that applies to the value at `path`, following `$ref`s.
    fn subschema(&self, path: &FieldPath) -> Option<&Json> {
        let mut schema = self.resolve(self.schema)?;
        for segment in &path.0 {
            let next = match segment {
                Segment::Key(key) => schema
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object())),
                Segment::Index(_) => schema.get("items"),
            };
            schema = self.resolve(next?)?;
        }
        Some(schema)
    }

    fn resolve<'a>(&'a self, mut schema: &'a Json) -> Option<&'a Json> {
        while let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
            let pointer = reference.strip_prefix('#')?;
            schema = self.schema.pointer(pointer)?;
        }
        Some(schema)
    }
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

fn is_type_error_at(error: &jsonschema::ValidationError<'_>, path: &FieldPath) -> bool {
    matches!(
        error.kind(),
        jsonschema::error::ValidationErrorKind::Type { .. }
            | jsonschema::error::ValidationErrorKind::Enum { .. }
    ) && FieldPath::from_pointer(error.instance_path().as_str()) == *path
}

/// A short human description of what a schema accepts.
fn expected_for(schema: Option<&Json>) -> String {
    let Some(schema) = schema else {
        return "a value of another type".to_owned();
    };
    if let Some(options) = schema.get("enum") {
        return format!("one of {}", enum_choices(options));
    }
    if let Some(branches) = schema.get("anyOf").and_then(Json::as_array) {
        let parts: Vec<String> = branches.iter().map(|b| expected_for(Some(b))).collect();
        return parts.join(" or ");
    }
    if schema.get("$ref").is_some() {
        return format!(
            "a mapping: {}",
            lowercase_first(&description_of(Some(schema)))
        );
    }
    match schema.get("type").and_then(Json::as_str) {
        Some("object") => "a mapping".to_owned(),
        Some("array") => "a list".to_owned(),
        Some("string") => "a string".to_owned(),
        Some("integer") => "a whole number".to_owned(),
        Some("number") => "a number".to_owned(),
        Some("boolean") => "`true` or `false`".to_owned(),
        _ => description_of(Some(schema)),
    }
}

/// A schema's description as one line, without its final period.
fn description_of(schema: Option<&Json>) -> String {
    let Some(description) = schema
        .and_then(|s| s.get("description"))
        .and_then(Json::as_str)
    else {
        return "a valid value".to_owned();
    };
    let flat = description.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.trim_end_matches('.').to_owned()
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn enum_choices(options: &Json) -> String {
    options
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    format!(
                        "`{}`",
                        item.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| item.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The fix for a size written the way disks and documents write them (`5GB`, `512 MB`).
fn quantity_help(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = compact.to_ascii_uppercase();
    let number = upper.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &upper[number.len()..];
    let prefix = match unit {
        "KB" | "KIB" => "Ki",
        "MB" | "MIB" => "Mi",
        "GB" | "GIB" => "Gi",
        "TB" | "TIB" => "Ti",
        _ => return None,
    };
    if number.is_empty() || number.parse::<f64>().is_err() {
        return None;
    }
    Some(format!(
        "Kubernetes writes sizes as `{number}{prefix}` (binary) or `{number}{}` (decimal), not `{text}`",
        &prefix[..1]
    ))
}

fn type_help(node: Option<&Node>, schema: Option<&Json>) -> String {
    let expected = schema
        .and_then(|s| s.get("type"))
        .and_then(Json::as_str)
        .unwrap_or_default();
    match (node.map(|n| &n.value), expected) {
        (Some(crate::node::Value::String(s)), "boolean") => {
            let word = if matches!(
                s.to_ascii_lowercase().as_str(),
                "false" | "no" | "off" | "0"
            ) {
                "false"
            } else {
                "true"
            };
            return format!(
                "write `{word}`: mcpstack reads `{s}` as a string (YAML 1.2), only `true` and `false` unquoted are booleans"
            );
        }
        (Some(crate::node::Value::Float(f)), "integer") => {
            return match f.fract() == 0.0 {
                true => format!("`{f}` is too large for this field; a whole number such as `10`"),
                false => "write a whole number, e.g. `10`".to_owned(),
            };
        }
        _ => {}
    }
    match node.map(|n| &n.value) {
        Some(
            crate::node::Value::Integer(_)
            | crate::node::Value::Float(_)
            | crate::node::Value::Bool(_),
        ) => "quote the value to make it a string, e.g. \"8080\"".to_owned(),
        Some(crate::node::Value::String(s)) if s.parse::<i64>().is_ok() => {
            "write the number without quotes and without leading zeros, e.g. `10`".to_owned()
        }
        Some(crate::node::Value::Null) => {
            "write a value after the colon, or remove the key".to_owned()
        }
        _ => "see schema/values.schema.json for this field".to_owned(),
    }
}
