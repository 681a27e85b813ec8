//! The annual report on the fixture sites: `data/reports/<year>/figures.json` (snapshot and
//! hand-computed values), chart SVGs (snapshot, identical bytes across builds), the edition
//! pages (cover, chapters, figures annex, figure pages, printable edition), figures embedded
//! in chapters by name, and the `check` errors for figure shortcodes.
//!
//! To review changed snapshots: `INSTA_UPDATE=always cargo test --test report`, then read
//! every changed `tests/snapshots/report__*.snap`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use openssc::aggregate::FIGURES;
use openssc::{BuildOptions, BuildOutcome};
use serde_json::{Value, json};

const DATE: &str = "2026-01-02";

/// Builds `root` and returns every written file by path.
fn build(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let parent = tempfile::tempdir().expect("a temporary directory");
    let out = parent.path().join("out");
    let options = BuildOptions {
        strict: false,
        date: Some(DATE.into()),
    };
    match openssc::build_site(root, &out, &options).expect("the site is readable") {
        BuildOutcome::Built { warnings, .. } => assert!(warnings.is_empty(), "{}", common::render_all(&warnings)),
        BuildOutcome::Failed(d) => panic!("the build failed:\n{}", common::render_all(&d)),
    }
    common::read_tree(&out)
}

fn text(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(tree.get(path).unwrap_or_else(|| panic!("{path} is written")).clone()).expect("UTF-8")
}

/// The rows of one figure of `figures.json`.
fn rows<'a>(figures: &'a Value, name: &str) -> &'a Vec<Value> {
    figures["figures"][name]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} has rows"))
}

fn row<'a>(figures: &'a Value, name: &str, key: Value) -> &'a Value {
    rows(figures, name)
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{name} has a row {key}"))
}

#[test]
fn figures_json_holds_every_named_figure_with_hand_computed_values() {
    let site = common::site(None);
    let tree = build(site.path());
    let json_text = text(&tree, "data/reports/2011/figures.json");
    insta::assert_snapshot!("figures_json", json_text);
    let figures: Value = serde_json::from_str(&json_text).expect("figures.json is JSON");
    assert_eq!(figures["edition"], json!(2011));
    for def in FIGURES {
        let f = &figures["figures"][def.name];
        assert_eq!(f["title"], json!(def.title), "{}", def.name);
        assert_eq!(f["unit"], json!(def.unit), "{}", def.name);
    }
    for name in [
        "initiatives_by_modality",
        "initiatives_by_instrument",
        "outcomes",
        "providers",
        "recipients",
        "budget_usd_by_modality",
        "participation_by_actor_type_and_phase",
        "civil_society_share",
        "beneficiaries_by_sex",
        "evaluation_answers",
        "contributions_usd_by_actor_type",
        "ssc_share_of_gni",
        "data_completeness",
    ] {
        assert!(figures["figures"][name].is_object(), "the issue's figure {name}");
    }

    // In scope: the bilateral project (2011-03 to 2012-06-30), the regional one (2010-11,
    // ongoing) and the triangular one (2011).
    let all = json!([
        "test-bilateral-project",
        "test-regional-project",
        "test-triangular-project"
    ]);
    assert_eq!(row(&figures, "civil_society_share", json!("total"))["records"], all);
    assert_eq!(
        row(&figures, "civil_society_share", json!("with_civil_society"))["records"],
        json!(["test-bilateral-project"]),
        "test-ngo-gamma is an NGO"
    );
    // 1,242,000 MXN of 2011 at 12.42 MXN per USD.
    assert_eq!(
        row(&figures, "budget_usd_by_modality", json!("bilateral"))["value"],
        json!(100000.0)
    );
    assert_eq!(
        row(&figures, "budget_usd_by_modality", json!("regional"))["value"],
        Value::Null
    );
    // 50,000 USD of 2011 plus in kind 62,100 MXN without a year: the start year, 2011.
    assert_eq!(
        row(&figures, "contributions_usd_by_actor_type", json!("government"))["value"],
        json!(55000.0)
    );
    // HND has a 2011 GNI but no providing participant: a computed zero.
    assert_eq!(row(&figures, "ssc_share_of_gni", json!("HND"))["value"], json!(0.0));
    // The regional body coordinates without phases.
    assert_eq!(
        row(
            &figures,
            "participation_by_actor_type_and_phase",
            json!(["multilateral", "unspecified"])
        )["value"],
        json!(1)
    );
    assert_eq!(
        row(&figures, "beneficiaries_by_sex", json!("women"))["value"],
        json!(60)
    );
    assert_eq!(
        row(&figures, "evaluation_answers", json!("not_evaluated"))["records"],
        json!(["test-regional-project", "test-triangular-project"])
    );
    assert_eq!(row(&figures, "flows", json!(["COL", "HND"]))["value"], json!(1));
}

#[test]
fn two_builds_give_identical_figures_and_svg_bytes() {
    let site = common::site(None);
    let first = build(site.path());
    let second = build(site.path());
    let report_files = |tree: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        tree.iter()
            .filter(|(p, _)| p.starts_with("reports/") || p.starts_with("data/reports/"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };
    let (a, b) = (report_files(&first), report_files(&second));
    assert!(a.keys().any(|p| p.ends_with(".svg")));
    assert_eq!(a, b);
    let svg = text(&first, "reports/2011/figures/participation_by_actor_type_and_phase.svg");
    insta::assert_snapshot!("participation_heat_map_svg", svg);
    for (path, bytes) in a.iter().filter(|(p, _)| p.ends_with(".svg")) {
        let svg = std::str::from_utf8(bytes).expect("UTF-8");
        assert!(
            svg.contains(r#"role="img" aria-labelledby="chart-title chart-desc""#),
            "{path}"
        );
        assert!(
            !svg.contains("href") && !svg.contains("url("),
            "{path} refers to nothing outside itself"
        );
    }
}

#[test]
fn edition_pages_show_every_figure_with_its_table_and_records() {
    let site = common::site(None);
    let tree = build(site.path());
    let cover = text(&tree, "reports/2011/index.html");
    assert!(cover.contains("id=\"toc-heading\""), "a table of contents");
    assert!(
        cover.contains("href=\"../../reports/2011/print/index.html\""),
        "the printable edition"
    );
    assert!(cover.contains("href=\"../../data/reports/2011/figures.json\""));
    assert!(
        cover.contains("href=\"../../reports/2011/figures/civil_society_share/index.html#row-total\">3</a>"),
        "the headline count links to its records"
    );
    assert!(cover.contains("id=\"completeness-heading\""), "data completeness");

    let annex = text(&tree, "reports/2011/figures/index.html");
    for (i, def) in FIGURES.iter().enumerate() {
        let number = i + 1;
        assert!(
            annex.contains(&format!("Figure {number}.</span> {}", def.title.replace('\'', "&#39;"))),
            "figure {number} ({}) in the annex",
            def.name
        );
        assert!(
            tree.contains_key(&format!("data/reports/2011/{}.csv", def.name)),
            "a CSV of {}",
            def.name
        );
        let page = text(&tree, &format!("reports/2011/figures/{}/index.html", def.name));
        assert!(page.contains("<caption>"), "{}: the table has a caption", def.name);
        assert!(page.contains("id=\"records-heading\""));
    }
    assert!(annex.contains("<th scope=\"row\">"));
    assert!(
        annex.contains("<img class=\"chart\" src=\"../../../reports/2011/figures/initiatives_by_modality.svg\" alt=\"")
    );

    let providers = text(&tree, "reports/2011/figures/providers/index.html");
    assert!(providers.contains("id=\"row-col\""), "each row has an anchor");
    assert!(providers.contains("href=\"../../../../projects/test-bilateral-project.html\""));

    let chapter = text(&tree, "reports/2011/test-overview/index.html");
    assert!(chapter.contains("rel=\"next\" href=\"../../../reports/2011/test-findings/index.html\""));
    let last = text(&tree, "reports/2011/test-findings/index.html");
    assert!(last.contains("rel=\"prev\" href=\"../../../reports/2011/test-overview/index.html\""));

    let print = text(&tree, "reports/2011/print/index.html");
    assert!(print.contains("class=\"print-chapter\""));
    assert!(print.contains("id=\"chapter-test-overview\""));
    for def in FIGURES {
        assert!(
            print.contains(&format!("id=\"figure-{}\"", def.name.replace('_', "-"))),
            "{} is printed",
            def.name
        );
    }
}

#[test]
fn chapters_embed_charts_tables_and_numbers_by_name() {
    let site = common::site(None);
    fs::write(
        site.path().join("content/reports/2011/test-overview.md"),
        "---\ntitle: \"Fixture chapter one: overview\"\norder: 1\n---\n\n\
         There were {{< number initiatives_by_modality triangular >}} triangular initiatives and\n\
         {{< number budget_usd_by_modality regional >}} on regional budgets; `{{< chart x >}}` is code.\n\n\
         {{< chart participation_by_actor_type_and_phase >}}\n\n\
         {{< table civil_society_share >}}\n",
    )
    .unwrap();
    let tree = build(site.path());
    let chapter = text(&tree, "reports/2011/test-overview/index.html");
    assert!(chapter.contains(
        "<a class=\"figure-value\" href=\"../../../reports/2011/figures/initiatives_by_modality/index.html#row-triangular\""
    ));
    assert!(
        chapter.contains("<span class=\"figure-value\">no data</span>"),
        "unknown is not zero"
    );
    assert!(
        chapter.contains("<code>{{&lt; chart x &gt;}}</code>"),
        "code is left as written"
    );
    // Numbered in order of appearance: the chart is figure 1, the table figure 2.
    assert!(chapter.contains("id=\"figure-participation-by-actor-type-and-phase\""));
    assert!(chapter.contains("Figure 1.</span> Participation by actor type and phase"));
    assert!(chapter.contains("src=\"../../../reports/2011/figures/participation_by_actor_type_and_phase.svg\""));
    assert!(chapter.contains("Figure 2.</span> Initiatives with civil-society participants"));
    assert!(
        !chapter.contains("{{&lt; number") && !chapter.contains("{{&lt; table"),
        "every shortcode is placed"
    );
    let print = text(&tree, "reports/2011/print/index.html");
    let in_chapter = print.find("id=\"chapter-test-overview\"").unwrap();
    let figure = print
        .find("id=\"figure-participation-by-actor-type-and-phase\"")
        .unwrap();
    let annex = print.find("id=\"annex-heading\"").unwrap();
    assert!(
        in_chapter < figure && figure < annex,
        "a placed figure is printed in its chapter"
    );
    assert_eq!(
        print
            .matches("id=\"figure-participation-by-actor-type-and-phase\"")
            .count(),
        1
    );
}

#[test]
fn unknown_figure_names_and_bad_keys_are_check_errors_at_their_position() {
    let site = common::site(None);
    fs::write(
        site.path().join("content/reports/2011/test-findings.md"),
        "---\ntitle: \"Fixture chapter two: findings\"\norder: 2\n---\n\n\
         Another chapter.\n\n\
         {{< chart initiatives_by_modalty >}}\n\n\
         Some {{< number outcomes great >}} here.\n",
    )
    .unwrap();
    let outcome = openssc::check_site(site.path()).expect("the site is readable");
    let rendered = common::render_all(outcome.diagnostics());
    assert!(outcome.failed(false), "{rendered}");
    let d = outcome.diagnostics();
    assert_eq!(d.len(), 2, "{rendered}");
    assert_eq!(d[0].file, "content/reports/2011/test-findings.md");
    assert_eq!((d[0].line, d[0].column), (8, 1));
    assert_eq!(d[0].message, "there is no figure named `initiatives_by_modalty`");
    assert_eq!(d[0].hint.as_deref(), Some("did you mean `initiatives_by_modality`?"));
    assert_eq!((d[1].line, d[1].column), (10, 6));
    assert!(
        d[1].message
            .contains("`great` is not a value of schemas/vocab/outcomes.yaml"),
        "{rendered}"
    );
}

#[test]
fn a_chapter_cannot_take_the_name_of_the_report_folders() {
    let site = common::site(None);
    fs::write(
        site.path().join("content/reports/2011/print.md"),
        "---\ntitle: \"Fixture chapter named print\"\norder: 3\n---\n\nText.\n",
    )
    .unwrap();
    let outcome = openssc::check_site(site.path()).expect("the site is readable");
    let rendered = common::render_all(outcome.diagnostics());
    assert!(
        rendered.contains("content/reports/2011/print.md:1:1: error: a chapter cannot be called `print`"),
        "{rendered}"
    );
}
