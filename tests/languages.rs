//! The site in four languages: every page in every language, interface text from complete
//! catalogs, record text falling back to the default language with a note, numbers,
//! dates and sorting by each language's conventions.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use openssc::{BuildOptions, BuildOutcome};

const DATE: &str = "2024-05-06";
const LANGUAGES: [&str; 4] = ["en", "es", "pt", "fr"];

/// The `four_languages` fixture built once for every test of this file.
fn built() -> &'static BTreeMap<String, Vec<u8>> {
    static TREE: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    TREE.get_or_init(|| {
        let site = common::build_case("four_languages");
        let parent = tempfile::tempdir().expect("a temporary directory");
        let out = parent.path().join("out");
        build(site.path(), &out);
        common::read_tree(&out)
    })
}

fn build(root: &Path, out: &Path) {
    let options = BuildOptions {
        strict: false,
        date: Some(DATE.into()),
    };
    match openssc::build_site(root, out, &options).expect("the site is readable") {
        BuildOutcome::Built { .. } => {}
        BuildOutcome::Failed(d) => panic!("the build failed:\n{}", common::render_all(&d)),
    }
}

fn page(path: &str) -> &'static str {
    let tree = built();
    let bytes = tree.get(path).unwrap_or_else(|| panic!("no page {path}"));
    std::str::from_utf8(bytes).expect("pages are UTF-8")
}

fn redact(html: &str) -> String {
    html.replace(&format!("openssc {}", env!("CARGO_PKG_VERSION")), "openssc [version]")
}

/// The default language's pages at the root, each other language's under `<lang>/`.
fn prefix(lang: &str) -> String {
    if lang == "en" {
        String::new()
    } else {
        format!("{lang}/")
    }
}

#[test]
fn every_page_exists_in_every_language() {
    let tree = built();
    let root_pages: BTreeSet<&str> = tree
        .keys()
        .map(String::as_str)
        .filter(|p| p.ends_with(".html") && !LANGUAGES.iter().any(|l| p.starts_with(&format!("{l}/"))))
        .collect();
    assert!(
        root_pages.len() > 30,
        "the fixture has many pages: {}",
        root_pages.len()
    );
    for lang in ["es", "pt", "fr"] {
        let pages: BTreeSet<&str> = tree
            .keys()
            .filter_map(|p| p.strip_prefix(&format!("{lang}/")))
            .filter(|p| p.ends_with(".html"))
            .collect();
        assert_eq!(pages, root_pages, "the {lang} pages are the default language's pages");
    }
    // Charts are drawn per language; data files are shared.
    let charts = tree
        .keys()
        .filter(|p| p.ends_with(".svg") && p.starts_with("reports/"))
        .count();
    assert!(charts > 0);
    assert_eq!(
        tree.keys()
            .filter(|p| p.ends_with(".svg") && p.starts_with("es/reports/"))
            .count(),
        charts
    );
    assert!(!tree.keys().any(|p| p.starts_with("es/data/") && !p.ends_with(".html")));
}

#[test]
fn a_page_per_language_snapshot() {
    for lang in LANGUAGES {
        let html = page(&format!("{}projects/test-regional-project.html", prefix(lang)));
        insta::assert_snapshot!(format!("four_languages_regional_project_{lang}"), redact(html));
    }
}

#[test]
fn pages_carry_their_language_and_link_to_the_others() {
    for lang in LANGUAGES {
        let path = format!("{}projects/test-bilateral-project.html", prefix(lang));
        let html = page(&path);
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{path}");
        for other in LANGUAGES {
            let href = format!(
                "https://example.org/fixture-site/{}projects/test-bilateral-project.html",
                prefix(other)
            );
            assert!(
                html.contains(&format!(
                    "<link rel=\"alternate\" hreflang=\"{other}\" href=\"{href}\">"
                )),
                "{path}: no hreflang alternate for {other}"
            );
        }
        // The language switcher: relative links that work from file://.
        let depth = if lang == "en" { "../" } else { "../../" };
        let current = if lang == "es" { " aria-current=\"page\"" } else { "" };
        assert!(
            html.contains(&format!(
                "href=\"{depth}es/projects/test-bilateral-project.html\"{current} lang=\"es\" hreflang=\"es\">Español</a>"
            )),
            "{path}: no link to the Spanish page"
        );
        // Shared files are linked at the site's root, not under the language.
        assert!(html.contains(&format!("href=\"{depth}static/style.css\"")), "{path}");
    }
}

#[test]
fn interface_text_is_in_the_page_language() {
    let checks = [
        ("", "Initiatives", "Participants"),
        ("es/", "Iniciativas", "Participantes"),
        ("pt/", "Iniciativas", "Participantes"),
        ("fr/", "Initiatives", "Participants"),
    ];
    for (prefix, nav, heading) in checks {
        let html = page(&format!("{prefix}projects/test-bilateral-project.html"));
        assert!(html.contains(&format!(">{nav}</a>")), "{prefix}: nav");
        assert!(html.contains(&format!(">{heading}</h2>")), "{prefix}: heading");
    }
    let es = page("es/projects/test-bilateral-project.html");
    assert!(es.contains("Sectores y ODS"));
    let fr = page("fr/index.html");
    assert!(fr.contains("Objectifs de développement durable") || fr.contains("Secteurs et ODD"));
}

#[test]
fn translations_are_used_and_missing_ones_fall_back_with_a_note() {
    // Spanish: the record's translation file gives the title and body; no note.
    let es = page("es/projects/test-regional-project.html");
    assert!(es.contains("<h1>Programa regional de prueba (datos de prueba)</h1>"));
    assert!(es.contains("La narrativa de un programa regional ficticio."));
    assert!(
        !es.contains("Fixture regional programme"),
        "the title is not shown in English"
    );
    assert!(!es.contains("<div lang=\"en\">"), "the body is not shown in English");
    // Portuguese: its own translation file.
    let pt = page("pt/projects/test-regional-project.html");
    assert!(pt.contains("<h1>Programa regional de teste (dados de teste)</h1>"));
    assert!(pt.contains("A narrativa de um programa regional fictício."));
    // French: no translation, so English text marked with its language and a note.
    let fr = page("fr/projects/test-regional-project.html");
    assert!(fr.contains("<h1><span lang=\"en\" class=\"fallback\">Fixture regional programme (test data)</span></h1>"));
    assert!(fr.contains("<p class=\"fallback-note\">Affiché en anglais"));
    assert!(fr.contains("<div lang=\"en\">\n<p>The narrative of a fictional regional programme.</p>"));
    // In the <title>, where no element may go, the text is there without marks.
    assert!(fr.contains("<title>Fixture regional programme (test data) · "));
    // Never an empty field: every page shows the default language's text at least.
    assert!(!fr.contains('\u{E000}') && !fr.contains('\u{E002}'));
    // The site's title: translated in Spanish; French shows the English one, marked.
    assert!(page("es/index.html").contains("Sitio de prueba de openssc (datos ficticios)"));
    assert!(page("fr/index.html").contains("<h1 lang=\"en\">openssc test fixture site (fictional data)</h1>"));
}

#[test]
fn numbers_and_dates_follow_the_language() {
    let en = page("projects/test-bilateral-project.html");
    let es = page("es/projects/test-bilateral-project.html");
    let fr = page("fr/projects/test-bilateral-project.html");
    assert!(en.contains("MXN 1,242,000 (2011)"), "English groups with commas");
    assert!(es.contains("MXN 1.242.000 (2011)"), "Spanish groups with points");
    assert!(
        fr.contains("MXN 1\u{202f}242\u{202f}000 (2011)"),
        "French groups with narrow spaces"
    );
    let es_regional = page("es/projects/test-regional-project.html");
    assert!(
        es_regional.contains("noviembre de 2010"),
        "Spanish month names in dates"
    );
    let pt_regional = page("pt/projects/test-regional-project.html");
    assert!(pt_regional.contains("novembro de 2010"));
}

#[test]
fn country_lists_follow_the_language() {
    // Country names in each language, sorted by its collation.
    let es = page("es/countries/index.html");
    let en = page("countries/index.html");
    assert!(es.contains(">Brasil</a>") && en.contains(">Brazil</a>"));
    // UN M49 region names too.
    assert!(es.contains("Américas · América del Sur") && en.contains("Americas · South America"));
    assert!(!es.contains("South America"));
    assert!(page("fr/countries/index.html").contains("Amériques · Amérique du Sud"));
}

#[test]
fn sitemap_lists_every_language() {
    let sitemap = std::str::from_utf8(&built()["sitemap.xml"]).unwrap();
    for lang in ["es", "pt", "fr"] {
        assert!(sitemap.contains(&format!(
            "<loc>https://example.org/fixture-site/{lang}/projects/test-bilateral-project.html</loc>"
        )));
    }
}

// The catalogs.

#[test]
fn every_catalog_has_every_key() {
    let theme = openssc::render::Theme::load(Path::new("/nonexistent-site")).expect("the default theme loads");
    let languages: Vec<String> = LANGUAGES.iter().map(|l| l.to_string()).collect();
    let problems = theme.check_catalogs(&languages);
    assert!(problems.is_empty(), "{}", common::render_all(&problems));
    let en = &theme.catalogs["en"];
    for lang in ["es", "pt", "fr"] {
        let catalog = &theme.catalogs[lang];
        let extra: Vec<&String> = catalog.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
    }
}

#[test]
fn no_english_is_left_in_the_other_catalogs() {
    use openssc::locale::Message;
    let theme = openssc::render::Theme::load(Path::new("/nonexistent-site")).unwrap();
    let en = &theme.catalogs["en"];
    for lang in ["es", "pt", "fr"] {
        let same: Vec<&String> = en
            .iter()
            .filter(|(key, message)| {
                // Sentences, not names or codes that are the same in every language.
                matches!(message, Message::Text(t) if t.split_whitespace().count() >= 4)
                    && theme.catalogs[lang].get(*key) == Some(message)
                    && !key.starts_with("language.fallback.")
                    // A product's name.
                    && key.as_str() != "data.format_datapackage"
            })
            .map(|(k, _)| k)
            .collect();
        assert!(same.is_empty(), "{lang}: left in English: {same:?}");
    }
}

#[test]
fn check_reports_a_missing_catalog_key_of_a_configured_language() {
    let site = common::build_case("four_languages");
    std::fs::create_dir_all(site.path().join("i18n")).unwrap();
    // A site catalog for a language the theme lacks, missing nearly everything.
    std::fs::write(site.path().join("i18n/de.yaml"), "language.name: \"Deutsch\"\n").unwrap();
    let config = std::fs::read_to_string(site.path().join("openssc.toml")).unwrap();
    std::fs::write(
        site.path().join("openssc.toml"),
        config.replace(
            "languages = [\"en\", \"es\", \"pt\", \"fr\"]",
            "languages = [\"en\", \"es\", \"pt\", \"fr\", \"de\"]",
        ),
    )
    .unwrap();
    let outcome = openssc::check_site(site.path()).unwrap();
    let missing: Vec<_> = outcome
        .diagnostics()
        .iter()
        .filter(|d| d.file == "i18n/de.yaml" && d.message.contains("catalog key `nav.projects` is missing"))
        .collect();
    assert_eq!(missing.len(), 1, "{}", common::render_all(outcome.diagnostics()));
    assert!(outcome.failed(false));
    // A plural entry without the form the language needs.
    std::fs::write(site.path().join("i18n/de.yaml"), "").unwrap();
    std::fs::write(
        site.path().join("i18n/fr.yaml"),
        "data.count_rows: {other: \"{n} lignes\"}\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(site.path().join("openssc.toml")).unwrap();
    std::fs::write(site.path().join("openssc.toml"), config.replace(", \"de\"]", "]")).unwrap();
    let outcome = openssc::check_site(site.path()).unwrap();
    assert!(
        outcome
            .diagnostics()
            .iter()
            .any(|d| d.file == "i18n/fr.yaml" && d.message.contains("has no `one` form")),
        "{}",
        common::render_all(outcome.diagnostics())
    );
}

/// Interface text is folded into the templates when they are compiled (`render::fold`):
/// a site's own text, with characters HTML escapes, shows escaped once, in text and in
/// attributes; a site template that binds the name `t` itself keeps its meaning, in the
/// template and in the base it extends (the theme is then not folded).
#[test]
fn a_site_text_is_escaped_once_and_a_template_binding_t_keeps_its_meaning() {
    let site = common::build_case("four_languages");
    // Writes `file` into the site, builds it and gives the page at `page`.
    let with = |file: &str, text: &str, page: &str| {
        let path = site.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        let out = tempfile::tempdir().unwrap();
        build(site.path(), &out.path().join("out"));
        std::fs::read_to_string(out.path().join("out").join(page)).unwrap()
    };
    let home = with(
        "i18n/en.yaml",
        "nav.projects: \"Projects & <programmes>\"\nnav.label: \"Sections \\\"main\\\"\"\n",
        "index.html",
    );
    assert!(home.contains(">Projects &amp; &lt;programmes&gt;</a>"), "{home}");
    assert!(home.contains("aria-label=\"Sections &quot;main&quot;\""), "{home}");

    let about = with(
        "templates/about.html",
        "{% extends \"base.html\" %}{% macro t(key) %}[{{ key }}]{% endmacro %}\
         {% block content %}<p id=\"own\">{{ t(\"nav.projects\") }}</p>{% endblock %}",
        "about/index.html",
    );
    assert!(about.contains("<p id=\"own\">[nav.projects]</p>"), "{about}");
    // The child's macro is what `t` is in the base it extends too, as without folding.
    assert!(about.contains("index.html\">[nav.projects]</a>"), "{about}");
    assert!(!about.contains("Projects &amp;"), "{about}");
}
