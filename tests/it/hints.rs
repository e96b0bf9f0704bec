//! Issue #27, the first hour: a hint fits the command it is printed by.
//! Every failure path run here (unreachable brokers, a topic that does not
//! exist, bad lines, an empty read, a refused Redis) is scanned for the
//! `--flags` its messages name; each must be a flag of the command the
//! hint is about: the one that ran, or the one the hint names before it
//! (`publish --create-topic`, `replay --to-redis --partition 2`).

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;

/// The commands a hint may name, and the words that name them.
const COMMANDS: [&[&str]; 9] = [
    &["publish"],
    &["replay"],
    &["tail"],
    &["health"],
    &["topic", "create"],
    &["topic", "list"],
    &["topic", "describe"],
    &["topic", "delete"],
    &["serve"],
];

/// Every long flag a command's `--help` lists (the global ones too).
fn flags_of(command: &[&str]) -> BTreeSet<String> {
    let help = dualstream().args(command).arg("--help").run().stdout();
    long_flags(&help).into_iter().collect()
}

/// The `--flag` words of `text`, in order (`--on-invalid=skip` gives
/// `--on-invalid`).
fn long_flags(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("--") {
        let after = &rest[i + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..end];
        let starts_word = i == 0 || !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric());
        if starts_word && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.push(format!("--{name}"));
        }
        rest = &after[end..];
    }
    found
}

/// Each `--flag` in `stderr`, with the command it belongs to: the last
/// command named before it on its line, else `ran`.
fn hinted<'a>(stderr: &str, ran: &'a [&'a str]) -> Vec<(Vec<&'a str>, String)> {
    let mut out = Vec::new();
    for line in stderr.lines() {
        let mut current: Vec<&str> = ran.to_vec();
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || "(),;:`".contains(c))
            .filter(|w| !w.is_empty())
            .collect();
        for (i, word) in words.iter().enumerate() {
            if word.ends_with(".sh") || word.starts_with("kafka-") || *word == "redis-cli" {
                // Another tool's flags (kafka-topics.sh --alter): not ours to check.
                current = Vec::new();
            } else if let Some(c) = COMMANDS.iter().find(|c| {
                c.iter()
                    .enumerate()
                    .all(|(k, w)| words.get(i + k) == Some(w))
            }) {
                current = c.to_vec();
            }
            if word.starts_with("--") && !current.is_empty() {
                for flag in long_flags(word) {
                    out.push((current.clone(), flag));
                }
            }
        }
    }
    out
}

/// A command line: `--brokers`, then `--redis` and `--topic` when given,
/// then the command's own words.
fn on(brokers: &str, redis: Option<&str>, topic: Option<&str>, command: &[&str]) -> Vec<String> {
    let mut args = vec!["--brokers".to_string(), brokers.to_string()];
    if let Some(redis) = redis {
        args.extend(["--redis".to_string(), redis.to_string()]);
    }
    if let Some(topic) = topic {
        args.extend(["--topic".to_string(), topic.to_string()]);
    }
    args.extend(command.iter().map(|w| w.to_string()));
    args
}

#[test]
fn every_flag_a_hint_names_belongs_to_the_command_it_is_about() {
    let kafka = Kafka::shared();
    let redis = Redis::start_with(&["--requirepass", "right-pass"]);
    let right_redis = format!("redis://:right-pass@127.0.0.1:{}", redis.port);
    let wrong_redis = format!("redis://:wrong-pass@127.0.0.1:{}", redis.port);
    let empty = topic("hints-empty");
    kafka.create_topic(&empty, 2);
    let missing = topic("hints-missing");
    let brokers = kafka.brokers();
    let nowhere = "127.0.0.1:1";
    let one_line = events(0, 1, 1);
    // `on`'s options: the Redis and the topic of each run.
    let off = Some("off");
    let (bad_pass, good_pass) = (Some(wrong_redis.as_str()), Some(right_redis.as_str()));
    let (empty, missing) = (Some(empty.as_str()), Some(missing.as_str()));
    let none = String::new;
    let runs: Vec<(&[&str], Vec<String>, String)> = vec![
        (
            &["publish"],
            on(nowhere, off, empty, &["publish"]),
            one_line.clone(),
        ),
        (
            &["publish"],
            on(&brokers, off, empty, &["publish", "--dry-run"]),
            "not json\n".into(),
        ),
        (
            &["publish"],
            on(&brokers, off, empty, &["publish"]),
            "{\"id\":\"a\"}\n".into(),
        ),
        (
            &["publish"],
            on(&brokers, off, empty, &["publish"]),
            format!("{one_line}not json\n"),
        ),
        (
            &["publish"],
            on(&brokers, off, missing, &["publish"]),
            one_line.clone(),
        ),
        (
            &["publish"],
            on(&brokers, bad_pass, empty, &["publish"]),
            one_line.clone(),
        ),
        (
            &["publish"],
            on(
                &brokers,
                off,
                empty,
                &["publish", "--create-topic", "--partitions", "5"],
            ),
            none(),
        ),
        (&["replay"], on(nowhere, None, empty, &["replay"]), none()),
        (
            &["replay"],
            on(&brokers, None, missing, &["replay"]),
            none(),
        ),
        (&["replay"], on(&brokers, None, empty, &["replay"]), none()),
        (
            &["replay"],
            on(&brokers, None, empty, &["replay", "--from-end"]),
            none(),
        ),
        (
            &["replay"],
            on(&brokers, bad_pass, empty, &["replay", "--to-redis"]),
            none(),
        ),
        (
            &["tail"],
            on(
                &brokers,
                bad_pass,
                empty,
                &["tail", "events:*", "--timeout", "3s"],
            ),
            none(),
        ),
        (
            &["tail"],
            on(
                &brokers,
                good_pass,
                missing,
                &["tail", "events:*", "--fetch", "--timeout", "3s"],
            ),
            none(),
        ),
        (&["health"], on(nowhere, off, empty, &["health"]), none()),
        (&["health"], on(&brokers, off, missing, &["health"]), none()),
        (
            &["topic", "create"],
            on(
                &brokers,
                None,
                None,
                &["topic", "create", empty.unwrap(), "--partitions", "5"],
            ),
            none(),
        ),
        (
            &["topic", "delete"],
            on(&brokers, None, None, &["topic", "delete", empty.unwrap()]),
            none(),
        ),
        (
            &["topic", "describe"],
            on(
                &brokers,
                None,
                None,
                &["topic", "describe", missing.unwrap()],
            ),
            none(),
        ),
    ];
    let mut known: BTreeMap<Vec<&str>, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut named = 0;
    for (ran, args, stdin) in &runs {
        let run = dualstream().args(args).stdin(stdin.clone()).run();
        for (command, flag) in hinted(&run.stderr(), ran) {
            named += 1;
            let flags = known
                .entry(command.clone())
                .or_insert_with(|| flags_of(&command));
            if !flags.contains(&flag) {
                wrong.push(format!(
                    "{flag} is no flag of `{}`, in:\n  dualstream {}\n{}",
                    command.join(" "),
                    args.join(" "),
                    run.stderr()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The scan found hints to check (the failure paths above print some).
    assert!(named >= 10, "only {named} flags named");
}

#[test]
fn the_flag_scanner_reads_hints_as_a_user_would() {
    assert_eq!(
        hinted(
            "x: y (use --on-invalid skip); run dualstream replay --to-redis --partition 2\n--a=b kafka-topics.sh --alter",
            &["publish"]
        ),
        vec![
            (vec!["publish"], "--on-invalid".to_string()),
            (vec!["replay"], "--to-redis".to_string()),
            (vec!["replay"], "--partition".to_string()),
            (vec!["publish"], "--a".to_string()),
        ]
    );
    assert_eq!(long_flags("a-- b --x-y, --2 c--d"), vec!["--x-y"]);
}

/// The hints of a bad line fit it: a field missing from line 1 points at
/// the mapping (skipping would skip every line), a word that is not JSON is
/// called that (not serde's "expected ident"), and a missing field later
/// in the input may be skipped.
#[test]
fn a_bad_line_gets_the_hint_that_fits_it() {
    let env = Env::new("hints-lines").partitions(1);
    let publish = |input: String| {
        env.dualstream()
            .arg("publish")
            .stdin(input)
            .run()
            .expect_code(3)
            .stderr()
    };
    let first = publish("{\"id\":\"a\",\"type\":\"t\",\"source_type\":\"s\"}\n".into());
    assert!(first.contains("<stdin>:1: missing field \"source_id\" (source_id; point elsewhere with --source-id-field or give a constant with --source-id); 0 events before it are in Kafka"), "{first}");
    assert!(!first.contains("--on-invalid"), "{first}");
    let later = publish(format!("{}{{\"id\":\"b\"}}\n", events(0, 1, 1)));
    assert!(later.contains("<stdin>:2: missing field"), "{later}");
    assert!(later.contains("(use --on-invalid skip or dead-letter=FILE to continue past bad lines); 1 event before it is in Kafka"), "{later}");
    let word = publish("not json\n".into());
    assert!(word.contains("<stdin>:1:2: not JSON: expected an object, array, string, number, true, false or null (use --on-invalid skip"), "{word}");
}
