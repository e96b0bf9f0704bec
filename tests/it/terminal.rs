//! On a real terminal (a pseudo-terminal): the progress bar moves from the
//! first record, is cleared before the summary and on Ctrl-C, and is never
//! drawn where records share the screen with it.

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::*;

/// What the bar shows and nothing else does: its elapsed time.
const BAR: &str = "[00:";

fn on_terminal(env: &Env, pty: &mut Pty, stdout: Stdio, args: &[&str]) -> Child {
    let child = env.dualstream().env("TERM", "xterm").args(args).spawn_with(
        Stdio::piped(),
        stdout,
        pty.stdio(),
    );
    pty.release();
    child
}

/// Once the command has exited: no bar is left on the screen, and the
/// summary (`what`, counting 5) is.
fn only_the_summary(pty: &Pty, what: &str) {
    pty.wait_closed(Duration::from_secs(10));
    let screen = pty.screen();
    assert!(
        screen.iter().all(|l| !l.contains(BAR)),
        "the bar was left on the screen:\n{}",
        screen.join("\n")
    );
    assert!(
        screen.iter().any(|l| l.contains('5')),
        "{what} is shown:\n{}",
        screen.join("\n")
    );
}

/// `replay --follow` into a pipe, its stderr a terminal: the bar counts
/// the first records as they come (not "0 records" until a batch fills),
/// and Ctrl-C leaves only the summary on the screen.
#[test]
fn the_follow_bar_moves_from_the_first_record_and_ctrl_c_clears_it() {
    let env = Env::new("term-follow").partitions(2);
    env.seed(events(0, 3, 1));
    let mut pty = Pty::new(100, 30);
    let mut child = on_terminal(&env, &mut pty, Stdio::piped(), &["replay", "--follow"]);
    let stdout = lines(child.stdout.take().unwrap());
    for _ in 0..3 {
        stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("the seeded records");
    }
    pty.wait_for("3 records", Duration::from_secs(10));
    env.seed(events(3, 2, 1));
    pty.wait_for("5 records", Duration::from_secs(10));
    sigint(child.id());
    assert_eq!(wait_exit(&mut child, Duration::from_secs(30)), Some(130));
    only_the_summary(&pty, "the summary with its 5 records");
}

/// stdout and stderr on one terminal: no bar at all (a bar redrawn between
/// records leaves stale lines among them); each record is a whole line of
/// the screen, the summary after them.
#[test]
fn records_on_the_same_terminal_get_no_bar() {
    let env = Env::new("term-shared").partitions(1);
    env.seed(events(0, 4, 1));
    let mut pty = Pty::new(120, 30);
    let shared = pty.stdio();
    let mut child = on_terminal(&env, &mut pty, shared, &["replay", "--follow"]);
    pty.wait_for("e3", Duration::from_secs(30));
    env.seed(events(4, 2, 1));
    pty.wait_for("e5", Duration::from_secs(30));
    // Long enough for a bar's tick (5 a second) to have drawn, were one there.
    std::thread::sleep(Duration::from_millis(600));
    sigint(child.id());
    assert_eq!(wait_exit(&mut child, Duration::from_secs(30)), Some(130));
    pty.wait_closed(Duration::from_secs(10));
    let written = pty.written();
    assert!(!written.contains(BAR), "a bar was drawn: {written:?}");
    let screen = pty.screen();
    for i in 0..6 {
        let id = format!("e{i}");
        let shown: Vec<&String> = screen
            .iter()
            .filter(|l| l.split(|c: char| !c.is_alphanumeric()).any(|w| w == id))
            .collect();
        assert_eq!(shown.len(), 1, "{id} once:\n{}", screen.join("\n"));
    }
    let last_record = screen.iter().rposition(|l| l.contains("e5")).unwrap();
    assert!(
        screen[last_record + 1..].iter().any(|l| !l.is_empty()),
        "a summary after the records:\n{}",
        screen.join("\n")
    );
}

/// `publish` from stdin with its stderr a terminal: the bar moves with the
/// first lines, and is gone when the summary is printed.
#[test]
fn the_publish_bar_shows_progress_and_is_cleared_before_the_summary() {
    let env = Env::new("term-publish");
    let mut pty = Pty::new(100, 30);
    let mut child = on_terminal(
        &env,
        &mut pty,
        Stdio::piped(),
        &["publish", "--create-topic"],
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(events(0, 3, 1).as_bytes()).unwrap();
    stdin.flush().unwrap();
    pty.wait_for(BAR, Duration::from_secs(30));
    stdin.write_all(events(3, 2, 1).as_bytes()).unwrap();
    drop(stdin);
    let stdout = collect(child.stdout.take().unwrap());
    assert_eq!(wait_exit(&mut child, Duration::from_secs(60)), Some(0));
    let _ = stdout.join();
    only_the_summary(&pty, "the summary counting 5 events");
    assert_eq!(env.records().len(), 5);
}
