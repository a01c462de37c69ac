//! The `mcpstack` binary: parse the command line, run the command, exit with its code.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use mcpstack::command::{self, Command, Config};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let command = match cli.command {
        cli::CliCommand::Build => Command::Build,
        cli::CliCommand::Check => Command::Check,
        cli::CliCommand::Validate => Command::Validate,
        cli::CliCommand::Render { environment } => Command::Render { environment },
        cli::CliCommand::Schema => Command::Schema,
    };
    let config = Config {
        root: cli.directory,
        command,
    };
    let code = command::run(
        &config,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
