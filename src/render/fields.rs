//! Template values made directly, without a `serde_json` map in between.
//!
//! A page of an initiative is a map of some thirty fields, many of them lists of small maps
//! (participants, transactions, answers). Made as `serde_json` maps, each was hashed into an
//! `IndexMap`, then converted field by field into minijinja's own values, whose maps are
//! ordered by key (`BTreeMap<Value, Value>`), before the template looked anything up.
//! [`Fields`] is the map the templates read instead: its keys are the `&'static str`s the
//! views write, kept in the order written, and a lookup compares the key with each in turn
//! (a few dozen at most, most differing in length or first byte).
//!
//! Invariant: a [`Fields`] reads in a template as the `serde_json` map with the same entries
//! did: `none` for a missing optional value, a later value for a key replacing an earlier
//! one. One difference: iterated (`{% for key in map %}`), its keys come in the order written,
//! where a converted `serde_json` map's came sorted; no template of the default theme
//! iterates over a view's map.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

/// A map for the templates with keys known when the program is written (see the module
/// documentation). Made with the `fields!` macro (`render/mod.rs`); [`Fields::set`] adds or replaces a key.
#[derive(Clone, Debug, Default)]
pub struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    /// An empty map with room for `capacity` keys.
    pub fn with_capacity(capacity: usize) -> Fields {
        Fields(Vec::with_capacity(capacity))
    }

    /// Sets `key` to `value`: replaces its value if it has one, else adds it at the end.
    pub fn set(&mut self, key: &'static str, value: impl IntoTemplate) {
        let value = value.into_template();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => *old = value,
            None => self.0.push((key, value)),
        }
    }

    /// Adds `key` at the end without looking for it first: for the `fields!`
    /// macro. A key given twice in one call is a mistake (the first value would win), which
    /// debug builds catch.
    #[doc(hidden)]
    pub fn push(&mut self, key: &'static str, value: Value) {
        debug_assert!(self.0.iter().all(|(k, _)| *k != key), "key `{key}` given twice");
        self.0.push((key, value));
    }

    /// Every key and value of `other`, set in order (see [`Fields::set`]).
    pub fn extend(&mut self, other: Fields) {
        for (key, value) in other.0 {
            self.set(key, value);
        }
    }

    /// The value of `key`, if it has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let key = key.as_bytes();
        self.0.iter().find(|(k, _)| same_key(k.as_bytes(), key)).map(|(_, v)| v)
    }
}

/// Whether two keys are the same, compared in place: templates look keys up some four
/// hundred times a page, and `==` on strings calls `memcmp`, which for a key of a few bytes
/// costs more than the comparison. The length tells most keys apart; a key of 4 to 16 bytes
/// is then compared as two (overlapping) words of each.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

impl Object for Fields {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get(key.as_str()?).cloned()
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(k, _)| Value::from(*k)).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

impl From<Fields> for Value {
    fn from(fields: Fields) -> Value {
        Value::from_object(fields)
    }
}

/// A [`Fields`] serializes as the map it stands for, keys in the order written. (No view
/// places one in a `serde_json` value now: the report's pages hold theirs in `Fields`.)
impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// What a view's value becomes in a template. Lists become sequences of values made once
/// (minijinja's own `Vec<T>` object would convert an item again at each lookup), `None`
/// becomes `none`.
pub trait IntoTemplate {
    fn into_template(self) -> Value;
}

impl IntoTemplate for Value {
    fn into_template(self) -> Value {
        self
    }
}

impl IntoTemplate for Fields {
    fn into_template(self) -> Value {
        Value::from_object(self)
    }
}

impl<T: IntoTemplate> IntoTemplate for Option<T> {
    fn into_template(self) -> Value {
        self.map_or(Value::from(()), IntoTemplate::into_template)
    }
}

impl<T: IntoTemplate> IntoTemplate for Vec<T> {
    fn into_template(self) -> Value {
        Value::from(
            self.into_iter()
                .map(IntoTemplate::into_template)
                .collect::<Vec<Value>>(),
        )
    }
}

/// A `serde_json` value (a vocabulary entry's extra field, the data dictionary) converted.
impl IntoTemplate for serde_json::Value {
    fn into_template(self) -> Value {
        Value::from(minijinja::value::Serde(self))
    }
}

impl IntoTemplate for &serde_json::Value {
    fn into_template(self) -> Value {
        Value::from(minijinja::value::Serde(self))
    }
}

macro_rules! into_template_as_value {
    ($($t:ty),*) => {
        $(impl IntoTemplate for $t {
            fn into_template(self) -> Value {
                Value::from(self)
            }
        })*
    };
}

into_template_as_value!(
    String,
    &str,
    &String,
    std::borrow::Cow<'_, str>,
    bool,
    u8,
    u32,
    u64,
    i32,
    i64,
    usize,
    f64
);

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, context: Fields) -> String {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template("t", template).unwrap();
        env.get_template("t").unwrap().render(Value::from(context)).unwrap()
    }

    #[test]
    fn fields_read_in_a_template_as_the_json_map_with_the_same_entries() {
        let person = |name: &str, note: Option<&str>| fields! { "name" => name, "note" => note };
        let context = fields! {
            "title" => "T",
            "count" => 3u64,
            "empty" => Vec::<Fields>::new(),
            "people" => vec![person("A", Some("n")), person("B", None)],
            "missing" => None::<String>,
        };
        let template = "{{ title }} {{ count + 1 }} {% if empty %}x{% else %}no{% endif %} \
                        {% for p in people %}{{ p.name }}{% if p.note %}({{ p.note }}){% endif %}{% endfor %} \
                        {{ missing is none }} {{ people | length }} {{ people[0] | list | join(',') }}";
        let json = serde_json::json!({
            "title": "T", "count": 3, "empty": [],
            "people": [{"name": "A", "note": "n"}, {"name": "B", "note": null}], "missing": null,
        });
        let mut env = minijinja::Environment::new();
        env.add_template("t", template).unwrap();
        let expected = env
            .get_template("t")
            .unwrap()
            .render(minijinja::value::Serde(&json))
            .unwrap();
        assert_eq!(render(template, context), expected);
        assert_eq!(expected, "T 4 no A(n)B True 2 name,note");
    }

    #[test]
    fn keys_compare_in_place_as_strings_do() {
        // Every length around the words' edges, a difference at every position.
        for n in 0..=20 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_key(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] = b'_';
                assert!(!same_key(&a, &b), "{n} {at}");
            }
            let mut longer = a.clone();
            longer.push(b'a');
            assert!(!same_key(&a, &longer) && !same_key(&longer, &a), "{n}");
        }
        let fields = fields! { "title" => "t", "titles" => "s", "participants" => "p", "participant" => "q" };
        let read = |key: &str| fields.get(key).and_then(|v| v.as_str().map(str::to_owned));
        assert_eq!(read("titles").as_deref(), Some("s"));
        assert_eq!(read("participant").as_deref(), Some("q"));
        assert_eq!(read("participantz"), None);
    }

    #[test]
    fn set_replaces_a_key_and_extend_adds_the_others_at_the_end() {
        let mut fields = fields! { "a" => 1u64, "b" => 2u64 };
        fields.extend(fields! { "b" => 3u64, "c" => 4u64 });
        fields.set("a", 5u64);
        assert_eq!(render("{{ a }}{{ b }}{{ c }}", fields.clone()), "534");
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"a":5,"b":3,"c":4}"#,
            "serialized in the order written"
        );
    }
}
