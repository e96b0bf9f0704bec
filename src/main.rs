//! dualstream: parse the command line, resolve it into checked settings, run
//! one command, print how it ended, turn that into an exit code.

mod cli;
mod config;
mod duration;
mod error;
mod event;
mod findings;
mod generate;
mod health;
mod input;
mod kafka;
mod output;
mod profile;
mod publish;
mod pubsub;
mod replay;
mod select;
mod serve;
mod shutdown;
mod tail;
mod topic;
mod warn;
mod window;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::config::Job;
use crate::error::Code;
use crate::output::summary::Ending;
use crate::output::Output;
use crate::shutdown::Shutdown;

/// jemalloc for Rust and, unprefixed, for librdkafka's C code too: with
/// glibc's malloc, records allocated by the sending thread and freed by
/// librdkafka's broker threads fought over arena locks; a third of publish's
/// CPU went to malloc, free and futex waits (BENCHMARKS.md, profiles).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        // Clap's own words (--help and --version on stdout, a usage error
        // on stderr), and its exit without `process::exit`.
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                Code::Usage
            } else {
                Code::Success
            };
            return code.into();
        }
    };
    let out = config::output(&cli.global);
    logging(cli.global.verbose, cli.global.quiet, out.colors_stderr());
    let verbose = cli.global.verbose > 0;
    let ending = match config::resolve(cli, &out) {
        Ok((common, job)) => run(common, job, &out),
        Err(e) => Ending::bare(Err(e)),
    };
    match out.end(ending) {
        Ok(code) => code.into(),
        Err(e) => {
            error::report(&e, verbose);
            error::code_of(&e).into()
        }
    }
}

fn run(common: config::Common, job: Job, out: &Output) -> Ending {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Ending::bare(Err(e.into())),
    };
    let ending = runtime.block_on(async {
        let shutdown = Shutdown::install();
        let mut ending = match job {
            Job::Publish(cfg) => publish::run(common, cfg, out, &shutdown).await,
            Job::Tail(cfg) => tail::run(common, cfg, out, &shutdown).await,
            Job::Serve(cfg) => serve::run(common, cfg, out, &shutdown).await,
            Job::Replay(cfg) => replay::run(common, cfg, out, &shutdown).await,
            // Health is bounded by its --timeout and has nothing to flush.
            Job::Health(cfg) => tokio::select! {
                ending = health::run(common, cfg, out) => ending,
                _ = shutdown.pressed(1) => Ending::bare(Ok(Code::Interrupted)),
            },
            Job::Topic(job) => topic::run(common, job, out, &shutdown).await,
            Job::Profile(job) => Ending::bare(profile::run(&job, out)),
            Job::Completions(shell) => {
                Ending::bare(generate::completions(shell, &mut out.data(false)))
            }
            Job::Man(dir) => Ending::bare(generate::man(dir.as_deref(), &mut out.data(false))),
        };
        // Commands say "interrupted"; which signal it was is known here.
        if let Ok(Code::Interrupted) = ending.result {
            ending.result = Ok(shutdown.code());
        }
        ending
    });
    // Blocking work still running (a metadata request waiting out its
    // timeout after a Ctrl-C) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    ending
}

/// -v shows librdkafka's log and our info lines, -vv debug; RUST_LOG overrides.
/// Coloured only where the rest of stderr is (`--color`, NO_COLOR, a terminal).
fn logging(verbose: u8, quiet: bool, color: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "off",
        (false, 0) => "off",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(true)
        .without_time()
        .init();
}
