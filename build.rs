//! Embeds the default schemas (`schemas/**/*.json`, `schemas/**/*.yaml`) in the binary,
//! so `openssc` works on a site that has no `schemas/` folder of its own.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yaml")) {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=schemas");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let schemas = root.join("schemas");
    let mut files = Vec::new();
    collect(&schemas, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Default schema files: (path under `schemas/`, contents).\npub static EMBEDDED_SCHEMAS: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let name = file
            .strip_prefix(&schemas)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_schemas.rs");
    std::fs::write(out, code).unwrap();
}
