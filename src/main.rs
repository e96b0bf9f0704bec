//! dualstream: parse the command line, run one command, turn the outcome into
//! an exit code. Each command lives in a module of its own.

mod catchup;
mod cli;
mod config;
mod error;
mod event;
mod generate;
mod glob;
mod health;
mod input;
mod kafka;
mod output;
mod publish;
mod redis;
mod replay;
mod tail;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::error::Code;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    logging(cli.global.verbose, cli.global.quiet);
    let out = Output::new(cli.global.color, cli.global.quiet);
    let verbose = cli.global.verbose > 0;
    match run(cli, &out) {
        Ok(code) => code.into(),
        Err(e) => {
            error::report(&e, verbose);
            error::code_of(&e).into()
        }
    }
}

fn run(cli: Cli, out: &Output) -> Result<Code> {
    match cli.command {
        Command::Publish(args) => {
            let cfg = config::publish(&args)?;
            let common = config::common(&cli.global)?;
            runtime()?.block_on(publish::run(common, cfg, out))
        }
        Command::Tail(args) => {
            let cfg = config::tail(&args, out.stdout_tty)?;
            let common = config::common(&cli.global)?;
            runtime()?.block_on(tail::run(common, cfg, out))
        }
        Command::Health(args) => {
            let cfg = config::health(&args)?;
            let common = config::common(&cli.global)?;
            runtime()?.block_on(health::run(common, cfg, out))
        }
        Command::Replay(args) => {
            let cfg = config::replay(&args)?;
            let common = config::common(&cli.global)?;
            runtime()?.block_on(replay::run(common, cfg, out))
        }
        Command::Completions(args) => {
            let mut stdout = out.stdout();
            generate::completions(args.shell, &mut stdout);
            stdout.flush()?;
            Ok(Code::Success)
        }
        Command::Man(args) => {
            match args.out_dir {
                Some(dir) => generate::man_pages(&dir)?,
                None => {
                    let mut stdout = out.stdout();
                    generate::man(&mut stdout)?;
                    stdout.flush()?;
                }
            }
            Ok(Code::Success)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// -v shows librdkafka's log and our info lines, -vv debug; RUST_LOG overrides.
fn logging(verbose: u8, quiet: bool) {
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
        .with_target(true)
        .without_time()
        .init();
}
