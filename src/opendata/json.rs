//! `data/records.json` (every validated record) and `projects/<id>.json` (one
//! initiative each, beside its page).
//!
//! A record is its front matter as the record format writes it, with:
//! - `id`, `file` (the record's file) and `page` (its page, relative to the site root)
//!   first, and `body` (Markdown) and `translations` (by language) last;
//! - dates as written (`2011`, `2011-05`, `2011-05-03`);
//! - references resolved: an actor, fund or initiative id becomes `{"id", "name"}`
//!   (`{"id", "title"}` for an initiative), a country code `{"code", "name"}`;
//! - every amount completed with `usd` (its value in US dollars, `null` without a rate)
//!   and `usd_year` (the year of the rate: its own year, else the initiative's start year).
//!
//! The record types' own `Serialize` writes the front matter; a serde adapter
//! ([`Resolving`]) resolves the reference fields ([`reference`]) and completes the amounts
//! as they go by, straight into the output: an initiative's file is written with no
//! `serde_json::Value` tree in between (building and dropping one was most of the cost).

use serde::Serialize;
use serde::ser::{self, SerializeMap, Serializer};
use serde_json::{Value, json};

use crate::model::{Actor, Exchange, Fund, Money, Project, Record};
use crate::render::views::Views;

/// What the strings of a reference field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ref {
    Actor,
    Fund,
    Project,
    Country,
}

/// The reference field `field` of the struct `structure` (by the names serde gives them),
/// if it is one: every string in such a field (alone, in an option or in a list) is
/// resolved. A `match`, not a table searched: every field of every record is looked up,
/// and a comparison with a string of known length is made in place where one with a
/// table's entry calls `memcmp`.
fn reference(structure: &str, field: &str) -> Option<Ref> {
    match (structure, field) {
        ("Project", "regional_mechanism") => Some(Ref::Actor),
        ("ProjectCountries", "providers" | "recipients" | "second_providers" | "participants") => Some(Ref::Country),
        ("Participant", "actor") => Some(Ref::Actor),
        ("Financing", "funds") => Some(Ref::Fund),
        ("Transaction", "from" | "to") => Some(Ref::Actor),
        ("Evaluation" | "FollowUp", "by") => Some(Ref::Actor),
        ("Actor", "country") => Some(Ref::Country),
        ("Actor", "parent") => Some(Ref::Actor),
        ("Fund", "administered_by" | "contributors") => Some(Ref::Actor),
        ("Eligibility", "countries") => Some(Ref::Country),
        ("Exchange", "by") => Some(Ref::Actor),
        ("Exchange", "country") => Some(Ref::Country),
        ("Exchange", "resulting_project") => Some(Ref::Project),
        _ => None,
    }
}

/// What a record's JSON needs besides the record: the views (names in the page's
/// language, exchange rates) and the year for amounts without one.
#[derive(Clone, Copy)]
struct Context<'v, 'a> {
    views: &'v Views<'a>,
    default_year: Option<i32>,
}

impl Context<'_, '_> {
    /// A reference resolved: `{"id", "name"}` (`{"id", "title"}` for an initiative,
    /// `{"code", "name"}` for a country), the name `null` if the record is unknown.
    fn resolved<'s>(&self, kind: Ref, id: &'s str) -> Resolved<'s> {
        let views = self.views;
        let (key, label, name) = match kind {
            Ref::Actor => ("id", "name", views.data.actor(id).map(|a| views.text(&a.data.name))),
            Ref::Fund => ("id", "name", views.data.fund(id).map(|f| views.text(&f.data.name))),
            Ref::Project => ("id", "title", views.data.project(id).map(|p| views.text(&p.data.title))),
            Ref::Country => (
                "code",
                "name",
                crate::countries::get(id).map(|c| c.name(views.lang()).to_owned()),
            ),
        };
        Resolved { key, id, label, name }
    }
}

/// A resolved reference (see [`Context::resolved`]).
struct Resolved<'s> {
    key: &'static str,
    id: &'s str,
    label: &'static str,
    name: Option<String>,
}

impl Serialize for Resolved<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, self.id)?;
        map.serialize_entry(self.label, &self.name)?;
        map.end()
    }
}

/// Where a value is serialized: the record's [`Context`], and whether the value is (in) a
/// reference field.
#[derive(Clone, Copy)]
struct Scope<'c, 'v, 'a> {
    context: &'c Context<'v, 'a>,
    reference: Option<Ref>,
}

impl<'c, 'v, 'a> Scope<'c, 'v, 'a> {
    fn wrap<'t, T: ?Sized>(self, value: &'t T) -> Resolving<'t, 'v, 'a, T>
    where
        'c: 't,
    {
        Resolving { value, scope: self }
    }
}

/// A value of a record's front matter, serialized as the downloads give it: references
/// resolved (the scope says whether the value is in a reference field), every amount
/// completed with `usd` (its value in US dollars, rounded to the cent; `null` without a
/// rate) and `usd_year`. (Dates serialize as their text by themselves.) Written straight
/// to the output, with no `serde_json::Value` tree in between.
struct Resolving<'c, 'v, 'a, T: ?Sized> {
    value: &'c T,
    scope: Scope<'c, 'v, 'a>,
}

impl<T: Serialize + ?Sized> Serialize for Resolving<'_, '_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Adapter {
            inner: serializer,
            scope: self.scope,
        })
    }
}

/// The serializer behind [`Resolving`]: passes everything to `inner`, but for the strings
/// of a reference field and the structs named `Money`.
struct Adapter<'c, 'v, 'a, S> {
    inner: S,
    scope: Scope<'c, 'v, 'a>,
}

/// Forwards a scalar to the inner serializer.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$method($($arg),*)
        })*
    };
}

impl<'c, 'v, 'a, S: Serializer> Serializer for Adapter<'c, 'v, 'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'c, 'v, 'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'c, 'v, 'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'c, 'v, 'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'c, 'v, 'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'c, 'v, 'a, S::SerializeMap>;
    type SerializeStruct = StructFields<'c, 'v, 'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'c, 'v, 'a, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        match self.scope.reference {
            Some(kind) => self.scope.context.resolved(kind, v).serialize(self.inner),
            None => self.inner.serialize_str(v),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&self.scope.wrap(value))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(name, &self.scope.wrap(value))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = self.scope.wrap(value);
        self.inner.serialize_newtype_variant(name, index, variant, &value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Compound::open(self.scope, self.inner.serialize_seq(len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Compound::open(self.scope, self.inner.serialize_tuple(len))
    }

    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        Compound::open(self.scope, self.inner.serialize_tuple_struct(name, len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let inner = self.inner.serialize_tuple_variant(name, index, variant, len);
        Compound::open(self.scope, inner)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        // Map values (answers by question, texts by language) hold no references.
        let scope = Scope {
            reference: None,
            ..self.scope
        };
        Compound::open(scope, self.inner.serialize_map(len))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        Ok(StructFields {
            // Room for `usd` and `usd_year`.
            inner: self.inner.serialize_struct(name, len + 2)?,
            context: self.scope.context,
            name,
            money: (name == "Money").then(MoneyParts::default),
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let inner = self.inner.serialize_struct_variant(name, index, variant, len);
        Compound::open(self.scope, inner)
    }
}

/// A list, tuple or map whose items are serialized by the [`Adapter`] too.
struct Compound<'c, 'v, 'a, C> {
    inner: C,
    scope: Scope<'c, 'v, 'a>,
}

impl<'c, 'v, 'a, C> Compound<'c, 'v, 'a, C> {
    fn open<E>(scope: Scope<'c, 'v, 'a>, inner: Result<C, E>) -> Result<Self, E> {
        inner.map(|inner| Compound { inner, scope })
    }
}

/// The compounds whose items are values alone.
macro_rules! compound_items {
    ($($serialize:ident::$method:ident;)*) => {
        $(impl<C: ser::$serialize> ser::$serialize for Compound<'_, '_, '_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                self.inner.$method(&self.scope.wrap(value))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        })*
    };
}

compound_items! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<'_, '_, '_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&self.scope.wrap(value))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStructVariant> ser::SerializeStructVariant for Compound<'_, '_, '_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_field(key, &self.scope.wrap(value))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// The parts of an amount, read as its fields go by.
#[derive(Default)]
struct MoneyParts {
    amount: Option<f64>,
    currency: Option<String>,
    year: Option<i32>,
}

/// A struct's fields: each field's value knows whether it is a reference
/// ([`reference`]); an amount (`Money`) gets `usd` and `usd_year` after its fields.
struct StructFields<'c, 'v, 'a, C> {
    inner: C,
    context: &'c Context<'v, 'a>,
    name: &'static str,
    money: Option<MoneyParts>,
}

impl<C: ser::SerializeStruct> ser::SerializeStruct for StructFields<'_, '_, '_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
        if let Some(money) = &mut self.money {
            // An amount's fields are scalars: reading them back costs little.
            let read = serde_json::to_value(value).unwrap_or_default();
            match key {
                "amount" => money.amount = read.as_f64(),
                "currency" => money.currency = read.as_str().map(str::to_owned),
                "year" => money.year = read.as_i64().and_then(|y| i32::try_from(y).ok()),
                _ => {}
            }
        }
        let scope = Scope {
            context: self.context,
            reference: reference(self.name, key),
        };
        self.inner.serialize_field(key, &scope.wrap(value))
    }

    fn end(mut self) -> Result<C::Ok, C::Error> {
        if let Some(MoneyParts {
            amount: Some(amount),
            currency: Some(currency),
            year,
        }) = self.money.take()
        {
            let money = Money { amount, currency, year };
            let default_year = self.context.default_year;
            let usd = self
                .context
                .views
                .data
                .to_usd(&money, default_year)
                .filter(|v| v.is_finite());
            self.inner
                .serialize_field("usd", &usd.map(|v| (v * 100.0).round() / 100.0))?;
            self.inner.serialize_field("usd_year", &money.year.or(default_year))?;
        }
        self.inner.end()
    }
}

/// A record as JSON: id, file and page first, then the front matter, then body,
/// translations and any `extra` members.
struct JsonRecord<'r, 'v, 'a, T> {
    record: &'r Record<T>,
    page: Option<String>,
    context: Context<'v, 'a>,
    extra: Vec<(&'static str, Value)>,
}

impl<'r, 'v, 'a, T> JsonRecord<'r, 'v, 'a, T> {
    fn new(views: &'v Views<'a>, record: &'r Record<T>, page: Option<String>, default_year: Option<i32>) -> Self {
        JsonRecord {
            record,
            page,
            context: Context { views, default_year },
            extra: Vec::new(),
        }
    }
}

impl<T: Serialize> Serialize for JsonRecord<'_, '_, '_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The members in order; the front matter's fields and the extra members are
        /// flattened into the record's map.
        #[derive(Serialize)]
        struct Members<'x, D, E> {
            id: &'x str,
            file: &'x str,
            page: Option<&'x str>,
            #[serde(flatten)]
            data: D,
            body: &'x str,
            translations: Translations<'x>,
            #[serde(flatten)]
            extra: E,
        }
        let record = self.record;
        Members {
            id: &record.id,
            file: &record.file,
            page: self.page.as_deref(),
            data: Scope {
                context: &self.context,
                reference: None,
            }
            .wrap(&record.data),
            body: &record.body,
            translations: Translations(&record.translations),
            extra: Extra(&self.extra),
        }
        .serialize(serializer)
    }
}

/// Members added after a record's own, in order.
struct Extra<'e>(&'e [(&'static str, Value)]);

impl Serialize for Extra<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A record's translations: by language, the translated fields, then the body (in the
/// place of a field named `body`, if there is one).
struct Translations<'r>(&'r std::collections::BTreeMap<String, crate::model::Translation>);

impl Serialize for Translations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct One<'t>(&'t crate::model::Translation);
        impl Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                for (key, value) in &self.0.fields {
                    map.serialize_entry(key, if key == "body" { &self.0.body } else { value })?;
                }
                if !self.0.fields.contains_key("body") {
                    map.serialize_entry("body", &self.0.body)?;
                }
                map.end()
            }
        }
        serializer.collect_map(self.0.iter().map(|(lang, t)| (lang, One(t))))
    }
}

/// One initiative, as in `records.json` and `projects/<id>.json`: the bytes of its
/// file, compact JSON with a final newline as [`to_bytes`] writes.
pub fn project_bytes(views: &Views<'_>, p: &Record<Project>) -> Vec<u8> {
    let page = Some(crate::paths::project_page(&p.id));
    let mut bytes = Vec::with_capacity(8 * 1024);
    // A record always serializes (its maps' keys are strings).
    let _ = super::compact::to_vec(&JsonRecord::new(views, p, page, Some(p.data.start.year)), &mut bytes);
    bytes.push(b'\n');
    bytes
}

/// A record as a value, for `records.json`.
fn value<T: Serialize>(record: JsonRecord<'_, '_, '_, T>) -> Value {
    serde_json::to_value(&record).unwrap_or_default()
}

fn actor(views: &Views<'_>, a: &Record<Actor>) -> Value {
    let vocab = &views.data.vocabularies;
    let mut record = JsonRecord::new(views, a, Some(crate::paths::actor_page(&a.id)), None);
    record.extra = vec![
        ("civil_society", json!(vocab.is_civil_society(&a.data.kind))),
        (
            "iati_organisation_type",
            json!(super::iati_organisation_type(vocab, &a.data)),
        ),
    ];
    value(record)
}

fn fund(views: &Views<'_>, f: &Record<Fund>) -> Value {
    value(JsonRecord::new(views, f, Some(crate::paths::fund_page(&f.id)), None))
}

fn exchange(views: &Views<'_>, e: &Record<Exchange>) -> Value {
    value(JsonRecord::new(views, e, None, None))
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
            let chapters: Vec<Value> = e
                .chapters
                .iter()
                .map(|c| {
                    let page = format!("reports/{}/{}/index.html", e.year, c.id);
                    value(JsonRecord::new(views, c, Some(page), None))
                })
                .collect();
            let projects: Vec<Value> = crate::aggregate::edition_scope(data, e)
                .iter()
                .map(|p| json!(p.id))
                .collect();
            let mut record = JsonRecord::new(views, &e.index, Some(format!("reports/{}/index.html", e.year)), None);
            record.extra = vec![
                ("year", json!(e.year)),
                ("chapters", Value::Array(chapters)),
                ("projects", Value::Array(projects)),
            ];
            value(record)
        })
        .collect();
    let countries: Vec<Value> = views
        .countries_in_records()
        .map(|code| {
            let c = crate::countries::get(code);
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
                "page": crate::paths::country_page(code),
            });
            if let Some(facts) = data.country_facts.get(code) {
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
/// initiatives' files (`projects/<id>.json`, [`to_bytes`] of [`project`]) are added in
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

    /// Appends to `out` an initiative, `project` ([`to_bytes`] of one item, without its
    /// final newline), after the separator it needs (`first`: it is the first). Any thread
    /// can make any item: they are joined in order. Returns the separator added before the
    /// item (empty for the first), or `None` if the document takes no items.
    pub fn item(&self, first: bool, project: &[u8], out: &mut Vec<u8>) -> Option<&'static [u8]> {
        self.items?;
        let separator: &'static [u8] = if first { b"" } else { b"," };
        out.extend_from_slice(separator);
        out.extend_from_slice(project.strip_suffix(b"\n").unwrap_or(project));
        Some(separator)
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
    // A `Value` always serializes (its maps' keys are strings).
    let _ = super::compact::to_vec(value, &mut bytes);
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
