//! `data/datapackage.json`: a Frictionless Tabular Data Package describing every CSV table
//! with its Table Schema (types, required/unique, enums from the vocabularies, minimums,
//! patterns, primary and foreign keys), the license and the sources.

use serde_json::{Map, Value, json};

use super::table::{Field, Table};
use crate::model::Dataset;

/// The license when `openssc.toml` names none.
pub const DEFAULT_LICENSE: &str = "CC-BY-4.0";

/// A license as the Data Package describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct License {
    /// An SPDX / Open Definition id, when known.
    pub name: Option<String>,
    /// Where the license text is.
    pub path: Option<String>,
    pub title: String,
}

/// Well-known open licenses: id, title, URL.
const KNOWN_LICENSES: &[(&str, &str, &str)] = &[
    (
        "CC-BY-4.0",
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    (
        "CC-BY-SA-4.0",
        "Creative Commons Attribution-ShareAlike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    (
        "CC0-1.0",
        "CC0 1.0 Universal Public Domain Dedication",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    (
        "ODC-By-1.0",
        "Open Data Commons Attribution License 1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
    (
        "ODbL-1.0",
        "Open Data Commons Open Database License 1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    (
        "PDDL-1.0",
        "Open Data Commons Public Domain Dedication and License 1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
];

/// The license of the data: `license` of `openssc.toml` (a known id such as `CC-BY-4.0`,
/// `CC0-1.0` or `ODbL-1.0`, any other id, or a URL), else [`DEFAULT_LICENSE`].
pub fn license(dataset: &Dataset) -> License {
    let value = dataset.config.license.as_deref().unwrap_or(DEFAULT_LICENSE).trim();
    if let Some((id, title, url)) = KNOWN_LICENSES.iter().find(|(id, ..)| id.eq_ignore_ascii_case(value)) {
        return License {
            name: Some((*id).into()),
            path: Some((*url).into()),
            title: (*title).into(),
        };
    }
    if value.starts_with("https://") || value.starts_with("http://") {
        return License {
            name: None,
            path: Some(value.into()),
            title: value.into(),
        };
    }
    let name: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    License {
        name: Some(name),
        path: None,
        title: value.into(),
    }
}

impl License {
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(name) = &self.name {
            map.insert("name".into(), json!(name));
        }
        if let Some(path) = &self.path {
            map.insert("path".into(), json!(path));
        }
        map.insert("title".into(), json!(self.title));
        Value::Object(map)
    }
}

/// A Data Package name from the site's title: lowercase ASCII letters, digits and `-`.
pub fn package_name(title: &str) -> String {
    let mut name = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "openssc-data".into()
    } else {
        name.into()
    }
}

fn field_json(f: &Field) -> Value {
    let mut field = json!({
        "name": f.name,
        "type": f.kind.name(),
        "description": f.description,
    });
    let mut constraints = Map::new();
    if f.required {
        constraints.insert("required".into(), json!(true));
    }
    if f.unique {
        constraints.insert("unique".into(), json!(true));
    }
    if let Some(values) = &f.enumeration {
        constraints.insert("enum".into(), json!(values));
    }
    if let Some(min) = f.minimum {
        constraints.insert("minimum".into(), json!(min));
    }
    if let Some(max) = f.maximum {
        constraints.insert("maximum".into(), json!(max));
    }
    if let Some(pattern) = f.pattern {
        constraints.insert("pattern".into(), json!(pattern));
    }
    if !constraints.is_empty() {
        field["constraints"] = Value::Object(constraints);
    }
    field
}

fn one_or_many(names: &[&str]) -> Value {
    match names {
        [one] => json!(one),
        many => json!(many),
    }
}

/// The Table Schema of `table`.
pub fn table_schema(table: &Table) -> Value {
    let mut schema = json!({
        "fields": table.fields.iter().map(field_json).collect::<Vec<_>>(),
        "missingValues": [""],
    });
    if !table.primary_key.is_empty() {
        schema["primaryKey"] = one_or_many(&table.primary_key);
    }
    if !table.foreign_keys.is_empty() {
        schema["foreignKeys"] = table
            .foreign_keys
            .iter()
            .map(|fk| {
                // A reference to the table itself is the empty resource name.
                let resource = if fk.resource == table.name { "" } else { fk.resource };
                json!({
                    "fields": one_or_many(&fk.fields),
                    "reference": {"resource": resource, "fields": one_or_many(&fk.reference)},
                })
            })
            .collect();
    }
    schema
}

/// The descriptor of the package of `tables` (their files sit beside it).
pub fn descriptor(dataset: &Dataset, tables: &[Table], date: Option<&str>, generator: &str) -> Value {
    let config = &dataset.config;
    let mut sources = vec![{
        let mut s = json!({"title": format!("{}: records kept in public as plain text files", config.title)});
        if let Some(base) = &config.base_url {
            s["path"] = json!(base);
        }
        s
    }];
    if let Some(rates) = &dataset.exchange_rates {
        let mut s = json!({"title": format!("Exchange rates: {}", rates.source.title)});
        if let Some(url) = &rates.source.url {
            s["path"] = json!(url);
        }
        sources.push(s);
    }
    let mut package = json!({
        "profile": "tabular-data-package",
        "name": package_name(&config.title),
        "title": config.title,
        "description": format!(
            "Every record of “{}”, one CSV table per kind of record or list, in UTF-8 with a header row. Ids are the keys between tables; several values in one cell are separated by `;`; amounts are given in their original currency and in US dollars. Generated by {generator}.",
            config.title
        ),
    });
    if let Some(base) = &config.base_url {
        package["homepage"] = json!(base);
    }
    if let Some(date) = date {
        package["created"] = json!(format!("{date}T00:00:00Z"));
    }
    package["licenses"] = json!([license(dataset).to_json()]);
    package["sources"] = json!(sources);
    package["resources"] = tables
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "path": t.file_name(),
                "profile": "tabular-data-resource",
                "title": t.title,
                "description": t.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(t),
            })
        })
        .collect();
    package
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_slugs() {
        assert_eq!(
            package_name("openssc test fixture site (fictional data)"),
            "openssc-test-fixture-site-fictional-data"
        );
        assert_eq!(
            package_name("State of South-South Cooperation"),
            "state-of-south-south-cooperation"
        );
        assert_eq!(package_name("¿?"), "openssc-data");
    }
}
