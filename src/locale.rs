//! The conventions of one language of the site: its interface-text catalog, plural rules,
//! number formatting and collation (ICU4X, with CLDR data compiled in), and the date and
//! money patterns its catalog gives.
//!
//! Invariants: no I/O (catalogs are read by [`crate::render::Theme`]); the same inputs
//! give the same text; a missing catalog key never panics (it shows the key, and `check`
//! reports it before a build gets here).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use fixed_decimal::Decimal;
use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::{CollatorBorrowed, CollatorPreferences};
use icu_decimal::options::DecimalFormatterOptions;
use icu_decimal::{DecimalFormatter, DecimalFormatterPreferences};
use icu_locale_core::Locale as IcuLocale;
use icu_plurals::{PluralCategory, PluralRules, PluralRulesPreferences};

use crate::model::{Money, PartialDate};

/// One entry of an interface-text catalog: a text, or a text per CLDR plural category
/// (`zero`, `one`, `two`, `few`, `many`, `other`) with `{n}` for the number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Plural(BTreeMap<String, String>),
}

/// Interface text by key.
pub type Catalog = BTreeMap<String, Message>;

/// The CLDR names of the plural categories.
pub const PLURAL_CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// Marks text shown in another language than the page's, for the renderer to wrap in an
/// element with its `lang` and a visible note: `FALLBACK_START lang FALLBACK_LANG_END
/// text FALLBACK_END`. Private-use characters, which record text cannot carry (they are
/// removed on load), so they cannot be forged.
pub const FALLBACK_START: char = '\u{E000}';
pub const FALLBACK_LANG_END: char = '\u{E001}';
pub const FALLBACK_END: char = '\u{E002}';

/// `text` marked as being in language `lang`.
pub fn mark_fallback(text: &str, lang: &str) -> String {
    format!("{FALLBACK_START}{lang}{FALLBACK_LANG_END}{text}{FALLBACK_END}")
}

/// `text` without fallback marks (for sorting, charts, data files and attributes).
pub fn strip_marks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(FALLBACK_START) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_lang = false;
    for c in text.chars() {
        match c {
            FALLBACK_START => in_lang = true,
            FALLBACK_LANG_END => in_lang = false,
            FALLBACK_END => {}
            c if !in_lang => out.push(c),
            _ => {}
        }
    }
    out.into()
}

/// The CLDR name of a plural category, as catalogs write it.
fn category_name(category: PluralCategory) -> &'static str {
    match category {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}

/// A language's catalog and formatters. Built once per language and build.
pub struct Locale {
    /// The language code (`en`, `es`, ...).
    pub lang: String,
    catalog: Catalog,
    /// Each key's text as [`Locale::t`] gives it, in a hash map: pages look texts up by the
    /// hundred (a date, an amount, a label each), and the catalog's ordered map compared
    /// a key with some nine others each time.
    texts: foldhash::HashMap<String, String>,
    collator: CollatorBorrowed<'static>,
    decimal: DecimalFormatter,
    plurals: PluralRules,
}

impl std::fmt::Debug for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locale")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

impl Locale {
    /// The conventions of `lang` with its catalog. CLDR data covers every language code
    /// the configuration accepts; an unknown one gets the root locale's conventions.
    pub fn new(lang: &str, catalog: Catalog) -> Locale {
        let locale: IcuLocale = lang.parse().unwrap_or(IcuLocale::UNKNOWN);
        let mut options = CollatorOptions::default();
        // Tertiary: accents and case only break ties, so "Ángola" sorts with the A's.
        options.strength = Some(Strength::Tertiary);
        let collator = CollatorBorrowed::try_new(CollatorPreferences::from(&locale), options)
            .or_else(|_| CollatorBorrowed::try_new(CollatorPreferences::default(), options))
            .expect("compiled collation data has the root locale");
        let decimal = DecimalFormatter::try_new(
            DecimalFormatterPreferences::from(&locale),
            DecimalFormatterOptions::default(),
        )
        .or_else(|_| DecimalFormatter::try_new(Default::default(), DecimalFormatterOptions::default()))
        .expect("compiled decimal data has the root locale");
        let plurals = PluralRules::try_new_cardinal(PluralRulesPreferences::from(&locale))
            .or_else(|_| PluralRules::try_new_cardinal(Default::default()))
            .expect("compiled plural data has the root locale");
        let texts = catalog
            .iter()
            .filter_map(|(key, message)| {
                let text = match message {
                    Message::Text(s) => s,
                    Message::Plural(forms) => forms.get("other")?,
                };
                Some((key.clone(), text.clone()))
            })
            .collect();
        Locale {
            lang: lang.to_owned(),
            catalog,
            texts,
            collator,
            decimal,
            plurals,
        }
    }

    /// The interface text of `key` (a plural entry gives its `other` form); the key itself
    /// when the catalog lacks it.
    pub fn t(&self, key: &str) -> String {
        self.text_of(key).to_owned()
    }

    /// [`Locale::t`] without a copy.
    fn text_of<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map_or(key, String::as_str)
    }

    /// The catalog: every key with its text or plural forms.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The plural category the language uses for `n`.
    pub fn plural_category(&self, n: u64) -> &'static str {
        category_name(self.plurals.category_for(n))
    }

    /// The categories this language's plural rules use, `other` last.
    pub fn plural_categories(&self) -> Vec<&'static str> {
        let used: Vec<&str> = self.plurals.categories().map(category_name).collect();
        PLURAL_CATEGORIES.iter().copied().filter(|c| used.contains(c)).collect()
    }

    /// `key` for the count `n`, with `{n}` replaced by the formatted number: the form of
    /// `n`'s plural category, else `other`. A plain-text entry is used as is.
    pub fn plural(&self, key: &str, n: u64) -> String {
        let text = match self.catalog.get(key) {
            Some(Message::Plural(forms)) => forms
                .get(self.plural_category(n))
                .or_else(|| forms.get("other"))
                .map_or(key, String::as_str),
            Some(Message::Text(s)) => s,
            None => key,
        };
        fill(text, &[("n", &self.number(n as f64))])
    }

    /// Compares two texts by the language's collation (marks ignored).
    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        self.collator.compare(&strip_marks(a), &strip_marks(b))
    }

    /// A number in the language's conventions, rounded to at most two decimals:
    /// `1,234.5` (en), `1234,5` and `12.345` (es), `1.234,5` (pt), `1 234,5` (fr).
    pub fn number(&self, value: f64) -> String {
        self.number_with(value, 2)
    }

    /// A number rounded to at most `decimals` decimals, trailing zeros dropped.
    pub fn number_with(&self, value: f64, decimals: i16) -> String {
        if !value.is_finite() {
            return String::new();
        }
        let scale = 10f64.powi(i32::from(decimals));
        let scaled = (value * scale).round();
        let mut d = Decimal::from(scaled as i128);
        d.multiply_pow10(-decimals);
        d.trim_end();
        if d.absolute.is_zero() {
            d = Decimal::from(0);
        }
        self.decimal.format(&d).to_string()
    }

    /// A share as a percentage, e.g. `33.3%` (en), `33,3 %` (es, fr).
    pub fn percent(&self, fraction: f64, decimals: i16) -> String {
        fill(
            self.text_of("number.percent"),
            &[("n", &self.number_with(fraction * 100.0, decimals))],
        )
    }

    /// `2011`, `March 2011`, `3 March 2011`, in the language's date patterns.
    pub fn date(&self, d: &PartialDate) -> String {
        let Some(month) = d.month.filter(|m| (1..=12).contains(m)) else {
            return d.year.to_string();
        };
        let month_key = format!("date.month.{month}");
        let day_number;
        let (pattern, day) = match d.day {
            Some(1) => ("date.day_month_year", self.text_of("date.day.1")),
            Some(day) => {
                day_number = day.to_string();
                ("date.day_month_year", day_number.as_str())
            }
            None => ("date.month_year", ""),
        };
        let values = [
            ("day", day),
            ("month", self.text_of(&month_key)),
            ("year", &d.year.to_string()),
        ];
        fill(self.text_of(pattern), &values)
    }

    /// The original amount with its currency and year: `MXN 1,000,000 (2011)`.
    pub fn money(&self, m: &Money) -> String {
        let amount = self.number(m.amount);
        match m.year {
            Some(year) => fill(
                self.text_of("money.amount_year"),
                &[
                    ("currency", &m.currency),
                    ("amount", &amount),
                    ("year", &year.to_string()),
                ],
            ),
            None => fill(
                self.text_of("money.amount"),
                &[("currency", &m.currency), ("amount", &amount)],
            ),
        }
    }

    /// An amount in US dollars, rounded to whole dollars: `USD 80,000`.
    pub fn usd(&self, value: f64) -> String {
        fill(
            self.text_of("money.amount"),
            &[("currency", "USD"), ("amount", &self.number(value.round()))],
        )
    }
}

/// `pattern` with every `{name}` of `values` replaced by its value, in one pass over the
/// pattern into a string of about the final size (a `replace` per placeholder made a string
/// each and set up a substring search each: a twentieth of an initiative page's context).
/// A value is not searched for placeholders itself; a `{` not starting one is kept.
fn fill(pattern: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = pattern;
    while let Some(open) = memchr::memchr(b'{', rest.as_bytes()) {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let placeholder = values.iter().find_map(|(name, value)| {
            let tail = after.strip_prefix(name)?.strip_prefix('}')?;
            Some((*value, tail))
        });
        match placeholder {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_each_placeholder_as_a_replace_per_placeholder_did() {
        let values = [("day", "3"), ("month", "March"), ("year", "2011")];
        for pattern in [
            "{day} {month} {year}",
            "{month} {day}, {year}",
            "{year}{year}-{day}",
            "le {day} {month} {year} {unknown} { {",
            "{",
            "}{day",
            "",
            "no placeholder",
            "{{day}}",
        ] {
            let replaced = pattern
                .replace("{day}", "3")
                .replace("{month}", "March")
                .replace("{year}", "2011");
            assert_eq!(fill(pattern, &values), replaced, "{pattern}");
        }
        // A value is not read again for placeholders.
        assert_eq!(fill("{a}-{b}", &[("a", "{b}"), ("b", "x")]), "{b}-x");
    }

    fn locale(lang: &str) -> Locale {
        let catalog = crate::render::Theme::builtin_catalog(lang).expect("a built-in catalog");
        Locale::new(lang, catalog)
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(locale("en").number(1234567.5), "1,234,567.5");
        assert_eq!(locale("es").number(1234567.5), "1.234.567,5");
        assert_eq!(locale("pt").number(1234567.5), "1.234.567,5");
        assert_eq!(locale("fr").number(1234567.5), "1\u{202f}234\u{202f}567,5");
        assert_eq!(locale("en").number(80000.0), "80,000");
        assert_eq!(locale("en").number(0.25), "0.25");
        assert_eq!(locale("en").number(-1500.0), "-1,500");
        assert_eq!(locale("en").number(-0.001), "0");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = PartialDate::parse("2024-03-03").unwrap();
        assert_eq!(locale("en").date(&d), "3 March 2024");
        assert_eq!(locale("es").date(&d), "3 de marzo de 2024");
        assert_eq!(locale("pt").date(&d), "3 de março de 2024");
        assert_eq!(locale("fr").date(&d), "3 mars 2024");
        assert_eq!(
            locale("fr").date(&PartialDate::parse("2024-03-01").unwrap()),
            "1er mars 2024"
        );
        assert_eq!(
            locale("es").date(&PartialDate::parse("2011-03").unwrap()),
            "marzo de 2011"
        );
        assert_eq!(locale("es").date(&PartialDate::parse("2011").unwrap()), "2011");
    }

    #[test]
    fn plural_forms_follow_the_language() {
        let en = locale("en");
        assert_eq!(en.plural("data.count_rows", 1), "1 row");
        assert_eq!(en.plural("data.count_rows", 0), "0 rows");
        assert_eq!(en.plural("data.count_rows", 1500), "1,500 rows");
        // French counts 0 and 1 as singular.
        let fr = locale("fr");
        assert_eq!(fr.plural_category(0), "one");
        assert_eq!(fr.plural_category(2), "other");
        assert_eq!(en.plural_category(0), "other");
    }

    #[test]
    fn collation_puts_accented_letters_with_their_base() {
        let es = locale("es");
        let mut names = vec!["Zambia", "Ángola", "Austria", "Ñandú", "Nepal", "Oman"];
        names.sort_by(|a, b| es.compare(a, b));
        assert_eq!(names, ["Ángola", "Austria", "Nepal", "Ñandú", "Oman", "Zambia"]);
    }

    #[test]
    fn money_and_percent() {
        let m = Money {
            amount: 2000.0,
            currency: "USD".into(),
            year: Some(1994),
        };
        assert_eq!(locale("en").money(&m), "USD 2,000 (1994)");
        assert_eq!(locale("en").usd(1234.4), "USD 1,234");
        assert_eq!(locale("en").percent(1.0 / 3.0, 1), "33.3%");
    }

    #[test]
    fn marks_are_stripped() {
        let marked = format!("a {} b", mark_fallback("text", "en"));
        assert_eq!(strip_marks(&marked), "a text b");
    }
}
