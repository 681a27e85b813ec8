//! Writing the site: into a fresh folder beside the output, swapped in only when every
//! file is written, so a failed build leaves the previous output as it was.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::render::OutputFile;

/// Writes `files` to `output`, replacing what was there only once all are written.
pub fn write_site(output: &Path, files: &[OutputFile]) -> Result<(), Error> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::Io(parent.clone(), e))?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let staging = parent.join(format!(".{name}.openssc-new-{}", std::process::id()));
    let retired = parent.join(format!(".{name}.openssc-old-{}", std::process::id()));
    let result = write_all(&staging, files).and_then(|()| swap(output, &staging, &retired));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_all(dir: &Path, files: &[OutputFile]) -> Result<(), Error> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
    }
    for file in files {
        let path = dir.join(&file.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| Error::Io(folder.to_path_buf(), e))?;
        }
        std::fs::write(&path, &file.bytes).map_err(|e| Error::Io(path.clone(), e))?;
    }
    Ok(())
}

fn swap(output: &Path, staging: &Path, retired: &Path) -> Result<(), Error> {
    let had_output = output.exists();
    if had_output {
        std::fs::rename(output, retired).map_err(|e| Error::Io(output.to_path_buf(), e))?;
    }
    if let Err(e) = std::fs::rename(staging, output) {
        if had_output {
            // Put the previous site back before reporting.
            let _ = std::fs::rename(retired, output);
        }
        return Err(Error::Io(output.to_path_buf(), e));
    }
    if had_output {
        let _ = std::fs::remove_dir_all(retired);
    }
    Ok(())
}
