//! Turns JSON Schema errors into diagnostics an editor can act on: located at the key
//! or value they concern, phrased in the record's terms, with a hint where one helps.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, closest};
use crate::load::Document;
use crate::schema::SchemaSet;

/// The diagnostics for one document against its schema.
pub fn check_document(doc: &Document, schema_name: &str, schemas: &SchemaSet) -> Vec<Diagnostic> {
    let validator = schemas.validator(schema_name);
    // Most documents are valid: `is_valid` neither tracks paths nor collects errors, and
    // only a document that fails is walked again for its errors.
    if validator.is_valid(&doc.front) {
        return Vec::new();
    }
    validator
        .iter_errors(&doc.front)
        .flat_map(|error| describe(doc, &error, schemas))
        .collect()
}

/// `/participants/0/role` as `participants[0].role` (list indexes in brackets, map keys
/// after dots: `root` tells which is which); the root is the empty string.
pub fn field_name(root: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut node = Some(root);
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let in_list = matches!(node, Some(Value::Array(_)));
        node = match node {
            Some(Value::Array(items)) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            Some(Value::Object(map)) => map.get(&segment),
            _ => None,
        };
        if in_list {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// Where a diagnostic about `pointer` goes: `(line, column, length)`. With `on_key`, the
/// key of a mapping entry is preferred to its value.
pub fn locate(doc: &Document, pointer: &str, on_key: bool) -> (usize, usize, usize) {
    match doc.spans().find(pointer) {
        Some((found, span)) if !found.is_empty() => {
            let last = found.rsplit('/').next().unwrap_or_default();
            match span.key {
                Some(key) if on_key || found != pointer => (key.line, key.col, last.chars().count().max(1)),
                _ => (span.start.line, span.start.col, span.len),
            }
        }
        // The whole record: point at the opening `---` of the front matter.
        _ => (1, 1, if doc.file.ends_with(".md") { 3 } else { 1 }),
    }
}

/// A diagnostic at `pointer` of `doc`.
pub fn at(doc: &Document, pointer: &str, on_key: bool, rule: &'static str, message: String) -> Diagnostic {
    let (line, col, len) = locate(doc, pointer, on_key);
    Diagnostic::error(&doc.file, line, col, rule, message)
        .with_len(len)
        .with_source(&doc.text)
}

fn describe(doc: &Document, error: &ValidationError<'_>, schemas: &SchemaSet) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_owned();
    let field = field_name(&doc.front, &pointer);
    let subject = if field.is_empty() {
        "the front matter".to_owned()
    } else {
        format!("`{field}`")
    };
    let instance: &Value = error.instance();
    let d = |message: String| at(doc, &pointer, false, "schema", message);
    let single = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|key| {
                    let child = format!("{pointer}/{}", crate::yaml::escape_pointer_segment(key));
                    let hint = match closest(key, schemas.known_fields.iter().map(String::as_str)) {
                        Some(c) if c != key => format!("did you mean `{c}`? Unknown fields are not allowed"),
                        _ => "remove it, or check the field names in the record format (schemas/)".to_owned(),
                    };
                    let place = if field.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{field}`")
                    };
                    at(doc, &child, true, "schema", format!("unknown field `{key}`{place}")).with_hint(hint)
                })
                .collect();
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let place = if field.is_empty() {
                String::new()
            } else {
                format!(" in `{field}`")
            };
            let hint = match (doc.kind.schema(), name) {
                ("actor", "country") => "every actor except a multilateral or regional-body one needs `country` (ISO 3166-1 alpha-3, e.g. HND)".to_owned(),
                _ => format!("add `{name}: ...`"),
            };
            at(
                doc,
                &pointer,
                true,
                "schema",
                format!("missing required field `{name}`{place}"),
            )
            .with_hint(hint)
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let vocab = schemas.vocabularies.names().find(|name| {
                let ids: Vec<&str> = schemas
                    .vocabularies
                    .values(name)
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect();
                ids == options
            });
            let shown = display_value(instance);
            let mut hint = match instance.as_str().and_then(|s| closest(s, options.iter().copied())) {
                Some(c) => format!("did you mean `{c}`?"),
                None if options.len() <= 12 => format!("allowed values: {}", options.join(", ")),
                None => String::new(),
            };
            if let Some(vocab) = vocab {
                if !hint.is_empty() {
                    hint.push(' ');
                }
                hint.push_str(&format!("(the list is in schemas/vocab/{vocab}.yaml)"));
            }
            if instance.is_null() {
                // An empty field (as `openssc new` writes them): say so, with the choices.
                d(format!("{subject} is empty")).with_hint(hint)
            } else {
                d(format!("{shown} is not an allowed value of {subject}")).with_hint(hint)
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(*t).to_owned(),
                TypeKind::Multiple(set) => {
                    let names: Vec<JsonType> = set.iter().collect();
                    if names.contains(&JsonType::String) && names.contains(&JsonType::Object) {
                        "text, or a map from language code to text".to_owned()
                    } else if names.contains(&JsonType::String) && names.contains(&JsonType::Integer) {
                        "a date (YYYY, YYYY-MM or YYYY-MM-DD)".to_owned()
                    } else {
                        names.iter().map(|t| type_name(*t)).collect::<Vec<_>>().join(" or ")
                    }
                }
            };
            if instance.is_null() {
                d(format!("{subject} is empty")).with_hint(format!("give it a value ({expected}) or remove the line"))
            } else {
                let hint = match instance {
                    Value::Bool(_) => Some("true and false are booleans; quote the value to make it text".to_owned()),
                    Value::Number(_) if expected.starts_with("text") => {
                        Some("quote the value to make it text".to_owned())
                    }
                    _ => None,
                };
                d(format!(
                    "{subject} must be {expected}, found {}",
                    describe_value(instance)
                ))
                .with_hint_opt(hint)
            }
        }
        ValidationErrorKind::Pattern { pattern } => pattern_error(doc, &pointer, &subject, instance, pattern),
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_owned();
            let child = format!("{pointer}/{}", crate::yaml::escape_pointer_segment(&key));
            let mut diag = pattern_error(doc, &child, &format!("key `{key}` of {subject}"), inner.instance(), "");
            diag = at(doc, &child, true, "schema", diag.message).with_hint_opt(diag.hint);
            diag
        }
        ValidationErrorKind::Minimum { limit } => d(format!("{subject} must be at least {limit}, found {instance}")),
        ValidationErrorKind::Maximum { limit } => d(format!("{subject} must be at most {limit}, found {instance}")),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            d(format!("{subject} must be greater than {limit}, found {instance}"))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            d(format!("{subject} must be less than {limit}, found {instance}"))
        }
        ValidationErrorKind::MinItems { limit } => d(format!(
            "{subject} needs at least {limit} item{}",
            if *limit == 1 { "" } else { "s" }
        )),
        ValidationErrorKind::MinLength { .. } | ValidationErrorKind::MinProperties { .. } => {
            d(format!("{subject} is empty")).with_hint("give it a value or remove the line")
        }
        ValidationErrorKind::UniqueItems => {
            d(format!("{subject} lists the same value more than once")).with_hint("remove the repeated value")
        }
        _ => d(format!("{subject}: {}", error.masked())),
    };
    vec![single]
}

fn pattern_error(doc: &Document, pointer: &str, subject: &str, instance: &Value, pattern: &str) -> Diagnostic {
    let value = instance.as_str().unwrap_or_default();
    let shown = display_value(instance);
    let last = pointer.rsplit('/').next().unwrap_or_default();
    let (message, hint) =
        if last == "currency" || pointer.contains("/per_usd") && !pointer.ends_with(|c: char| c.is_ascii_digit()) {
            (
                format!("{shown} is not an ISO 4217 currency code"),
                "write three upper-case letters, e.g. USD, MXN, EUR".to_owned(),
            )
        } else if pattern == "^[A-Z]{3}$" {
            let upper = value.to_uppercase();
            let hint = if crate::countries::get(&upper).is_some() {
                format!("write it in upper case: `{upper}`")
            } else {
                "write the ISO 3166-1 alpha-3 code in upper case, e.g. HND for Honduras".to_owned()
            };
            (
                format!("{shown} in {subject} is not an ISO 3166-1 alpha-3 country code"),
                hint,
            )
        } else if pattern.starts_with("^[0-9]{4}(-") {
            (
                format!("{shown} in {subject} is not a date"),
                "write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2011-05".to_owned(),
            )
        } else if pattern == "^[a-z]{2}$" || pattern.is_empty() && value.len() != 2 {
            (
                format!("{shown} in {subject} is not a two-letter language code"),
                "use en, es, pt or fr".to_owned(),
            )
        } else if pattern.starts_with("^[a-z0-9][a-z0-9-]") {
            (
                format!("{shown} in {subject} is not a valid id"),
                "ids are file names without .md: lowercase letters, digits and -".to_owned(),
            )
        } else if pattern.starts_with("^https?://") {
            (
                format!("{shown} in {subject} is not a web address"),
                "start it with https:// or http://, without spaces".to_owned(),
            )
        } else if pattern == "^[0-9]{4}$" {
            (
                format!("{shown} in {subject} is not a year"),
                "write four digits, e.g. 2011".to_owned(),
            )
        } else {
            (
                format!("{shown} in {subject} does not have the expected form"),
                format!("it must match `{pattern}`"),
            )
        };
    at(doc, pointer, false, "schema", message).with_hint(hint)
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "empty",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping of fields",
        JsonType::String => "text",
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_read_like_paths() {
        let v = serde_json::json!({"participants": [{"role": "x"}], "per_usd": {"MXN": {"2011": 1}}});
        assert_eq!(field_name(&v, "/participants/0/role"), "participants[0].role");
        assert_eq!(field_name(&v, ""), "");
        assert_eq!(field_name(&v, "/per_usd/MXN/2011"), "per_usd.MXN.2011");
    }
}
