//! The bundled example site (content/ at the repository root) must pass `check --strict`:
//! it is what a new user builds first.

use std::path::Path;

#[test]
fn bundled_content_passes_check_strict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outcome = openssc::check_site(root).expect("the bundled site can be read");
    let rendered: String = outcome
        .diagnostics()
        .iter()
        .map(|d| openssc::diagnostics::render(d, openssc::diagnostics::Format::Human { color: false }))
        .collect();
    assert!(!outcome.failed(true), "bundled content has problems:\n{rendered}");
    let openssc::CheckOutcome::Checked(checked) = outcome else {
        unreachable!()
    };
    let data = &checked.dataset;
    // The three real cases of the source documents and the 2011 edition.
    for id in [
        "servivienda-colombia-honduras",
        "de-campesino-a-campesino",
        "psc-benin-bhutan-costa-rica",
    ] {
        assert!(data.project(id).is_some(), "missing project {id}");
    }
    assert!(data.editions.contains_key(&2011));
    // Every record cites a source document.
    assert!(data.projects.values().all(|p| !p.data.sources.is_empty()));
    assert!(data.actors.values().all(|a| !a.data.sources.is_empty()));
}
