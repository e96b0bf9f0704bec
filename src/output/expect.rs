//! How a run with `--expect` ends, said the same way by `tail` and
//! `replay`: the exit code the expectations decide, the lines on stderr
//! naming what was missing or duplicated, their part of the summary, and
//! the JUnit report of `--summary junit=FILE` (one test case per
//! expectation).
//!
//! The JUnit file is written by hand: the format is a handful of elements,
//! and the only care it needs — escaping, and dropping the characters XML
//! 1.0 cannot hold at all — is tested here.

use std::path::Path;
use std::time::Duration;

use crate::error::Code;
use crate::output::records::escape_controls;
use crate::output::summary::Note;
use crate::select::{Expectations, Standing};

/// Missing or duplicated expectations listed on stderr; the rest is in
/// `--summary json` and the JUnit report.
const LISTED: usize = 20;

/// The exit code the expectations decide, given how the run itself ended,
/// and the notes that explain it. Missing expectations leave the run's own
/// code (124 at the deadline, 130 on Ctrl-C, 0 when the read simply ended
/// is turned into 124: the end came before the expectations); once all are
/// met, duplicates under `--expect-once` are 6.
pub fn verdict(x: &Expectations, once: bool, ended: Code) -> (Code, Vec<Note>) {
    let mut notes = Vec::new();
    let missing: Vec<_> = x.missing().collect();
    if !missing.is_empty() {
        notes.push(Note::Warn(format!(
            "expect: {} of {} expectations in {} not met",
            missing.len(),
            x.len(),
            x.file
        )));
        notes.extend(listed(
            missing.iter().map(|e| {
                format!(
                    "  missing {}:{}: {}",
                    x.file,
                    e.line,
                    escape_controls(&e.text)
                )
            }),
            missing.len(),
        ));
    }
    let duplicated: Vec<_> = x.duplicated().collect();
    if once && !duplicated.is_empty() {
        notes.push(Note::Warn(format!(
            "expect: {} expectations in {} were met more than once (--expect-once)",
            duplicated.len(),
            x.file
        )));
        notes.extend(listed(
            duplicated.iter().map(|(e, n)| {
                format!(
                    "  {n} times {}:{}: {}",
                    x.file,
                    e.line,
                    escape_controls(&e.text)
                )
            }),
            duplicated.len(),
        ));
    }
    let code = match ended {
        _ if !missing.is_empty() => match ended {
            Code::Success => Code::Timeout,
            other => other,
        },
        Code::Success | Code::Timeout if once && !duplicated.is_empty() => Code::Degraded,
        Code::Success | Code::Timeout => Code::Success,
        other => other,
    };
    (code, notes)
}

fn listed(lines: impl Iterator<Item = String>, total: usize) -> Vec<Note> {
    let mut notes: Vec<Note> = lines.take(LISTED).map(Note::Warn).collect();
    if total > LISTED {
        notes.push(Note::Warn(format!(
            "  … and {} more (all of them with --summary json)",
            total - LISTED
        )));
    }
    notes
}

/// The expectations as a JUnit XML report: one test case per expectation,
/// failed when missing, or duplicated under `--expect-once`.
fn junit_xml(suite: &str, x: &Expectations, once: bool, elapsed: Duration) -> String {
    let cases: Vec<(String, Option<(&str, String)>)> = x
        .standings()
        .map(|(e, standing)| {
            let name = format!("{}:{}: {}", x.file, e.line, e.text);
            let failure = match standing {
                Standing::Missing => Some(("missing", "expected event did not arrive".to_string())),
                Standing::Duplicated(n) if once => {
                    Some(("duplicated", format!("expected once, arrived {n} times")))
                }
                Standing::Met | Standing::Duplicated(_) => None,
            };
            (name, failure)
        })
        .collect();
    let failures = cases.iter().filter(|(_, f)| f.is_some()).count();
    let time = format!("{:.3}", elapsed.as_secs_f64());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"dualstream\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">\n",
        cases.len()
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">\n",
        escape(suite),
        cases.len()
    ));
    for (name, failure) in &cases {
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(suite),
            escape(name)
        );
        match failure {
            None => xml.push_str(&format!("{open}/>\n")),
            Some((kind, message)) => xml.push_str(&format!(
                "{open}>\n      <failure type=\"{kind}\" message=\"{}\"/>\n    </testcase>\n",
                escape(message)
            )),
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// The end of a run with `--expect`, the same for every command: the
/// expectations decide the exit code of a run that did not fail, their
/// notes follow the summary, and the JUnit report (`junit`: its file and
/// suite name) is written. A report that cannot be written fails a run that
/// had otherwise succeeded, and is a warning beside any other ending.
pub fn conclude(
    x: &Expectations,
    once: bool,
    junit: Option<(&Path, &str)>,
    elapsed: Duration,
    (result, notes): (&mut anyhow::Result<Code>, &mut Vec<Note>),
) {
    if let Ok(code) = result {
        let (code, said) = verdict(x, once, *code);
        *result = Ok(code);
        notes.extend(said);
    }
    let Some((path, suite)) = junit else {
        return;
    };
    if let Err(e) = std::fs::write(path, junit_xml(suite, x, once, elapsed)) {
        let e = anyhow::anyhow!("--summary junit={}: {e}", path.display());
        match result {
            Ok(Code::Success) => *result = Err(e),
            _ => notes.push(Note::Warn(format!("{e:#}"))),
        }
    }
}

/// Text for an XML attribute: markup escaped, and the characters XML 1.0
/// cannot hold (most control characters) replaced by U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::View;

    fn expectations(text: &str, ids: &[&str]) -> Expectations {
        let mut x = Expectations::parse("e.txt", text).unwrap();
        for id in ids {
            x.observe(&View {
                id: Some(id),
                ..View::default()
            });
        }
        x
    }

    fn warnings(notes: &[Note]) -> Vec<&str> {
        notes
            .iter()
            .map(|n| match n {
                Note::Warn(m) | Note::Info(m) | Note::Why(m) => m.as_str(),
            })
            .collect()
    }

    #[test]
    fn verdicts() {
        let x = expectations("a\nb\n", &["a", "b"]);
        assert_eq!(verdict(&x, true, Code::Success).0, Code::Success);
        // Met before the deadline fired: a success.
        assert_eq!(verdict(&x, false, Code::Timeout).0, Code::Success);

        let x = expectations("a\nb\n", &["a"]);
        let (code, notes) = verdict(&x, false, Code::Timeout);
        assert_eq!(code, Code::Timeout);
        assert_eq!(
            warnings(&notes),
            [
                "expect: 1 of 2 expectations in e.txt not met",
                "  missing e.txt:2: b"
            ]
        );
        // What the file holds never reaches a terminal raw.
        let x = expectations("a\u{1b}[2J\n", &[]);
        let (_, notes) = verdict(&x, false, Code::Timeout);
        assert!(!warnings(&notes)[1].contains('\u{1b}'));
        let x = expectations("a\nb\n", &["a"]);
        // The end of a bounded read before every expectation: 124 too.
        assert_eq!(verdict(&x, false, Code::Success).0, Code::Timeout);
        assert_eq!(verdict(&x, false, Code::Interrupted).0, Code::Interrupted);

        let x = expectations("a\nb\n", &["a", "b", "a"]);
        assert_eq!(verdict(&x, false, Code::Success).0, Code::Success);
        let (code, notes) = verdict(&x, true, Code::Success);
        assert_eq!(code, Code::Degraded);
        assert_eq!(
            warnings(&notes),
            [
                "expect: 1 expectations in e.txt were met more than once (--expect-once)",
                "  2 times e.txt:1: a"
            ]
        );
        // A failure of the run itself is not hidden by the expectations.
        assert_eq!(verdict(&x, true, Code::Redis).0, Code::Redis);
    }

    #[test]
    fn long_lists_are_cut_on_stderr() {
        let text: String = (0..30).map(|i| format!("id-{i}\n")).collect();
        let x = expectations(&text, &[]);
        let (_, notes) = verdict(&x, false, Code::Timeout);
        let w = warnings(&notes);
        assert_eq!(w.len(), 1 + LISTED + 1);
        assert_eq!(
            w[LISTED + 1],
            "  … and 10 more (all of them with --summary json)"
        );
    }

    #[test]
    fn expectations_in_the_summary() {
        use crate::output::summary::expect_json;
        use serde_json::json;
        let x = expectations("a\nb\nc\n", &["a", "b", "b"]);
        assert_eq!(
            expect_json(&x),
            json!({
                "file": "e.txt", "expected": 3, "met": 2,
                "missing": [{"line": 3, "expect": "c"}],
                "duplicated": [{"line": 2, "expect": "b", "times": 2}],
            })
        );
    }

    #[test]
    fn junit_report() {
        let x = expectations("a\n{\"type\":\"<t&\\\"q\\u0001>\"}\nc\n", &["a", "c", "c"]);
        let xml = junit_xml("dualstream tail", &x, true, Duration::from_millis(1500));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"dualstream\" tests=\"3\" failures=\"2\" errors=\"0\" time=\"1.500\">\n  \
             <testsuite name=\"dualstream tail\" tests=\"3\" failures=\"2\" errors=\"0\" time=\"1.500\">\n    \
             <testcase classname=\"dualstream tail\" name=\"e.txt:1: a\"/>\n    \
             <testcase classname=\"dualstream tail\" name=\"e.txt:2: {&quot;type&quot;:&quot;&lt;t&amp;\\&quot;q\\u0001&gt;&quot;}\">\n      \
             <failure type=\"missing\" message=\"expected event did not arrive\"/>\n    </testcase>\n    \
             <testcase classname=\"dualstream tail\" name=\"e.txt:3: c\">\n      \
             <failure type=\"duplicated\" message=\"expected once, arrived 2 times\"/>\n    </testcase>\n  \
             </testsuite>\n</testsuites>\n"
        );
        // Without --expect-once a duplicate passes.
        assert!(junit_xml("s", &x, false, Duration::ZERO).contains("failures=\"1\""));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("x\u{1}\ty\n"), "x\u{FFFD}&#9;y&#10;");
        assert_eq!(escape("é\u{FFFF}"), "é\u{FFFD}");
    }
}
