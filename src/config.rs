//! Site configuration: `openssc.toml` at the site root.

use serde::Deserialize;

use crate::diagnostics::Diagnostic;

/// The name of the configuration file at the site root.
pub const CONFIG_FILE: &str = "openssc.toml";

/// The languages the default theme has catalogs for.
pub const KNOWN_LANGUAGES: &[&str] = &["en", "es", "pt", "fr"];

/// `openssc.toml`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's title.
    pub title: String,
    /// One line saying what the site is.
    #[serde(default)]
    pub description: Option<String>,
    /// Languages the site is published in; the first page language is `default_language`.
    pub languages: Vec<String>,
    /// The language of the root pages, and the fallback for missing translations.
    pub default_language: String,
    /// Absolute URL the site will be published at (only used for sitemaps and feeds).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Treat warnings as errors, as `check --strict` does.
    #[serde(default)]
    pub strict: bool,
    /// The license of the open-data downloads (an id such as `CC-BY-4.0`, or a URL);
    /// `CC-BY-4.0` when absent (see `opendata::datapackage::license`).
    #[serde(default)]
    pub license: Option<String>,
    /// The reporting organisation of the IATI export (`[iati]`); see [`IatiConfig`].
    #[serde(default)]
    pub iati: Option<IatiConfig>,
    /// The title and description in the other languages (`[translations.es]`).
    #[serde(default)]
    pub translations: std::collections::BTreeMap<String, SiteTranslation>,
}

/// `[translations.<lang>]` in `openssc.toml`: the site's title and description in one of
/// its other languages.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SiteTranslation {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `[iati]` in `openssc.toml`: who publishes `data/iati-activities.xml`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IatiConfig {
    /// The publisher's IATI organisation identifier (e.g. `XM-DAC-7`): the reporting-org
    /// `ref` and the prefix of every activity identifier (`<reporting_org>-<project id>`).
    pub reporting_org: String,
    /// Its IATI OrganisationType code; 90 (Other) when absent.
    #[serde(default)]
    pub reporting_org_type: Option<u32>,
    /// Its name; the site's title when absent.
    #[serde(default)]
    pub reporting_org_name: Option<String>,
}

impl SiteConfig {
    /// The site's title in `lang` and the language it is in (the default language's
    /// title when there is no translation).
    pub fn title_in<'a>(&'a self, lang: &'a str) -> (&'a str, &'a str) {
        match self.translations.get(lang).and_then(|t| t.title.as_deref()) {
            Some(t) => (t, lang),
            None => (&self.title, &self.default_language),
        }
    }

    /// The site's description in `lang`, with the language it is in.
    pub fn description_in<'a>(&'a self, lang: &'a str) -> Option<(&'a str, &'a str)> {
        match self.translations.get(lang).and_then(|t| t.description.as_deref()) {
            Some(d) => Some((d, lang)),
            None => self.description.as_deref().map(|d| (d, self.default_language.as_str())),
        }
    }

    /// Parses and checks the configuration; problems are diagnostics on `file`.
    pub fn parse(text: &str, file: &str) -> Result<SiteConfig, Vec<Diagnostic>> {
        let config: SiteConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |span| line_col(text, span.start));
            vec![
                Diagnostic::error(file, line, col, "config", e.message().trim().to_owned())
                    .with_hint("see README.md, section \"Site configuration\", for the fields")
                    .with_source(text),
            ]
        })?;
        let mut problems = Vec::new();
        let at = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(key))
                .map_or(1, |i| i + 1)
        };
        if config.languages.is_empty() {
            problems.push(
                Diagnostic::error(file, at("languages"), 1, "config", "`languages` is empty")
                    .with_hint("list at least one language, e.g. languages = [\"en\"]"),
            );
        }
        let mut seen = Vec::new();
        for lang in &config.languages {
            if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                problems.push(
                    Diagnostic::error(
                        file,
                        at("languages"),
                        1,
                        "config",
                        format!("`{lang}` is not a two-letter ISO 639-1 language code"),
                    )
                    .with_hint(format!(
                        "the default theme has catalogs for {}; another language needs its catalog in i18n/<code>.yaml",
                        KNOWN_LANGUAGES.join(", ")
                    )),
                );
            }
            if seen.contains(&lang) {
                problems.push(Diagnostic::error(
                    file,
                    at("languages"),
                    1,
                    "config",
                    format!("language `{lang}` is listed twice"),
                ));
            }
            seen.push(lang);
        }
        if !config.languages.contains(&config.default_language) {
            problems.push(
                Diagnostic::error(
                    file,
                    at("default_language"),
                    1,
                    "config",
                    format!("default_language `{}` is not in `languages`", config.default_language),
                )
                .with_hint("add it to `languages`"),
            );
        }
        for lang in config.translations.keys() {
            if !config.languages.contains(lang) || *lang == config.default_language {
                problems.push(
                    Diagnostic::error(
                        file,
                        at(&format!("[translations.{lang}]")),
                        1,
                        "config",
                        format!("`[translations.{lang}]` is not one of the site's other languages"),
                    )
                    .with_hint("translations give the title and description in a language of `languages` other than the default"),
                );
            }
        }
        if let Some(url) = &config.base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            problems.push(Diagnostic::error(
                file,
                at("base_url"),
                1,
                "config",
                format!("base_url `{url}` is not an absolute http(s) URL"),
            ));
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems.into_iter().map(|d| d.with_source(text)).collect())
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_parses() {
        let c = SiteConfig::parse(
            "title = \"T\"\nlanguages = [\"en\", \"es\"]\ndefault_language = \"en\"\n",
            "openssc.toml",
        )
        .unwrap();
        assert_eq!(c.languages, ["en", "es"]);
        assert!(!c.strict);
    }

    #[test]
    fn unknown_keys_and_bad_languages_are_located() {
        let e = SiteConfig::parse(
            "title = \"T\"\nlanguages = [\"en\"]\ndefault_language = \"en\"\ncolour = 1\n",
            "openssc.toml",
        )
        .unwrap_err();
        assert_eq!((e[0].line, e[0].column), (4, 1));
        let e = SiteConfig::parse(
            "title = \"T\"\nlanguages = [\"en\", \"deu\"]\ndefault_language = \"es\"\n",
            "openssc.toml",
        )
        .unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].line, 3);
    }
}
