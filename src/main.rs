//! The `auditlens` binary: parse the command line, run it, map the result to an exit code
//! (0 ok, 1 problems found, 2 error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = auditlens::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    match auditlens::cmd::run(cli, &mut out, &mut err) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) => {
            let text = format!("{e:#}");
            eprintln!(
                "auditlens: {}",
                auditlens::model::escape_control_keep_newlines(&text)
            );
            ExitCode::from(2)
        }
    }
}
