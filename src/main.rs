//! The `mcpstack` binary: parse the command line, run the command, exit with its code.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use mcpstack::command::{self, Command, Config};
use mcpstack::diagnostic::{MessageFormat, Reporting, Summary};
use mcpstack::init;
use mcpstack::pin;
use mcpstack::review;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let format = match cli.message_format {
        cli::MessageFormatArg::Human => MessageFormat::Human,
        cli::MessageFormatArg::Json => MessageFormat::Json,
    };
    let reporting = Reporting {
        format,
        github_annotations: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        deny_warnings: cli.deny_warnings,
        color: format == MessageFormat::Human && colored(cli.color),
        ..Reporting::default()
    };
    // `init` makes a project where it is asked to, not in the nearest one upwards.
    let mut init_root = None;
    let command = match cli.command {
        cli::CliCommand::Build => Command::Build,
        cli::CliCommand::Check => Command::Check,
        cli::CliCommand::Validate => Command::Validate,
        cli::CliCommand::Render { environment } => Command::Render { environment },
        cli::CliCommand::Schema => Command::Schema,
        cli::CliCommand::Diff {
            environments,
            base,
            format,
            names_only,
            exit_code,
        } => Command::Diff(mcpstack::diff::Request {
            base,
            environments,
            format: match format {
                cli::DiffFormatArg::Human => mcpstack::diff::Format::Human,
                cli::DiffFormatArg::Markdown => mcpstack::diff::Format::Markdown,
                cli::DiffFormatArg::Json => mcpstack::diff::Format::Json,
            },
            names_only,
            exit_code,
            color: colored_on(cli.color, std::io::stdout().is_terminal()),
        }),
        cli::CliCommand::Pin {
            environment,
            images,
            resolve,
            all,
        } => Command::Pin(pin::Request {
            environment,
            args: images,
            resolve,
            all,
        }),
        cli::CliCommand::Review(cli::ReviewCommand::Add {
            name,
            images,
            update,
            ttl,
        }) => Command::ReviewAdd(review::AddRequest {
            name,
            images,
            update,
            ttl,
        }),
        cli::CliCommand::Review(cli::ReviewCommand::Remove { name }) => {
            Command::ReviewRemove { name }
        }
        cli::CliCommand::Review(cli::ReviewCommand::Prune) => Command::ReviewPrune,
        cli::CliCommand::Init { dir, example } => {
            let base = cli.directory.clone().unwrap_or_else(|| ".".into());
            init_root = Some(match dir {
                Some(dir) => base.join(dir),
                None => base,
            });
            Command::Init(init::Request { example })
        }
        cli::CliCommand::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli::Cli::command(), "mcpstack", &mut script);
            return print(&script, &reporting);
        }
        cli::CliCommand::Man => {
            let mut page = Vec::new();
            // Rendering into memory cannot fail: only writing can.
            let _ = clap_mangen::Man::new(cli::Cli::command()).render(&mut page);
            return print(&page, &reporting);
        }
    };
    let root = init_root.or(cli.directory).unwrap_or_else(|| {
        let here = std::env::current_dir().unwrap_or_else(|_| ".".into());
        mcpstack::load::find_root(&here).unwrap_or(here)
    });
    let config = Config {
        root,
        command,
        reporting,
    };
    let code = command::run(
        &config,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

/// Whether diagnostics on stderr get colour: `--color always`, or `auto` on a terminal
/// without NO_COLOR (https://no-color.org: set and not empty) or `TERM=dumb`.
fn colored(choice: cli::ColorArg) -> bool {
    colored_on(choice, std::io::stderr().is_terminal())
}

/// Whether output to a stream that is (or is not) a `terminal` gets colour.
fn colored_on(choice: cli::ColorArg, terminal: bool) -> bool {
    match choice {
        cli::ColorArg::Always => true,
        cli::ColorArg::Never => false,
        cli::ColorArg::Auto => {
            let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
            terminal && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Write generated text (a completion script, the manual page) to stdout.
fn print(bytes: &[u8], reporting: &Reporting) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let text = format!("<stdout>: {error}");
            let summary = Summary::failure(mcpstack::exit::FAILURE, text);
            reporting.summary(&mut std::io::stderr().lock(), &summary);
            ExitCode::from(mcpstack::exit::FAILURE)
        }
    }
}
