//! Open data: every record downloadable under `data/` of the built site.
//!
//! - one CSV per table ([`tables`], written by [`csv`]): initiatives, participants,
//!   countries, sectors, transactions, results, evaluations of initiatives; actors, funds,
//!   offers and requests, countries; report editions and the initiatives each counts;
//! - `datapackage.json` ([`datapackage`]): a Frictionless Tabular Data Package describing
//!   every CSV with its Table Schema, license and sources;
//! - `records.json` and `projects/<id>.json` ([`json`]): the records themselves, with
//!   references resolved and US-dollar values added;
//! - `iati-activities.xml` ([`iati`]): one IATI 2.03 activity per initiative;
//! - the Data page (`data/index.html`), listing every download, and a link from each
//!   initiative's page to its JSON.
//!
//! Invariant: no I/O; the same dataset gives the same bytes (records in id order, list
//! items as written, vocabularies in their order).

pub mod csv;
pub mod datapackage;
pub mod extra;
pub mod iati;
pub mod json;
pub mod table;
pub mod tables;

use serde_json::{Value, json};

use crate::model::Actor;
use crate::render::views::Views;
use crate::render::{BuildInfo, OutputFile, PageSpec};
use crate::schema::Vocabularies;
use table::Table;

/// The folder of the downloads in the built site.
pub const DIR: &str = "data";

/// The IATI OrganisationType code of an actor: its type's `iati` code, or
/// `iati_international` when its scope is international and the type has one.
pub fn iati_organisation_type(vocab: &Vocabularies, actor: &Actor) -> Option<i64> {
    let entry = vocab.get("actor-types", &actor.kind)?;
    let international = actor.scope.as_deref() == Some("international");
    let code = |key: &str| entry.fields.get(key).and_then(Value::as_i64);
    international
        .then(|| code("iati_international"))
        .flatten()
        .or_else(|| code("iati"))
}

/// One download, as the Data page lists it.
#[derive(Clone, Debug)]
struct Download {
    path: String,
    /// The catalog key of its format (`data.format_csv`, ...).
    format: &'static str,
    title: String,
    description: String,
    /// Rows of a table, records of a JSON file, resources of the package.
    count: usize,
    /// The catalog key of what `count` counts.
    counts: &'static str,
    bytes: usize,
    /// The id of the section describing its columns on the Data page.
    anchor: Option<String>,
}

/// The downloads of a site, computed once per build.
pub struct OpenData {
    /// The CSV tables, in the Data page's order.
    pub tables: Vec<Table>,
    /// Every file under `data/` (no pages), in the Data page's order, then one JSON per initiative.
    pub files: Vec<OutputFile>,
    downloads: Vec<Download>,
    license: datapackage::License,
}

impl OpenData {
    /// Computes every download. `others` are data files other modules write under `data/`
    /// (the report's figures): the Data Package describes their CSVs and the Data page lists
    /// them; they are not part of [`OpenData::files`].
    pub fn build(views: &Views<'_>, build: &BuildInfo, others: &[OutputFile]) -> OpenData {
        let data = views.data;
        let mut tables = tables::all(views);
        let own_tables = tables.len();
        tables.extend(extra::tables(others));
        let mut files = Vec::new();
        let mut downloads = Vec::new();
        let mut add = |files: &mut Vec<OutputFile>, download: Option<Download>, path: String, bytes: Vec<u8>| {
            if let Some(mut d) = download {
                d.bytes = bytes.len();
                downloads.push(d);
            }
            files.push(OutputFile { path, bytes });
        };
        let license = datapackage::license(data);
        let package = datapackage::descriptor(data, &tables, build.date.as_deref(), &build.generator);
        let package_path = format!("{DIR}/datapackage.json");
        add(
            &mut files,
            Some(Download {
                path: package_path.clone(),
                format: "data.format_datapackage",
                title: views.t("data.datapackage_title"),
                description: views.t("data.datapackage_description"),
                count: tables.len(),
                counts: "data.count_tables",
                bytes: 0,
                anchor: None,
            }),
            package_path,
            json::to_bytes(&package),
        );
        let records = json::records(views, license.to_json(), &build.generator);
        let records_path = format!("{DIR}/records.json");
        let record_count = data.projects.len()
            + data.actors.len()
            + data.funds.len()
            + data.exchanges.len()
            + data.editions.values().map(|e| 1 + e.chapters.len()).sum::<usize>();
        add(
            &mut files,
            Some(Download {
                path: records_path.clone(),
                format: "data.format_json",
                title: views.t("data.records_title"),
                description: views.t("data.records_description"),
                count: record_count,
                counts: "data.count_records",
                bytes: 0,
                anchor: None,
            }),
            records_path,
            json::to_bytes(&records),
        );
        for table in &tables[..own_tables] {
            let path = format!("{DIR}/{}", table.file_name());
            add(
                &mut files,
                Some(Download {
                    path: path.clone(),
                    format: "data.format_csv",
                    title: table.title.to_string(),
                    description: table.description.to_string(),
                    count: table.rows.len(),
                    counts: "data.count_rows",
                    bytes: 0,
                    anchor: Some(format!("table-{}", table.name)),
                }),
                path,
                csv::to_csv(table),
            );
        }
        if let Some(xml) = iati::activities(views, build.date.as_deref()) {
            let path = format!("{DIR}/iati-activities.xml");
            add(
                &mut files,
                Some(Download {
                    path: path.clone(),
                    format: "data.format_iati",
                    title: views.t("data.iati_title"),
                    description: views.t("data.iati_description"),
                    count: data.projects.len(),
                    counts: "data.count_activities",
                    bytes: 0,
                    anchor: None,
                }),
                path,
                xml.into_bytes(),
            );
        }
        for p in data.projects.values() {
            add(
                &mut files,
                None,
                project_file(&p.id),
                json::to_bytes(&json::project(views, p)),
            );
        }
        // The other modules' data files: listed, not written here.
        let mut listed: Vec<&OutputFile> = others
            .iter()
            .filter(|f| f.path.starts_with(&format!("{DIR}/")))
            .collect();
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        for f in listed {
            let described = tables[own_tables..]
                .iter()
                .find(|t| format!("{DIR}/{}", t.file_name()) == f.path);
            let download = match described {
                Some(t) => Download {
                    path: f.path.clone(),
                    format: "data.format_csv",
                    title: t.title.to_string(),
                    description: t.description.to_string(),
                    count: t.rows.len(),
                    counts: "data.count_rows",
                    bytes: f.bytes.len(),
                    anchor: Some(format!("table-{}", t.name)),
                },
                None if f.path.ends_with("/figures.json") => Download {
                    path: f.path.clone(),
                    format: "data.format_json",
                    title: views.t("data.figures_title"),
                    description: views.t("data.figures_description"),
                    count: serde_json::from_slice::<Value>(&f.bytes)
                        .ok()
                        .and_then(|v| v["figures"].as_object().map(|o| o.len()))
                        .unwrap_or(0),
                    counts: "data.count_figures",
                    bytes: f.bytes.len(),
                    anchor: None,
                },
                None => continue,
            };
            downloads.push(download);
        }
        OpenData {
            tables,
            files,
            downloads,
            license,
        }
    }

    /// Adds the Data page to `pages` and the link to its JSON to every initiative's page.
    pub fn add_pages(&self, views: &Views<'_>, pages: &mut Vec<PageSpec>) {
        for page in pages.iter_mut().filter(|p| p.template == "project.html") {
            if let Some(project) = page.context.get_mut("project")
                && let Some(id) = project.get("id").and_then(Value::as_str).map(str::to_owned)
            {
                project["data_file"] = json!(project_file(&id));
            }
        }
        pages.push(self.page(views));
    }

    fn page(&self, views: &Views<'_>) -> PageSpec {
        let downloads: Vec<Value> = self
            .downloads
            .iter()
            .map(|d| {
                json!({
                    "href": d.path,
                    "name": d.path.trim_start_matches(&format!("{DIR}/")),
                    "format": views.t(d.format),
                    "title": d.title,
                    "description": d.description,
                    "count": crate::render::format::number(d.count as f64),
                    "counts": views.t(d.counts),
                    "size": size(d.bytes),
                    "anchor": d.anchor,
                })
            })
            .collect();
        let tables: Vec<Value> = self
            .tables
            .iter()
            .map(|t| {
                json!({
                    "id": format!("table-{}", t.name),
                    "name": t.file_name(),
                    "href": format!("{DIR}/{}", t.file_name()),
                    "title": t.title,
                    "primary_key": t.primary_key.join(", "),
                    "fields": t.fields.iter().map(|f| {
                        let mut constraints = Vec::new();
                        if f.required { constraints.push(views.t("data.required")); }
                        if f.unique { constraints.push(views.t("data.unique")); }
                        if let Some(min) = f.minimum { constraints.push(format!("≥ {min}")); }
                        if let Some(max) = f.maximum { constraints.push(format!("≤ {max}")); }
                        let reference = t.foreign_keys.iter().find(|fk| fk.fields == [f.name.as_ref()]).map(|fk| format!("{}.csv: {}", fk.resource, fk.reference.join(", ")));
                        json!({
                            "name": f.name,
                            "type": f.kind.name(),
                            "description": f.description,
                            "constraints": constraints.join(", "),
                            "values": f.enumeration.as_ref().map(|v| v.join(", ")),
                            "reference": reference,
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        views.simple(
            &format!("{DIR}/index.html"),
            "data.html",
            views.t("data.title"),
            json!({
                "downloads": downloads,
                "tables": tables,
                "project_files": crate::render::format::number(views.data.projects.len() as f64),
                "license": {"title": self.license.title, "url": self.license.path, "name": self.license.name},
                "dictionary_href": "data-dictionary/index.html",
            }),
        )
    }
}

/// The JSON file of one initiative.
pub fn project_file(id: &str) -> String {
    format!("{DIR}/projects/{id}.json")
}

/// `512 bytes`, `12.3 KB`, `4.1 MB`.
fn size(bytes: usize) -> String {
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(12_595), "12.3 KB");
        assert_eq!(size(4_299_161), "4.1 MB");
    }
}
