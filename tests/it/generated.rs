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

/// Every man page has the sections a man page has: examples that paste,
/// the exit codes, the environment and the files.
#[test]
fn man_pages_have_examples_exit_status_environment_and_files() {
    let run = crate::common::dualstream().arg("man").run().expect_code(0);
    let page = run.stdout();
    for section in [
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "no {section} in:\n{page}");
    }
    assert!(page.contains(".TP\n\\fB124\\fR\n"), "{page}");
    assert!(page.contains("\\fBDUALSTREAM_BROKERS\\fR"), "{page}");
    assert!(page.contains("dualstream publish events.ndjson"), "{page}");
    let replay = committed("man/dualstream-replay.1");
    assert!(replay.contains(".SH EXAMPLES") && replay.contains(".SH \"EXIT STATUS\""));
}

/// The Kafka and Redis options are left out where nothing connects; an
/// exported variable never shows as a needed option in a usage line; the
/// help ends with the exit codes; --color reaches clap's own errors.
#[test]
fn help_shows_what_applies() {
    for sub in ["profile", "profile list", "completions", "man"] {
        let run = crate::common::dualstream()
            .args(sub.split_whitespace())
            .arg("--help")
            .run()
            .expect_code(0);
        let help = run.stdout();
        for hidden in [
            "--brokers",
            "--redis",
            "--topic",
            "-X",
            "--isolation",
            "--sharded",
        ] {
            assert!(
                !help.contains(hidden),
                "{sub} --help shows {hidden}:\n{help}"
            );
        }
        assert!(help.contains("--profile"), "{help}");
    }
    // Still accepted there: an exported DUALSTREAM_BROKERS or a habit
    // must not break them.
    crate::common::dualstream()
        .env("DUALSTREAM_BROKERS", "k:9092")
        .args(["--brokers", "x:1", "completions", "bash"])
        .run()
        .expect_code(0);
    let run = crate::common::dualstream()
        .env("DUALSTREAM_BROKERS", "k:9092")
        .env("DUALSTREAM_TOPIC", "t")
        .args(["publish", "--type", "a", "--type-field", "b"])
        .run()
        .expect_code(2);
    assert!(
        run.stderr()
            .contains("Usage: dualstream publish [OPTIONS] [FILE]...\n"),
        "{}",
        run.stderr()
    );
    let help = crate::common::dualstream()
        .arg("--help")
        .run()
        .expect_code(0)
        .stdout();
    assert!(help.contains("Exit status:\n    0  success"), "{help}");
    assert!(
        help.trim_end()
            .ends_with("143  terminated (SIGTERM), handled like Ctrl-C"),
        "{help}"
    );
    let colored = crate::common::dualstream()
        .args(["--color", "always", "publish", "--bogus"])
        .run()
        .expect_code(2);
    assert!(colored.stderr().contains("\u{1b}["), "{}", colored.stderr());
    let plain = crate::common::dualstream()
        .args(["--color=never", "publish", "--bogus"])
        .run()
        .expect_code(2);
    assert!(!plain.stderr().contains('\u{1b}'), "{}", plain.stderr());
}
