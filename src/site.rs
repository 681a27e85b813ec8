//! Assembling the site: every page and file of the output, in memory, in a fixed order.
//!
//! Invariant: no I/O; the same dataset, schemas, theme and build info give the same
//! files with the same bytes.

use serde_json::json;

use crate::diagnostics::Diagnostic;
use crate::model::Dataset;
use crate::opendata::{Sources, sums};
use crate::render::views::Views;
use crate::render::{BuildInfo, OutputFile, Theme, render_pages};
use crate::schema::SchemaSet;

/// Every file of the site, sorted by path. `sources` are the site's source files the data
/// archive holds (read by the caller); the last file made is `data/SHA256SUMS`, the
/// checksums of all the others.
pub fn assemble(
    dataset: &Dataset,
    schemas: &SchemaSet,
    theme: &Theme,
    build: &BuildInfo,
    sources: &Sources,
) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let config = &dataset.config;
    let views = Views {
        data: dataset,
        schemas,
        catalog: &theme.catalog,
    };
    let mut pages = views.pages();
    let report_files = crate::render::report::edition_files(&views);
    let open_data = crate::opendata::OpenData::build(&views, build, &report_files, sources);
    open_data.add_pages(&views, &mut pages);
    // With a trailing slash, so that `base_url ~ page.path` is a URL.
    let base = config
        .base_url
        .as_ref()
        .map(|b| if b.ends_with('/') { b.clone() } else { format!("{b}/") });
    let site = json!({
        "title": config.title,
        "description": config.description,
        "lang": config.default_language,
        "base_url": base,
        "has_feed": base.is_some() && build.date.is_some(),
    });
    let mut files = render_pages(theme, &site, build, &pages)?;
    files.extend(open_data.files);
    files.extend(report_files);
    for (name, bytes) in &theme.static_files {
        files.push(OutputFile {
            path: format!("static/{name}"),
            bytes: bytes.clone(),
        });
    }
    let base = config
        .base_url
        .as_ref()
        .map(|b| if b.ends_with('/') { b.clone() } else { format!("{b}/") });
    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = &base {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
        files.push(OutputFile {
            path: "sitemap.xml".into(),
            bytes: sitemap(base, &pages).into_bytes(),
        });
        if let Some(date) = &build.date {
            files.push(OutputFile {
                path: "feed.xml".into(),
                bytes: feed(base, &views, date).into_bytes(),
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

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sitemap(base: &str, pages: &[crate::render::PageSpec]) -> String {
    let mut paths: Vec<&str> = pages
        .iter()
        .map(|p| p.path.as_str())
        .filter(|p| *p != "404.html")
        .collect();
    paths.sort_unstable();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in paths {
        xml.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            xml_escape(&format!("{base}{path}"))
        ));
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
            xml_escape(p.data.title.get(lang, lang).0),
            xml_escape(&url),
            xml_escape(&url),
            xml_escape(p.data.summary.get(lang, lang).0),
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
