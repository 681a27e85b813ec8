//! `data/records.json` (every validated record) and `data/projects/<id>.json` (one
//! initiative each).
//!
//! A record is its front matter as the record format writes it, with:
//! - `id`, `file` (the record's file) and `page` (its page, relative to the site root)
//!   first, and `body` (Markdown) and `translations` (by language) last;
//! - dates as written (`2011`, `2011-05`, `2011-05-03`);
//! - references resolved: an actor, fund or initiative id becomes `{"id", "name"}`
//!   (`{"id", "title"}` for an initiative), a country code `{"code", "name"}`;
//! - every amount completed with `usd` (its value in US dollars, `null` without a rate)
//!   and `usd_year` (the year of the rate: its own year, else the initiative's start year).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::model::{Actor, Dataset, Exchange, Fund, Project, Record};
use crate::render::views::Views;

/// Replaces every serialized `PartialDate` (`{year, month, day}`) by its text, and
/// completes every amount (`{amount, currency, ...}`) with `usd` and `usd_year`.
fn normalize(value: &mut Value, dataset: &Dataset, default_year: Option<i32>) {
    // Dates and amounts are read in place (`&Value` is a deserializer), not cloned first.
    let Value::Object(map) = &*value else {
        if let Value::Array(items) = value {
            for v in items {
                normalize(v, dataset, default_year);
            }
        }
        return;
    };
    if map.len() == 3 && ["year", "month", "day"].iter().all(|k| map.contains_key(*k)) {
        if let Ok(d) = DateParts::deserialize(&*value) {
            *value = json!(d.to_string());
        }
        return;
    }
    if map.get("amount").is_some_and(Value::is_number) && map.get("currency").is_some_and(Value::is_string) {
        let money = crate::model::Money::deserialize(&*value);
        if let (Ok(money), Value::Object(map)) = (money, value) {
            let usd = dataset.to_usd(&money, default_year).filter(|v| v.is_finite());
            map.insert("usd".into(), json!(usd.map(|v| (v * 100.0).round() / 100.0)));
            map.insert("usd_year".into(), json!(money.year.or(default_year)));
        }
        return;
    }
    if let Value::Object(map) = value {
        for v in map.values_mut() {
            normalize(v, dataset, default_year);
        }
    }
}

#[derive(Deserialize)]
struct DateParts {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
}

impl std::fmt::Display for DateParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::model::PartialDate {
            year: self.year,
            month: self.month,
            day: self.day,
        }
        .fmt(f)
    }
}

struct Resolver<'v, 'a> {
    views: &'v Views<'a>,
}

impl Resolver<'_, '_> {
    fn actor(&self, id: &Value) -> Value {
        let id = id.as_str().unwrap_or_default();
        let name = self.views.data.actor(id).map(|a| self.views.text(&a.data.name));
        json!({"id": id, "name": name})
    }
    fn fund(&self, id: &Value) -> Value {
        let id = id.as_str().unwrap_or_default();
        let name = self.views.data.fund(id).map(|f| self.views.text(&f.data.name));
        json!({"id": id, "name": name})
    }
    fn project(&self, id: &Value) -> Value {
        let id = id.as_str().unwrap_or_default();
        let title = self.views.data.project(id).map(|p| self.views.text(&p.data.title));
        json!({"id": id, "title": title})
    }
    fn country(&self, code: &Value) -> Value {
        let code = code.as_str().unwrap_or_default();
        let name = crate::countries::get(code).map(|c| c.name(self.views.lang()));
        json!({"code": code, "name": name})
    }

    /// Applies `f` to the value at `path` (object keys; `*` is every item of an array),
    /// when it is there and not null.
    fn at(value: &mut Value, path: &[&str], f: &dyn Fn(&Value) -> Value) {
        match path.split_first() {
            None => {
                if !value.is_null() {
                    *value = f(value);
                }
            }
            Some((&"*", rest)) => {
                if let Value::Array(items) = value {
                    for item in items {
                        Self::at(item, rest, f);
                    }
                }
            }
            Some((key, rest)) => {
                if let Some(v) = value.get_mut(*key) {
                    Self::at(v, rest, f);
                }
            }
        }
    }
}

/// A record as JSON: id, file and page first, then the front matter, then body and
/// translations.
fn record<T: Serialize>(record: &Record<T>, page: Option<String>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(record.id));
    map.insert("file".into(), json!(record.file));
    map.insert("page".into(), json!(page));
    if let Ok(Value::Object(fields)) = serde_json::to_value(&record.data) {
        map.extend(fields);
    }
    map.insert("body".into(), json!(record.body));
    let translations: Map<String, Value> = record
        .translations
        .iter()
        .map(|(lang, t)| {
            let mut fields: Map<String, Value> = t.fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            fields.insert("body".into(), json!(t.body));
            (lang.clone(), Value::Object(fields))
        })
        .collect();
    map.insert("translations".into(), Value::Object(translations));
    Value::Object(map)
}

/// One initiative, as in `records.json` and `data/projects/<id>.json`.
pub fn project(views: &Views<'_>, p: &Record<Project>) -> Value {
    let r = Resolver { views };
    let mut v = record(p, Some(format!("projects/{}/index.html", p.id)));
    normalize(&mut v, views.data, Some(p.data.start.year));
    let actor = |x: &Value| r.actor(x);
    let country = |x: &Value| r.country(x);
    let fund = |x: &Value| r.fund(x);
    for list in ["providers", "recipients", "second_providers", "participants"] {
        Resolver::at(&mut v, &["countries", list, "*"], &country);
    }
    for path in [
        &["regional_mechanism"][..],
        &["participants", "*", "actor"],
        &["financing", "transactions", "*", "from"],
        &["financing", "transactions", "*", "to"],
        &["evaluation", "by", "*"],
        &["monitoring", "*", "by"],
    ] {
        Resolver::at(&mut v, path, &actor);
    }
    Resolver::at(&mut v, &["financing", "funds", "*"], &fund);
    v
}

fn actor(views: &Views<'_>, a: &Record<Actor>) -> Value {
    let r = Resolver { views };
    let mut v = record(a, Some(format!("actors/{}/index.html", a.id)));
    normalize(&mut v, views.data, None);
    if let Value::Object(map) = &mut v {
        let vocab = &views.data.vocabularies;
        map.insert("civil_society".into(), json!(vocab.is_civil_society(&a.data.kind)));
        map.insert(
            "iati_organisation_type".into(),
            json!(super::iati_organisation_type(vocab, &a.data)),
        );
    }
    Resolver::at(&mut v, &["country"], &|x| r.country(x));
    Resolver::at(&mut v, &["parent"], &|x| r.actor(x));
    v
}

fn fund(views: &Views<'_>, f: &Record<Fund>) -> Value {
    let r = Resolver { views };
    let mut v = record(f, Some(format!("funds/{}/index.html", f.id)));
    normalize(&mut v, views.data, None);
    Resolver::at(&mut v, &["administered_by"], &|x| r.actor(x));
    Resolver::at(&mut v, &["contributors", "*"], &|x| r.actor(x));
    Resolver::at(&mut v, &["eligible", "countries", "*"], &|x| r.country(x));
    v
}

fn exchange(views: &Views<'_>, e: &Record<Exchange>) -> Value {
    let r = Resolver { views };
    let mut v = record(e, None);
    normalize(&mut v, views.data, None);
    Resolver::at(&mut v, &["by"], &|x| r.actor(x));
    Resolver::at(&mut v, &["country"], &|x| r.country(x));
    Resolver::at(&mut v, &["resulting_project"], &|x| r.project(x));
    v
}

/// Every record of the site in one document, but for its initiatives (`"projects": []`),
/// which [`RecordsDocument`] adds already serialized.
fn records(views: &Views<'_>, license: Value, generator: &str) -> Value {
    let data = views.data;
    let config = &data.config;
    let editions: Vec<Value> = data
        .editions
        .values()
        .map(|e| {
            let mut v = record(&e.index, Some(format!("reports/{}/index.html", e.year)));
            normalize(&mut v, data, None);
            v["year"] = json!(e.year);
            v["chapters"] = e
                .chapters
                .iter()
                .map(|c| {
                    let mut c = record(c, Some(format!("reports/{}/{}/index.html", e.year, c.id)));
                    normalize(&mut c, data, None);
                    c
                })
                .collect();
            v["projects"] = crate::aggregate::edition_scope(data, e)
                .iter()
                .map(|p| json!(p.id))
                .collect();
            v
        })
        .collect();
    let countries: Vec<Value> = views
        .countries_in_records()
        .into_iter()
        .map(|code| {
            let c = crate::countries::get(&code);
            let mut v = json!({
                "code": code,
                "alpha2": c.map(|c| c.alpha2),
                "numeric": c.map(|c| c.numeric),
                "names": {
                    "en": c.map(|c| c.name("en")), "es": c.map(|c| c.name("es")),
                    "pt": c.map(|c| c.name("pt")), "fr": c.map(|c| c.name("fr")),
                },
                "region": c.map(|c| c.region),
                "subregion": c.map(|c| c.subregion),
                "intermediate_region": c.map(|c| c.intermediate).filter(|s| !s.is_empty()),
                "page": format!("countries/{}/index.html", code.to_lowercase()),
            });
            if let Some(facts) = data.country_facts.get(&code) {
                v["facts"] = serde_json::to_value(facts).unwrap_or_default();
            }
            v
        })
        .collect();
    json!({
        "title": config.title,
        "description": config.description,
        "languages": config.languages,
        "default_language": config.default_language,
        "license": license,
        "generator": generator,
        "exchange_rates": data.exchange_rates,
        "actors": data.actors.values().map(|a| actor(views, a)).collect::<Vec<_>>(),
        "funds": data.funds.values().map(|f| fund(views, f)).collect::<Vec<_>>(),
        "exchanges": data.exchanges.values().map(|e| exchange(views, e)).collect::<Vec<_>>(),
        "editions": editions,
        "countries": countries,
        // Last, so that [`RecordsDocument`] finds it at the end of the document.
        "projects": [],
    })
}

/// `records.json`, written piece by piece: every record of the site in one document. The
/// initiatives' files (`data/projects/<id>.json`, [`to_bytes`] of [`project`]) are added in
/// id order as they are made, as the last member of the document (`"projects"`): they are
/// placed in it as they are, not serialized a second time, so the bytes are those of
/// [`to_bytes`] of the whole document, and the document is never held whole.
pub struct RecordsDocument {
    /// [`to_bytes`] of [`records`], whose last member is `"projects":[]`.
    rest: Vec<u8>,
    /// Where the items of `projects` go in `rest` (just after its `[`), if it ends with it.
    items: Option<usize>,
}

impl RecordsDocument {
    /// The document of `views`'s records, to which the initiatives are then added.
    pub fn new(views: &Views<'_>, license: Value, generator: &str) -> RecordsDocument {
        Self::around(to_bytes(&records(views, license, generator)))
    }

    /// `rest` ([`to_bytes`] of an object whose last member is `"projects":[]`), to which
    /// items are added.
    fn around(rest: Vec<u8>) -> RecordsDocument {
        // Compact JSON has no indentation to tell a top-level key from a deeper one; the end
        // of the document does: no deeper value closes there.
        const TAIL: &[u8] = b"\"projects\":[]}\n";
        let items = rest.ends_with(TAIL).then(|| rest.len() - 3);
        RecordsDocument { rest, items }
    }

    /// The document up to its first initiative.
    pub fn start(&self) -> &[u8] {
        &self.rest[..self.items.unwrap_or(self.rest.len())]
    }

    /// Appends to `out` an initiative, `project` ([`to_bytes`] of one item), after the
    /// separator it needs (`first`: it is the first). Any thread can make any item: they are
    /// joined in order.
    pub fn item(&self, first: bool, project: &[u8], out: &mut Vec<u8>) {
        if self.items.is_none() {
            return;
        }
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(project.strip_suffix(b"\n").unwrap_or(project));
    }

    /// The rest of the document, after its initiatives.
    pub fn end(&self) -> &[u8] {
        self.items.map_or(&[][..], |items| &self.rest[items..])
    }
}

/// Compact JSON (no indentation: the downloads are a quarter smaller, and readers' tools
/// indent them: `jq .`, a browser's JSON view) with a final newline.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 * 1024);
    // Writing to memory cannot fail; a `Value` always serializes.
    let _ = serde_json::to_writer(&mut bytes, value);
    bytes.push(b'\n');
    bytes
}

/// Indented JSON with a final newline, for the small documents people read as they are
/// (`datapackage.json`).
pub fn to_pretty_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 * 1024);
    let _ = serde_json::to_writer_pretty(&mut bytes, value);
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiatives_added_serialized_give_the_bytes_of_the_whole_document() {
        let projects = vec![
            json!({"id": "a", "n": [1, 2], "o": {"k": "line\nbreak"}, "e": []}),
            json!({"id": "b", "projects": [], "x": {}}),
        ];
        let whole = |projects: Vec<Value>| {
            to_bytes(&json!({"title": "t", "license": {"projects": []}, "actors": [{"id": "c"}], "projects": projects}))
        };
        let files: Vec<Vec<u8>> = projects.iter().map(to_bytes).collect();
        assert_eq!(spliced(whole(vec![]), &files), whole(projects));
        assert_eq!(spliced(whole(vec![]), &[]), whole(vec![]));
        let without_key = to_bytes(&json!({"title": "t"}));
        assert_eq!(spliced(without_key.clone(), &files), without_key);
    }

    /// The bytes [`RecordsDocument`] gives for `rest` with `projects` added.
    fn spliced(rest: Vec<u8>, projects: &[Vec<u8>]) -> Vec<u8> {
        let document = RecordsDocument::around(rest);
        let mut out = document.start().to_vec();
        for (i, project) in projects.iter().enumerate() {
            document.item(i == 0, project, &mut out);
        }
        out.extend_from_slice(document.end());
        out
    }
}
