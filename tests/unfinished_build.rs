//! What `main`'s panic hook does for a release binary, which aborts on a panic without
//! running destructors (`panic = "abort"`): the folder of the build in progress is removed.
//! In a test binary of its own, so that no other test's build is in progress in this
//! process when `remove_unfinished` runs.

use openssc::write::{Staging, remove_unfinished};

/// The staging folders beside `output` (`.<name>.openssc-new-<pid>`).
fn staging_folders(output: &std::path::Path) -> Vec<std::path::PathBuf> {
    let parent = output.parent().unwrap();
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".openssc-new-"))
        .collect()
}

#[test]
fn an_aborted_build_leaves_neither_its_folder_nor_a_changed_output() {
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("site");
    std::fs::create_dir(&site).unwrap();
    let output = root.path().join("public");

    // A previous build, committed.
    let previous = Staging::create(&output, &site).unwrap();
    previous.write("index.html", b"<p>previous</p>".to_vec()).unwrap();
    previous.commit().unwrap();

    // The next build, which a panic ends: nothing of it runs again, not even its destructor.
    let unfinished = Staging::create(&output, &site).unwrap();
    for i in 0..100 {
        unfinished
            .write(&format!("projects/p{i}/index.html"), vec![b'x'; 1000])
            .unwrap();
    }
    unfinished.flush().unwrap();
    assert_eq!(staging_folders(&output).len(), 1, "the build writes beside the output");
    std::mem::forget(unfinished);

    remove_unfinished();
    assert_eq!(staging_folders(&output), Vec::<std::path::PathBuf>::new());
    assert_eq!(std::fs::read(output.join("index.html")).unwrap(), b"<p>previous</p>");
    assert!(
        !output.join("projects").exists(),
        "nothing of the unfinished build reached the output"
    );
    // Once emptied, the list is empty: a second call (a second panic) does nothing.
    remove_unfinished();

    // From then on the process is ending: a build creates nothing and cannot commit.
    let after = Staging::create(&output, &site).unwrap();
    after.write("index.html", b"<p>after</p>".to_vec()).unwrap();
    assert!(after.commit().is_err(), "no file is written once the process is ending");
    assert_eq!(std::fs::read(output.join("index.html")).unwrap(), b"<p>previous</p>");
}
