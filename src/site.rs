//! Assembling the site: every page and file of the output, in memory, in a fixed order.
//!
//! Invariant: no I/O; the same dataset, schemas, theme and build info give the same
//! files with the same bytes.

use std::sync::Arc;

use serde_json::json;

use crate::diagnostics::Diagnostic;
use crate::model::Dataset;
use crate::opendata::{Sources, sums};
use crate::render::views::Views;
use crate::render::{BuildInfo, OutputFile, SiteLanguage, Theme, render_pages};
use crate::schema::SchemaSet;

/// Every file of the site, sorted by path. `sources` are the site's source files the data
/// archive holds (read by the caller); the last file made is `data/SHA256SUMS`, the
/// checksums of all the others.
///
/// Each language's pages sit under its prefix (none for the default language, `es/` for
/// Spanish); the data downloads and static files are shared by all languages.
pub fn assemble(
    dataset: &Dataset,
    schemas: &SchemaSet,
    theme: &Theme,
    build: &BuildInfo,
    sources: &Sources,
) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let config = &dataset.config;
    let languages = site_languages(config, theme);
    let default_locale = Arc::new(theme.locale(&config.default_language));
    let default_views = Views {
        data: dataset,
        schemas,
        locale: &default_locale,
    };
    let report_data = crate::render::report::edition_data_files(&default_views);
    let open_data = crate::opendata::OpenData::build(&default_views, build, &report_data, sources);
    // With a trailing slash, so that `base_url ~ page.path` is a URL.
    let base = config
        .base_url
        .as_ref()
        .map(|b| if b.ends_with('/') { b.clone() } else { format!("{b}/") });
    let mut files = Vec::new();
    let mut page_paths: Vec<String> = Vec::new();
    for language in &languages {
        let locale = if language.code == config.default_language {
            Arc::clone(&default_locale)
        } else {
            Arc::new(theme.locale(&language.code))
        };
        let views = Views {
            data: dataset,
            schemas,
            locale: &locale,
        };
        let mut pages = views.pages();
        open_data.add_pages(&views, &mut pages);
        let (title, title_lang) = config.title_in(&language.code);
        let description = config.description_in(&language.code);
        let site = json!({
            "title": title,
            "title_lang": (title_lang != language.code).then_some(title_lang),
            "description": description.map(|d| d.0),
            "description_lang": description.and_then(|d| (d.1 != language.code).then_some(d.1)),
            "lang": language.code,
            "base_url": base,
            "has_feed": base.is_some() && build.date.is_some(),
        });
        files.extend(render_pages(theme, &site, build, &locale, &languages, &pages)?);
        files.extend(crate::render::report::edition_chart_files(&views, &language.prefix));
        if language.code == config.default_language {
            page_paths = pages.iter().map(|p| p.path.clone()).collect();
        }
    }
    files.extend(open_data.files);
    files.extend(report_data);
    for (name, bytes) in &theme.static_files {
        files.push(OutputFile {
            path: format!("static/{name}"),
            bytes: bytes.clone(),
        });
    }
    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = &base {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
        files.push(OutputFile {
            path: "sitemap.xml".into(),
            bytes: sitemap(base, &page_paths, &languages).into_bytes(),
        });
        if let Some(date) = &build.date {
            files.push(OutputFile {
                path: "feed.xml".into(),
                bytes: feed(base, &default_views, date).into_bytes(),
            });
        }
    }
    files.push(OutputFile {
        path: "robots.txt".into(),
        bytes: robots.into_bytes(),
    });
    let checksums = sums::sums(&files);
    files.push(checksums);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The site's languages, the default first, then in the order of `languages`.
pub fn site_languages(config: &crate::config::SiteConfig, theme: &Theme) -> Vec<SiteLanguage> {
    let mut codes: Vec<&String> = vec![&config.default_language];
    codes.extend(config.languages.iter().filter(|l| **l != config.default_language));
    codes
        .into_iter()
        .map(|code| SiteLanguage {
            code: code.clone(),
            name: theme.locale(code).t("language.name"),
            prefix: if *code == config.default_language {
                String::new()
            } else {
                format!("{code}/")
            },
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every page in every language, each with its alternates in the other languages
/// (`xhtml:link rel="alternate" hreflang`).
fn sitemap(base: &str, paths: &[String], languages: &[SiteLanguage]) -> String {
    let mut paths: Vec<&str> = paths.iter().map(String::as_str).filter(|p| *p != "404.html").collect();
    paths.sort_unstable();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in paths {
        for language in languages {
            xml.push_str(&format!(
                "  <url>\n    <loc>{}</loc>\n",
                xml_escape(&format!("{base}{}{path}", language.prefix))
            ));
            if languages.len() > 1 {
                for alternate in languages {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                        alternate.code,
                        xml_escape(&format!("{base}{}{path}", alternate.prefix))
                    ));
                }
            }
            xml.push_str("  </url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    xml
}

/// An Atom feed with one entry per project.
fn feed(base: &str, views: &Views<'_>, date: &str) -> String {
    let data = views.data;
    let lang = &data.config.default_language;
    let updated = format!("{date}T00:00:00Z");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n  <title>{}</title>\n  <id>{}</id>\n  <link rel=\"self\" href=\"{}\"/>\n  <link rel=\"alternate\" href=\"{}\"/>\n  <updated>{updated}</updated>\n  <author><name>{}</name></author>\n",
        xml_escape(&data.config.title),
        xml_escape(base),
        xml_escape(&format!("{base}feed.xml")),
        xml_escape(&format!("{base}index.html")),
        xml_escape(&data.config.title),
    );
    for p in data.projects.values() {
        let url = format!("{base}projects/{}/index.html", p.id);
        xml.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <link href=\"{}\"/>\n    <updated>{updated}</updated>\n    <summary>{}</summary>\n  </entry>\n",
            xml_escape(&crate::locale::strip_marks(&views.field(p, "title", &p.data.title))),
            xml_escape(&url),
            xml_escape(&url),
            xml_escape(&crate::locale::strip_marks(&views.field(p, "summary", &p.data.summary))),
        ));
    }
    xml.push_str("</feed>\n");
    xml
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the days-from-civil algorithm.
pub fn civil_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_700_000_000), "2023-11-14");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
    }
}
