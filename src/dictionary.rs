//! The data dictionary: every field of every record type with its meaning and allowed
//! values, read from the schemas that `check` enforces, so it never drifts from them.
//!
//! Invariant: no I/O; works on whatever [`SchemaSet`] was loaded (a site's overrides
//! included).

use serde_json::{Value, json};

use crate::schema::{DOCUMENT_SCHEMAS, SchemaSet};

/// Deepest nesting described (the record format is shallower; this guards against cycles).
const MAX_DEPTH: usize = 8;

/// Where each document schema's files live, for the dictionary's headings.
fn location(schema: &str) -> &'static str {
    match schema {
        "project" => "content/projects/<id>.md",
        "actor" => "content/actors/<id>.md",
        "fund" => "content/funds/<id>.md",
        "exchange" => "content/exchanges/<id>.md",
        "report-edition" => "content/reports/<year>/index.md",
        "report-chapter" => "content/reports/<year>/<chapter>.md",
        "exchange-rates" => "content/data/exchange-rates.yaml",
        "countries" => "content/data/countries.yaml",
        "translation" => "content/<collection>/<id>.<lang>.md",
        _ => "",
    }
}

struct Walker<'a> {
    schemas: &'a SchemaSet,
    lang: &'a str,
    rows: Vec<Value>,
}

/// A schema node after following `$ref`s: the node, the file it is in, the title of the
/// definition it came from (`Money`, `Date`, ...) and the vocabulary it enumerates.
/// Also used by [`crate::scaffold`], so the skeletons read the schemas as this does.
pub(crate) struct Resolved<'a> {
    pub(crate) node: &'a Value,
    pub(crate) file: String,
    pub(crate) title: Option<&'a str>,
    /// The description of the definition `title` comes from.
    pub(crate) title_description: Option<&'a str>,
    pub(crate) vocab: Option<String>,
}

/// Follows the `$ref`s of `node` (in schema file `file`) inside the loaded schemas, up to
/// [`MAX_DEPTH`] steps, stopping at a vocabulary (`vocab/<name>.json`).
pub(crate) fn resolve<'a>(schemas: &'a SchemaSet, file: &str, mut node: &'a Value) -> Resolved<'a> {
    let mut file = file.to_owned();
    let mut title = None;
    let mut title_description = None;
    for _ in 0..MAX_DEPTH {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if let Some(vocab) = target.strip_prefix("vocab/").and_then(|v| v.strip_suffix(".json")) {
            return Resolved {
                node,
                file,
                title,
                title_description,
                vocab: Some(vocab.to_owned()),
            };
        }
        if !target.is_empty() {
            file = target.to_owned();
        }
        let Some(next) = schemas.documents.get(&file).and_then(|doc| doc.pointer(fragment)) else {
            break;
        };
        if title.is_none()
            && let Some(t) = next.get("title").and_then(Value::as_str)
        {
            title = Some(t);
            title_description = next.get("description").and_then(Value::as_str);
        }
        node = next;
    }
    Resolved {
        node,
        file,
        title,
        title_description,
        vocab: None,
    }
}

impl<'a> Walker<'a> {
    fn resolve(&self, file: &str, node: &'a Value) -> Resolved<'a> {
        resolve(self.schemas, file, node)
    }

    fn type_name(&self, r: &Resolved<'a>) -> String {
        if let Some(title) = r.title {
            return title.to_owned();
        }
        if let Some(vocab) = &r.vocab {
            return format!("one of the values of {vocab}");
        }
        match r.node.get("type") {
            Some(Value::String(t)) if t == "array" => {
                let items = r.node.get("items").map(|i| self.resolve(&r.file, i));
                match items {
                    Some(items) => format!("list of {}", self.type_name(&items)),
                    None => "list".into(),
                }
            }
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
            _ => "value".into(),
        }
    }

    fn values(&self, r: &Resolved<'a>) -> Vec<Value> {
        let vocab = r.vocab.clone().or_else(|| {
            let items = r.node.get("items").map(|i| self.resolve(&r.file, i))?;
            items.vocab
        });
        if let Some(vocab) = vocab {
            return self
                .schemas
                .vocabularies
                .values(&vocab)
                .iter()
                .map(|e| json!({"id": e.id, "label": e.label(self.lang)}))
                .collect();
        }
        match r.node.get("enum").and_then(Value::as_array) {
            Some(values) => values.iter().map(|v| json!({"id": v, "label": v})).collect(),
            None => Vec::new(),
        }
    }

    fn walk_object(&mut self, file: &str, node: &'a Value, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = node.get("properties") {
            for (name, prop) in props {
                let field = format!("{prefix}{name}");
                let own_description = prop.get("description").and_then(Value::as_str);
                let r = self.resolve(file, prop);
                let description = own_description
                    .or(r.node.get("description").and_then(Value::as_str))
                    .unwrap_or_default();
                self.rows.push(json!({
                    "field": field,
                    "depth": depth,
                    "type": self.type_name(&r),
                    "required": required.contains(&name.as_str()),
                    "description": description,
                    "values": self.values(&r),
                }));
                self.walk_children(&r, &field, depth);
            }
        } else if let Some(additional @ Value::Object(_)) = node.get("additionalProperties") {
            let r = self.resolve(file, additional);
            if r.node.get("properties").is_some() {
                self.walk_object(&r.file.clone(), r.node, &format!("{prefix}<key>."), depth + 1);
            }
        }
    }

    fn walk_children(&mut self, r: &Resolved<'a>, field: &str, depth: usize) {
        if r.title
            .is_some_and(|t| ["Text", "Money", "Source", "Date"].contains(&t))
        {
            // Common types are described once, in their own section.
            return;
        }
        if r.node.get("properties").is_some() || r.node.get("additionalProperties").is_some_and(Value::is_object) {
            self.walk_object(&r.file.clone(), r.node, &format!("{field}."), depth + 1);
        } else if let Some(items) = r.node.get("items") {
            let items = self.resolve(&r.file, items);
            if items.node.get("properties").is_some() && !items.title.is_some_and(|t| ["Money", "Source"].contains(&t))
            {
                self.walk_object(&items.file.clone(), items.node, &format!("{field}[]."), depth + 1);
            }
        }
    }
}

/// Describes every document schema, then the common types.
pub fn describe(schemas: &SchemaSet, lang: &str) -> Value {
    let mut out = Vec::new();
    let sections = DOCUMENT_SCHEMAS
        .iter()
        .map(|name| (format!("{name}.schema.json"), "".to_owned(), location(name).to_owned()))
        .chain(
            ["Text", "Date", "Money", "Source"]
                .iter()
                .map(|def| ("common.schema.json".to_owned(), format!("/$defs/{def}"), String::new())),
        );
    for (file, pointer, location) in sections {
        let Some(node) = schemas.documents.get(&file).and_then(|d| d.pointer(&pointer)) else {
            continue;
        };
        let mut walker = Walker {
            schemas,
            lang,
            rows: Vec::new(),
        };
        walker.walk_object(&file, node, "", 0);
        let id = if pointer.is_empty() {
            file.trim_end_matches(".schema.json").to_owned()
        } else {
            pointer.trim_start_matches("/$defs/").to_lowercase()
        };
        out.push(json!({
            "id": id,
            "title": node.get("title").and_then(Value::as_str).unwrap_or(&id),
            "description": node.get("description").and_then(Value::as_str).unwrap_or_default(),
            "location": location,
            "fields": walker.rows,
        }));
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_lists_nested_fields_with_vocabulary_values() {
        let schemas = SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let d = describe(&schemas, "en");
        let project = d.as_array().unwrap().iter().find(|s| s["id"] == "project").unwrap();
        let fields = project["fields"].as_array().unwrap();
        let role = fields
            .iter()
            .find(|f| f["field"] == "participants[].role")
            .expect("nested participant fields");
        assert!(
            role["values"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["id"] == "second-provider")
        );
        let title = fields.iter().find(|f| f["field"] == "title").unwrap();
        assert_eq!(title["required"], true);
        assert_eq!(title["type"], "Text");
        let sectors = fields.iter().find(|f| f["field"] == "sectors").unwrap();
        assert_eq!(sectors["values"].as_array().unwrap().len(), 30);
        assert!(d.as_array().unwrap().iter().any(|s| s["id"] == "money"));
    }
}
