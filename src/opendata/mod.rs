//! Open data: every record downloadable under `data/` of the built site.
//!
//! - one CSV per table ([`tables`], written by [`csv`]): initiatives, participants,
//!   countries, sectors, transactions, results, evaluations of initiatives; actors, funds,
//!   offers and requests, countries; report editions and the initiatives each counts;
//! - `datapackage.json` ([`datapackage`]): a Frictionless Tabular Data Package describing
//!   every CSV with its Table Schema, license and sources;
//! - `records.json` and, beside each initiative's page, `projects/<id>.json`
//!   ([`mod@json`], written by [`compact`]): the records themselves, with references resolved
//!   and US-dollar values added;
//! - `iati-activities.xml` ([`iati`]): one IATI 2.03 activity per initiative;
//! - `openssc.xlsx` ([`xlsx`]): every CSV table as a sheet of one workbook;
//! - `openssc-data.zip` ([`archive`]): every file under `data/` plus the site's sources
//!   (its `content/` and the schemas in use, see [`Sources`]); not the initiatives' own
//!   JSON files, whose bytes are their items in `records.json`;
//! - `SHA256SUMS` ([`sums`]): the SHA-256 of every file of the site, added by
//!   [`crate::site::write_site`] once every other file is written;
//! - the Data page (`data/index.html`), listing every download, and a link from each
//!   initiative's page to its JSON.
//!
//! Invariant: no I/O; the same dataset gives the same bytes (records in id order, list
//! items as written, vocabularies in their order).

pub mod archive;
mod compact;
pub mod csv;
pub mod datapackage;
pub mod extra;
pub mod iati;
pub mod json;
mod lanes;
mod quick;
pub mod sums;
pub mod table;
pub mod tables;
pub mod xlsx;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::model::{Actor, Project, Record};
use crate::render::views::Views;
use crate::render::{BuildInfo, OutputFile, PageSpec};
use crate::schema::Vocabularies;
use table::Table;

/// The folder of the downloads in the built site.
pub const DIR: &str = "data";

/// The site's source files that the archive holds, read by the caller (this module does
/// no I/O) and deflated as they are read ([`archive::prepare`]), so that a build holds them
/// compressed: every file under `content/` (`content/projects/x.md`, ...), dot-files
/// excluded, and the schemas in use (`schemas/project.schema.json`,
/// `schemas/vocab/sectors.yaml`, ...: the built-in ones, replaced by the site's files of the
/// same name, plus the site's other schema files), by `/`-separated path relative to the
/// site's root.
#[derive(Debug, Default)]
pub struct Sources {
    pub entries: Vec<archive::Entry>,
}

/// Where the downloads go as they are made: the build writes them into its staging
/// folder, `serve` keeps them to compare with what its output holds.
pub trait Sink: Sync {
    /// A file made whole.
    fn file(&self, file: OutputFile);
    /// A file too large to hold whole, written piece by piece by `write` (called once, on
    /// the calling thread) into a buffered writer (small writes are cheap). Returns the
    /// file's size. A sink keeps its own failures to report them when the build ends, as
    /// [`Sink::file`] does; `write` may not have run then.
    fn stream(&self, path: &str, write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>) -> u64;
}

/// A sink that keeps every file in memory (`serve`'s data refresh).
#[derive(Default)]
pub struct KeptFiles {
    files: std::sync::Mutex<Vec<OutputFile>>,
    /// The first file that could not be written, and why.
    failed: std::sync::Mutex<Option<crate::Error>>,
}

impl KeptFiles {
    /// The files, in the order they were made; or the first failure.
    pub fn into_files(self) -> Result<Vec<OutputFile>, crate::Error> {
        match self
            .failed
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some(e) => Err(e),
            None => Ok(self
                .files
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)),
        }
    }
}

impl Sink for KeptFiles {
    fn file(&self, file: OutputFile) {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(file);
    }
    fn stream(&self, path: &str, write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>) -> u64 {
        let mut bytes = Vec::new();
        if let Err(e) = write(&mut bytes) {
            self.failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(crate::Error::Write(path.into(), e));
            return 0;
        }
        let size = bytes.len() as u64;
        self.file(OutputFile {
            path: path.to_owned(),
            bytes,
        });
        size
    }
}

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
    title: Words,
    description: Words,
    /// Rows of a table, records of a JSON file, resources of the package; `None` when not
    /// known while the page is made (the checksum file).
    count: Option<usize>,
    /// The catalog key of what `count` counts.
    counts: &'static str,
    /// `None` when not known while the page is made (the checksum file).
    bytes: Option<usize>,
    /// The id of the section describing its columns on the Data page.
    anchor: Option<String>,
}

/// Text of the Data page, resolved in the page's language (the downloads are computed
/// once, the page is made in every language).
#[derive(Clone, Debug)]
enum Words {
    /// A catalog key.
    Key(&'static str),
    /// A table's own text: the catalog's text under `key` in the page's language, else the
    /// table's (English) text, which the Data Package carries.
    Table { key: String, english: String },
    /// The title of a figure's table: the figure's title and the edition's year.
    Figure { figure: String, year: String },
}

impl Words {
    /// A report figure's table is named `reports-<year>-<figure>`.
    fn figure_of(table: &Table) -> Option<(&str, &str)> {
        table.name.strip_prefix("reports-")?.split_once('-')
    }

    fn table_title(table: &Table) -> Words {
        match Self::figure_of(table) {
            Some((year, figure)) => Words::Figure {
                figure: figure.to_owned(),
                year: year.to_owned(),
            },
            None => Words::Table {
                key: format!("data.table.{}.title", table.name),
                english: table.title.to_string(),
            },
        }
    }

    fn table_description(table: &Table) -> Words {
        let key = match Self::figure_of(table) {
            Some(_) => "data.table.figure.description".to_owned(),
            None => format!("data.table.{}.description", table.name),
        };
        Words::Table {
            key,
            english: table.description.to_string(),
        }
    }

    /// The description of a column of `table`.
    fn field(table: &Table, field: &str, english: &str) -> Words {
        let owner = if Self::figure_of(table).is_some() {
            "figure"
        } else {
            &*table.name
        };
        Words::Table {
            key: format!("data.field.{owner}.{field}"),
            english: english.to_owned(),
        }
    }

    fn resolve(&self, views: &Views<'_>) -> String {
        match self {
            Words::Key(key) => views.t(key),
            Words::Table { key, english } if !views.locale.catalog().contains_key(key) => english.clone(),
            Words::Table { key, .. } => views.t(key),
            Words::Figure { figure, year } => format!("{} ({year})", views.t(&format!("figure.{figure}.title"))),
        }
    }
}

/// The downloads of a site, computed once per build.
pub struct OpenData {
    /// The CSV tables, in the Data page's order.
    pub tables: Vec<Table>,
    /// The path of every file handed to the sink (no pages): those under `data/` in the
    /// Data page's order, then each initiative's JSON ([`crate::paths::project_data`]).
    pub files: Vec<String>,
    downloads: Vec<Download>,
    license: datapackage::License,
    archive: Option<PendingArchive>,
}

/// The data archive, every entry deflated, to be written into its file; or why an entry
/// could not be deflated, which writing it reports.
pub struct PendingArchive {
    path: String,
    archive: std::io::Result<archive::Archive>,
}

impl PendingArchive {
    /// Writes the archive into `sink` (which keeps a failure to report it).
    pub fn write(self, sink: &dyn Sink) {
        let mut archive = Some(self.archive);
        sink.stream(&self.path, &mut |out| match archive.take() {
            Some(Ok(archive)) => archive.write(out),
            Some(Err(e)) => Err(e),
            None => Ok(()),
        });
    }
}

impl OpenData {
    /// Computes every download and hands each file to `sink` as soon as it is made and
    /// deflated for the archive, so that the downloads are never all held at once: the
    /// tables are made one at a time, written as CSV, added to the workbook and their rows
    /// let go; the initiatives' files are made a chunk at a time and `records.json` and the
    /// archive are written piece by piece ([`Sink::stream`]). `others` are data files other
    /// modules write under `data/` (the report's figures): the Data Package describes their
    /// CSVs and the Data page lists them; they are not part of [`OpenData::files`]. With a
    /// `memo` (`serve`), a file or piece whose bytes were deflated by the last archive made
    /// with it is not deflated again.
    pub fn build(
        views: &Views<'_>,
        build: &BuildInfo,
        others: &[OutputFile],
        sources: Sources,
        sink: &dyn Sink,
        memo: Option<&archive::Memo>,
    ) -> OpenData {
        let data = views.data;
        let mut downloads = Vec::new();
        // Hands a file to the sink; returns its size.
        let emit = |path: &str, bytes: Vec<u8>| {
            let size = bytes.len();
            sink.file(OutputFile {
                path: path.to_owned(),
                bytes,
            });
            size
        };
        // Deflates a file (or a piece of `records.json`) for the archive, or takes it from
        // `memo` when it was deflated last time.
        let prepare = |path: &str, bytes: &[u8]| archive::entry(memo, path, bytes);
        let fragment = |bytes: &[u8]| archive::piece(memo, bytes);
        // Deflates a file for the archive, then hands it to the sink.
        let prepare_and_emit = |path: &str, bytes: Vec<u8>| (prepare(path, &bytes), emit(path, bytes));
        let license = datapackage::license(data);
        let date = build.date.as_deref();
        let records_path = format!("{DIR}/records.json");
        let iati_path = format!("{DIR}/iati-activities.xml");
        let workbook_path = format!("{DIR}/openssc.xlsx");
        let package_path = format!("{DIR}/datapackage.json");
        let projects: Vec<&Record<Project>> = data.projects.values().map(|p| &**p).collect();
        let project_paths: Vec<String> = projects.iter().map(|p| crate::paths::project_data(&p.id)).collect();
        let listed_others: Vec<&OutputFile> = others
            .iter()
            .filter(|f| f.path.starts_with(&format!("{DIR}/")))
            .collect();
        // Two pipelines side by side: the tables, one at a time (each written as CSV beside
        // its sheet of the workbook, whose rows are made in pieces on any thread); and the
        // initiatives' files with `records.json`, then IATI, then the report's files.
        let (tabled, made) = rayon::join(
            || {
                let mut workbook = Ok(xlsx::WorkbookWriter::new(date));
                let mut tables: Vec<Table> = Vec::new();
                let mut row_counts: Vec<usize> = Vec::new();
                let mut csvs = Vec::new();
                let mut add = |mut table: Table, own: bool| {
                    let path = format!("{DIR}/{}", table.file_name());
                    let (csv, added) = rayon::join(
                        || own.then(|| prepare_and_emit(&path, csv::to_csv(&table))),
                        || workbook.as_mut().map(|w| w.add(&table)),
                    );
                    if let Ok(Err(e)) = added {
                        workbook = Err(e);
                    }
                    csvs.extend(csv.map(|csv| (path, csv)));
                    row_counts.push(table.rows.len());
                    // The Data page and the Data Package describe the table, they do not
                    // list its rows: let them go.
                    table.rows = Vec::new();
                    tables.push(table);
                };
                let mut own_tables = 0;
                tables::each(views, |table| {
                    own_tables += 1;
                    add(table, true);
                });
                for table in extra::tables(others) {
                    add(table, false);
                }
                let workbook = workbook
                    .and_then(xlsx::WorkbookWriter::finish)
                    .map(|bytes| prepare_and_emit(&workbook_path, bytes));
                (tables, row_counts, own_tables, csvs, workbook)
            },
            || {
                // Each initiative's value is made once and serialized, a chunk at a time; its
                // file's bytes are also its part of `records.json`, then they go. A chunk is
                // made in groups on both cores: each group's initiatives' files, written, and
                // deflated as pieces of `records.json`'s entry (between separators stored as
                // they are); then the parts are written in order. (`records.json` deflated in
                // 16-initiative fragments of its own was 40 % smaller in the archive, for a
                // third more to deflate.)
                const CHUNK: usize = 256;
                const GROUP: usize = 16;
                let mut records_entry = None;
                let records_size = sink.stream(&records_path, &mut |out| {
                    let document = json::RecordsDocument::new(views, license.to_json(), &build.generator);
                    let mut zipped = archive::Pieces::new(&records_path);
                    out.write_all(document.start())?;
                    zipped.push(fragment(document.start()));
                    // A chunk's groups, made on both cores.
                    let make = |(c, (chunk, paths)): (usize, (&[&Record<Project>], &[String]))| -> Vec<_> {
                        chunk
                            .par_chunks(GROUP)
                            .zip(paths.par_chunks(GROUP))
                            .enumerate()
                            .map(|(g, (group, paths))| {
                                let files: Vec<Vec<u8>> = group.iter().map(|p| json::project_bytes(views, p)).collect();
                                // The group's part of `records.json` at its size (grown from
                                // empty, it was copied some seven times on the way to 100 kB).
                                let mut part = Vec::with_capacity(files.iter().map(|file| file.len() + 1).sum());
                                let mut pieces = Vec::with_capacity(2 * group.len());
                                for (i, (file, path)) in files.into_iter().zip(paths).enumerate() {
                                    let first = c == 0 && g == 0 && i == 0;
                                    // The item in `records.json` is the file without its
                                    // final newline.
                                    let item = file.strip_suffix(b"\n").unwrap_or(&file);
                                    if let Some(separator) = document.item(first, &file, &mut part) {
                                        pieces.push(archive::Fragment::stored(separator));
                                        pieces.push(archive::piece(memo, item));
                                    }
                                    emit(path, file);
                                }
                                (part, pieces)
                            })
                            .collect()
                    };
                    // Each chunk's parts are placed in order while the next chunk is made.
                    let place = |groups: Vec<(Vec<u8>, Vec<archive::Fragment>)>| -> std::io::Result<()> {
                        for (part, pieces) in groups {
                            out.write_all(&part)?;
                            for piece in pieces {
                                zipped.push(piece);
                            }
                        }
                        Ok(())
                    };
                    let chunks = projects.chunks(CHUNK).zip(project_paths.chunks(CHUNK)).enumerate();
                    pipelined(chunks, make, place)?;
                    let end = document.end();
                    out.write_all(end)?;
                    zipped.push(fragment(end));
                    records_entry = Some(zipped.finish());
                    Ok(())
                });
                let (iati, others_entries) = rayon::join(
                    || {
                        // Written and deflated piece by piece as it is made.
                        (!data.projects.is_empty()).then(|| {
                            let mut zipped = archive::Pieces::new(&iati_path);
                            let size = sink.stream(&iati_path, &mut |out| {
                                iati::write_activities(views, date, &fragment, &mut |bytes, piece| {
                                    zipped.push(piece);
                                    out.write_all(bytes)
                                })
                            });
                            (zipped.finish(), size as usize)
                        })
                    },
                    || {
                        listed_others
                            .par_iter()
                            .map(|f| prepare(&f.path, &f.bytes))
                            .collect::<Vec<_>>()
                    },
                );
                (records_entry.map(|e| (e, records_size as usize)), iati, others_entries)
            },
        );
        let (tables, row_counts, own_tables, csvs, workbook) = tabled;
        let (records, iati, others_entries) = made;
        let package = json::to_pretty_bytes(&datapackage::descriptor(data, &tables, date, &build.generator));
        let mut files = Vec::new();
        let mut entries = Vec::new();
        let mut add = |download: Option<Download>, path: String, entry: archive::Entry, size: usize| {
            if let Some(mut d) = download {
                d.bytes = Some(size);
                downloads.push(d);
            }
            files.push(path);
            entries.push(entry);
        };
        let (package_entry, package_size) = prepare_and_emit(&package_path, package);
        add(
            Some(Download {
                path: package_path.clone(),
                format: "data.format_datapackage",
                title: Words::Key("data.datapackage_title"),
                description: Words::Key("data.datapackage_description"),
                count: Some(tables.len()),
                counts: "data.count_tables",
                bytes: None,
                anchor: None,
            }),
            package_path,
            package_entry,
            package_size,
        );
        let record_count = data.projects.len()
            + data.actors.len()
            + data.funds.len()
            + data.exchanges.len()
            + data.editions.values().map(|e| 1 + e.chapters.len()).sum::<usize>();
        if let Some((records_entry, records_size)) = records {
            add(
                Some(Download {
                    path: records_path.clone(),
                    format: "data.format_json",
                    title: Words::Key("data.records_title"),
                    description: Words::Key("data.records_description"),
                    count: Some(record_count),
                    counts: "data.count_records",
                    bytes: None,
                    anchor: None,
                }),
                records_path,
                records_entry,
                records_size,
            );
        }
        for ((table, (path, (entry, size))), rows) in tables[..own_tables].iter().zip(csvs).zip(&row_counts) {
            add(
                Some(Download {
                    path: path.clone(),
                    format: "data.format_csv",
                    title: Words::table_title(table),
                    description: Words::table_description(table),
                    count: Some(*rows),
                    counts: "data.count_rows",
                    bytes: None,
                    anchor: Some(format!("table-{}", table.name)),
                }),
                path,
                entry,
                size,
            );
        }
        if let Some((entry, size)) = iati {
            let path = iati_path;
            add(
                Some(Download {
                    path: path.clone(),
                    format: "data.format_iati",
                    title: Words::Key("data.iati_title"),
                    description: Words::Key("data.iati_description"),
                    count: Some(data.projects.len()),
                    counts: "data.count_activities",
                    bytes: None,
                    anchor: None,
                }),
                path,
                entry,
                size,
            );
        }
        // The initiatives' own files: in the site, not in the archive (see `paths::project_data`).
        files.extend(project_paths);
        // The other modules' data files: listed, not written here.
        let mut listed = listed_others;
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        for f in listed {
            let described = tables[own_tables..]
                .iter()
                .zip(&row_counts[own_tables..])
                .find(|(t, _)| format!("{DIR}/{}", t.file_name()) == f.path);
            let download = match described {
                Some((t, rows)) => Download {
                    path: f.path.clone(),
                    format: "data.format_csv",
                    title: Words::table_title(t),
                    description: Words::table_description(t),
                    count: Some(*rows),
                    counts: "data.count_rows",
                    bytes: Some(f.bytes.len()),
                    anchor: Some(format!("table-{}", t.name)),
                },
                None if f.path.ends_with("/figures.json") => Download {
                    path: f.path.clone(),
                    format: "data.format_json",
                    title: Words::Key("data.figures_title"),
                    description: Words::Key("data.figures_description"),
                    count: Some(extra::figure_titles(&f.bytes).map_or(0, |titles| titles.len())),
                    counts: "data.count_figures",
                    bytes: Some(f.bytes.len()),
                    anchor: None,
                },
                None => continue,
            };
            downloads.push(download);
        }
        // The workbook of every table. Writing it in memory fails only on limits the
        // tables do not reach (a million rows); it is then left out rather than broken.
        if let Ok((entry, size)) = workbook {
            let path = workbook_path;
            downloads.push(Download {
                path: path.clone(),
                format: "data.format_xlsx",
                title: Words::Key("data.xlsx_title"),
                description: Words::Key("data.xlsx_description"),
                count: Some(tables.len()),
                counts: "data.count_sheets",
                bytes: Some(size),
                anchor: None,
            });
            entries.push(entry);
            files.push(path);
        }
        // The archive: every file under `data/` so far, the report's, and the sources,
        // written straight into its file.
        let entry_count = entries.len() + others_entries.len() + sources.entries.len();
        entries.extend(others_entries);
        entries.extend(sources.entries);
        let path = format!("{DIR}/openssc-data.zip");
        // Its size is known now, for the Data page; it is written by
        // [`OpenData::take_archive`]'s caller, on a thread of its choice.
        let archive = archive::Archive::new(entries);
        let size = archive.as_ref().map_or(0, archive::Archive::size);
        downloads.push(Download {
            path: path.clone(),
            format: "data.format_zip",
            title: Words::Key("data.archive_title"),
            description: Words::Key("data.archive_description"),
            count: Some(entry_count),
            counts: "data.count_files",
            bytes: Some(size as usize),
            anchor: None,
        });
        files.push(path.clone());
        // Written by `site::write_site` once every file exists; its size is not known yet.
        downloads.push(Download {
            path: sums::PATH.into(),
            format: "data.format_sha256",
            title: Words::Key("data.sums_title"),
            description: Words::Key("data.sums_description"),
            count: None,
            counts: "data.count_files",
            bytes: None,
            anchor: None,
        });
        OpenData {
            tables,
            files,
            downloads,
            license,
            archive: Some(PendingArchive { path, archive }),
        }
    }

    /// The archive (`openssc-data.zip`), listed and sized but not yet written: the caller
    /// writes it ([`PendingArchive::write`]), for instance beside the pages, on one core
    /// while the other renders.
    pub fn take_archive(&mut self) -> Option<PendingArchive> {
        self.archive.take()
    }

    /// The Data page, in the language of `views`.
    pub fn page(&self, views: &Views<'_>) -> PageSpec {
        let downloads: Vec<Value> = self
            .downloads
            .iter()
            .map(|d| {
                json!({
                    "href": views.shared(&d.path),
                    "name": d.path.trim_start_matches(&format!("{DIR}/")),
                    "format": views.t(d.format),
                    "title": d.title.resolve(views),
                    "description": d.description.resolve(views),
                    "count": d.count.map(|c| views.locale.plural(d.counts, c as u64)),
                    "size": d.bytes.map(size),
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
                    "href": views.shared(&format!("{DIR}/{}", t.file_name())),
                    "title": Words::table_title(t).resolve(views),
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
                            "description": Words::field(t, &f.name, &f.description).resolve(views),
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
                "project_files": views.locale.number(views.data.projects.len() as f64),
                "license": {"title": self.license.title, "url": self.license.path, "name": self.license.name},
                "dictionary_href": "data-dictionary/index.html",
            }),
        )
    }
}

/// Makes each of `items` with `make`, on any core, and hands the results to `place` in
/// order, placing one item's while the next is made (`rayon::in_place_scope`): placing on
/// one core while the other waited left it idle about a third of the time. Stops at the
/// first error `place` returns.
fn pipelined<I: Send, T: Send>(
    items: impl IntoIterator<Item = I>,
    make: impl Fn(I) -> T + Sync,
    mut place: impl FnMut(T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut made = None;
    for item in items {
        let mut next = None;
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| next = Some(make(item)));
            made.take().map_or(Ok(()), &mut place)
        })?;
        made = next;
    }
    made.map_or(Ok(()), place)
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
    fn kept_files_keep_streamed_files_and_report_a_failed_one() {
        let kept = KeptFiles::default();
        let size = kept.stream("data/a.json", &mut |out| out.write_all(b"{}\n"));
        assert_eq!(size, 3);
        let files = kept.into_files().unwrap();
        assert_eq!(
            (files[0].path.as_str(), files[0].bytes.as_slice()),
            ("data/a.json", b"{}\n".as_slice())
        );

        let kept = KeptFiles::default();
        kept.stream("data/b.zip", &mut |out| {
            out.write_all(b"PK")?;
            Err(std::io::Error::other("an entry failed"))
        });
        let failure = kept.into_files().unwrap_err().to_string();
        assert!(
            failure.contains("data/b.zip") && failure.contains("an entry failed"),
            "{failure}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(12_595), "12.3 KB");
        assert_eq!(size(4_299_161), "4.1 MB");
    }
}
