//! The JSON Schemas and vocabularies: loaded once, compiled once, used by validation.
//!
//! Default files are embedded in the binary (see `build.rs`); a site's own `schemas/`
//! folder overrides them file by file. Each `vocab/<name>.yaml` becomes the schema
//! resource `vocab/<name>.json` = `{"enum": [ids]}`, so schemas and vocabularies
//! cannot drift apart.
//!
//! Invariant: no schema is ever fetched from the network: every `$ref` resolves inside
//! the registry built here, or compiling fails with a diagnostic.

use std::collections::BTreeMap;
use std::path::Path;

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Map, Value, json};

use crate::diagnostics::Diagnostic;
use crate::load::relative;

include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));

/// The base URI every schema `$id` lives under. It is never fetched.
pub const BASE_URI: &str = "https://openssc.example/schemas/";

/// The schemas that validate documents (one per kind of file).
pub const DOCUMENT_SCHEMAS: &[&str] = &[
    "project",
    "actor",
    "fund",
    "exchange",
    "report-edition",
    "report-chapter",
    "exchange-rates",
    "countries",
    "translation",
];

/// One value of a vocabulary, with its extra keys (`label`, `dac`, `iati`, ...).
#[derive(Clone, Debug)]
pub struct VocabEntry {
    pub id: String,
    pub fields: Map<String, Value>,
}

impl VocabEntry {
    /// The label in `lang`, else in English, else the id.
    pub fn label(&self, lang: &str) -> &str {
        let labels = self.fields.get("label");
        labels
            .and_then(|l| l.get(lang).or_else(|| l.get("en")))
            .and_then(Value::as_str)
            .unwrap_or(&self.id)
    }
}

/// The controlled vocabularies of `schemas/vocab/`.
#[derive(Clone, Debug, Default)]
pub struct Vocabularies {
    lists: BTreeMap<String, Vec<VocabEntry>>,
}

impl Vocabularies {
    /// The values of vocabulary `name` (empty if there is no such vocabulary).
    pub fn values(&self, name: &str) -> &[VocabEntry] {
        self.lists.get(name).map_or(&[], Vec::as_slice)
    }

    /// One value of a vocabulary.
    pub fn get(&self, name: &str, id: &str) -> Option<&VocabEntry> {
        self.values(name).iter().find(|e| e.id == id)
    }

    /// Does the actor type count as civil society (`civil_society: true` in `actor-types`)?
    pub fn is_civil_society(&self, actor_type: &str) -> bool {
        self.get("actor-types", actor_type)
            .and_then(|e| e.fields.get("civil_society"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Names of all vocabularies.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.keys().map(String::as_str)
    }
}

/// Every schema document and the compiled validators.
pub struct SchemaSet {
    /// Schema documents by file name under `schemas/` (e.g. `project.schema.json`).
    pub documents: BTreeMap<String, Value>,
    pub vocabularies: Vocabularies,
    validators: BTreeMap<&'static str, Validator>,
    /// Every property name defined anywhere, for "did you mean" hints on unknown fields.
    pub known_fields: Vec<String>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("documents", &self.documents.keys())
            .finish()
    }
}

impl SchemaSet {
    /// The validator for one of [`DOCUMENT_SCHEMAS`].
    pub fn validator(&self, name: &str) -> &Validator {
        &self.validators[name]
    }

    /// The embedded defaults, overridden by files in `<site_root>/schemas/` if it exists.
    pub fn load(site_root: &Path) -> Result<SchemaSet, Vec<Diagnostic>> {
        let mut files: BTreeMap<String, (String, String)> = EMBEDDED_SCHEMAS
            .iter()
            .map(|(name, bytes)| {
                let text = String::from_utf8_lossy(bytes).into_owned();
                (name.to_string(), (format!("(built-in) schemas/{name}"), text))
            })
            .collect();
        let dir = site_root.join("schemas");
        let mut problems = Vec::new();
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().flatten() {
                let path = entry.path();
                let name = relative(&dir, path);
                if !entry.file_type().is_file() || !(name.ends_with(".json") || name.ends_with(".yaml")) {
                    continue;
                }
                let file = relative(site_root, path);
                match std::fs::read_to_string(path) {
                    Ok(text) => {
                        files.insert(name, (file, text));
                    }
                    Err(e) => problems.push(Diagnostic::error(
                        file,
                        1,
                        1,
                        "schema-file",
                        format!("cannot read the schema: {e}"),
                    )),
                }
            }
        }
        let set = Self::compile(&files);
        match set {
            Ok(set) if problems.is_empty() => Ok(set),
            Ok(_) => Err(problems),
            Err(mut more) => {
                problems.append(&mut more);
                Err(problems)
            }
        }
    }

    /// The raw files of the schemas in use, as `(schemas/<name>, bytes)` sorted by name: the
    /// embedded defaults, replaced by the files of the same name in `<site_root>/schemas/`,
    /// plus the site's other `.json` and `.yaml` files there (the files [`SchemaSet::load`]
    /// reads). A site file that cannot be read is left out (loading it already failed).
    pub fn source_files(site_root: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: BTreeMap<String, Vec<u8>> = EMBEDDED_SCHEMAS
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        let dir = site_root.join("schemas");
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().flatten() {
                let name = relative(&dir, entry.path());
                if entry.file_type().is_file()
                    && (name.ends_with(".json") || name.ends_with(".yaml"))
                    && let Ok(bytes) = std::fs::read(entry.path())
                {
                    files.insert(name, bytes);
                }
            }
        }
        files
            .into_iter()
            .map(|(name, bytes)| (format!("schemas/{name}"), bytes))
            .collect()
    }

    /// Builds the set from `(name under schemas/ -> (display path, text))`.
    fn compile(files: &BTreeMap<String, (String, String)>) -> Result<SchemaSet, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut documents = BTreeMap::new();
        let mut vocabularies = Vocabularies::default();
        for (name, (file, text)) in files {
            if let Some(vocab) = name.strip_prefix("vocab/").and_then(|n| n.strip_suffix(".yaml")) {
                match parse_vocabulary(text) {
                    Ok(entries) => {
                        vocabularies.lists.insert(vocab.to_owned(), entries);
                    }
                    Err((line, col, message)) => {
                        problems.push(Diagnostic::error(file, line, col, "schema-file", message).with_source(text))
                    }
                }
            } else if name.ends_with(".json") {
                match serde_json::from_str::<Value>(text) {
                    Ok(value) => {
                        documents.insert(name.clone(), value);
                    }
                    Err(e) => {
                        // serde_json appends the position, which the diagnostic already gives.
                        let message = e.to_string();
                        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
                        problems.push(
                            Diagnostic::error(
                                file,
                                e.line(),
                                e.column(),
                                "schema-file",
                                format!("invalid JSON: {message}"),
                            )
                            .with_source(text)
                            .with_hint(
                                "fix the JSON syntax; the built-in schema of the same name shows the expected form",
                            ),
                        );
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut resources: Vec<(String, Value)> = documents
            .iter()
            .map(|(name, value)| (format!("{BASE_URI}{name}"), value.clone()))
            .collect();
        for (name, entries) in &vocabularies.lists {
            let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
            resources.push((format!("{BASE_URI}vocab/{name}.json"), json!({ "enum": ids })));
        }
        let fail = |message: String| vec![Diagnostic::error("schemas", 1, 1, "schema-file", message)];
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .extend(resources)
            .and_then(|b| b.prepare())
            .map_err(|e| fail(format!("the schemas do not form a valid set: {e}")))?;
        let mut validators = BTreeMap::new();
        for name in DOCUMENT_SCHEMAS {
            let file = format!("{name}.schema.json");
            if !documents.contains_key(&file) {
                return Err(fail(format!("schema {file} is missing")));
            }
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&registry)
                .offline()
                .build(&json!({ "$ref": format!("{BASE_URI}{file}") }))
                .map_err(|e| fail(format!("schema {file} does not compile: {e}")))?;
            validators.insert(*name, validator);
        }
        let mut known_fields = Vec::new();
        for doc in documents.values() {
            collect_property_names(doc, &mut known_fields);
        }
        known_fields.sort();
        known_fields.dedup();
        Ok(SchemaSet {
            documents,
            vocabularies,
            validators,
            known_fields,
        })
    }
}

fn collect_property_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| collect_property_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_property_names(v, out)),
        _ => {}
    }
}

/// A vocabulary file: `{description, values: [{id, ...}]}`.
fn parse_vocabulary(text: &str) -> Result<Vec<VocabEntry>, (usize, usize, String)> {
    let (value, spans) = crate::yaml::parse(text, 0).map_err(|e| (e.pos.line, e.pos.col, e.message))?;
    let Some(values) = value.get("values").and_then(Value::as_array) else {
        return Err((1, 1, "a vocabulary needs a `values:` list".into()));
    };
    let mut entries = Vec::new();
    for (i, item) in values.iter().enumerate() {
        let at = spans
            .find(&format!("/values/{i}"))
            .map_or((1, 1), |(_, s)| (s.start.line, s.start.col));
        let Some(fields) = item.as_object() else {
            return Err((at.0, at.1, "each value needs an `id`".into()));
        };
        let Some(id) = fields.get("id").and_then(Value::as_str) else {
            return Err((at.0, at.1, "each value needs an `id`".into()));
        };
        entries.push(VocabEntry {
            id: id.to_owned(),
            fields: fields.clone(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile_and_vocabularies_load() {
        let set = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        assert!(set.vocabularies.get("sectors", "health").is_some());
        assert!(set.vocabularies.is_civil_society("indigenous-peoples-organization"));
        assert!(!set.vocabularies.is_civil_society("government"));
        assert!(set.known_fields.iter().any(|f| f == "second_providers"));
    }

    #[test]
    fn vocabularies_match_the_spec_sector_list() {
        let set = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        let dac = |id: &str| {
            set.vocabularies
                .get("sectors", id)
                .and_then(|e| e.fields.get("dac"))
                .and_then(Value::as_i64)
        };
        assert_eq!(dac("housing"), Some(160));
        assert_eq!(dac("disaster-management"), Some(740));
        assert_eq!(set.vocabularies.values("sectors").len(), 30);
    }
}
