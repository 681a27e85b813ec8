//! Writing the site: into a fresh folder beside the output, swapped in only when every
//! file is written, so a failed build leaves the previous output as it was.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::Error;

/// The file every built site carries, so a later build knows the folder is its own.
pub const MARKER_FILE: &str = ".openssc-output";

/// Refuses to replace a folder that is not a previous build: the site itself, a folder
/// that holds it, or any non-empty folder without [`MARKER_FILE`].
fn check_replaceable(output: &Path, site_root: &Path) -> Result<(), Error> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (output_abs, root_abs) = (canonical(output), canonical(site_root));
    if root_abs.starts_with(&output_abs) {
        return Err(Error::UnsafeOutput(
            output.to_path_buf(),
            "it holds the site's own files".into(),
        ));
    }
    if output.is_file() {
        return Err(Error::UnsafeOutput(output.to_path_buf(), "it is a file".into()));
    }
    let non_empty = std::fs::read_dir(output)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty && !output.join(MARKER_FILE).is_file() {
        return Err(Error::UnsafeOutput(
            output.to_path_buf(),
            format!("it is not empty and has no {MARKER_FILE}, so it was not written by openssc build"),
        ));
    }
    Ok(())
}

/// A build being written: a fresh folder beside the output that files are written into as
/// they are made (from any thread), swapped in by [`Staging::commit`]. Dropped without a
/// commit, it removes the folder, so a failed build leaves the previous output as it was.
pub struct Staging {
    dir: PathBuf,
    output: PathBuf,
    retired: PathBuf,
    /// Every file written, with its SHA-256, for `data/SHA256SUMS`.
    written: Mutex<Vec<(String, [u8; 32])>>,
    /// Folders made so far (most files share theirs with others: one check each).
    folders: Mutex<std::collections::HashSet<PathBuf>>,
    committed: bool,
}

impl Staging {
    /// Prepares to replace `output`, which must be empty, missing, or a previous build (see
    /// [`MARKER_FILE`]).
    pub fn create(output: &Path, site_root: &Path) -> Result<Staging, Error> {
        check_replaceable(output, site_root)?;
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::Io(parent.clone(), e))?;
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let dir = parent.join(format!(".{name}.openssc-new-{}", std::process::id()));
        let retired = parent.join(format!(".{name}.openssc-old-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::Io(dir.clone(), e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::Io(dir.clone(), e))?;
        let marker = dir.join(MARKER_FILE);
        std::fs::write(
            &marker,
            "This folder was written by openssc build and is replaced by the next build.\n",
        )
        .map_err(|e| Error::Io(marker.clone(), e))?;
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
            retired,
            written: Mutex::new(Vec::new()),
            folders: Mutex::new(std::collections::HashSet::new()),
            committed: false,
        })
    }

    /// Writes one file of the site (`path` relative to the output, `/`-separated).
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), Error> {
        let file = self.dir.join(path);
        if let Some(folder) = file.parent() {
            let known = self
                .folders
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(folder);
            if !known {
                std::fs::create_dir_all(folder).map_err(|e| Error::Io(folder.to_path_buf(), e))?;
                self.folders
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(folder.to_path_buf());
            }
        }
        std::fs::write(&file, bytes).map_err(|e| Error::Io(file.clone(), e))?;
        let digest = crate::opendata::sums::digest(bytes);
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((path.to_owned(), digest));
        Ok(())
    }

    /// Every file written so far with its SHA-256.
    pub fn digests(&self) -> Vec<(String, [u8; 32])> {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many files were written (the marker included).
    pub fn count(&self) -> usize {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
            + 1
    }

    /// Swaps the new site in place of the output. Returns the number of files written.
    pub fn commit(mut self) -> Result<usize, Error> {
        let count = self.count();
        swap(&self.output, &self.dir, &self.retired)?;
        self.committed = true;
        Ok(count)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
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
