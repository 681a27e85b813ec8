//! `openssc build` on the fixture sites: the pages of the valid site (snapshots), hostile
//! HTML in record bodies, determinism, the atomic output swap, the internal link check,
//! relative links, theme overrides and template errors, sitemap/feed/robots, and the CLI.
//!
//! The build date is always given (`BuildOptions::date`), so no test depends on the clock
//! or on git. Overlays for these tests live in `tests/fixtures/build/<case>/` (see
//! `common::build_case`).
//!
//! To review changed snapshots: `INSTA_UPDATE=always cargo test --test build`, then read
//! every changed `tests/snapshots/build__*.snap` before committing it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use openssc::diagnostics::{Diagnostic, Severity};
use openssc::{BuildOptions, BuildOutcome};

/// The date every test builds with.
const DATE: &str = "2026-01-02";

fn options() -> BuildOptions {
    BuildOptions {
        strict: false,
        date: Some(DATE.into()),
    }
}

/// Builds `root` into `output`; the outcome must be `Built`. Returns the file count.
fn build_ok(root: &Path, output: &Path) -> usize {
    match openssc::build_site(root, output, &options()).expect("the site is readable") {
        BuildOutcome::Built { files, warnings } => {
            assert!(warnings.is_empty(), "{}", common::render_all(&warnings));
            files
        }
        BuildOutcome::Failed(d) => panic!("the build failed:\n{}", common::render_all(&d)),
    }
}

/// Builds `root` into `output`; the outcome must be `Failed`. Returns the diagnostics.
fn build_failed(root: &Path, output: &Path) -> Vec<Diagnostic> {
    match openssc::build_site(root, output, &options()).expect("the site is readable") {
        BuildOutcome::Failed(d) => d,
        BuildOutcome::Built { files, .. } => panic!("the build must fail, but it wrote {files} files"),
    }
}

/// A temporary folder holding the output folder `out` (not created).
fn output_parent() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("openssc-build-")
        .tempdir()
        .expect("create a temporary directory")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("output files are UTF-8")
}

/// The HTML files of a built tree, by path.
fn html_files(tree: &BTreeMap<String, Vec<u8>>) -> Vec<(&str, &str)> {
    tree.iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(path, bytes)| (path.as_str(), text(bytes)))
        .collect()
}

/// The page with the generator's version replaced, so snapshots survive a version bump.
fn redact(html: &str) -> String {
    html.replace(&format!("openssc {}", env!("CARGO_PKG_VERSION")), "openssc [version]")
}

/// The values of `attr="..."` and `attr='...'` attributes in `html` (any case).
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("{attr}=");
    let mut values = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let start = from + i;
        from = start + needle.len();
        // A whole attribute name: preceded by whitespace.
        if !lower[..start].ends_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let rest = &html[from..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or_default(),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or_default(),
        };
        values.push(value.to_owned());
    }
    values
}

/// Up to `n` bytes of `s` on each side of byte `i`, cut at character boundaries.
fn around(s: &str, i: usize, n: usize) -> &str {
    let mut start = i.saturating_sub(n);
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (i + n).min(s.len());
    while !s.is_char_boundary(end) {
        end += 1;
    }
    &s[start..end]
}

/// Does `lower` (lowercase HTML) hold an event-handler attribute: whitespace, `on`,
/// letters, `=`?
fn has_event_handler(lower: &str) -> Option<&str> {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(found) = lower[i..].find("on") {
        let start = i + found;
        i = start + 2;
        if start == 0 || !bytes[start - 1].is_ascii_whitespace() && bytes[start - 1] != b'/' {
            continue;
        }
        let mut end = start + 2;
        while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            end += 1;
        }
        let mut after = end;
        while after < bytes.len() && bytes[after].is_ascii_whitespace() {
            after += 1;
        }
        if end > start + 2 && after < bytes.len() && bytes[after] == b'=' {
            return Some(around(lower, start, 40));
        }
    }
    None
}

/// The scanners of these tests find what they look for (so a clean result means something).
#[test]
fn scanners_find_what_they_look_for() {
    assert!(has_event_handler("<img src=x onerror=alert(1)>").is_some());
    assert!(has_event_handler("<svg/onload=alert(1)>").is_some());
    assert!(has_event_handler("<a href=\"x\" onclick = \"y\">").is_some());
    assert!(has_event_handler("<p>based on the data</p> <a href=\"on.html\">").is_none());
    assert_eq!(
        attribute_values(
            r#"<a href="a.html" HREF='b.html' data-href="no"><img src=c.png>"#,
            "href"
        ),
        ["a.html", "b.html"]
    );
    assert_eq!(attribute_values("<img alt=\"\" src=c.png>", "src"), ["c.png"]);
}

// 1. The valid site.

#[test]
fn valid_site_builds_with_expected_pages() {
    let site = common::site(None);
    let parent = output_parent();
    let out = parent.path().join("out");
    let files = build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    assert_eq!(files, tree.len(), "the outcome counts every written file");

    let paths: Vec<&str> = tree.keys().map(String::as_str).collect();
    insta::assert_snapshot!("valid_site_paths", paths.join("\n"));

    let index = text(&tree["index.html"]);
    assert!(index.contains(DATE), "the build date of the options is on the page");
    insta::assert_snapshot!("valid_site_index_html", redact(index));

    let project = text(&tree["projects/test-bilateral-project.html"]);
    insta::assert_snapshot!("valid_site_bilateral_project_html", redact(project));
}

// 2. Hostile HTML in record bodies.

/// What must never appear in a built page (lowercase).
const FORBIDDEN: &[&str] = &[
    "<script",
    "javascript:",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<svg",
    "style=",
    "data:text",
    "<style",
];

#[test]
fn hostile_html_in_bodies_is_neutralized_on_every_page() {
    let site = common::build_case("hostile_html");
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    let pages = html_files(&tree);
    assert!(pages.len() > 20, "every page is checked, not a few");
    for (path, html) in &pages {
        let lower = html.to_ascii_lowercase();
        for needle in FORBIDDEN {
            if let Some(i) = lower.find(needle) {
                panic!("{path} holds `{needle}`: …{}…", around(&lower, i, 60));
            }
        }
        if let Some(around) = has_event_handler(&lower) {
            panic!("{path} holds an event-handler attribute: …{around}…");
        }
    }

    // The harmless text around the hostile constructs is still there.
    let project = text(&tree["projects/test-bilateral-project.html"]);
    for kept in [
        "Hostile body of a fictional project",
        "Project line 1 keeps this text",
        "and this text too.",
        "Project line 2 keeps this text",
        "after the image.",
        "Project line 3 keeps this",
        "link text.",
        "Project line 4 keeps this",
        "Project line 5 keeps this text",
        "after the frame.",
        "Project line 6 keeps the styled div text",
        "Project line 7 keeps this text",
        "after the svg.",
        "Project line 8 keeps this text",
        "after the object.",
        "Project line 9 keeps this text",
        "after the form.",
        "Project line 10 keeps this",
        "Project line 11 keeps this text",
        "after the inline style.",
        "Project line 12 is the last harmless line.",
    ] {
        assert!(project.contains(kept), "the project page lost `{kept}`");
    }
    // The image stays, without its handler; the scripts' text is gone with them.
    assert!(project.contains(r#"<img src="https://example.org/fixture/x.png""#));
    let narrative = &project[project.find("Hostile body").unwrap()..project.find("last harmless line").unwrap()];
    assert!(
        !narrative.contains("alert"),
        "code inside removed elements is removed with them"
    );
    // Front matter text is escaped, not sanitized: it reads as written, on every page that
    // shows it.
    let title = "Fixture &lt;script&gt;alert(1)&lt;/script&gt; project (test data)";
    for page in [
        "projects/test-bilateral-project.html",
        "projects/index.html",
        "reports/2011/index.html",
    ] {
        assert!(text(&tree[page]).contains(title), "{page} shows the escaped title");
    }
    assert!(project.contains(
        "A fictional summary with &lt;iframe src=x&gt;&lt;/iframe&gt;, &lt;style&gt;p{}&lt;/style&gt; and &quot;quotes&quot; &amp; ampersands."
    ));

    let actor = text(&tree["actors/test-ministry-alpha.html"]);
    for kept in [
        "A fictional ministry used by the test fixtures.",
        "Actor line 1 keeps this text",
        "Actor line 2 keeps this text",
        "Actor line 3 keeps this",
        "Actor line 4 keeps this",
        "Actor line 5 keeps the styled div text",
        "Actor line 6 keeps this text",
        "after the object and form.",
        "Actor line 7 keeps this",
        "Actor line 8 is the last harmless line.",
    ] {
        assert!(actor.contains(kept), "the actor page lost `{kept}`");
    }
}

/// `<img src=x>` names a relative file the build does not write: the link check stops
/// the build (the handler never reaches a page either way).
#[test]
fn image_with_a_relative_source_that_does_not_exist_fails_the_link_check() {
    let site = common::site(None);
    let path = site.path().join("content/actors/test-ngo-gamma.md");
    let mut record = std::fs::read_to_string(&path).unwrap();
    record.push_str("\nText <img src=x onerror=alert(1)> text.\n");
    std::fs::write(&path, record).unwrap();
    let parent = output_parent();
    let out = parent.path().join("out");
    let diags = build_failed(site.path(), &out);
    assert_eq!(diags.len(), 1, "{}", common::render_all(&diags));
    assert_eq!(diags[0].rule, "broken-link");
    // Located in the record that holds the link, where the editor fixes it.
    assert_eq!(diags[0].file, "content/actors/test-ngo-gamma.md");
    assert!(diags[0].message.contains("`x`"), "{}", diags[0].message);
    assert!(
        diags[0].message.contains("actors/test-ngo-gamma.html"),
        "{}",
        diags[0].message
    );
    let line = diags[0].source_line.as_deref().unwrap_or_default();
    assert!(line.contains("<img src=x"), "{line}");
    assert_eq!(&line[diags[0].column - 1..diags[0].column], "x");
    assert!(!out.exists());
}

// 3. Determinism.

/// Two builds of the same site give the same bytes, also from two copies of the site in
/// different folders into output folders of different names (no path leaks into a page).
#[test]
fn two_builds_are_byte_identical() {
    let site = common::site(None);
    let other_copy = common::site(None);
    let parent = output_parent();
    let (a, b, c) = (
        parent.path().join("a"),
        parent.path().join("b"),
        parent.path().join("other-name"),
    );
    build_ok(site.path(), &a);
    build_ok(site.path(), &b);
    build_ok(other_copy.path(), &c);
    let a = common::read_tree(&a);
    for other in [b, c] {
        let other_tree = common::read_tree(&other);
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            other_tree.keys().collect::<Vec<_>>(),
            "the same files in {}",
            other.display()
        );
        for (path, bytes) in &a {
            assert!(bytes == &other_tree[path], "{path} differs in {}", other.display());
        }
    }
}

// 4. A failed build leaves the previous output alone.

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let parent = output_parent();
    let out = parent.path().join("out");
    let valid = common::site(None);
    build_ok(valid.path(), &out);
    std::fs::write(out.join("marker.txt"), "kept by the failed build\n").unwrap();
    let before = common::read_tree(&out);
    assert!(before.contains_key("marker.txt") && before.contains_key("index.html"));

    let invalid = common::site(Some("unknown_field_typo"));
    let diags = build_failed(invalid.path(), &out);
    assert_eq!(diags.len(), 1, "{}", common::render_all(&diags));
    assert_eq!(diags[0].severity, Severity::Error);
    assert_eq!(diags[0].file, "content/actors/test-ngo-gamma.md");

    assert!(
        common::read_tree(&out) == before,
        "the output changed after a failed build"
    );
    let entries: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        ["out"],
        "no staging or retired folder is left beside the output"
    );
}

/// The same after a render-time failure (a template error), which happens later than the
/// check, and a successful rebuild replaces the output (the marker goes away).
#[test]
fn failed_render_leaves_previous_output_untouched_and_rebuild_replaces_it() {
    let parent = output_parent();
    let out = parent.path().join("out");
    let valid = common::site(None);
    build_ok(valid.path(), &out);
    std::fs::write(out.join("marker.txt"), "kept by the failed build\n").unwrap();
    let before = common::read_tree(&out);

    let broken = common::build_case("template_error");
    build_failed(broken.path(), &out);
    assert!(
        common::read_tree(&out) == before,
        "the output changed after a failed render"
    );

    build_ok(valid.path(), &out);
    let after = common::read_tree(&out);
    assert!(
        !after.contains_key("marker.txt"),
        "a build replaces the whole output folder"
    );
    let names: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out"], "no staging or retired folder is left beside the output");
}

// 4b. A build over a previous one updates it in place.

/// The inode number of every file under `dir`: a file written again gets a new one.
fn inodes(dir: &Path) -> BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    common::read_tree(dir)
        .into_keys()
        .map(|path| {
            let inode = std::fs::metadata(dir.join(&path)).unwrap().ino();
            (path, inode)
        })
        .collect()
}

/// Builds `root` over `out` again and asserts no file was written (every inode kept).
fn assert_rebuild_writes_nothing(root: &Path, out: &Path, when: &str) {
    let before = inodes(out);
    build_ok(root, out);
    let after = inodes(out);
    let rewritten: Vec<&String> = after.keys().filter(|p| before.get(*p) != after.get(*p)).collect();
    assert!(
        rewritten.is_empty(),
        "{when}, a rebuild wrote files again: {rewritten:?}"
    );
    assert_eq!(after.len(), before.len(), "{when}, a rebuild changed the file count");
}

#[test]
fn rebuild_over_a_previous_build_writes_only_the_files_that_changed() {
    let parent = output_parent();
    let out = parent.path().join("out");
    let site = common::site(None);
    build_ok(site.path(), &out);
    let first = inodes(&out);

    assert_rebuild_writes_nothing(site.path(), &out, "an unchanged site");

    let project = site.path().join("content/projects/test-bilateral-project.md");
    let text = std::fs::read_to_string(&project).unwrap();
    let edited = text.replacen("Fixture bilateral project", "Renamed bilateral project", 1);
    assert_ne!(text, edited);
    std::fs::write(&project, edited).unwrap();
    std::fs::remove_file(site.path().join("content/projects/test-triangular-project.md")).unwrap();
    let files = build_ok(site.path(), &out);

    let fresh = parent.path().join("fresh");
    assert_eq!(build_ok(site.path(), &fresh), files);
    let in_place = common::read_tree(&out);
    assert!(
        in_place == common::read_tree(&fresh),
        "the output updated in place differs from a fresh build: {:?}",
        in_place
            .keys()
            .filter(|p| common::read_tree(&fresh).get(*p) != in_place.get(*p))
            .collect::<Vec<_>>()
    );
    assert!(
        !out.join("projects/test-triangular-project").exists(),
        "a removed page's folder goes"
    );
    let after = inodes(&out);
    let rewritten: Vec<&String> = after.keys().filter(|p| first.get(*p) != after.get(*p)).collect();
    assert!(rewritten.contains(&&"projects/test-bilateral-project.html".to_owned()));
    assert!(rewritten.contains(&&"data/SHA256SUMS".to_owned()));
    for kept in ["static/style.css", "robots.txt", ".openssc-output"] {
        assert_eq!(first.get(kept), after.get(kept), "{kept} was written again");
    }
    let names: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "nothing is left beside the outputs: {names:?}");
}

#[test]
fn rebuild_restores_a_file_changed_by_hand_even_at_the_same_size() {
    let parent = output_parent();
    let out = parent.path().join("out");
    let site = common::site(None);
    build_ok(site.path(), &out);
    let built = common::read_tree(&out);
    let page = out.join("index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&page, html.replacen("<html", "<HTML", 1)).unwrap();
    std::fs::remove_file(out.join("robots.txt")).unwrap();
    build_ok(site.path(), &out);
    let rebuilt = common::read_tree(&out);
    let differ: Vec<&String> = built.keys().filter(|p| rebuilt.get(*p) != built.get(*p)).collect();
    assert!(differ.is_empty(), "the rebuild restores the build's files: {differ:?}");
    // And trusts them afterwards.
    assert_rebuild_writes_nothing(site.path(), &out, "after a restore");
}

/// A build interrupted while it moved files in has removed `data/SHA256SUMS` first: the
/// next build does not trust what the output holds and replaces it whole.
#[test]
fn output_without_its_checksum_list_is_replaced_whole() {
    let parent = output_parent();
    let out = parent.path().join("out");
    let site = common::site(None);
    build_ok(site.path(), &out);
    let built = common::read_tree(&out);
    let first = inodes(&out);
    std::fs::remove_file(out.join("data/SHA256SUMS")).unwrap();
    let page = out.join("index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, html.replacen("<html", "<HTML", 1)).unwrap();
    build_ok(site.path(), &out);
    assert!(common::read_tree(&out) == built);
    let after = inodes(&out);
    assert_ne!(
        first.get("robots.txt"),
        after.get("robots.txt"),
        "every file is written again"
    );
}

/// Each sector an open request needs is listed once on the offers-and-requests page, with
/// its open offers and capable actors; the requests link to it. (Listing the actors under
/// every request made the page grow with requests × actors: 120 MB at 50,000 initiatives.)
#[test]
fn exchanges_page_lists_each_needed_sector_once_not_per_request() {
    let site = common::build_case("open_requests");
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let html = std::fs::read_to_string(out.join("exchanges/index.html")).unwrap();
    assert_eq!(html.matches("id=\"matches-housing\"").count(), 1);
    assert_eq!(html.matches("id=\"matches-construction\"").count(), 1);
    assert_eq!(
        html.matches("href=\"#matches-housing\"").count(),
        2,
        "both requests link to it"
    );
    // Ministry Alpha and NGO Gamma have housing among their capacities; Ministry Alpha also
    // construction: one link per sector listed, whatever the number of requests.
    let section = |sector: &str| {
        let start = html.find(&format!("id=\"matches-{sector}\"")).unwrap();
        let end = html[start..].find("</section>").unwrap() + start;
        html[start..end].to_owned()
    };
    let housing = section("housing");
    assert!(housing.contains("#exchange-test-offer"), "the open housing offer");
    let capable = |sector: &str| {
        section(sector)
            .split("Actors with the capacity")
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(capable("housing").matches("actors/test-ministry-alpha.html").count(), 1);
    assert_eq!(capable("housing").matches("actors/test-ngo-gamma.html").count(), 1);
    assert_eq!(
        capable("construction")
            .matches("actors/test-ministry-alpha.html")
            .count(),
        1
    );
    assert!(!capable("construction").contains("test-ngo-gamma"));
    assert!(
        section("construction").contains("class=\"muted\""),
        "no open offer in construction"
    );
}

// 5. The internal link check.

#[test]
fn broken_internal_links_fail_the_build_and_nothing_is_written() {
    let site = common::build_case("broken_links");
    let parent = output_parent();
    let out = parent.path().join("out");
    let diags = build_failed(site.path(), &out);
    let page = "projects/test-bilateral-project.html";
    assert_eq!(diags.len(), 2, "{}", common::render_all(&diags));
    assert!(
        diags
            .iter()
            .all(|d| d.rule == "broken-link" && d.severity == Severity::Error)
    );
    // Located in the record whose body holds the links, naming the page.
    assert!(
        diags
            .iter()
            .all(|d| d.file == "content/projects/test-bilateral-project.md" && d.message.contains(page)),
        "{}",
        common::render_all(&diags)
    );
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("`../no-such-page/index.html`")
            && m.contains(" no-such-page/index.html is not a file the build wrote")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`#missing-fragment`") && m.contains("no element with id `missing-fragment`")),
        "{messages:#?}"
    );
    assert!(!out.exists(), "nothing is written");
    assert_eq!(
        std::fs::read_dir(parent.path()).unwrap().count(),
        0,
        "no staging folder either"
    );
}

// 6. Relative links only.

#[test]
fn every_internal_link_is_relative_and_names_a_file() {
    let site = common::site(None);
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    let mut internal = 0;
    for (path, html) in html_files(&tree) {
        assert!(!html.contains("href=\"/"), "{path} has a root-absolute href");
        assert!(!html.contains("src=\"/"), "{path} has a root-absolute src");
        let mut links = attribute_values(html, "href");
        links.extend(attribute_values(html, "src"));
        for link in links {
            let lower = link.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:") {
                continue;
            }
            if link.starts_with('#') {
                continue;
            }
            internal += 1;
            assert!(!link.starts_with('/'), "{path}: `{link}` is not relative");
            assert!(!link.starts_with("//"), "{path}: `{link}` is protocol-relative");
            let target = link.split(['#', '?']).next().unwrap_or_default();
            let last = target.rsplit('/').next().unwrap_or_default();
            // `data/SHA256SUMS` keeps the name `sha256sum` users expect.
            assert!(
                last.contains('.') || last == "SHA256SUMS",
                "{path}: `{link}` does not name a file (it must end in .../index.html)"
            );
        }
    }
    assert!(internal > 100, "only {internal} internal links were seen");
}

// 7. Theme overrides and template errors.

#[test]
fn site_template_overrides_the_default_theme() {
    let site = common::build_case("template_override");
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    let page = text(&tree["404.html"]);
    assert!(page.contains("Fixture override: this page of the test site is not here."));
    assert!(page.contains("Back to the fixture home page"));
    assert!(page.contains("<footer"), "the override extends base.html");
    // Other pages still come from the default theme.
    let default = common::site(None);
    let default_out = parent.path().join("default");
    build_ok(default.path(), &default_out);
    let default_tree = common::read_tree(&default_out);
    assert_ne!(tree["404.html"], default_tree["404.html"]);
    assert_eq!(tree["index.html"], default_tree["index.html"]);
}

#[test]
fn template_error_is_located_in_the_site_template() {
    let site = common::build_case("template_error");
    let parent = output_parent();
    let out = parent.path().join("out");
    let diags = build_failed(site.path(), &out);
    // Every project page fails the same way: one diagnostic.
    assert_eq!(diags.len(), 1, "{}", common::render_all(&diags));
    for d in &diags {
        assert_eq!(d.file, "templates/project.html", "{}", common::render_all(&diags));
        assert_eq!(d.rule, "template");
        assert_eq!(d.line, 4, "the line of `{{{{ undefined_variable }}}}`");
        assert!(d.message.contains("undefined"), "{}", d.message);
    }
    assert!(!out.exists(), "nothing is written");
}

// 8. base_url: sitemap, feed, robots.txt.

/// A minimal well-formedness check: an XML declaration, balanced tags, and every `&`
/// starting a character reference.
fn assert_well_formed_xml(name: &str, xml: &str) {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        "{name}: no declaration"
    );
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = &xml[xml.find("?>").unwrap() + 2..];
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "{name}: stray `>` in text `{text}`");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity) || entity.starts_with("&#"),
                "{name}: bad reference `{entity}`"
            );
        }
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "{name}: `<` inside tag `{tag}`");
        if let Some(end) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(end.trim()), "{name}: unbalanced `</{end}>`");
        } else if !tag.ends_with('/') {
            if stack.is_empty() {
                roots += 1;
            }
            stack.push(tag.split_whitespace().next().unwrap());
        } else if stack.is_empty() {
            roots += 1;
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    assert_eq!(roots, 1, "{name}: one root element");
    assert_eq!(rest.trim(), "", "{name}: text after the root");
}

#[test]
fn base_url_gives_sitemap_feed_and_robots() {
    let site = common::build_case("base_url");
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    let base = "https://example.org/fixture-site/";

    let sitemap = text(&tree["sitemap.xml"]);
    assert_well_formed_xml("sitemap.xml", sitemap);
    assert!(sitemap.contains(
        r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">"#
    ));
    assert!(sitemap.contains(&format!("<loc>{base}index.html</loc>")));
    assert!(sitemap.contains(&format!("<loc>{base}projects/test-bilateral-project.html</loc>")));
    assert!(sitemap.contains(&format!("<loc>{base}es/projects/test-bilateral-project.html</loc>")));
    // Each page names its alternates in every language, itself included.
    assert!(sitemap.contains(&format!(
        r#"<xhtml:link rel="alternate" hreflang="es" href="{base}es/projects/test-bilateral-project.html"/>"#
    )));
    assert!(!sitemap.contains("404.html"), "the 404 pages are not in the sitemap");
    // Every page of every language but the 404 pages, once.
    let pages = tree
        .keys()
        .filter(|p| p.ends_with(".html") && !p.ends_with("404.html"))
        .count();
    assert_eq!(sitemap.matches("<loc>").count(), pages);
    assert_eq!(sitemap.matches("<xhtml:link").count(), pages * 2);

    assert!(
        tree.contains_key("feed.xml"),
        "no feed.xml: the feed needs base_url and the date of BuildOptions"
    );
    let feed = text(&tree["feed.xml"]);
    assert_well_formed_xml("feed.xml", feed);
    assert!(feed.contains(r#"<feed xmlns="http://www.w3.org/2005/Atom""#));
    assert!(feed.contains(&format!("<updated>{DATE}T00:00:00Z</updated>")));
    assert_eq!(feed.matches("<entry>").count(), 3, "one entry per project");
    assert!(feed.contains(&format!(
        r#"<link href="{base}projects/test-triangular-project.html"/>"#
    )));

    let robots = text(&tree["robots.txt"]);
    assert_eq!(robots, format!("User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n"));

    let index = text(&tree["index.html"]);
    assert!(index.contains(r#"href="feed.xml""#), "pages announce the feed");
    let project = text(&tree["projects/test-bilateral-project.html"]);
    assert!(project.contains(&format!("{base}projects/test-bilateral-project.html")));
    assert!(project.contains(r#"href="../feed.xml""#));
}

#[test]
fn without_base_url_only_robots_txt() {
    let site = common::site(None);
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    assert!(!tree.contains_key("sitemap.xml"));
    assert!(!tree.contains_key("feed.xml"));
    assert_eq!(text(&tree["robots.txt"]), "User-agent: *\nAllow: /\n");
    assert!(!text(&tree["index.html"]).contains("feed.xml"));
}

/// `base_url` without a trailing slash: the sitemap, feed and robots.txt add the slash,
/// and the "Cite this page" line of every page must too. Today base.html writes
/// `{{ site.base_url }}{{ page.path }}` with the raw config value:
/// `https://example.org/fixture-siteprojects/test-bilateral-project/index.html`.
#[test]
fn base_url_without_trailing_slash_gives_proper_page_urls() {
    let site = common::build_case("base_url");
    let config = site.path().join("openssc.toml");
    let text_before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text_before.replace("fixture-site/\"", "fixture-site\"")).unwrap();
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let tree = common::read_tree(&out);
    let url = "https://example.org/fixture-site/projects/test-bilateral-project.html";
    assert!(text(&tree["sitemap.xml"]).contains(&format!("<loc>{url}</loc>")));
    let page = text(&tree["projects/test-bilateral-project.html"]);
    assert!(page.contains(url), "the cite line has the page's address");
}

// 9. The command line.

fn run_build(root: &Path, output: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_openssc"))
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output-dir")
        .arg(output)
        // A fixed date: the copy is not in git, and the clock must not matter.
        .env("SOURCE_DATE_EPOCH", "1767312000")
        .env("NO_COLOR", "1")
        .output()
        .expect("run openssc")
}

#[test]
fn cli_build_exits_0_and_counts_files() {
    let site = common::site(None);
    let parent = output_parent();
    let out = parent.path().join("out");
    let result = run_build(site.path(), &out);
    let stderr = String::from_utf8(result.stderr).unwrap();
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let written = common::read_tree(&out);
    assert!(stderr.contains(&format!("built {} files", written.len())), "{stderr}");
    assert!(
        text(&written["index.html"]).contains(DATE),
        "SOURCE_DATE_EPOCH gives the date"
    );
}

#[test]
fn cli_build_of_an_invalid_site_exits_1() {
    let site = common::site(Some("unknown_field_typo"));
    let parent = output_parent();
    let out = parent.path().join("out");
    let result = run_build(site.path(), &out);
    let stderr = String::from_utf8(result.stderr).unwrap();
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("build failed"), "{stderr}");
    assert!(
        stderr.contains("content/actors/test-ngo-gamma.md:3:1: error: unknown field `acronim`"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Regression: `--output-dir` pointing at the site itself (or any folder that is not a
/// previous build) used to be renamed away and deleted.
#[test]
fn build_refuses_to_replace_a_folder_it_did_not_write() {
    let site = common::site(None);
    let root = site.path().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        strict: false,
        date: Some("2026-01-02".into()),
    };
    let err = openssc::build_site(&root, &root, &options).unwrap_err();
    assert!(err.to_string().contains("holds the site's own files"), "{err}");
    assert!(root.join("openssc.toml").is_file() && root.join("content").is_dir());

    let other = dir.path().join("docs");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = openssc::build_site(&root, &other, &options).unwrap_err();
    assert!(err.to_string().contains("not written by openssc build"), "{err}");
    assert_eq!(std::fs::read_to_string(other.join("notes.txt")).unwrap(), "mine");

    // A previous build is replaced.
    let out = dir.path().join("out");
    assert!(matches!(
        openssc::build_site(&root, &out, &options).unwrap(),
        openssc::BuildOutcome::Built { .. }
    ));
    assert!(matches!(
        openssc::build_site(&root, &out, &options).unwrap(),
        openssc::BuildOutcome::Built { .. }
    ));
}

/// A fund whose sources do not say who may apply (`applicants: []`) is shown as "not
/// stated", never as closed to everyone.
#[test]
fn fund_without_stated_applicants_says_so() {
    let site = common::site(None);
    let dir = site.path().join("content/funds");
    let path = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let record = std::fs::read_to_string(&path).unwrap();
    let edited = record.replace(
        "applicants: [ngo, social-movement, indigenous-peoples-organization]",
        "applicants: []",
    );
    assert_ne!(record, edited, "the fixture fund lists its applicants");
    std::fs::write(&path, edited).unwrap();
    let parent = output_parent();
    let out = parent.path().join("out");
    build_ok(site.path(), &out);
    let id = path.file_stem().unwrap().to_string_lossy().into_owned();
    let page = std::fs::read_to_string(out.join(format!("funds/{id}.html"))).unwrap();
    assert_eq!(
        page.matches("Not stated in the sources").count(),
        3,
        "applicants, social movements, Indigenous Peoples"
    );
    let list = std::fs::read_to_string(out.join("funds/index.html")).unwrap();
    assert!(list.contains("Not stated in the sources"));
}
