//! `serve`'s incremental builds: after each edit, the output (once settled) must be the
//! same, byte for byte, as a full build of the same files; an invalid edit writes nothing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use openssc::incremental::IncrementalBuild;
use openssc::serve::{Changes, Rebuild};
use openssc::{BuildOptions, BuildOutcome};

fn options() -> BuildOptions {
    BuildOptions {
        strict: false,
        date: Some("2026-11-25".into()),
    }
}

/// A copy of the bundled example site (four languages).
fn bundled_site() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::Builder::new().prefix("openssc-incr-").tempdir().unwrap();
    fs::copy(repo.join("openssc.toml"), dir.path().join("openssc.toml")).unwrap();
    copy_dir(&repo.join("content"), &dir.path().join("content"));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// An incremental builder of `root` into `root/../incr-out`, after its first build.
struct Session {
    root: PathBuf,
    output: PathBuf,
    builder: IncrementalBuild,
}

impl Session {
    fn start(root: &Path) -> Session {
        let output = root.join("out-incremental");
        let mut builder = IncrementalBuild::new(root.to_path_buf(), output.clone(), options());
        let first = builder.rebuild(&Changes {
            initial: true,
            paths: Vec::new(),
        });
        assert!(matches!(first, Ok(BuildOutcome::Built { .. })), "{first:?}");
        assert!(builder.settle().is_none(), "a full build leaves nothing for later");
        Session {
            root: root.to_path_buf(),
            output,
            builder,
        }
    }

    /// Rebuilds after `paths` changed, then settles.
    fn rebuild(&mut self, paths: &[&str]) -> BuildOutcome {
        let outcome = self
            .builder
            .rebuild(&Changes {
                initial: false,
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            })
            .unwrap();
        if matches!(outcome, BuildOutcome::Built { .. }) {
            let settled = self
                .builder
                .settle()
                .expect("an incremental build leaves the open data");
            assert!(matches!(settled, Ok(BuildOutcome::Built { .. })), "{settled:?}");
        }
        outcome
    }

    /// Asserts that the output equals a full build of the same files.
    fn assert_same_as_full_build(&self, what: &str) {
        let full = self.root.join("out-full");
        let outcome = openssc::build_site(&self.root, &full, &options()).unwrap();
        assert!(matches!(outcome, BuildOutcome::Built { .. }), "{outcome:?}");
        let expected = common::read_tree(&full);
        let actual = common::read_tree(&self.output);
        let differ: Vec<&String> = expected
            .keys()
            .chain(actual.keys())
            .filter(|p| expected.get(*p) != actual.get(*p))
            .collect();
        assert!(
            differ.is_empty(),
            "after {what}, these files differ from a full build: {differ:?}"
        );
        fs::remove_dir_all(&full).unwrap();
    }

    fn edit(&self, path: &str, from: &str, to: &str) {
        let file = self.root.join(path);
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{path} does not contain {from:?}");
        fs::write(&file, text.replacen(from, to, 1)).unwrap();
    }
}

#[test]
fn incremental_builds_equal_full_builds_after_each_edit() {
    let site = bundled_site();
    // The output folders live inside the site folder; keep them out of `content/`.
    let mut session = Session::start(site.path());
    session.assert_same_as_full_build("the first build");

    // A project's title: its page, the lists, the report, the pages of its actors,
    // countries and sectors, the open data.
    session.edit(
        "content/projects/psc-benin-bhutan-costa-rica.md",
        "title: \"Programme of South-South Cooperation",
        "title: \"Programme (edited) of South-South Cooperation",
    );
    let outcome = session.rebuild(&["content/projects/psc-benin-bhutan-costa-rica.md"]);
    assert!(matches!(outcome, BuildOutcome::Built { .. }), "{outcome:?}");
    session.assert_same_as_full_build("editing a project's title");

    // An actor's name: shown on the pages of the projects it takes part in.
    session.edit(
        "content/actors/servivienda.md",
        "name: \"SERVIVIENDA Popular Housing Service Foundation\"",
        "name: \"SERVIVIENDA Foundation for Popular Housing\"",
    );
    session.rebuild(&["content/actors/servivienda.md"]);
    session.assert_same_as_full_build("renaming an actor");

    // The type of an actor of an initiative the 2011 report counts: its figures count
    // participation by type.
    session.edit("content/actors/lindavista-center.md", "type: ngo", "type: foundation");
    session.rebuild(&["content/actors/lindavista-center.md"]);
    session.assert_same_as_full_build("changing an actor's type");

    // A new project (a copy under a new id), then removed again: pages appear and go.
    let source = site.path().join("content/projects/servivienda-colombia-honduras.md");
    let copy = site.path().join("content/projects/servivienda-copy.md");
    fs::copy(&source, &copy).unwrap();
    session.rebuild(&["content/projects/servivienda-copy.md"]);
    assert!(session.output.join("projects/servivienda-copy.html").is_file());
    assert!(session.output.join("es/projects/servivienda-copy.html").is_file());
    assert!(session.output.join("projects/servivienda-copy.json").is_file());
    session.assert_same_as_full_build("adding a project");
    fs::remove_file(&copy).unwrap();
    session.rebuild(&["content/projects/servivienda-copy.md"]);
    // Its pages and its JSON file (beside the page) are gone.
    for gone in [
        "projects/servivienda-copy.html",
        "es/projects/servivienda-copy.html",
        "projects/servivienda-copy.json",
    ] {
        assert!(!session.output.join(gone).exists(), "{gone}");
    }
    session.assert_same_as_full_build("removing a project");

    // A report chapter's body.
    let chapter = "content/reports/2011/02-this-edition.md";
    let text = fs::read_to_string(site.path().join(chapter)).unwrap();
    fs::write(
        site.path().join(chapter),
        format!("{text}\nAn added closing paragraph.\n"),
    )
    .unwrap();
    session.rebuild(&[chapter]);
    session.assert_same_as_full_build("editing a chapter");

    // Exchange rates: every amount in US dollars.
    let rates = site.path().join("content/data/exchange-rates.yaml");
    let text = fs::read_to_string(&rates).unwrap();
    fs::write(
        &rates,
        format!("{text}\n# A comment changes the file, not the rates.\n"),
    )
    .unwrap();
    session.rebuild(&["content/data/exchange-rates.yaml"]);
    session.assert_same_as_full_build("editing the exchange rates file");
}

#[test]
fn an_invalid_edit_writes_nothing_and_a_fix_builds_again() {
    let site = bundled_site();
    let mut session = Session::start(site.path());
    let before = common::read_tree(&session.output);
    let project = "content/projects/de-campesino-a-campesino.md";
    session.edit(project, "status: ", "status: not-a-status-");
    let outcome = session.rebuild(&[project]);
    let BuildOutcome::Failed(diagnostics) = outcome else {
        panic!("an invalid status must fail the build: {outcome:?}")
    };
    assert!(
        diagnostics.iter().any(|d| d.file == project && d.line > 1),
        "the problem is located in the record: {diagnostics:?}"
    );
    assert_eq!(
        before,
        common::read_tree(&session.output),
        "a failed build writes nothing"
    );
    session.edit(project, "status: not-a-status-", "status: ");
    let outcome = session.rebuild(&[project]);
    assert!(matches!(outcome, BuildOutcome::Built { .. }), "{outcome:?}");
    session.assert_same_as_full_build("fixing the record");
}

#[test]
fn a_link_broken_by_removing_a_page_fails_the_build_though_the_linking_page_is_kept() {
    let site = bundled_site();
    // An actor's body links to an initiative it has no part in; removing the initiative
    // breaks the link, though the actor page's inputs did not change.
    let actor = "content/actors/g77.md";
    let text = fs::read_to_string(site.path().join(actor)).unwrap();
    fs::write(
        site.path().join(actor),
        format!("{text}\nSee [a housing project](../projects/servivienda-copy.html).\n"),
    )
    .unwrap();
    let source = site.path().join("content/projects/servivienda-colombia-honduras.md");
    let copy = site.path().join("content/projects/servivienda-copy.md");
    fs::copy(&source, &copy).unwrap();
    let mut session = Session::start(site.path());
    fs::remove_file(&copy).unwrap();
    let outcome = session.rebuild(&["content/projects/servivienda-copy.md"]);
    let BuildOutcome::Failed(diagnostics) = outcome else {
        panic!("the chapter's link is broken: {outcome:?}")
    };
    assert!(
        diagnostics.iter().any(|d| d.message.contains("servivienda-copy")),
        "{diagnostics:?}"
    );
    assert!(session.output.join("projects/servivienda-copy.html").is_file());
}
