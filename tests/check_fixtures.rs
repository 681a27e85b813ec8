//! Fixture-site tests: `tests/fixtures/valid/` is a small, complete site that must check
//! clean; each folder of `tests/fixtures/invalid/` is an overlay on it that introduces
//! exactly one problem, whose rendered diagnostics are a snapshot in `tests/snapshots/`.
//!
//! To review changed snapshots: `INSTA_UPDATE=always cargo test --test check_fixtures`,
//! then read every changed `.snap` (each must show its case's one problem, at the right
//! line and column) before committing it.

mod common;

use std::time::{Duration, Instant};

use openssc::CheckOutcome;
use openssc::diagnostics::Severity;

/// Builds the overlay site of `case`, checks it and returns the rendered diagnostics
/// with the outcome.
fn check(case: &str) -> (String, CheckOutcome) {
    let site = common::site(Some(case));
    let outcome =
        openssc::check_site(site.path()).unwrap_or_else(|e| panic!("case {case}: the site could not be checked: {e}"));
    (common::render_all(outcome.diagnostics()), outcome)
}

/// Checks the case and compares its rendered diagnostics with the snapshot named after
/// the case. Every case is an error case unless it says otherwise.
fn snapshot(case: &str) -> CheckOutcome {
    let (rendered, outcome) = check(case);
    assert_eq!(
        outcome.diagnostics().len(),
        1,
        "case {case} must give exactly one diagnostic:\n{rendered}"
    );
    insta::assert_snapshot!(case, rendered);
    outcome
}

/// One test per case folder, named like the folder.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let outcome = snapshot(stringify!($name));
                assert!(outcome.failed(false), "case {} must fail the check", stringify!($name));
            }
        )*

        /// Every case folder has a test, and every test a case folder.
        #[test]
        fn every_case_folder_has_a_test() {
            let listed: std::collections::BTreeSet<&str> =
                [$(stringify!($name)),*, "record_without_sources", "crlf_bom_valid"]
                    .into_iter()
                    .chain(BAD_INPUT.iter().map(|(case, _)| *case))
                    .collect();
            let folders: std::collections::BTreeSet<String> =
                std::fs::read_dir(common::fixtures().join("invalid"))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            let folders: std::collections::BTreeSet<&str> = folders.iter().map(String::as_str).collect();
            assert_eq!(listed, folders);
        }
    };
}

#[test]
fn valid_site_has_no_diagnostics() {
    let site = common::site(None);
    let outcome = openssc::check_site(site.path()).expect("the fixture site is readable");
    let rendered = common::render_all(outcome.diagnostics());
    assert_eq!(rendered, "", "the valid fixture site must give no diagnostics");
    assert!(!outcome.failed(true));
    let CheckOutcome::Checked(checked) = outcome else {
        panic!("the valid fixture site must be checked");
    };
    let d = &checked.dataset;
    assert_eq!(d.projects.len(), 3);
    assert_eq!(d.actors.len(), 4);
    assert_eq!(d.funds.len(), 1);
    assert_eq!(d.exchanges.len(), 2);
    assert_eq!(d.editions.len(), 1);
    assert_eq!(d.editions[&2011].chapters.len(), 2);
    assert!(d.exchange_rates.is_some());
    assert_eq!(d.country_facts.len(), 1);
    let es = &d.projects["test-regional-project"].translations["es"];
    assert_eq!(es.fields["title"], "Programa regional de prueba (datos de prueba)");
    assert_eq!(checked.files, 16);
}

cases! {
    // The rules of src/validate/rules.rs (and the translation rules of validate/mod.rs).
    unknown_actor_reference,
    unknown_fund_reference,
    unknown_regional_mechanism,
    unknown_resulting_project,
    unknown_parent_actor,
    actor_is_its_own_parent,
    unknown_fund_contributor,
    unknown_iso3_code,
    // The snapshot shows a wrong position today (3:3 instead of 2:1): see
    // `unknown_country_facts_code_points_at_the_key` below.
    unknown_iso3_code_in_country_facts,
    text_in_unconfigured_language,
    translation_in_unconfigured_language,
    translation_in_default_language,
    translation_of_missing_record,
    untranslatable_field_in_translation,
    not_a_real_date,
    end_before_start,
    open_until_before_posted,
    period_to_before_from,
    bilateral_without_recipient,
    bilateral_with_second_provider,
    triangular_without_second_provider,
    regional_with_two_countries,
    beneficiaries_exceed_people,
    missing_exchange_rate,
    fund_money_without_year,
    unknown_m49_region,
    duplicate_chapter_order,
    chapter_without_index,
    private_use_character,
    // Schema and load problems.
    unknown_field_typo,
    misspelt_sector,
    missing_required_field,
    wrong_type,
    lowercase_country_code,
    bad_date_form,
    duplicate_yaml_key,
    yaml_syntax_error,
    invalid_file_name,
    stray_file,
    no_front_matter,
    config_unknown_key,
    config_default_language_not_in_languages,
    invalid_schema_override,
    crlf_bom_with_error,
}

/// The one warning-only case: it fails only under `--strict`.
#[test]
fn record_without_sources() {
    let outcome = snapshot("record_without_sources");
    let diags = outcome.diagnostics();
    assert!(diags.iter().all(|d| d.severity == Severity::Warning));
    assert!(!outcome.failed(false));
    assert!(outcome.failed(true));
}

/// A BOM and CRLF line endings are fine: the same record with them checks clean.
#[test]
fn crlf_bom_valid() {
    let (rendered, outcome) = check("crlf_bom_valid");
    assert_eq!(rendered, "");
    assert!(!outcome.failed(true));
}

/// Hostile or broken input: each gives exactly one diagnostic, on its file, quickly.
const BAD_INPUT: &[(&str, &str)] = &[
    ("yaml_alias_bomb", "content/actors/test-alias-bomb.md"),
    ("invalid_utf8", "content/actors/test-latin1.md"),
    ("empty_file", "content/actors/test-empty.md"),
    ("unclosed_front_matter", "content/exchanges/test-offer.md"),
];

fn bad_input(case: &str) {
    let file = BAD_INPUT
        .iter()
        .find(|(c, _)| *c == case)
        .expect("listed in BAD_INPUT")
        .1;
    let site = common::site(Some(case));
    let started = Instant::now();
    let outcome = openssc::check_site(site.path()).expect("the site is readable");
    let elapsed = started.elapsed();
    // A sanity bound (the benchmark is elsewhere): generous for a loaded machine.
    assert!(elapsed < Duration::from_secs(5), "case {case} took {elapsed:?}");
    let diags = outcome.diagnostics();
    assert_eq!(diags.len(), 1, "case {case}: {diags:#?}");
    assert_eq!(diags[0].file, file);
    assert_eq!(diags[0].severity, Severity::Error);
    insta::assert_snapshot!(case, common::render_all(diags));
}

#[test]
fn yaml_alias_bomb() {
    bad_input("yaml_alias_bomb");
}

#[test]
fn invalid_utf8() {
    bad_input("invalid_utf8");
}

#[test]
fn empty_file() {
    bad_input("empty_file");
}

#[test]
fn unclosed_front_matter() {
    bad_input("unclosed_front_matter");
}

/// Breaks `file` of a copy of the valid site with `edit` and returns the diagnostics.
fn check_edited(file: &str, edit: impl Fn(&str) -> String) -> Vec<openssc::diagnostics::Diagnostic> {
    let site = common::site(None);
    let path = site.path().join(file);
    let before = std::fs::read_to_string(&path).unwrap();
    let after = edit(&before);
    assert_ne!(before, after, "the edit changes nothing");
    std::fs::write(&path, after).unwrap();
    openssc::check_site(site.path()).unwrap().diagnostics().to_vec()
}

// Regression tests for bugs found while writing the fixtures.

/// A record that fails to load (YAML error, bad encoding, no front matter) is not counted
/// as existing, so every reference to it becomes "there is no actor with id ..." with the
/// hint to create a file that already exists.
#[test]
fn load_error_is_not_reported_again_at_references() {
    let diags = check_edited("content/actors/test-agency-beta.md", |t| {
        t.replace("scope: national\n", "scope: national\nscope: regional\n")
    });
    assert_eq!(diags.len(), 1, "{}", common::render_all(&diags));
}

/// The same for translations: the record's YAML error also makes its translation "a
/// translation of `...`, which does not exist".
#[test]
fn load_error_does_not_orphan_translations() {
    let diags = check_edited("content/projects/test-regional-project.md", |t| {
        t.replace("sectors: [environment]", "sectors: [environment")
    });
    assert_eq!(diags.len(), 1, "{}", common::render_all(&diags));
}

/// An unknown country code in content/data/countries.yaml is a key: the diagnostic must
/// point at the key (2:1), not at the first field of its value (the snapshot of
/// `unknown_iso3_code_in_country_facts` once showed 3:3).
#[test]
fn unknown_country_facts_code_points_at_the_key() {
    let (_, outcome) = check("unknown_iso3_code_in_country_facts");
    let d = &outcome.diagnostics()[0];
    assert_eq!((d.line, d.column, d.len), (2, 1, 3));
}
