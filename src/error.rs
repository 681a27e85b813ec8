//! Errors that stop a command before any record is checked: usage and I/O.
//! Problems in the site's own files are [`Diagnostic`](crate::diagnostics::Diagnostic)s, not errors.

use std::path::PathBuf;

/// A failure of the environment rather than of the site's content (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no {file} in {dir}: run openssc in a site folder, or pass --root DIR", file = crate::config::CONFIG_FILE, dir = .0.display())]
    NoConfig(PathBuf),
    #[error("cannot read {path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, std::io::Error),
    #[error("cannot write {path}: {source}", path = .0.display(), source = .1)]
    Write(PathBuf, std::io::Error),
    #[error("no content folder at {}: records go in content/", .0.display())]
    NoContent(PathBuf),
    #[error("cannot list the files of {}: {}", .0.display(), .1)]
    Walk(PathBuf, String),
    #[error("refusing to write the site into {}: {} (choose another --output-dir)", .0.display(), .1)]
    UnsafeOutput(PathBuf, String),
    #[error("{0}")]
    Serve(String),
}
