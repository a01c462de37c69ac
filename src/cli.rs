//! Command-line types (clap derive). Inert data: `main` turns them into a `Config`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mcpstack",
    version,
    about = "Compile MCP workload stacks into committed Kustomize bases, overlays and Flux objects",
    after_help = "Examples:\n  mcpstack build                 regenerate generated/ and the schema\n  mcpstack -C infra check        fail when infra/generated/ is stale"
)]
pub struct Cli {
    /// Project root holding environments/ (default: the current directory).
    #[arg(short = 'C', value_name = "DIR", global = true, default_value = ".")]
    pub directory: PathBuf,
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Validate every environment, then write generated/ and schema/values.schema.json.
    ///
    /// Only changed files are rewritten; generated files that are no longer produced are
    /// removed. Exit codes: 0 ok, 2 invalid input, 3 other failure.
    #[command(after_help = "Example:\n  mcpstack build")]
    Build,
    /// Do the work of build, write nothing, and print a unified diff of every stale,
    /// missing or extra file.
    ///
    /// Exit codes: 0 up to date, 1 drift, 2 invalid input, 3 other failure.
    #[command(
        after_help = "Example (in CI):\n  mcpstack check || { echo 'run mcpstack build'; exit 1; }"
    )]
    Check,
    /// Validate the spec files and print diagnostics.
    ///
    /// Exit codes: 0 valid, 2 invalid, 3 other failure.
    #[command(after_help = "Example:\n  mcpstack validate")]
    Validate,
    /// Print every object of one environment as a YAML stream: exactly what
    /// `kubectl kustomize generated/overlays/ENV` yields.
    #[command(after_help = "Example:\n  mcpstack render staging | kubectl diff -f -")]
    Render {
        /// Environment name (a file name in environments/, without .yaml).
        environment: String,
    },
    /// Print the JSON Schema of spec files.
    #[command(after_help = "Example:\n  mcpstack schema > values.schema.json")]
    Schema,
}
