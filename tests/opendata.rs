//! The open-data downloads of the valid fixture site: CSV headers and values, the Data
//! Package (every CSV described, every row typed and constrained as it says, every
//! primary and foreign key holding), round trips from the records to the CSV tables,
//! records.json and the per-initiative JSON, the Data page and its links, the license, and
//! determinism.
//!
//! `frictionless validate` itself runs in CI (`../shared/verify/data.sh`); these tests
//! check the same properties without Python.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use openssc::{BuildOptions, BuildOutcome};
use serde_json::Value;

type Tree = BTreeMap<String, Vec<u8>>;
type Row = BTreeMap<String, String>;

fn build(root: &Path) -> (tempfile::TempDir, Tree) {
    let parent = tempfile::Builder::new().prefix("openssc-opendata-").tempdir().unwrap();
    let out = parent.path().join("out");
    let options = BuildOptions {
        strict: false,
        date: Some("2026-01-02".into()),
    };
    match openssc::build_site(root, &out, &options).expect("the site is readable") {
        BuildOutcome::Built { .. } => {}
        BuildOutcome::Failed(d) => panic!("the build failed:\n{}", common::render_all(&d)),
    }
    let tree = common::read_tree(&out);
    (parent, tree)
}

fn valid_tree() -> Tree {
    let site = common::site(None);
    build(site.path()).1
}

fn text(tree: &Tree, path: &str) -> String {
    String::from_utf8(tree.get(path).unwrap_or_else(|| panic!("{path} is written")).clone()).expect("UTF-8")
}

/// The header and the rows of a CSV file of the tree.
fn table(tree: &Tree, path: &str) -> (Vec<String>, Vec<Row>) {
    let bytes = tree.get(path).unwrap_or_else(|| panic!("{path} is written"));
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(r.len(), header.len(), "{path}: every row has every column");
            header.iter().cloned().zip(r.iter().map(str::to_owned)).collect()
        })
        .collect();
    (header, rows)
}

fn package(tree: &Tree) -> Value {
    serde_json::from_slice(&tree["data/datapackage.json"]).expect("datapackage.json is JSON")
}

fn names(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|s| s.as_str().unwrap().to_owned()).collect(),
        _ => panic!("a field name or a list of them: {v}"),
    }
}

fn find<'r>(rows: &'r [Row], column: &str, value: &str) -> Vec<&'r Row> {
    rows.iter().filter(|r| r[column] == value).collect()
}

#[test]
fn csv_tables_have_their_headers_and_values() {
    let tree = valid_tree();
    let (header, projects) = table(&tree, "data/projects.csv");
    assert_eq!(
        &header[..10],
        [
            "id",
            "title",
            "summary",
            "instrument",
            "modality",
            "status",
            "start",
            "end",
            "start_year",
            "end_year"
        ]
    );
    let ids: Vec<&str> = projects.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "test-bilateral-project",
            "test-regional-project",
            "test-triangular-project"
        ],
        "one row per initiative, by id"
    );
    let p = &projects[0];
    assert_eq!(
        p["title"], "Fixture bilateral project (test data)",
        "text in the default language"
    );
    assert_eq!(p["start"], "2011-03");
    assert_eq!(p["end"], "2012-06-30");
    assert_eq!(p["sectors"], "housing;construction", "several values joined with `;`");
    assert_eq!(p["sdgs"], "1;11");
    assert_eq!(p["provider_countries"], "COL");
    assert_eq!(p["budget_amount"], "1242000");
    assert_eq!(p["budget_currency"], "MXN");
    assert_eq!(p["budget_year"], "2011");
    assert_eq!(p["budget_usd"], "100000", "1,242,000 MXN at 12.42 per USD");
    assert_eq!(p["funds"], "test-fund-delta");
    assert_eq!(p["beneficiaries_women"], "60");
    assert_eq!(p["outcome"], "mixed");
    assert_eq!(p["consultation_social_movements"], "partly");
    assert_eq!(p["participants"], "2");
    assert_eq!(p["page"], "projects/test-bilateral-project.html");
    assert_eq!(p["file"], "content/projects/test-bilateral-project.md");
    assert_eq!(
        projects[2]["end"], "",
        "an ongoing initiative has an empty end (a missing value)"
    );

    let (header, participants) = table(&tree, "data/participants.csv");
    assert_eq!(
        header,
        [
            "project",
            "position",
            "actor",
            "actor_type",
            "civil_society",
            "role",
            "phases",
            "financial_amount",
            "financial_currency",
            "financial_year",
            "financial_usd",
            "in_kind_description",
            "in_kind_amount",
            "in_kind_currency",
            "in_kind_year",
            "in_kind_usd",
            "staff_people",
            "staff_person_days",
            "note"
        ]
    );
    let x = &participants[0];
    assert_eq!(
        (
            x["project"].as_str(),
            x["position"].as_str(),
            x["actor"].as_str(),
            x["role"].as_str()
        ),
        ("test-bilateral-project", "1", "test-ministry-alpha", "provider")
    );
    assert_eq!(x["phases"], "negotiation;formulation;implementation");
    assert_eq!(
        [
            &x["financial_amount"],
            &x["financial_currency"],
            &x["financial_year"],
            &x["financial_usd"]
        ],
        ["50000", "USD", "2011", "50000"]
    );
    assert_eq!(
        [
            &x["in_kind_amount"],
            &x["in_kind_currency"],
            &x["in_kind_year"],
            &x["in_kind_usd"]
        ],
        ["62100", "MXN", "2011", "5000"],
        "an amount without a year takes the initiative's start year"
    );
    assert_eq!(x["in_kind_description"], "Fictional equipment.");
    assert_eq!(
        (x["staff_people"].as_str(), x["staff_person_days"].as_str()),
        ("3", "120")
    );
    let ngo = &participants[1];
    assert_eq!(
        (ngo["actor_type"].as_str(), ngo["civil_society"].as_str()),
        ("ngo", "true")
    );

    let (_, transactions) = table(&tree, "data/transactions.csv");
    let t: Vec<(&str, &str, &str, &str)> = transactions
        .iter()
        .map(|r| {
            (
                r["date"].as_str(),
                r["type"].as_str(),
                r["amount"].as_str(),
                r["usd"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        t,
        [
            ("2011-04-01", "commitment", "100000", "100000"),
            ("2011-05", "disbursement", "621000", "50000")
        ]
    );

    let (_, countries) = table(&tree, "data/project_countries.csv");
    let roles: Vec<(&str, &str)> = find(&countries, "project", "test-triangular-project")
        .iter()
        .map(|r| (r["country"].as_str(), r["role"].as_str()))
        .collect();
    assert_eq!(
        roles,
        [("MEX", "provider"), ("GTM", "recipient"), ("CHL", "second-provider")]
    );

    let (_, sectors) = table(&tree, "data/project_sectors.csv");
    let housing = find(&sectors, "sector", "housing");
    assert_eq!(housing[0]["dac"], "160", "the DAC code comes from the vocabulary");

    let (_, results) = table(&tree, "data/results.csv");
    assert_eq!(results[0]["actual_value"], "38.5");
    assert_eq!(results[0]["target_year"], "2012");

    let (_, evaluations) = table(&tree, "data/evaluations.csv");
    let answers: Vec<(&str, &str)> = find(&evaluations, "project", "test-bilateral-project")
        .iter()
        .map(|r| (r["question"].as_str(), r["answer"].as_str()))
        .collect();
    assert_eq!(
        answers,
        [
            ("demand_driven", "yes"),
            ("reach", "partly"),
            ("participation", "unknown")
        ],
        "one row per question answered, in the vocabulary's order"
    );

    let (_, actors) = table(&tree, "data/actors.csv");
    let beta = find(&actors, "id", "test-agency-beta")[0];
    assert_eq!(beta["parent"], "test-ministry-alpha");
    assert_eq!(beta["country"], "MEX");

    let (_, countries) = table(&tree, "data/countries.csv");
    let hnd = find(&countries, "code", "HND")[0];
    assert_eq!(hnd["name_es"], "Honduras");
    assert_eq!(hnd["region"], "Americas");
}

#[test]
fn csv_files_are_utf8_with_crlf_and_rfc4180_quoting() {
    let tree = valid_tree();
    for (path, bytes) in tree.iter().filter(|(p, _)| p.ends_with(".csv")) {
        let s = std::str::from_utf8(bytes).unwrap_or_else(|_| panic!("{path} is UTF-8"));
        assert!(!s.starts_with('\u{feff}'), "{path} has no byte-order mark");
        assert!(s.ends_with("\r\n"), "{path} ends with CRLF");
        let header = s.split("\r\n").next().unwrap();
        assert!(!header.contains('"'), "{path}: column names need no quotes");
    }
    // Quoting itself is unit-tested in src/opendata/csv.rs; every file reads back with the
    // same number of cells in every row (see `table`).
    for path in tree.keys().filter(|p| p.ends_with(".csv")) {
        table(&tree, path);
    }
}

/// The Data Package describes every CSV; every header is the schema's field list; every
/// cell has the schema's type and constraints; primary keys are unique; foreign keys
/// resolve.
#[test]
fn datapackage_describes_every_csv_and_its_keys_hold() {
    let tree = valid_tree();
    let package = package(&tree);
    assert_eq!(package["profile"], "tabular-data-package");
    assert_eq!(package["name"], "openssc-test-fixture-site-fictional-data");
    assert_eq!(package["licenses"][0]["name"], "CC-BY-4.0", "the default license");
    assert_eq!(package["created"], "2026-01-02T00:00:00Z");
    assert!(
        package["sources"].as_array().unwrap().len() >= 2,
        "the site and the exchange rates"
    );

    let resources = package["resources"].as_array().unwrap();
    let described: BTreeSet<String> = resources
        .iter()
        .map(|r| format!("data/{}", r["path"].as_str().unwrap()))
        .collect();
    let written: BTreeSet<String> = tree.keys().filter(|p| p.ends_with(".csv")).cloned().collect();
    assert_eq!(described, written, "the package lists every CSV, and only them");
    for expected in [
        "projects",
        "participants",
        "project_countries",
        "project_sectors",
        "transactions",
        "results",
        "evaluations",
        "actors",
        "funds",
        "exchanges",
        "countries",
    ] {
        assert!(
            written.contains(&format!("data/{expected}.csv")),
            "{expected}.csv is written"
        );
    }

    let mut tables: BTreeMap<String, (Vec<String>, Vec<Row>)> = BTreeMap::new();
    for r in resources {
        let name = r["name"].as_str().unwrap().to_owned();
        tables.insert(name, table(&tree, &format!("data/{}", r["path"].as_str().unwrap())));
    }
    let mut foreign_keys_checked = 0;
    for r in resources {
        let name = r["name"].as_str().unwrap();
        let schema = &r["schema"];
        let (header, rows) = &tables[name];
        let fields: Vec<&str> = schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(header, &fields, "{name}: the header is the schema's field list");

        for f in schema["fields"].as_array().unwrap() {
            let column = f["name"].as_str().unwrap();
            let c = &f["constraints"];
            for row in rows {
                let cell = row[column].as_str();
                if cell.is_empty() {
                    assert!(c["required"] != true, "{name}.{column} is required but empty");
                    continue;
                }
                match f["type"].as_str().unwrap() {
                    "integer" => {
                        let v: i64 = cell
                            .parse()
                            .unwrap_or_else(|_| panic!("{name}.{column}: `{cell}` is an integer"));
                        if let Some(min) = c["minimum"].as_i64() {
                            assert!(v >= min, "{name}.{column}: {v} < {min}");
                        }
                        if let Some(max) = c["maximum"].as_i64() {
                            assert!(v <= max, "{name}.{column}: {v} > {max}");
                        }
                    }
                    "number" => {
                        let v: f64 = cell
                            .parse()
                            .unwrap_or_else(|_| panic!("{name}.{column}: `{cell}` is a number"));
                        assert!(!cell.contains(['e', 'E']), "{name}.{column}: no exponent in `{cell}`");
                        if let Some(min) = c["minimum"].as_i64() {
                            assert!(v >= min as f64, "{name}.{column}: {v} < {min}");
                        }
                    }
                    "boolean" => assert!(cell == "true" || cell == "false", "{name}.{column}: `{cell}`"),
                    "string" => {}
                    other => panic!("{name}.{column}: unexpected type {other}"),
                }
                if let Some(values) = c["enum"].as_array() {
                    assert!(
                        values.iter().any(|v| v == cell),
                        "{name}.{column}: `{cell}` is not one of {values:?}"
                    );
                }
            }
            if c["unique"] == true {
                let distinct: BTreeSet<&str> = rows.iter().map(|r| r[column].as_str()).collect();
                assert_eq!(distinct.len(), rows.len(), "{name}.{column} is unique");
            }
        }

        // The report's figure tables have no primary key (their keys may have one part or two).
        if schema["primaryKey"].is_null() {
            assert!(name.starts_with("reports-"), "{name} has a primary key");
            continue;
        }
        let key = names(&schema["primaryKey"]);
        let distinct: BTreeSet<Vec<&str>> = rows
            .iter()
            .map(|r| key.iter().map(|k| r[k].as_str()).collect())
            .collect();
        assert_eq!(distinct.len(), rows.len(), "{name}: the primary key {key:?} is unique");

        for fk in schema["foreignKeys"].as_array().into_iter().flatten() {
            let fields = names(&fk["fields"]);
            let target = fk["reference"]["resource"].as_str().unwrap();
            let target = if target.is_empty() { name } else { target };
            let reference = names(&fk["reference"]["fields"]);
            let (_, target_rows) = &tables[target];
            let keys: BTreeSet<Vec<&str>> = target_rows
                .iter()
                .map(|r| reference.iter().map(|k| r[k].as_str()).collect())
                .collect();
            for row in rows {
                let value: Vec<&str> = fields.iter().map(|f| row[f].as_str()).collect();
                if value.iter().all(|v| v.is_empty()) {
                    continue;
                }
                assert!(
                    keys.contains(&value),
                    "{name}.{fields:?} = {value:?} has no row in {target}"
                );
                foreign_keys_checked += 1;
            }
        }
    }
    assert!(
        foreign_keys_checked > 30,
        "the foreign keys are many and checked ({foreign_keys_checked})"
    );
    for (table, fk) in [
        ("participants", "actor"),
        ("project_countries", "country"),
        ("actors", "parent"),
        ("edition_projects", "edition"),
    ] {
        let r = resources.iter().find(|r| r["name"] == table).unwrap();
        assert!(
            r["schema"]["foreignKeys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| names(&k["fields"]) == [fk]),
            "{table}.{fk} is a foreign key"
        );
    }
    let participants = resources.iter().find(|r| r["name"] == "participants").unwrap();
    let role = &participants["schema"]["fields"][5];
    assert_eq!(role["name"], "role");
    assert!(
        role["constraints"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "second-provider"),
        "enums come from the vocabularies"
    );
}

/// What the records say is what the tables say (records.json read back against the CSVs).
#[test]
fn records_json_and_the_csv_tables_agree() {
    let tree = valid_tree();
    let records: Value = serde_json::from_slice(&tree["data/records.json"]).unwrap();
    let (_, projects) = table(&tree, "data/projects.csv");
    let (_, participants) = table(&tree, "data/participants.csv");
    let (_, transactions) = table(&tree, "data/transactions.csv");
    let (_, sectors) = table(&tree, "data/project_sectors.csv");
    let json_projects = records["projects"].as_array().unwrap();
    assert_eq!(json_projects.len(), projects.len());
    for (p, row) in json_projects.iter().zip(&projects) {
        let id = p["id"].as_str().unwrap();
        assert_eq!(row["id"], id);
        let title = match &p["title"] {
            Value::String(s) => s.clone(),
            map => map["en"].as_str().unwrap().to_owned(),
        };
        assert_eq!(row["title"], title);
        assert_eq!(row["start"], p["start"].as_str().unwrap(), "dates as written");
        assert_eq!(row["modality"], p["modality"].as_str().unwrap());
        let json_sectors: Vec<&str> = p["sectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(row["sectors"], json_sectors.join(";"));
        let table_sectors: Vec<&str> = find(&sectors, "project", id)
            .iter()
            .map(|r| r["sector"].as_str())
            .collect();
        assert_eq!(table_sectors, json_sectors);
        let json_participants = p["participants"].as_array().unwrap();
        let rows = find(&participants, "project", id);
        assert_eq!(rows.len(), json_participants.len());
        for (x, r) in json_participants.iter().zip(rows) {
            assert_eq!(
                r["actor"],
                x["actor"]["id"].as_str().unwrap(),
                "references are resolved to id and name"
            );
            assert!(x["actor"]["name"].is_string());
            assert_eq!(r["role"], x["role"].as_str().unwrap());
            if let Some(m) = x["contribution"]["financial"].as_object() {
                assert_eq!(
                    r["financial_amount"].parse::<f64>().unwrap(),
                    m["amount"].as_f64().unwrap()
                );
                assert_eq!(r["financial_usd"].parse::<f64>().unwrap(), m["usd"].as_f64().unwrap());
            }
        }
        let json_transactions = p["financing"]["transactions"].as_array().cloned().unwrap_or_default();
        let rows = find(&transactions, "project", id);
        assert_eq!(rows.len(), json_transactions.len());
        for (t, r) in json_transactions.iter().zip(rows) {
            assert_eq!(r["usd"].parse::<f64>().unwrap(), t["amount"]["usd"].as_f64().unwrap());
            assert_eq!(r["year"], t["amount"]["usd_year"].to_string());
            assert_eq!(r["from"], t["from"]["id"].as_str().unwrap());
        }
    }

    // USD values are added to every amount; a translation file is kept.
    let bilateral = &json_projects[0];
    assert_eq!(bilateral["financing"]["budget"]["usd"], 100000.0);
    assert_eq!(bilateral["financing"]["budget"]["usd_year"], 2011);
    assert_eq!(bilateral["countries"]["providers"][0]["name"], "Colombia");
    assert_eq!(bilateral["evaluation"]["date"], "2012-09");
    let regional = &json_projects[1];
    assert!(
        regional["translations"]["es"]["body"].is_string(),
        "translations are in records.json"
    );
    assert_eq!(records["actors"].as_array().unwrap().len(), 4);
    assert_eq!(records["funds"].as_array().unwrap().len(), 1);
    assert_eq!(records["exchanges"].as_array().unwrap().len(), 2);
    assert_eq!(records["editions"][0]["year"], 2011);
    let text = text(&tree, "data/records.json");
    assert!(!text.contains("\"month\""), "no date is left as its parts");
    assert_eq!(text.lines().count(), 1, "records.json is compact JSON: one line");

    // One JSON per initiative beside its page, the same record as in records.json (its
    // bytes, with a final newline), linked from its page.
    for p in json_projects {
        let id = p["id"].as_str().unwrap();
        let path = format!("projects/{id}.json");
        let own: Value = serde_json::from_slice(&tree[&path]).unwrap();
        assert_eq!(&own, p, "{path} is the record of records.json");
        let bytes = &tree[&path];
        assert!(
            bytes.ends_with(b"}\n") && text.contains(std::str::from_utf8(&bytes[..bytes.len() - 1]).unwrap()),
            "{path} holds the bytes of its item in records.json"
        );
        let page = self::text(&tree, &format!("projects/{id}.html"));
        assert!(
            page.contains(&format!("href=\"../{path}\"")),
            "the page of {id} links its JSON"
        );
    }
    assert!(
        !tree.keys().any(|p| p.starts_with("data/projects/")),
        "no initiative's file is left under data/"
    );
}

#[test]
fn data_page_lists_every_download_and_list_pages_link_them() {
    let tree = valid_tree();
    let page = text(&tree, "data/index.html");
    let data_files: Vec<&String> = tree
        .keys()
        .filter(|p| p.starts_with("data/") && *p != "data/index.html")
        .collect();
    assert!(data_files.len() >= 13);
    for path in data_files {
        assert!(
            page.contains(&format!("href=\"../{path}\"")),
            "the Data page links {path}"
        );
    }
    assert!(
        page.contains("href=\"../data-dictionary/index.html\""),
        "and the data dictionary"
    );
    assert!(
        page.contains("https://creativecommons.org/licenses/by/4.0/"),
        "and the license"
    );
    assert!(page.contains("id=\"table-participants\""), "and describes the columns");
    for key in [
        "data.format_",
        "data.count_",
        "data.datapackage_",
        "data.records_",
        "data.iati_",
        "data.figures_",
        "data.xlsx_",
        "data.archive_",
        "data.sums_",
    ] {
        assert!(
            !page.contains(key),
            "every interface text of the Data page is in the catalog ({key}…)"
        );
    }
    for (list, csv) in [
        ("projects/index.html", "participants.csv"),
        ("actors/index.html", "actors.csv"),
        ("funds/index.html", "funds.csv"),
        ("exchanges/index.html", "exchanges.csv"),
        ("countries/index.html", "countries.csv"),
    ] {
        let html = text(&tree, list);
        assert!(html.contains(&format!("href=\"../data/{csv}\"")), "{list} links {csv}");
    }
    assert!(
        text(&tree, "index.html").contains("href=\"data/index.html\""),
        "the menu links the Data page"
    );
}

#[test]
fn license_comes_from_the_configuration() {
    let site = common::site(None);
    let config = site.path().join("openssc.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("license = \"CC0-1.0\"\n");
    std::fs::write(&config, text).unwrap();
    let (_dir, tree) = build(site.path());
    let package = package(&tree);
    assert_eq!(package["licenses"][0]["name"], "CC0-1.0");
    assert_eq!(
        package["licenses"][0]["path"],
        "https://creativecommons.org/publicdomain/zero/1.0/"
    );
    let records: Value = serde_json::from_slice(&tree["data/records.json"]).unwrap();
    assert_eq!(records["license"]["name"], "CC0-1.0");
}

#[test]
fn downloads_are_byte_identical_across_builds() {
    let site = common::site(None);
    let (_a, a) = build(site.path());
    let (_b, b) = build(site.path());
    let data = |t: &Tree| -> Tree {
        t.iter()
            .filter(|(p, _)| p.starts_with("data/"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };
    let (a, b) = (data(&a), data(&b));
    assert!(a.len() > 15);
    for path in ["data/openssc.xlsx", "data/openssc-data.zip", "data/SHA256SUMS"] {
        assert!(a.contains_key(path), "{path} is compared");
    }
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs between two builds");
    }
}

// IATI.

/// The elements named `name` in `xml` (as this generator writes them: one start tag per
/// `<name ` or `<name>`), each as its attributes.
fn elements(xml: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut found = Vec::new();
    let mut rest = xml;
    let open = format!("<{name}");
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        if !rest.starts_with([' ', '>', '/']) {
            continue;
        }
        let end = rest.find('>').expect("a closed tag");
        let mut attrs = BTreeMap::new();
        let mut tag = &rest[..end];
        while let Some(eq) = tag.find("=\"") {
            let key = tag[..eq].trim().trim_start_matches('/').to_owned();
            let value_end = tag[eq + 2..].find('"').expect("a closed attribute");
            attrs.insert(key, tag[eq + 2..eq + 2 + value_end].to_owned());
            tag = &tag[eq + 2 + value_end + 1..];
        }
        found.push(attrs);
    }
    found
}

/// The activities of the file, each as its XML text.
fn activities(xml: &str) -> Vec<&str> {
    xml.split("<iati-activity ").skip(1).collect()
}

/// IATI 2.03 code lists (IATI/IATI-Codelists, version 2.03; SectorCategory from
/// IATI-Codelists-NonEmbedded, active codes).
mod codelists {
    pub const ORGANISATION_TYPE: &[&str] = &[
        "10", "11", "15", "21", "22", "23", "24", "30", "40", "60", "70", "71", "72", "73", "80", "90",
    ];
    pub const ORGANISATION_ROLE: &[&str] = &["1", "2", "3", "4"];
    pub const ACTIVITY_STATUS: &[&str] = &["1", "2", "3", "4", "5", "6"];
    pub const ACTIVITY_DATE_TYPE: &[&str] = &["1", "2", "3", "4"];
    pub const COLLABORATION_TYPE: &[&str] = &["1", "2", "3", "4", "6", "7", "8"];
    pub const TRANSACTION_TYPE: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"];
    pub const DESCRIPTION_TYPE: &[&str] = &["1", "2", "3", "4"];
    pub const BUDGET_TYPE: &[&str] = &["1", "2"];
    pub const BUDGET_STATUS: &[&str] = &["1", "2"];
    pub const RESULT_TYPE: &[&str] = &["1", "2", "3", "9"];
    pub const INDICATOR_MEASURE: &[&str] = &["1", "2", "3", "4", "5"];
    /// The FinanceType codes this generator may write (standard grant, standard loan).
    pub const FINANCE_TYPE_USED: &[&str] = &["110", "421"];
    pub const SECTOR_CATEGORY: &[&str] = &[
        "110", "111", "112", "113", "114", "120", "121", "122", "123", "130", "140", "150", "151", "152", "160", "210",
        "220", "230", "231", "232", "233", "234", "235", "236", "240", "250", "310", "311", "312", "313", "320", "321",
        "322", "323", "330", "331", "332", "410", "430", "510", "520", "530", "600", "720", "730", "740", "910", "930",
        "998",
    ];
    pub const LANGUAGES: &[&str] = &["en", "es", "pt", "fr"];
}

fn iati(tree: &Tree) -> String {
    text(tree, "data/iati-activities.xml")
}

fn check_codes(xml: &str, element: &str, attr: &str, allowed: &[&str]) -> usize {
    let found = elements(xml, element);
    for e in &found {
        if let Some(v) = e.get(attr) {
            assert!(
                allowed.contains(&v.as_str()),
                "<{element} {attr}=\"{v}\"> is not in the code list"
            );
        }
    }
    found.len()
}

#[test]
fn iati_code_values_come_from_the_code_lists() {
    use codelists::*;
    let tree = valid_tree();
    let xml = iati(&tree);
    let countries: BTreeSet<&str> = openssc::countries::all().values().map(|c| c.alpha2).collect();
    assert!(check_codes(&xml, "reporting-org", "type", ORGANISATION_TYPE) == 3);
    assert!(check_codes(&xml, "participating-org", "type", ORGANISATION_TYPE) > 3);
    check_codes(&xml, "participating-org", "role", ORGANISATION_ROLE);
    for e in elements(&xml, "participating-org") {
        assert!(e.contains_key("role"), "every participating-org has a role");
    }
    check_codes(&xml, "provider-org", "type", ORGANISATION_TYPE);
    check_codes(&xml, "receiver-org", "type", ORGANISATION_TYPE);
    assert_eq!(check_codes(&xml, "activity-status", "code", ACTIVITY_STATUS), 3);
    check_codes(&xml, "activity-date", "type", ACTIVITY_DATE_TYPE);
    check_codes(&xml, "collaboration-type", "code", COLLABORATION_TYPE);
    check_codes(&xml, "default-finance-type", "code", FINANCE_TYPE_USED);
    assert!(check_codes(&xml, "transaction-type", "code", TRANSACTION_TYPE) == 2);
    check_codes(&xml, "description", "type", DESCRIPTION_TYPE);
    check_codes(&xml, "budget", "type", BUDGET_TYPE);
    check_codes(&xml, "budget", "status", BUDGET_STATUS);
    assert!(check_codes(&xml, "result", "type", RESULT_TYPE) >= 1);
    check_codes(&xml, "indicator", "measure", INDICATOR_MEASURE);
    check_codes(&xml, "narrative", "xml:lang", LANGUAGES);
    check_codes(&xml, "iati-activity", "xml:lang", LANGUAGES);
    for e in elements(&xml, "recipient-country") {
        assert!(
            countries.contains(e["code"].as_str()),
            "recipient-country {} is ISO 3166-1 alpha-2",
            e["code"]
        );
    }
    for e in elements(&xml, "value") {
        let c = &e["currency"];
        assert!(
            c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()),
            "currency {c}"
        );
    }
    for e in elements(&xml, "sector") {
        match e["vocabulary"].as_str() {
            "2" => assert!(
                SECTOR_CATEGORY.contains(&e["code"].as_str()),
                "DAC 3-digit code {}",
                e["code"]
            ),
            "7" => assert!(
                (1..=17).contains(&e["code"].parse::<u8>().unwrap()),
                "SDG {}",
                e["code"]
            ),
            other => panic!("sector vocabulary {other}"),
        }
    }
    // Percentages add up to 100 for each activity and vocabulary.
    for activity in activities(&xml) {
        let mut sums: BTreeMap<String, f64> = BTreeMap::new();
        for e in elements(activity, "sector") {
            *sums.entry(format!("sector {}", e["vocabulary"])).or_default() += e["percentage"].parse::<f64>().unwrap();
        }
        for e in elements(activity, "recipient-country") {
            *sums.entry("country".into()).or_default() += e["percentage"].parse::<f64>().unwrap();
        }
        for (what, sum) in sums {
            assert!((sum - 100.0).abs() < 1e-9, "{what} percentages add up to {sum}");
        }
    }
}

/// The schemas' translations (`x-i18n`) stay in the schema files: no page, table, Data Package
/// or JSON download carries the keyword (only the archive holds the schemas, as they are).
#[test]
fn schema_translations_do_not_leak_into_the_outputs() {
    let tree = valid_tree();
    assert!(!package(&tree).to_string().contains("x-i18n"));
    for (path, bytes) in &tree {
        if path.ends_with(".zip") || path.ends_with(".xlsx") {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(bytes).contains("x-i18n"),
            "{path} mentions x-i18n"
        );
    }
    let dictionary = text(&tree, "data-dictionary/index.html");
    assert!(dictionary.contains("The name of the initiative."));
    assert!(dictionary.contains("Is this cooperation linked to the participating countries"));
}

/// The vocabularies map every actor type and sector to a code of the IATI code lists.
#[test]
fn vocabulary_mappings_are_iati_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/vocab");
    let values = |file: &str, key: &str| -> Vec<String> {
        std::fs::read_to_string(root.join(file))
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().strip_prefix(&format!("{key}:")).map(|v| v.trim().to_owned()))
            .collect()
    };
    let types = values("actor-types.yaml", "iati");
    assert!(types.len() >= 18, "every actor type has an IATI code");
    for code in types.iter().chain(&values("actor-types.yaml", "iati_international")) {
        assert!(
            codelists::ORGANISATION_TYPE.contains(&code.as_str()),
            "OrganisationType {code}"
        );
    }
    let dac = values("sectors.yaml", "dac");
    assert!(dac.len() >= 30, "every sector has a DAC code");
    for code in dac {
        assert!(
            codelists::SECTOR_CATEGORY.contains(&code.as_str()),
            "DAC 3-digit code {code}"
        );
    }
}

#[test]
fn iati_activities_map_the_records() {
    let tree = valid_tree();
    let xml = iati(&tree);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<iati-activities version=\"2.03\""));
    let acts = activities(&xml);
    assert_eq!(acts.len(), 3, "one activity per initiative");
    let bilateral = acts[0];
    assert!(bilateral.contains("<iati-identifier>XX-OPENSSC-test-bilateral-project</iati-identifier>"));
    assert!(bilateral.contains("<reporting-org ref=\"XX-OPENSSC\" type=\"90\" secondary-reporter=\"1\">"));
    assert!(
        bilateral.contains("<narrative xml:lang=\"es\">Proyecto bilateral de prueba (datos de prueba)</narrative>"),
        "titles in every language"
    );
    let orgs: Vec<(String, String)> = elements(bilateral, "participating-org")
        .into_iter()
        .map(|e| (e["role"].clone(), e["type"].clone()))
        .collect();
    assert_eq!(
        orgs,
        [("1".into(), "10".into()), ("4".into(), "22".into())],
        "provider → Funding, executor → Implementing; a ministry is a government, an NGO national"
    );
    let status = &elements(bilateral, "activity-status")[0]["code"];
    assert_eq!(status, "4", "completed → Closed");
    let dates: Vec<(String, String)> = elements(bilateral, "activity-date")
        .into_iter()
        .map(|e| (e["type"].clone(), e["iso-date"].clone()))
        .collect();
    assert_eq!(
        dates,
        [("2".into(), "2011-03-01".into()), ("4".into(), "2012-06-30".into())]
    );
    assert_eq!(elements(bilateral, "recipient-country")[0]["code"], "HN");
    assert_eq!(elements(bilateral, "collaboration-type")[0]["code"], "1");
    let types: Vec<String> = elements(bilateral, "transaction-type")
        .into_iter()
        .map(|e| e["code"].clone())
        .collect();
    assert_eq!(types, ["2", "3"], "commitment → 2, disbursement → 3");
    assert!(bilateral.contains("<value currency=\"MXN\" value-date=\"2011-05-01\">621000</value>"));
    assert!(bilateral.contains("<baseline year=\"2011\" value=\"0\"/>"));
    assert!(bilateral.contains("<actual value=\"38.5\"/>"));
    let triangular = acts[2];
    assert_eq!(
        elements(triangular, "collaboration-type")[0]["code"],
        "8",
        "triangular → 8"
    );
    assert_eq!(
        elements(triangular, "activity-date")[0]["type"],
        "2",
        "implementation has started"
    );

    // The reporting organisation comes from `[iati]`.
    let site = common::site(None);
    let config = site.path().join("openssc.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[iati]\nreporting_org = \"XM-OCHA-TEST\"\nreporting_org_type = 22\n");
    std::fs::write(&config, toml).unwrap();
    let (_dir, tree) = build(site.path());
    let xml = iati(&tree);
    assert!(xml.contains("<iati-identifier>XM-OCHA-TEST-test-bilateral-project</iati-identifier>"));
    assert!(xml.contains("<reporting-org ref=\"XM-OCHA-TEST\" type=\"22\" secondary-reporter=\"1\">"));
}

/// The file validates against the official IATI 2.03 activities schema, when xmllint and
/// the schema (../shared/verify/iati-xsd) are there; CI runs the same check through
/// ../shared/verify/data.sh.
#[test]
fn iati_activities_validate_against_the_schema_when_xmllint_is_available() {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/verify/iati-xsd/iati-activities-schema.xsd");
    let xmllint = std::process::Command::new("xmllint").arg("--version").output();
    if !xsd.is_file() || xmllint.is_err() {
        eprintln!("skipped: xmllint or {} is missing", xsd.display());
        return;
    }
    let tree = valid_tree();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("iati-activities.xml");
    std::fs::write(&file, &tree["data/iati-activities.xml"]).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

// The workbook, the archive and the checksums.

/// The CSV file of every resource of the Data Package, in the package's order (the order
/// of the workbook's sheets).
fn package_csvs(tree: &Tree) -> Vec<String> {
    package(tree)["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("data/{}", r["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn xlsx_holds_every_table_with_typed_cells() {
    use calamine::{Data, Reader, Xlsx};
    let tree = valid_tree();
    let bytes = &tree["data/openssc.xlsx"];
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("an XLSX file");
    let sheets = book.sheet_names();
    let csvs = package_csvs(&tree);
    assert_eq!(sheets.len(), csvs.len(), "one sheet per CSV table");
    assert_eq!(sheets[0], "projects");
    assert!(sheets.iter().all(|s| s.chars().count() <= 31));
    let package = package(&tree);
    let mut dates = 0;
    for (i, (sheet, csv_path)) in sheets.iter().zip(&csvs).enumerate() {
        let fields = package["resources"][i]["schema"]["fields"].as_array().unwrap();
        let (header, rows) = table(&tree, csv_path);
        let range = book.worksheet_range(sheet).unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(range.start(), Some((0, 0)), "{sheet}: the header is the first row");
        let head: Vec<String> = cells[0].iter().map(|c| c.to_string()).collect();
        assert_eq!(head, header, "{sheet}: the header of {csv_path}");
        assert_eq!(cells.len(), rows.len() + 1, "{sheet}: the rows of {csv_path}");
        for (r, (row, values)) in rows.iter().zip(&cells[1..]).enumerate() {
            for (c, name) in header.iter().enumerate() {
                let csv_cell = row[name].as_str();
                let cell = values.get(c).cloned().unwrap_or(Data::Empty);
                let kind = fields[c]["type"].as_str().unwrap();
                let at = format!("{sheet} row {} column {name}", r + 2);
                match (&cell, kind) {
                    (Data::Empty, _) => assert_eq!(csv_cell, "", "{at}"),
                    (Data::Float(x), "number" | "integer") => assert_eq!(*x, csv_cell.parse::<f64>().unwrap(), "{at}"),
                    (Data::Int(x), "number" | "integer") => {
                        assert_eq!(*x as f64, csv_cell.parse::<f64>().unwrap(), "{at}")
                    }
                    (Data::Bool(b), "boolean") => assert_eq!(b.to_string(), csv_cell, "{at}"),
                    (Data::String(s), "string") => {
                        // Partial dates stay text; full dates are spreadsheet dates (below).
                        assert!(
                            !(csv_cell.len() == 10
                                && fields[c]["constraints"]["pattern"].is_string()
                                && csv_cell.as_bytes()[4] == b'-'
                                && csv_cell.as_bytes()[7] == b'-'),
                            "{at}: a full date written as text"
                        );
                        assert_eq!(s, csv_cell, "{at}")
                    }
                    (Data::DateTime(d), "string") => {
                        let (y, m, day, ..) = d.to_ymd_hms_milli();
                        assert_eq!(format!("{y:04}-{m:02}-{day:02}"), csv_cell, "{at}");
                        dates += 1;
                    }
                    _ => panic!("{at}: {cell:?} in a {kind} column (CSV: {csv_cell:?})"),
                }
            }
        }
    }
    assert!(dates > 0, "the fixture has full dates, written as spreadsheet dates");
    // Header row frozen and bold; the creation date is the build date.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    assert!(read("xl/worksheets/sheet1.xml").contains("state=\"frozen\""));
    assert!(read("xl/styles.xml").contains("<b/>"));
    assert!(read("docProps/core.xml").contains("2026-01-02T00:00:00Z"));
}

#[test]
fn archive_holds_the_data_files_and_the_sources_deterministically() {
    let site = common::site(None);
    let (_dir, tree) = build(site.path());
    let bytes = &tree["data/openssc-data.zip"];
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("a zip file");
    let mut entries: Tree = Tree::new();
    let mut order = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().expect("a UTF-8 name").into_owned();
        // Files of a compressed format (the workbook) are stored as they are.
        let method = if name.ends_with(".xlsx") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        assert_eq!(file.compression(), method, "{name}");
        assert_eq!(
            file.last_modified(),
            Some(zip::DateTime::default()),
            "{name}: a fixed date"
        );
        assert_eq!(
            file.unix_mode().map(|m| m & 0o777),
            Some(0o644),
            "{name}: fixed permissions"
        );
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut content).unwrap();
        order.push(name.clone());
        entries.insert(name, content);
    }
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "entries are sorted by path");
    // Every data file but the page, the checksums and the archive itself.
    let data: Vec<&String> = tree
        .keys()
        .filter(|p| p.starts_with("data/"))
        .filter(|p| !["data/index.html", "data/SHA256SUMS", "data/openssc-data.zip"].contains(&p.as_str()))
        .collect();
    assert!(data.iter().any(|p| p.ends_with(".xlsx")) && data.iter().any(|p| p.ends_with("/records.json")));
    for path in &data {
        assert!(
            entries.get(*path) == Some(&tree[*path]),
            "the archive holds {path} as written"
        );
    }
    // The raw content, byte for byte, and the schemas.
    let content = common::read_tree(&site.path().join("content"));
    assert!(!content.is_empty());
    for (path, bytes) in &content {
        assert!(
            entries.get(&format!("content/{path}")) == Some(bytes),
            "the archive holds content/{path}"
        );
    }
    for schema in [
        "schemas/project.schema.json",
        "schemas/common.schema.json",
        "schemas/vocab/actor-types.yaml",
    ] {
        assert!(entries.contains_key(schema), "the archive holds {schema}");
    }
    let others = entries
        .keys()
        .filter(|p| !p.starts_with("data/") && !p.starts_with("content/") && !p.starts_with("schemas/"))
        .count();
    assert_eq!(others, 0, "nothing else");
    assert_eq!(
        entries.len(),
        data.len() + content.len() + entries.keys().filter(|p| p.starts_with("schemas/")).count()
    );
}

#[test]
fn sha256sums_lists_every_file_with_its_hash() {
    use sha2::{Digest, Sha256};
    let site = common::site(None);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let options = BuildOptions {
        strict: false,
        date: Some("2026-01-02".into()),
    };
    assert!(matches!(
        openssc::build_site(site.path(), &out, &options).unwrap(),
        BuildOutcome::Built { .. }
    ));
    let tree = common::read_tree(&out);
    let sums = text(&tree, "data/SHA256SUMS");
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (hex, path) = line.split_once("  ").expect("`<hex>  <path>`");
        assert_eq!(hex.len(), 64);
        let digest: String = Sha256::digest(&tree[path]).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, digest, "the SHA-256 of {path}");
        listed.push(path.to_owned());
    }
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "sorted by path");
    let expected: Vec<String> = tree
        .keys()
        .filter(|p| *p != "data/SHA256SUMS" && *p != ".openssc-output")
        .cloned()
        .collect();
    assert_eq!(listed, expected, "every file of the site but itself and the marker");
    // `sha256sum -c` accepts it from the output folder, when the tool is there.
    if let Ok(status) = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", "--strict", "data/SHA256SUMS"])
        .current_dir(&out)
        .status()
    {
        assert!(status.success(), "sha256sum -c data/SHA256SUMS");
    }
}

// Recomputing the report's figures from the CSV tables.

/// `figures[name].rows` as key → (value, records).
fn figure_rows(figures: &Value, name: &str) -> BTreeMap<String, (f64, Vec<String>)> {
    figures["figures"][name]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("figure {name}"))
        .iter()
        .map(|r| {
            let records = r["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            (
                r["key"].as_str().unwrap().to_owned(),
                (r["value"].as_f64().unwrap(), records),
            )
        })
        .collect()
}

#[test]
fn report_figures_can_be_recomputed_from_the_csv_tables() {
    let tree = valid_tree();
    let (_, projects) = table(&tree, "data/projects.csv");
    let (_, participants) = table(&tree, "data/participants.csv");
    let (_, actors) = table(&tree, "data/actors.csv");
    let (_, edition_projects) = table(&tree, "data/edition_projects.csv");
    let civil_society: BTreeSet<&str> = actors
        .iter()
        .filter(|a| a["civil_society"] == "true")
        .map(|a| a["id"].as_str())
        .collect();
    let modality: BTreeMap<&str, &str> = projects
        .iter()
        .map(|p| (p["id"].as_str(), p["modality"].as_str()))
        .collect();
    let mut editions = 0;
    for (path, bytes) in tree
        .iter()
        .filter(|(p, _)| p.starts_with("data/reports/") && p.ends_with("/figures.json"))
    {
        editions += 1;
        let year = path.split('/').nth(2).unwrap();
        let figures: Value = serde_json::from_slice(bytes).unwrap();
        let scope: BTreeSet<&str> = find(&edition_projects, "edition", year)
            .iter()
            .map(|r| r["project"].as_str())
            .collect();
        assert!(!scope.is_empty(), "{year}: the edition counts initiatives");

        // Initiatives by modality: every key's count and records; keys the CSV lacks are 0.
        let mut by_modality: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for id in &scope {
            by_modality.entry(modality[id]).or_default().push(id.to_string());
        }
        let rows = figure_rows(&figures, "initiatives_by_modality");
        for (key, (value, records)) in &rows {
            let mine = by_modality.get(key.as_str()).cloned().unwrap_or_default();
            assert_eq!(*value, mine.len() as f64, "{year}: initiatives_by_modality[{key}]");
            assert_eq!(records, &mine, "{year}: the records of initiatives_by_modality[{key}]");
        }
        assert!(
            by_modality.keys().all(|k| rows.contains_key(*k)),
            "{year}: every modality is a row"
        );

        // Civil-society share: initiatives with a participant of a civil-society type.
        let with: Vec<String> = scope
            .iter()
            .filter(|id| {
                find(&participants, "project", id)
                    .iter()
                    .any(|p| civil_society.contains(p["actor"].as_str()))
            })
            .map(|id| id.to_string())
            .collect();
        let rows = figure_rows(&figures, "civil_society_share");
        assert_eq!(rows["with_civil_society"], (with.len() as f64, with.clone()), "{year}");
        let total: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        assert_eq!(rows["total"], (total.len() as f64, total), "{year}");
    }
    assert!(editions > 0, "the fixture has a report edition");
}

#[test]
fn projects_csv_round_trips_to_the_records() {
    let site = common::site(None);
    let (_dir, tree) = build(site.path());
    let openssc::CheckOutcome::Checked(checked) = openssc::check_site(site.path()).unwrap() else {
        panic!("the fixture site is readable")
    };
    let dataset = &checked.dataset;
    let lang = dataset.config.default_language.as_str();
    let bytes = &tree["data/projects.csv"];
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), dataset.projects.len(), "one row per record");
    for (row, (id, record)) in records.iter().zip(&dataset.projects) {
        let p = &record.data;
        assert_eq!(&row[col("id")], id.as_str());
        assert_eq!(&row[col("title")], p.title.get(lang, lang).0, "{id}: title");
        assert_eq!(&row[col("modality")], p.modality, "{id}: modality");
        assert_eq!(row[col("start")], p.start.to_string(), "{id}: start");
        let split = |cell: &str| -> Vec<String> {
            if cell.is_empty() {
                Vec::new()
            } else {
                cell.split(';').map(str::to_owned).collect()
            }
        };
        let c = &p.countries;
        assert_eq!(split(&row[col("provider_countries")]), c.providers, "{id}: providers");
        assert_eq!(
            split(&row[col("recipient_countries")]),
            c.recipients,
            "{id}: recipients"
        );
        assert_eq!(
            split(&row[col("second_provider_countries")]),
            c.second_providers,
            "{id}: second providers"
        );
        assert_eq!(
            split(&row[col("participant_countries")]),
            c.participants,
            "{id}: participants"
        );
    }
}

/// The values at `path` (object keys; `*` is every item of a list) under `value`.
fn values_at<'v>(value: &'v Value, path: &[&str], out: &mut Vec<&'v Value>) {
    match path.split_first() {
        None if !value.is_null() => out.push(value),
        None => {}
        Some((&"*", rest)) => {
            for item in value.as_array().into_iter().flatten() {
                values_at(item, rest, out);
            }
        }
        Some((key, rest)) => {
            if let Some(v) = value.get(*key) {
                values_at(v, rest, out);
            }
        }
    }
}

#[test]
fn every_reference_in_records_json_is_resolved() {
    // The JSON serializer finds reference fields by their struct and field names: a renamed
    // struct or field would leave ids where readers expect `{id, name}`.
    let tree = valid_tree();
    let records: Value = serde_json::from_slice(&tree["data/records.json"]).unwrap();
    let references: &[(&str, &str, &str)] = &[
        ("projects", "regional_mechanism", "name"),
        ("projects", "countries/providers/*", "name"),
        ("projects", "countries/recipients/*", "name"),
        ("projects", "countries/second_providers/*", "name"),
        ("projects", "participants/*/actor", "name"),
        ("projects", "financing/funds/*", "name"),
        ("projects", "financing/transactions/*/from", "name"),
        ("projects", "financing/transactions/*/to", "name"),
        ("projects", "evaluation/by/*", "name"),
        ("projects", "monitoring/*/by", "name"),
        ("actors", "country", "name"),
        ("actors", "parent", "name"),
        ("funds", "administered_by", "name"),
        ("funds", "contributors/*", "name"),
        ("funds", "eligible/countries/*", "name"),
        ("exchanges", "by", "name"),
        ("exchanges", "country", "name"),
        ("exchanges", "resulting_project", "title"),
    ];
    let mut missing = Vec::new();
    for (collection, path, label) in references {
        let path: Vec<&str> = std::iter::once("*").chain(path.split('/')).collect();
        let mut found = Vec::new();
        values_at(&records[collection], &path, &mut found);
        if found.is_empty() {
            missing.push(format!("{collection}: {}", path[1..].join("/")));
        }
        for v in found {
            let key = if path.contains(&"countries") || path.last() == Some(&"country") {
                "code"
            } else {
                "id"
            };
            assert!(
                v[key].is_string() && v.get(*label).is_some(),
                "{collection}/{}: {v} is resolved to {{{key}, {label}}}",
                path[1..].join("/")
            );
        }
    }
    assert!(missing.is_empty(), "the fixture has no value for {missing:?}");
}
