//! Exit codes and the error that carries one. This is the only place that knows
//! which number means what; commands return a [`Code`] or fail with a [`Fail`],
//! and `main` turns either into the process exit status.

use std::fmt;
use std::process::ExitCode;

/// How a run ended, as the numbers of DESIGN.md's exit-code table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    Unexpected,
    Usage,
    InvalidInput,
    Kafka,
    Redis,
    Degraded,
    Timeout,
    Interrupted,
    /// SIGTERM, handled like Ctrl-C.
    Terminated,
}

impl Code {
    pub fn number(self) -> u8 {
        match self {
            Code::Success => 0,
            Code::Unexpected => 1,
            Code::Usage => 2,
            Code::InvalidInput => 3,
            Code::Kafka => 4,
            Code::Redis => 5,
            Code::Degraded => 6,
            Code::Timeout => 124,
            Code::Interrupted => 130,
            Code::Terminated => 143,
        }
    }
}

/// What each exit code means, in order: the table at the end of `--help`
/// and the man pages' EXIT STATUS.
pub const MEANINGS: &[(Code, &str)] = &[
    (
        Code::Success,
        "success (publish: Kafka acknowledged every valid event; Redis failures are warnings)",
    ),
    (Code::Unexpected, "unexpected error"),
    (
        Code::Usage,
        "usage error: a bad flag, value or combination, found before anything connects",
    ),
    (Code::InvalidInput, "invalid input under --on-invalid fail"),
    (
        Code::Kafka,
        "Kafka failure: unreachable, or events not acknowledged (how many, and which lines, are said)",
    ),
    (
        Code::Redis,
        "Redis failure where Redis is required (tail, replay --to-redis, health, --redis-required)",
    ),
    (
        Code::Degraded,
        "health: reachable but degraded; --expect-once: an expectation met twice",
    ),
    (
        Code::Timeout,
        "--timeout (or --wait) ran out before --count, --expect or a --catch-up window was done",
    ),
    (
        Code::Interrupted,
        "interrupted (Ctrl-C), after flushing what was in flight and printing the summary",
    ),
    (Code::Terminated, "terminated (SIGTERM), handled like Ctrl-C"),
];

/// [`MEANINGS`] as the text at the end of `--help`.
pub fn exit_table() -> String {
    let mut text = String::from("Exit status:");
    for (code, meaning) in MEANINGS {
        text.push_str(&format!("\n  {:>3}  {meaning}", code.number()));
    }
    text
}

/// End the process at once with `code`, skipping every destructor: the
/// third stop signal. The one `process::exit` of the program (every other
/// run returns its code to `main`).
pub fn exit_now(code: Code) -> ! {
    std::process::exit(i32::from(code.number()))
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        ExitCode::from(code.number())
    }
}

/// An error that knows its exit code. Anything else that reaches `main` is
/// [`Code::Unexpected`], except a broken pipe, which ends quietly with 0.
#[derive(Debug)]
pub struct Fail {
    pub code: Code,
    pub message: String,
}

/// An error that exits with `code`.
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Fail {
        code,
        message: message.into(),
    })
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

/// Shorthands for the failures commands raise most.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    fail(Code::Usage, message)
}
pub fn kafka(message: impl Into<String>) -> anyhow::Error {
    fail(Code::Kafka, message)
}

/// The exit code for an error: the first [`Fail`] in its chain, 0 for a broken
/// pipe (the reader went away, like `| head`), else 1.
pub fn code_of(err: &anyhow::Error) -> Code {
    for cause in err.chain() {
        if let Some(fail) = cause.downcast_ref::<Fail>() {
            return fail.code;
        }
        if broken_pipe(cause) {
            return Code::Success;
        }
    }
    Code::Unexpected
}

/// Is this a write to a reader that went away? Writers that wrap io errors
/// (serde_json, csv) hide the io::Error inside their own type.
fn broken_pipe(cause: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        return io.kind() == BrokenPipe;
    }
    if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
        return json.io_error_kind() == Some(BrokenPipe);
    }
    if let Some(csv) = cause.downcast_ref::<csv::Error>() {
        return matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe);
    }
    false
}

/// Print an error the way users read it: one line (context and cause joined
/// by `: `), or the cause chain on lines of its own with `-v`.
pub fn report(err: &anyhow::Error, verbose: bool) {
    if code_of(err) == Code::Success {
        return;
    }
    // Not eprintln!: a closed stderr must not turn an error into a panic.
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = if verbose {
        writeln!(stderr, "dualstream: error: {err:?}")
    } else {
        writeln!(stderr, "dualstream: error: {err:#}")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_anywhere_in_the_chain_is_success() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed");
        let err = anyhow::Error::new(io).context("writing stdout");
        assert_eq!(code_of(&err), Code::Success);
    }

    #[test]
    fn broken_pipe_inside_json_and_csv_errors_is_success() {
        let pipe = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed");
        let json = anyhow::Error::new(serde_json::Error::io(pipe()));
        assert_eq!(code_of(&json), Code::Success);
        let csv = anyhow::Error::new(csv::Error::from(pipe())).context("writing csv");
        assert_eq!(code_of(&csv), Code::Success);
        let other = anyhow::Error::new(serde_json::Error::io(std::io::Error::other("disk")));
        assert_eq!(code_of(&other), Code::Unexpected);
    }

    #[test]
    fn fail_code_survives_context() {
        let err = kafka("no broker").context("publishing");
        assert_eq!(code_of(&err).number(), 4);
        assert_eq!(code_of(&anyhow::anyhow!("boom")).number(), 1);
    }

    #[test]
    fn the_exit_code_table() {
        let table = [
            (Code::Success, 0),
            (Code::Unexpected, 1),
            (Code::Usage, 2),
            (Code::InvalidInput, 3),
            (Code::Kafka, 4),
            (Code::Redis, 5),
            (Code::Degraded, 6),
            (Code::Timeout, 124),
            (Code::Interrupted, 130),
            (Code::Terminated, 143),
        ];
        for (code, number) in table {
            assert_eq!(code.number(), number, "{code:?}");
            assert_eq!(ExitCode::from(code), ExitCode::from(number), "{code:?}");
        }
    }

    #[test]
    fn failures_carry_their_code_and_message() {
        let err = fail(Code::Redis, "redis: connection refused");
        assert_eq!(err.to_string(), "redis: connection refused");
        assert_eq!(code_of(&err), Code::Redis);
        let err = usage("--topic must not be empty");
        assert_eq!(
            (code_of(&err), err.to_string().as_str()),
            (Code::Usage, "--topic must not be empty")
        );
        let err = kafka("no broker");
        assert_eq!(
            (code_of(&err), err.to_string().as_str()),
            (Code::Kafka, "no broker")
        );
    }

    #[test]
    fn other_io_errors_are_unexpected() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let err = anyhow::Error::new(io).context("writing stdout");
        assert_eq!(code_of(&err), Code::Unexpected);
        // A code survives any number of contexts.
        let err = fail(Code::Timeout, "timed out")
            .context("reading")
            .context("replay");
        assert_eq!(code_of(&err), Code::Timeout);
    }
}
