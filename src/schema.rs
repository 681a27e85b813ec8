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
    /// The value's keys as written, except that each translatable text other than `label`
    /// (`question`, `description`) holds its English text as a plain string, the shape
    /// callers read before vocabularies were translated. [`VocabEntry::text`] reads every
    /// language.
    pub fields: Map<String, Value>,
    /// Every translatable text (`label`, `question`, `description`, ...): field → language → text.
    texts: BTreeMap<String, BTreeMap<String, String>>,
}

impl VocabEntry {
    /// Builds an entry from the keys of one value of a vocabulary file: every key whose value
    /// is a language map (`{en: ..., es: ...}`), and `label`, `description` or `question` when
    /// written as a plain string (taken as English), is translatable text.
    pub fn new(id: impl Into<String>, mut fields: Map<String, Value>) -> VocabEntry {
        let mut texts = BTreeMap::new();
        for (key, value) in fields.iter_mut() {
            let Some(map) = lang_map(value, TEXT_FIELDS.contains(&key.as_str())) else {
                continue;
            };
            if key != "label"
                && let Some(english) = map.get("en")
            {
                *value = Value::String(english.clone());
            }
            texts.insert(key.clone(), map);
        }
        VocabEntry {
            id: id.into(),
            fields,
            texts,
        }
    }

    /// The translatable text `field` (`label`, `question`, `description`, ...) in `lang`, else
    /// in English; `None` when the value has no such text.
    pub fn text(&self, field: &str, lang: &str) -> Option<&str> {
        let texts = self.texts.get(field)?;
        texts.get(lang).or_else(|| texts.get("en")).map(String::as_str)
    }

    /// The languages `field` is written in (empty when the value has no such text).
    pub fn languages(&self, field: &str) -> impl Iterator<Item = &str> {
        self.texts
            .get(field)
            .into_iter()
            .flat_map(|t| t.keys().map(String::as_str))
    }

    /// The label in `lang`, else in English, else the id.
    pub fn label(&self, lang: &str) -> &str {
        self.text("label", lang).unwrap_or(&self.id)
    }
}

/// The keys of a vocabulary value that are text for readers even when written as a plain string.
const TEXT_FIELDS: &[&str] = &["label", "description", "question"];

/// A language map `{en: ..., es: ...}` (two-letter lowercase codes to strings), or, when
/// `plain` is allowed, a plain string taken as English.
fn lang_map(value: &Value, plain: bool) -> Option<BTreeMap<String, String>> {
    match value {
        Value::String(text) if plain => Some(BTreeMap::from([("en".to_owned(), text.clone())])),
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(lang, text)| {
                let code = lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase());
                Some((lang.clone(), text.as_str().filter(|_| code)?.to_owned()))
            })
            .collect(),
        _ => None,
    }
}

/// The controlled vocabularies of `schemas/vocab/`.
#[derive(Clone, Debug, Default)]
pub struct Vocabularies {
    lists: BTreeMap<String, Vec<VocabEntry>>,
    /// Each vocabulary's `description`, by language.
    descriptions: BTreeMap<String, BTreeMap<String, String>>,
}

impl Vocabularies {
    /// The values of vocabulary `name` (empty if there is no such vocabulary).
    pub fn values(&self, name: &str) -> &[VocabEntry] {
        self.lists.get(name).map_or(&[], Vec::as_slice)
    }

    /// One value of a vocabulary.
    pub fn get(&self, name: &str, id: &str) -> Option<&VocabEntry> {
        // A search of a few dozen ids at most, most of another length: as fast as a map.
        self.values(name).iter().find(|e| e.id == id)
    }

    /// Does the actor type count as civil society (`civil_society: true` in `actor-types`)?
    pub fn is_civil_society(&self, actor_type: &str) -> bool {
        self.get("actor-types", actor_type)
            .and_then(|e| e.fields.get("civil_society"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// What vocabulary `name` is (its `description`), in `lang`, else in English.
    pub fn description(&self, name: &str, lang: &str) -> Option<&str> {
        let texts = self.descriptions.get(name)?;
        texts.get(lang).or_else(|| texts.get("en")).map(String::as_str)
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
                    Ok((description, entries)) => {
                        vocabularies.lists.insert(vocab.to_owned(), entries);
                        if let Some(description) = description {
                            vocabularies.descriptions.insert(vocab.to_owned(), description);
                        }
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
        let fail = |message: String| vec![Diagnostic::error("schemas", 1, 1, "schema-file", message)];
        let registry = registry(&documents, &vocabularies)
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

/// The offline registry of every schema document and every vocabulary (`vocab/<name>.json`).
fn registry(
    documents: &BTreeMap<String, Value>,
    vocabularies: &Vocabularies,
) -> Result<Registry<'static>, jsonschema::ReferencingError> {
    let mut resources: Vec<(String, Value)> = documents
        .iter()
        .map(|(name, value)| (format!("{BASE_URI}{name}"), value.clone()))
        .collect();
    for (name, entries) in &vocabularies.lists {
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        resources.push((format!("{BASE_URI}vocab/{name}.json"), json!({ "enum": ids })));
    }
    Registry::new()
        .draft(Draft::Draft202012)
        .extend(resources)
        .and_then(|b| b.prepare())
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

/// The description of a vocabulary (by language) and its values.
type ParsedVocabulary = (Option<BTreeMap<String, String>>, Vec<VocabEntry>);

/// A vocabulary file: `{description, values: [{id, ...}]}`.
fn parse_vocabulary(text: &str) -> Result<ParsedVocabulary, (usize, usize, String)> {
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
        entries.push(VocabEntry::new(id, fields.clone()));
    }
    let description = value.get("description").and_then(|d| lang_map(d, true));
    Ok((description, entries))
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

    /// The languages every vocabulary text is written in (sorted, as map keys are).
    const LANGS: [&str; 4] = ["en", "es", "fr", "pt"];

    #[test]
    fn every_vocabulary_text_is_in_the_four_languages() {
        let mut files = 0;
        for (name, bytes) in EMBEDDED_SCHEMAS.iter().filter(|(n, _)| n.starts_with("vocab/")) {
            files += 1;
            let (doc, _) = crate::yaml::parse(std::str::from_utf8(bytes).unwrap(), 0).unwrap();
            let check = |value: &Value, what: &str| {
                let map = value
                    .as_object()
                    .unwrap_or_else(|| panic!("{name}: {what} is a language map"));
                let mut langs: Vec<&str> = map.keys().map(String::as_str).collect();
                langs.sort_unstable();
                assert_eq!(langs, LANGS, "{name}: {what}");
                for (lang, text) in map {
                    let text = text.as_str().unwrap_or_default();
                    assert!(!text.trim().is_empty(), "{name}: {what} in {lang}");
                }
            };
            check(&doc["description"], "description");
            for value in doc["values"].as_array().unwrap() {
                let id = value["id"].as_str().unwrap();
                assert!(value.get("label").is_some(), "{name}: {id} has a label");
                for (key, v) in value.as_object().unwrap() {
                    match key.as_str() {
                        "id" => {}
                        "label" | "description" | "question" => check(v, &format!("{id}.{key}")),
                        _ => assert!(
                            !v.is_string() && !v.is_object(),
                            "{name}: {id}.{key} looks like text that is not translated"
                        ),
                    }
                }
            }
        }
        assert_eq!(files, 20);
        // The loaded entries see the same languages.
        let set = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        for name in set.vocabularies.names() {
            for lang in LANGS {
                assert!(set.vocabularies.description(name, lang).is_some(), "{name}");
            }
            for entry in set.vocabularies.values(name) {
                assert_eq!(
                    entry.languages("label").collect::<Vec<_>>(),
                    LANGS,
                    "{name}: {}",
                    entry.id
                );
            }
        }
    }

    #[test]
    fn vocabulary_texts_in_each_language_with_english_fallback() {
        let set = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        let v = &set.vocabularies;
        let roles = |id: &str, lang: &str| v.get("roles", id).unwrap().label(lang).to_owned();
        assert_eq!(roles("provider", "en"), "Provider");
        assert_eq!(roles("provider", "es"), "Oferente");
        assert_eq!(roles("provider", "pt"), "Ofertante");
        assert_eq!(roles("recipient", "fr"), "Bénéficiaire");
        assert_eq!(roles("provider", "de"), "Provider", "unknown language: English");
        let reach = v.get("evaluation-questions", "reach").unwrap();
        assert_eq!(
            reach.text("question", "en"),
            Some("Does it reach the country's peoples and territories?")
        );
        assert_eq!(
            reach.text("question", "es"),
            Some("¿Llega a los pueblos y territorios del país?")
        );
        assert_eq!(
            reach.text("question", "fr"),
            Some("Atteint-elle les peuples et les territoires du pays\u{a0}?")
        );
        assert_eq!(reach.text("dac", "en"), None);
        // Callers that read the English question as a plain string still get it.
        assert_eq!(
            reach.fields["question"],
            "Does it reach the country's peoples and territories?"
        );
        assert!(
            v.description("sectors", "pt")
                .unwrap()
                .starts_with("Setores de cooperação.")
        );
        assert_eq!(v.description("nonexistent", "en"), None);

        let fields = json!({
            "id": "x",
            "label": {"en": "Yes", "es": "Sí"},
            "question": {"en": "Is it?", "fr": "Est-ce le cas\u{a0}?"},
            "description": "Plain English",
            "dac": 110,
            "note": {"en": 1},
        });
        let e = VocabEntry::new("x", fields.as_object().unwrap().clone());
        assert_eq!(e.label("es"), "Sí");
        assert_eq!(e.label("pt"), "Yes");
        assert_eq!(e.text("question", "fr"), Some("Est-ce le cas\u{a0}?"));
        assert_eq!(e.text("question", "es"), Some("Is it?"));
        assert_eq!(
            e.text("description", "pt"),
            Some("Plain English"),
            "a plain string is English"
        );
        assert_eq!(e.text("note", "en"), None, "not a language map");
        assert_eq!(e.fields["question"], "Is it?");
        assert_eq!(e.fields["label"]["es"], "Sí", "labels keep their map");
        let nameless = VocabEntry::new("y", Map::new());
        assert_eq!(nameless.label("en"), "y");
    }

    #[test]
    fn vocabularies_follow_the_vocabulary_schema() {
        let set = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        let registry = registry(&set.documents, &set.vocabularies).unwrap();
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&registry)
            .offline()
            .build(&json!({ "$ref": format!("{BASE_URI}vocab.schema.json") }))
            .unwrap();
        for (name, bytes) in EMBEDDED_SCHEMAS.iter().filter(|(n, _)| n.starts_with("vocab/")) {
            let (doc, _) = crate::yaml::parse(std::str::from_utf8(bytes).unwrap(), 0).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
        }
        let with_label =
            |label: Value| json!({"description": {"en": "A list."}, "values": [{"id": "a", "label": label}]});
        assert!(validator.is_valid(&with_label(json!({"en": "A", "es": "A"}))));
        assert!(
            !validator.is_valid(&with_label(json!({"es": "A"}))),
            "English is required"
        );
        assert!(
            !validator.is_valid(&with_label(json!({"en": "A", "spa": "A"}))),
            "two-letter codes"
        );
        assert!(!validator.is_valid(&with_label(json!({"en": ""}))), "no empty text");
        assert!(!validator.is_valid(&with_label(json!("A"))), "a map, not a string");
        let question =
            json!({"description": {"en": "Q."}, "values": [{"id": "a", "label": {"en": "A"}, "question": "Is it?"}]});
        assert!(!validator.is_valid(&question), "questions are language maps");
        assert!(!validator.is_valid(&json!({"description": "A list.", "values": [{"id": "a", "label": {"en": "A"}}]})));
    }
}
