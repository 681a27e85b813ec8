//! The data dictionary: every field of every record type with its meaning and allowed
//! values, read from the schemas that `check` enforces, so it never drifts from them.
//!
//! Titles and descriptions are shown in the requested language when the schema node carries
//! a translation in its `x-i18n` keyword (`"x-i18n": {"es": {"title": ..., "description": ...}}`),
//! else in English.
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

/// The node's `key` (`title` or `description`) in `lang` from its `x-i18n` keyword, else the
/// English text of the node itself.
pub fn localized<'a>(node: &'a Value, key: &str, lang: &str) -> Option<&'a str> {
    node.get("x-i18n")
        .and_then(|t| t.get(lang))
        .and_then(|t| t.get(key))
        .and_then(Value::as_str)
        .or_else(|| node.get(key).and_then(Value::as_str))
}

/// The few words of the type column that do not come from the schemas.
fn phrase(lang: &str, english: &'static str) -> &'static str {
    match (lang, english) {
        ("es", "list of ") => "lista de ",
        ("pt", "list of ") => "lista de ",
        ("fr", "list of ") => "liste de ",
        ("es", "one of the values of ") => "uno de los valores de ",
        ("pt", "one of the values of ") => "um dos valores de ",
        ("fr", "one of the values of ") => "une des valeurs de ",
        ("es", " or ") => " o ",
        ("pt", " or ") => " ou ",
        ("fr", " or ") => " ou ",
        _ => english,
    }
}

struct Walker<'a> {
    schemas: &'a SchemaSet,
    lang: &'a str,
    rows: Vec<Value>,
}

/// A schema node after following `$ref`s: the node, the file it is in, the (English) title of
/// the definition it came from (`Money`, `Date`, ...) with the node carrying it and its
/// description, and the vocabulary it enumerates. Also used by [`crate::scaffold`], so the
/// skeletons read the schemas as this does.
pub(crate) struct Resolved<'a> {
    pub(crate) node: &'a Value,
    pub(crate) file: String,
    pub(crate) title: Option<&'a str>,
    /// The definition `title` comes from (for its translations).
    pub(crate) title_node: Option<&'a Value>,
    /// The description of the definition `title` comes from.
    pub(crate) title_description: Option<&'a str>,
    pub(crate) vocab: Option<String>,
}

/// Follows the `$ref`s of `node` (in schema file `file`) inside the loaded schemas, up to
/// [`MAX_DEPTH`] steps, stopping at a vocabulary (`vocab/<name>.json`).
pub(crate) fn resolve<'a>(schemas: &'a SchemaSet, file: &str, mut node: &'a Value) -> Resolved<'a> {
    let mut file = file.to_owned();
    let mut title = None;
    let mut title_node = None;
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
                title_node,
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
            title_node = Some(next);
            title_description = next.get("description").and_then(Value::as_str);
        }
        node = next;
    }
    Resolved {
        node,
        file,
        title,
        title_node,
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
            return r
                .title_node
                .and_then(|n| localized(n, "title", self.lang))
                .unwrap_or(title)
                .to_owned();
        }
        if let Some(vocab) = &r.vocab {
            return format!("{}{vocab}", phrase(self.lang, "one of the values of "));
        }
        match r.node.get("type") {
            Some(Value::String(t)) if t == "array" => {
                let items = r.node.get("items").map(|i| self.resolve(&r.file, i));
                match items {
                    Some(items) => format!("{}{}", phrase(self.lang, "list of "), self.type_name(&items)),
                    None => "list".into(),
                }
            }
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(phrase(self.lang, " or ")),
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
                let own_description = localized(prop, "description", self.lang);
                let r = self.resolve(file, prop);
                let description = own_description
                    .or(localized(r.node, "description", self.lang))
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
            "title": localized(node, "title", lang).unwrap_or(&id),
            "description": localized(node, "description", lang).unwrap_or_default(),
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

    /// Every schema node (a document, a definition, a property, `items`, ...) under `node`.
    fn schema_nodes<'a>(node: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
        let Some(map) = node.as_object() else { return };
        out.push((path.clone(), node));
        for (key, value) in map {
            match key.as_str() {
                "properties" | "$defs" | "patternProperties" | "dependentSchemas" => {
                    for (name, child) in value.as_object().into_iter().flatten() {
                        schema_nodes(child, format!("{path}/{key}/{name}"), out);
                    }
                }
                "items"
                | "additionalProperties"
                | "propertyNames"
                | "not"
                | "if"
                | "then"
                | "else"
                | "contains"
                | "unevaluatedProperties"
                | "unevaluatedItems" => schema_nodes(value, format!("{path}/{key}"), out),
                "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                    for (i, child) in value.as_array().into_iter().flatten().enumerate() {
                        schema_nodes(child, format!("{path}/{key}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
    }

    fn code_spans(text: &str) -> Vec<&str> {
        text.split('`').skip(1).step_by(2).collect()
    }

    #[test]
    fn every_schema_title_and_description_is_translated() {
        let schemas = SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let mut translated = 0;
        for (file, doc) in &schemas.documents {
            let mut nodes = Vec::new();
            schema_nodes(doc, String::new(), &mut nodes);
            for (path, node) in nodes {
                let keys: Vec<&str> = ["title", "description"]
                    .into_iter()
                    .filter(|k| node.get(*k).is_some_and(Value::is_string))
                    .collect();
                let Some(i18n) = node.get("x-i18n") else {
                    assert!(keys.is_empty(), "{file}#{path} has no x-i18n");
                    continue;
                };
                assert!(!keys.is_empty(), "{file}#{path}: x-i18n without title or description");
                let i18n = i18n.as_object().unwrap();
                assert_eq!(i18n.keys().collect::<Vec<_>>(), ["es", "pt", "fr"], "{file}#{path}");
                for (lang, texts) in i18n {
                    let texts = texts.as_object().unwrap();
                    assert_eq!(
                        texts.keys().map(String::as_str).collect::<Vec<_>>(),
                        keys,
                        "{file}#{path} {lang}"
                    );
                    for (key, text) in texts {
                        let text = text.as_str().unwrap();
                        let english = node[key].as_str().unwrap();
                        assert!(!text.trim().is_empty(), "{file}#{path} {lang}");
                        assert_eq!(
                            code_spans(text),
                            code_spans(english),
                            "{file}#{path} {lang} {key}: code in backticks stays as it is"
                        );
                        translated += 1;
                    }
                }
            }
        }
        assert!(translated > 600, "{translated}");
    }

    #[test]
    fn dictionary_in_spanish() {
        let schemas = SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let d = describe(&schemas, "es");
        let section = |id: &str| d.as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
        let project = section("project");
        assert_eq!(project["title"], "Iniciativa");
        assert!(project["description"].as_str().unwrap().starts_with(
            "El encabezado (front matter) de content/projects/<id>.md: una iniciativa de Cooperación Sur-Sur"
        ));
        let fields = project["fields"].as_array().unwrap();
        let field = |name: &str| fields.iter().find(|f| f["field"] == name).unwrap().clone();
        assert_eq!(field("title")["description"], "El nombre de la iniciativa.");
        assert_eq!(field("title")["type"], "Texto");
        assert_eq!(field("sectors")["type"], "Lista de sectores");
        assert_eq!(field("sdgs")["type"], "lista de Objetivo de Desarrollo Sostenible");
        assert_eq!(field("instrument")["type"], "uno de los valores de instruments");
        let role = field("participants[].role");
        assert!(role["description"].as_str().unwrap().starts_with("Su rol: `provider`"));
        assert!(
            role["values"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["id"] == "provider" && v["label"] == "Oferente")
        );
        assert_eq!(
            field("evaluation.questions.reach")["description"],
            "¿Llega a los pueblos y territorios del país?"
        );
        assert_eq!(section("money")["title"], "Importe");
        assert_eq!(section("date")["fields"], json!([]));
        // Portuguese and French too; an unknown language is English.
        assert_eq!(describe(&schemas, "pt")[0]["title"], "Iniciativa");
        assert_eq!(describe(&schemas, "fr")[1]["title"], "Acteur");
        assert_eq!(describe(&schemas, "de"), describe(&schemas, "en"));
    }

    #[test]
    fn english_dictionary_is_unchanged_by_the_translations() {
        fn strip(value: &mut Value) {
            match value {
                Value::Object(map) => {
                    map.remove("x-i18n");
                    map.values_mut().for_each(strip);
                }
                Value::Array(items) => items.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let schemas = SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let mut plain = SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        plain.documents.values_mut().for_each(strip);
        assert!(!serde_json::to_string(&plain.documents).unwrap().contains("x-i18n"));
        assert_eq!(describe(&schemas, "en"), describe(&plain, "en"));
        let english = describe(&schemas, "en");
        assert_eq!(english[0]["fields"][0]["description"], "The name of the initiative.");
        assert_eq!(english[0]["fields"][0]["type"], "Text");
        assert!(!english.to_string().contains("x-i18n"));
    }
}
