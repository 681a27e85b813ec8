//! openssc: a static-site generator for the open, annual *State of South-South
//! Cooperation* report.
//!
//! The pipeline reads top to bottom, one module per stage:
//! [`config`] → [`load`] (files, front matter, YAML with positions) → [`validate`]
//! (JSON Schemas from [`schema`], then the rules) → [`model`] (one typed [`model::Dataset`]).
//! See ARCHITECTURE.md for the map and the invariants of each module.

// A `Diagnostic` is the error value of per-file loading; it is built once per problem,
// so its size does not matter and boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod config;
pub mod countries;
pub mod diagnostics;
pub mod error;
pub mod load;
pub mod model;
pub mod schema;
pub mod validate;
pub mod yaml;

use std::path::Path;

use config::{CONFIG_FILE, SiteConfig};
use diagnostics::{Diagnostic, Severity};
pub use error::Error;
use validate::Checked;

/// The outcome of `check`: either the site could not even be read as a site (the
/// configuration or the schemas are broken: only diagnostics), or it was validated.
#[derive(Debug)]
pub enum CheckOutcome {
    /// The configuration or the schemas have problems; no record was checked.
    Unreadable(Vec<Diagnostic>),
    /// Every record was checked.
    Checked(Box<Checked>),
}

impl CheckOutcome {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            CheckOutcome::Unreadable(d) => d,
            CheckOutcome::Checked(c) => &c.diagnostics,
        }
    }

    /// Does the site fail the check? Under `strict`, warnings count as errors.
    pub fn failed(&self, strict: bool) -> bool {
        let strict = strict || self.config().is_some_and(|c| c.strict);
        self.diagnostics()
            .iter()
            .any(|d| d.severity == Severity::Error || strict)
    }

    fn config(&self) -> Option<&SiteConfig> {
        match self {
            CheckOutcome::Checked(c) => Some(&c.dataset.config),
            CheckOutcome::Unreadable(_) => None,
        }
    }
}

/// Loads and validates the site at `root`: configuration, schemas, every record.
pub fn check_site(root: &Path) -> Result<CheckOutcome, Error> {
    let config_path = root.join(CONFIG_FILE);
    if !config_path.is_file() {
        return Err(Error::NoConfig(root.to_path_buf()));
    }
    let config_text = std::fs::read_to_string(&config_path).map_err(|e| Error::Io(config_path.clone(), e))?;
    let config = match SiteConfig::parse(&config_text, CONFIG_FILE) {
        Ok(c) => c,
        Err(d) => return Ok(CheckOutcome::Unreadable(d)),
    };
    let schemas = match schema::SchemaSet::load(root) {
        Ok(s) => s,
        Err(d) => return Ok(CheckOutcome::Unreadable(d)),
    };
    let loaded = load::load_content(root)?;
    Ok(CheckOutcome::Checked(Box::new(validate::validate(
        config, &schemas, loaded,
    ))))
}
