//! The committed completions/ and man/ match what the binary generates now.

use std::path::Path;

fn committed(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/generate.sh)", full.display()))
}

#[test]
fn completions_are_fresh() {
    for (shell, file) in [
        ("bash", "completions/dualstream.bash"),
        ("zsh", "completions/_dualstream"),
        ("fish", "completions/dualstream.fish"),
        ("powershell", "completions/_dualstream.ps1"),
        ("elvish", "completions/dualstream.elv"),
    ] {
        let run = crate::common::dualstream()
            .args(["completions", shell])
            .run()
            .expect_code(0);
        assert!(
            run.stdout() == committed(file),
            "{file} is stale: run scripts/generate.sh and commit the result"
        );
    }
}

#[test]
fn man_pages_are_fresh() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::dualstream()
        .args(["man", "--out-dir", dir.path().to_str().unwrap()])
        .run()
        .expect_code(0);
    let mut generated: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    assert!(
        generated.contains(&"dualstream-publish.1".to_string()),
        "{generated:?}"
    );
    let mut in_repo: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("man"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    in_repo.sort();
    assert_eq!(
        generated, in_repo,
        "man/ has other pages than generated: run scripts/generate.sh"
    );
    for page in generated {
        let fresh = std::fs::read_to_string(dir.path().join(&page)).unwrap();
        assert!(
            fresh == committed(&format!("man/{page}")),
            "man/{page} is stale: run scripts/generate.sh and commit the result"
        );
    }
    let top = crate::common::dualstream().arg("man").run().expect_code(0);
    assert!(top.stdout().starts_with(".ie \\n(.g"), "roff expected");
    assert!(top.stdout().contains("dualstream"));
}
