//! Issue #27, the first hour: a read that can only be empty, or came back
//! empty for a reason dualstream can see, says why in one `note:` line on
//! stderr (pinned); a read that found records says nothing of the kind.

use crate::common::*;

/// The `note:` lines of a run's stderr, the topic's name replaced.
fn notes(run: &Run, topic: &str) -> String {
    run.stderr()
        .lines()
        .filter(|l| l.contains("note:"))
        .map(|l| l.replace(topic, "[topic]"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn replay(kafka: &Kafka, topic: &str, args: &[&str]) -> Run {
    dualstream()
        .brokers(&kafka.brokers(), "off", topic)
        .arg("replay")
        .args(args)
        .run()
        .expect_code(0)
}

#[test]
fn an_empty_replay_says_why() {
    let kafka = Kafka::shared();
    let topic = topic("notes");
    kafka.create_topic(&topic, 2);
    // Timestamps 2023-11-14T22:13:20.000Z .. .009Z, long ago.
    seed(kafka, &topic, events(0, 10, 2));
    let empty = |args: &[&str]| {
        let run = replay(kafka, &topic, args);
        assert_eq!(run.stdout(), "", "{}", run.describe());
        notes(&run, &topic)
    };
    // The README's first try: the last hour of events stamped days ago.
    insta::assert_snapshot!(empty(&["--from-time", "2030-01-01T00:00:00Z"]), @"dualstream: note: --from-time 2030-01-01T00:00:00Z is after the newest record of topic [topic] (2023-11-14T22:13:20.009Z; record timestamps are the events' times, not when they were published): nothing to read");
    assert!(empty(&["--from-time", "1h"])
        .contains("is after the newest record of topic [topic] (2023-11-14T22:13:20.009Z;"));
    insta::assert_snapshot!(empty(&["--to-time", "2020-01-01T00:00:00Z"]), @"dualstream: note: --to-time 2020-01-01T00:00:00Z is before the oldest record of topic [topic] (2023-11-14T22:13:20Z; record timestamps are the events' times, not when they were published): nothing to read");
    insta::assert_snapshot!(empty(&["--from-end"]), @"dualstream: note: --from-end without --follow reads nothing: it starts at the end offsets taken now (add --follow to wait for new records, or --last N for the newest)");
    insta::assert_snapshot!(empty(&["--filter", "type=nope"]), @"dualstream: note: 10 records read, none matched --filter");

    // A group that read everything, asked again.
    let group = crate::common::topic("notes-group");
    let first = replay(kafka, &topic, &["--group", &group]);
    assert_eq!(first.stdout().lines().count(), 10, "{}", first.describe());
    assert_eq!(notes(&first, &topic), "", "records read: no note");
    insta::assert_snapshot!(empty(&["--group", &group]).replace(&group, "[group]"), @"dualstream: note: group [group] is already at the end of [topic]: its committed offsets are past every record (another --group, or no --group, reads them again)");

    // Records found: no note.
    let run = replay(kafka, &topic, &["--from-time", "2023-11-14T22:13:20.005Z"]);
    assert_eq!(run.stdout().lines().count(), 5, "{}", run.describe());
    assert_eq!(notes(&run, &topic), "");
}

#[test]
fn an_empty_topic_says_so_and_a_follow_waits_without_a_word() {
    let kafka = Kafka::shared();
    let topic = topic("notes-empty");
    kafka.create_topic(&topic, 2);
    let run = replay(kafka, &topic, &[]);
    insta::assert_snapshot!(notes(&run, &topic), @"dualstream: note: topic [topic] holds no records: nothing to read (publish to it first, or add --follow to wait)");
    let run = replay(kafka, &topic, &["--partition", "1"]);
    insta::assert_snapshot!(notes(&run, &topic), @"dualstream: note: partition 1 of [topic] holds no records: nothing to read (publish to it first, or add --follow to wait)");
    let run = replay(kafka, &topic, &["--follow", "--wait", "1s"]);
    assert_eq!(notes(&run, &topic), "", "{}", run.describe());
}

#[test]
fn health_names_a_missing_topic_and_a_group_that_never_committed() {
    let kafka = Kafka::shared();
    let topic = topic("notes-health");
    kafka.create_topic(&topic, 2);
    seed(kafka, &topic, events(0, 4, 2));
    let health = |topic: &str, group: &str| {
        dualstream()
            .brokers(&kafka.brokers(), "off", topic)
            .args(["health", "--group", group])
            .run()
    };
    let run = health(&topic, "never-committed").expect_code(0);
    insta::assert_snapshot!(notes(&run, &topic), @"dualstream: note: group never-committed has committed no offsets on [topic]: it never read it (or its offsets expired), so its lag counts every record");
    assert!(run.stdout().contains("lag 4"), "{}", run.describe());

    let missing = format!("{topic}-missing");
    let run = health(&missing, "g").expect_code(6);
    insta::assert_snapshot!(notes(&run, &missing).replace(&kafka.brokers(), "[brokers]"), @"dualstream: note: topic [topic] does not exist on [brokers] (create it with: dualstream topic create [topic] --partitions N, or publish --create-topic)");
    assert!(
        run.stdout().contains("topic") && run.stdout().contains(": does not exist"),
        "{}",
        run.describe()
    );
    let topics_row = run
        .stdout()
        .lines()
        .find(|l| l.contains("topics"))
        .unwrap()
        .to_string();
    assert!(
        topics_row.contains(" 0 "),
        "a missing topic is not counted: {topics_row}"
    );
}
