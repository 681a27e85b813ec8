//! A table of the open-data downloads: its columns (with their Table Schema types and
//! constraints) and its rows as CSV cells, plus the helpers that turn model values into cells.
//!
//! A cell is a `String`; the empty string is a missing value (`missingValues: [""]`).

use std::borrow::Cow;

use crate::model::{Money, PartialDate};

/// Text known at compile time, or made at build time (tables described from other files).
pub type Name = Cow<'static, str>;

/// The Table Schema type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
}

impl FieldType {
    /// The Table Schema name of the type.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
        }
    }
}

/// One column: name, type, meaning and constraints.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Name,
    pub kind: FieldType,
    pub description: Name,
    pub required: bool,
    pub unique: bool,
    /// Allowed values (from a vocabulary), when the column holds one value of it.
    pub enumeration: Option<Vec<String>>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub pattern: Option<&'static str>,
}

/// The pattern of record ids.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,79}$";
/// The pattern of ISO 3166-1 alpha-3 codes and ISO 4217 currency codes.
pub const CODE3_PATTERN: &str = "^[A-Z]{3}$";
/// The pattern of (possibly partial) dates: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub const DATE_PATTERN: &str = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$";

impl Field {
    pub fn new(name: impl Into<Name>, kind: FieldType, description: impl Into<Name>) -> Field {
        Field {
            name: name.into(),
            kind,
            description: description.into(),
            required: false,
            unique: false,
            enumeration: None,
            minimum: None,
            maximum: None,
            pattern: None,
        }
    }
    pub fn string(name: &'static str, description: &'static str) -> Field {
        Field::new(name, FieldType::String, description)
    }
    pub fn integer(name: &'static str, description: &'static str) -> Field {
        Field::new(name, FieldType::Integer, description)
    }
    pub fn number(name: &'static str, description: &'static str) -> Field {
        Field::new(name, FieldType::Number, description)
    }
    pub fn boolean(name: &'static str, description: &'static str) -> Field {
        Field::new(name, FieldType::Boolean, description)
    }
    /// A record id column (`pattern` of ids).
    pub fn id(name: &'static str, description: &'static str) -> Field {
        Field::string(name, description).pattern(ID_PATTERN)
    }
    /// A partial-date column.
    pub fn date(name: &'static str, description: &'static str) -> Field {
        Field::string(name, description).pattern(DATE_PATTERN)
    }
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }
    pub fn unique(mut self) -> Field {
        self.unique = true;
        self
    }
    /// Allowed values; an empty list (no such vocabulary) sets no constraint.
    pub fn one_of(mut self, values: Vec<String>) -> Field {
        if !values.is_empty() {
            self.enumeration = Some(values);
        }
        self
    }
    pub fn min(mut self, minimum: i64) -> Field {
        self.minimum = Some(minimum);
        self
    }
    pub fn max(mut self, maximum: i64) -> Field {
        self.maximum = Some(maximum);
        self
    }
    pub fn pattern(mut self, pattern: &'static str) -> Field {
        self.pattern = Some(pattern);
        self
    }
}

/// Columns of this table that refer to the key of another table (or of this one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    pub fields: Vec<&'static str>,
    /// The table referred to; the table itself when it is its own name.
    pub resource: &'static str,
    pub reference: Vec<&'static str>,
}

impl ForeignKey {
    pub fn new(field: &'static str, resource: &'static str, reference: &'static str) -> ForeignKey {
        ForeignKey {
            fields: vec![field],
            resource,
            reference: vec![reference],
        }
    }
}

/// One CSV table of the downloads.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// File stem and resource name (`projects` for `projects.csv`).
    pub name: Name,
    pub title: Name,
    pub description: Name,
    pub fields: Vec<Field>,
    pub primary_key: Vec<&'static str>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Every row has one cell per field.
    pub rows: Vec<Vec<String>>,
    /// The file's path under `data/` when it is not `<name>.csv` (a file another module
    /// writes).
    pub path: Option<String>,
}

impl Table {
    /// The file name under `data/`.
    pub fn file_name(&self) -> String {
        self.path.clone().unwrap_or_else(|| format!("{}.csv", self.name))
    }

    /// The position of the column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

// Cells.

/// An optional value as a cell (empty when missing).
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// A number as written (`50000`, `38.5`), never in exponent notation; empty if not finite.
pub fn num(value: f64) -> String {
    if value.is_finite() {
        // `-0` would read oddly.
        if value == 0.0 { "0".into() } else { value.to_string() }
    } else {
        String::new()
    }
}

/// An optional number.
pub fn opt_num(value: Option<f64>) -> String {
    value.map_or_else(String::new, num)
}

/// A US-dollar value, rounded to cents.
pub fn usd(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| num((v * 100.0).round() / 100.0))
}

/// Several values in one cell, separated by `;`.
pub fn list<S: AsRef<str>>(values: &[S]) -> String {
    values.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(";")
}

/// A partial date as written (`2011`, `2011-05`, `2011-05-03`).
pub fn date(d: &PartialDate) -> String {
    d.to_string()
}

pub fn opt_date(d: &Option<PartialDate>) -> String {
    d.as_ref().map_or_else(String::new, date)
}

/// The four cells of an amount: amount, currency, the year it refers to (its own, else
/// `default_year`), and its value in US dollars.
pub fn money(m: Option<&Money>, default_year: Option<i32>, to_usd: impl Fn(&Money) -> Option<f64>) -> [String; 4] {
    match m {
        Some(m) => [
            num(m.amount),
            m.currency.clone(),
            opt(m.year.or(default_year)),
            usd(to_usd(m)),
        ],
        None => Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(num(50000.0), "50000");
        assert_eq!(num(38.5), "38.5");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(1e21), "1000000000000000000000");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(usd(Some(1242000.0 / 12.42)), "100000");
        assert_eq!(usd(Some(2.0 / 3.0)), "0.67");
        assert_eq!(usd(None), "");
        assert_eq!(list(&["a", "b"]), "a;b");
        assert_eq!(opt::<i32>(None), "");
        let m = Money {
            amount: 62100.0,
            currency: "MXN".into(),
            year: None,
        };
        assert_eq!(
            money(Some(&m), Some(2011), |m| Some(m.amount / 12.42)),
            ["62100", "MXN", "2011", "5000"]
        );
    }
}
