//! `openssc new`: a new site passes `check --strict` and `build` as created; record
//! skeletons list every schema field, fail `check` only on their required fields, and pass
//! once those are filled; nothing is ever overwritten; bad ids are refused with the reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn openssc(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openssc"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run openssc")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("openssc exits with a code")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A new site in a temporary folder (the folder itself is created by `new site`).
fn new_site() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("my-site");
    let out = Command::new(env!("CARGO_BIN_EXE_openssc"))
        .args(["new", "site"])
        .arg(&site)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (tmp, site)
}

/// The diagnostics of `check --format json`.
fn check_json(site: &Path) -> (i32, Vec<Value>) {
    let out = openssc(site, &["check", "--format", "json"]);
    let diags = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code(&out), diags)
}

/// Replaces the one line equal to `from` with `to`.
fn set(text: &str, from: &str, to: &str) -> String {
    let hits = text.lines().filter(|l| *l == from).count();
    assert_eq!(hits, 1, "line `{from}` found {hits} times in:\n{text}");
    text.lines()
        .map(|l| if l == from { to } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Every property name reachable from `schemas/<file>`, following `$ref`s into the other
/// schema files (vocabularies are leaves). Written independently of `src/`.
fn schema_properties(file: &str) -> BTreeSet<String> {
    fn load(file: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(schemas_dir().join(file)).unwrap()).unwrap()
    }
    fn walk(file: &str, node: &Value, out: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) {
        let Value::Object(map) = node else {
            return;
        };
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, prop) in props {
                out.insert(name.clone());
                walk(file, prop, out, seen);
            }
        }
        if let Some(Value::String(reference)) = map.get("$ref") {
            let (target, pointer) = reference.split_once('#').unwrap_or((reference, ""));
            if target.starts_with("vocab/") {
                return;
            }
            let target = if target.is_empty() { file } else { target };
            if seen.insert(format!("{target}#{pointer}")) {
                let doc = load(target);
                walk(target, doc.pointer(pointer).unwrap(), out, seen);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v) = map.get(key) {
                walk(file, v, out, seen);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(file, &load(file), &mut out, &mut BTreeSet::new());
    out
}

/// The keys a skeleton writes, commented out or not.
fn skeleton_keys(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start_matches(['#', ' ', '-']);
            let (key, rest) = l.split_once(':')?;
            let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            (plain && (rest.is_empty() || rest.starts_with(' '))).then(|| key.to_owned())
        })
        .collect()
}

fn edition_year(site: &Path) -> String {
    let mut years: Vec<String> = std::fs::read_dir(site.join("content/reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    years.sort();
    years.pop().unwrap()
}

#[test]
fn a_new_site_passes_strict_check_and_builds() {
    let (_tmp, site) = new_site();
    for file in [
        "openssc.toml",
        "README.md",
        ".gitignore",
        "content/projects/.gitkeep",
        "content/actors/.gitkeep",
        "content/funds/.gitkeep",
        "content/exchanges/.gitkeep",
    ] {
        assert!(site.join(file).is_file(), "{file} is missing");
    }
    let year = edition_year(&site);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(
        year,
        openssc::site::civil_date(now)[..4],
        "the edition is for the current year"
    );
    assert!(site.join(format!("content/reports/{year}/index.md")).is_file());

    let out = openssc(&site, &["check", "--strict"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("0 errors, 0 warnings"), "{}", stderr(&out));
    let out = openssc(&site, &["build", "--strict"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(site.join("public/index.html").is_file());
    assert!(site.join(format!("public/reports/{year}/index.html")).is_file());
    assert!(site.join("public/data-dictionary/index.html").is_file());

    // The README's commands are the ones that exist.
    let readme = std::fs::read_to_string(site.join("README.md")).unwrap();
    for command in ["openssc new project", "openssc check", "openssc serve", "openssc build"] {
        assert!(readme.contains(command), "{command}");
    }
}

#[test]
fn new_site_refuses_a_folder_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_openssc"))
        .args(["new", "site"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    assert!(!tmp.path().join("openssc.toml").exists());
    // An empty folder is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(openssc::scaffold::new_site(&empty, 2031).is_ok());
    assert!(empty.join("content/reports/2031/index.md").is_file());
}

#[test]
fn every_skeleton_lists_every_field_of_its_schema() {
    let (_tmp, site) = new_site();
    for (kind, schema) in [
        ("project", "project.schema.json"),
        ("actor", "actor.schema.json"),
        ("fund", "fund.schema.json"),
        ("exchange", "exchange.schema.json"),
        ("chapter", "report-chapter.schema.json"),
    ] {
        let out = openssc(&site, &["new", kind, "x"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let path = match kind {
            "chapter" => format!("content/reports/{}/x.md", edition_year(&site)),
            _ => format!("content/{kind}s/x.md"),
        };
        let text = std::fs::read_to_string(site.join(&path)).unwrap();
        let keys = skeleton_keys(&text);
        let missing: Vec<String> = schema_properties(schema).difference(&keys).cloned().collect();
        assert!(
            missing.is_empty(),
            "{kind}: {missing:?} are not in the skeleton:\n{text}"
        );
        // It parses with the project's YAML parser, as the loader splits it.
        let front = text.strip_prefix("---\n").unwrap().split_once("\n---\n").unwrap().0;
        openssc::yaml::parse(front, 1).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
    }
}

#[test]
fn a_skeleton_fails_check_only_on_its_required_fields_until_they_are_filled() {
    let (_tmp, site) = new_site();
    assert_eq!(code(&openssc(&site, &["new", "actor", "lindavista-center"])), 0);
    assert_eq!(code(&openssc(&site, &["new", "project", "farmer-to-farmer"])), 0);
    let project = site.join("content/projects/farmer-to-farmer.md");
    let actor = site.join("content/actors/lindavista-center.md");

    // As created: one error per empty required field (and the expected source title), each
    // on the line of that field, and nothing else.
    let (status, diags) = check_json(&site);
    assert_eq!(status, 1);
    let mut flagged: BTreeSet<(String, String)> = BTreeSet::new();
    for d in &diags {
        assert_eq!(d["severity"], "error", "{d}");
        let file = d["file"].as_str().unwrap();
        let text = std::fs::read_to_string(site.join(file)).unwrap();
        let line = text.lines().nth(d["line"].as_u64().unwrap() as usize - 1).unwrap();
        let key = line.trim_start_matches([' ', '-']).split(':').next().unwrap();
        assert!(!line.trim_start().starts_with('#'), "{d} points at a comment");
        assert!(d["message"].as_str().unwrap().contains("is empty"), "{d}");
        let kind = file.split('/').nth(1).unwrap().to_owned();
        flagged.insert((kind, key.to_owned()));
    }
    let expected: BTreeSet<(String, String)> = [
        ("actors", "name"),
        ("actors", "type"),
        ("actors", "country"),
        ("actors", "title"),
        ("projects", "title"),
        ("projects", "summary"),
        ("projects", "instrument"),
        ("projects", "modality"),
        ("projects", "status"),
        ("projects", "start"),
        ("projects", "sectors"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(flagged, expected);
    assert_eq!(diags.len(), 12, "{diags:#?}");

    // Filled in as an editor would: values after the colons, optional blocks uncommented.
    let mut a = std::fs::read_to_string(&actor).unwrap();
    a = set(&a, "name:", "name: Centro Lindavista");
    a = set(&a, "type:", "type: ngo");
    a = set(&a, "country:", "country: MEX");
    a = set(&a, "  - title:", "  - title: \"Joint Committee report\"");
    std::fs::write(&actor, a).unwrap();
    let mut p = std::fs::read_to_string(&project).unwrap();
    for (from, to) in [
        ("title:", "title: \"De Campesino a Campesino\""),
        (
            "summary:",
            "summary: \"Mexican peasants share their experience with Haitian peasants.\"",
        ),
        ("instrument:", "instrument: project"),
        ("modality:", "modality: bilateral"),
        ("status:", "status: implementation"),
        ("start:", "start: 2011"),
        ("sectors:", "sectors: [agriculture-livestock, food-security]"),
        ("# countries:", "countries:"),
        ("#   # providers:", "  providers: [MEX]"),
        ("#   # recipients:", "  recipients: [HTI]"),
        ("# participants:", "participants:"),
        ("#   - actor:", "  - actor: lindavista-center"),
        ("#     role:", "    role: executor"),
        ("  - title:", "  - title: \"Joint Committee report\""),
    ] {
        p = set(&p, from, to);
    }
    std::fs::write(&project, p).unwrap();
    let out = openssc(&site, &["check", "--strict"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = openssc(&site, &["build"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(site.join("public/projects/farmer-to-farmer.html").is_file());
}

#[test]
fn fund_exchange_and_chapter_skeletons_fail_only_on_uncommented_lines() {
    let (_tmp, site) = new_site();
    for (kind, id) in [("fund", "f"), ("exchange", "e"), ("chapter", "results")] {
        assert_eq!(code(&openssc(&site, &["new", kind, id])), 0);
    }
    let (status, diags) = check_json(&site);
    assert_eq!(status, 1);
    let mut files = BTreeSet::new();
    for d in &diags {
        let file = d["file"].as_str().unwrap();
        files.insert(file.to_owned());
        let text = std::fs::read_to_string(site.join(file)).unwrap();
        let line = text.lines().nth(d["line"].as_u64().unwrap() as usize - 1).unwrap();
        assert!(!line.trim_start().starts_with('#'), "{d} points at a comment");
        assert!(line.trim_end().ends_with(':'), "{d}: `{line}` is not an empty field");
    }
    let year = edition_year(&site);
    assert_eq!(
        files,
        BTreeSet::from([
            "content/exchanges/e.md".to_owned(),
            "content/funds/f.md".to_owned(),
            format!("content/reports/{year}/results.md"),
        ])
    );
    // The chapter comes after the introduction.
    let chapter = std::fs::read_to_string(site.join(format!("content/reports/{year}/results.md"))).unwrap();
    assert!(chapter.lines().any(|l| l == "order: 2"), "{chapter}");
}

#[test]
fn chapters_and_editions() {
    let (_tmp, site) = new_site();
    let year: i32 = edition_year(&site).parse().unwrap();
    let out = openssc(&site, &["new", "chapter", "x", "--edition", "1999"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no edition 1999"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("the editions are {year}")),
        "{}",
        stderr(&out)
    );
    let out = openssc(&site, &["new", "chapter", "index"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`index` is the edition itself"),
        "{}",
        stderr(&out)
    );

    let out = openssc(&site, &["new", "edition", "1999"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = openssc(&site, &["new", "chapter", "history", "--edition", "1999"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let chapter = site.join("content/reports/1999/history.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    assert!(text.lines().any(|l| l == "order: 1"), "{text}");
    std::fs::write(&chapter, set(&text, "title:", "title: History")).unwrap();
    let out = openssc(&site, &["check", "--strict"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = openssc(&site, &["new", "edition", "1999"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("already exists"));
}

#[test]
fn new_never_overwrites_a_file() {
    let (_tmp, site) = new_site();
    let path = site.join("content/actors/mine.md");
    std::fs::write(&path, "---\nname: Mine\n---\n").unwrap();
    let out = openssc(&site, &["new", "actor", "mine"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ") && err.contains("mine.md already exists: openssc new never overwrites a file"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "---\nname: Mine\n---\n");
    // Nor outside a site.
    let tmp = tempfile::tempdir().unwrap();
    let out = openssc(tmp.path(), &["new", "project", "x"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("this is not a site folder"), "{}", stderr(&out));
}

#[test]
fn invalid_ids_are_refused_with_the_reason() {
    let (_tmp, site) = new_site();
    let long = "a".repeat(81);
    for (id, reason, suggestion) in [
        ("Farmer-To-Farmer", "upper-case", Some("farmer-to-farmer")),
        ("farmer to farmer", "contains a space", Some("farmer-to-farmer")),
        (long.as_str(), "81 characters; at most 80", Some(&long[..80])),
        ("farmer.md", "without `.md`", Some("farmer")),
        ("-farmer", "start with a letter or a digit", Some("farmer")),
        ("fundación", "`ó` is not allowed", Some("fundacion")),
        ("", "it is empty", None),
    ] {
        let out = openssc(&site, &["new", "project", id]);
        assert_eq!(code(&out), 2, "{id}");
        let err = stderr(&out);
        assert!(err.contains(&format!("`{id}` is not a valid id: ")), "{err}");
        assert!(err.contains(reason), "{id}: {err}");
        if let Some(s) = suggestion {
            assert!(err.contains(&format!("try `{s}`")), "{id}: {err}");
        }
    }
    let written: Vec<_> = std::fs::read_dir(site.join("content/projects")).unwrap().collect();
    assert_eq!(written.len(), 1, "only .gitkeep");
}

#[test]
fn actor_skeleton_snapshot() {
    let schemas = openssc::schema::SchemaSet::load(Path::new("/nonexistent")).unwrap();
    let text = openssc::scaffold::document(
        &schemas,
        openssc::scaffold::Kind::Record(openssc::load::Collection::Actor),
        &Default::default(),
    );
    insta::assert_snapshot!(text);
}
