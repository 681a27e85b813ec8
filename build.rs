//! Embeds the default schemas (`schemas/`) and the default theme (`themes/default/`) in
//! the binary, so `openssc` works on a site that has neither folder of its own.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Writes `pub static <name>: &[(&str, &[u8])]` listing every file under `dir` (path
/// relative to `dir`, contents) whose extension is in `extensions` (all when empty).
fn embed(code: &mut String, name: &str, dir: &Path, extensions: &[&str]) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.retain(|f| {
        extensions.is_empty()
            || f.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
    });
    files.sort();
    code.push_str(&format!("pub static {name}: &[(&str, &[u8])] = &[\n"));
    for file in &files {
        let rel = file.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut schemas = String::from("/// Default schema files: (path under `schemas/`, contents).\n");
    embed(
        &mut schemas,
        "EMBEDDED_SCHEMAS",
        &root.join("schemas"),
        &["json", "yaml"],
    );
    std::fs::write(out.join("embedded_schemas.rs"), schemas).unwrap();
    let mut theme = String::from("/// The default theme: (path under `themes/default/`, contents).\n");
    embed(&mut theme, "EMBEDDED_THEME", &root.join("themes/default"), &[]);
    std::fs::write(out.join("embedded_theme.rs"), theme).unwrap();
}
