//! Shared by the fixture tests: builds a site from `tests/fixtures/valid/` plus the
//! overlay of one case in `tests/fixtures/invalid/<case>/`.
//!
//! An overlay's files replace (or add to) the valid site's files at the same relative
//! paths. A file named `DELETE` in the case folder lists relative paths (one per line;
//! blank lines and `#` comments ignored) to remove from the copy.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use openssc::diagnostics::{self, Format};

/// `tests/fixtures/`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// The folder of the valid site.
pub fn valid_site() -> PathBuf {
    fixtures().join("valid")
}

/// A temporary copy of the valid site with the overlay of `case` applied (`None`: the
/// valid site as is). The site is deleted when the returned value is dropped.
pub fn site(case: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("openssc-fixture-")
        .tempdir()
        .expect("create a temporary directory");
    copy_tree(&valid_site(), dir.path(), None);
    if let Some(case) = case {
        apply_overlay(&fixtures().join("invalid").join(case), dir.path());
    }
    dir
}

/// Copies the overlay's files over the site at `site`, then removes the paths its
/// `DELETE` file lists (one per line; blank lines and `#` comments ignored).
fn apply_overlay(overlay: &Path, site: &Path) {
    assert!(overlay.is_dir(), "no fixture case folder {}", overlay.display());
    let delete = overlay.join("DELETE");
    copy_tree(overlay, site, Some(&delete));
    if !delete.is_file() {
        return;
    }
    for line in fs::read_to_string(&delete).expect("read DELETE").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let target = site.join(line);
        assert!(
            target.exists(),
            "{}/DELETE lists {line}, which the valid site does not have",
            overlay.display()
        );
        if target.is_dir() {
            fs::remove_dir_all(&target).expect("remove a folder listed in DELETE");
        } else {
            fs::remove_file(&target).expect("remove a file listed in DELETE");
        }
    }
}

/// Copies every file of `from` into `to`, byte for byte, except the file `skip`.
fn copy_tree(from: &Path, to: &Path, skip: Option<&Path>) {
    for entry in fs::read_dir(from).expect("read a fixture folder") {
        let entry = entry.expect("read a fixture folder entry");
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            fs::create_dir_all(&target).expect("create a folder");
            copy_tree(&path, &target, skip);
        } else if skip != Some(path.as_path()) {
            fs::copy(&path, &target).expect("copy a fixture file");
        }
    }
}

/// The diagnostics rendered for humans, without color, one after the other.
pub fn render_all(diags: &[openssc::diagnostics::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| diagnostics::render(d, Format::Human { color: false }))
        .collect()
}

/// `tests/fixtures/build/`: overlays on the valid site for the `build` tests (a valid
/// site with something to render, or a site that fails at render or link-check time).
pub fn build_fixtures() -> PathBuf {
    fixtures().join("build")
}

/// A temporary copy of the valid site with the overlay `tests/fixtures/build/<case>/`
/// applied (same rules as [`site`], `DELETE` included).
pub fn build_case(case: &str) -> tempfile::TempDir {
    let overlay = build_fixtures().join(case);
    assert!(overlay.is_dir(), "no build fixture folder {}", overlay.display());
    let dir = site(None);
    apply_overlay(&overlay, dir.path());
    dir
}

/// Every file under `dir`, by `/`-separated relative path, sorted, with its bytes.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read an output folder") {
            let path = entry.expect("read an output folder entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("under the root");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(name, fs::read(&path).expect("read an output file"));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
