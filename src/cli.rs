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
    /// Project root holding environments/ (default: the nearest folder upwards from
    /// the current one that holds environments/, as git finds `.git`).
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,
    /// How diagnostics are printed on stderr. In the human format under GitHub Actions
    /// (`GITHUB_ACTIONS=true`) each one is also written as an `::error`/`::warning`
    /// workflow command, so it shows on the pull request's diff; in the JSON format
    /// every line of stderr is a JSON object.
    #[arg(long, value_enum, global = true, default_value = "human")]
    pub message_format: MessageFormatArg,
    /// Fail (exit 2, write nothing) when there are warnings, e.g. mutable image tags.
    #[arg(long, global = true)]
    pub deny_warnings: bool,
    /// Colour the `error` and `warning` labels of diagnostics: `auto` when stderr is a
    /// terminal and NO_COLOR is unset or empty. Never in JSON output.
    #[arg(
        long,
        value_enum,
        global = true,
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: CliCommand,
}

/// `--message-format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MessageFormatArg {
    /// Like a compiler: location, the source line with a caret, hints.
    Human,
    /// One JSON object per line: each diagnostic, then a summary with the exit code.
    Json,
}

/// `diff --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormatArg {
    /// For a terminal: coloured when stdout is one (see --color).
    Human,
    /// For a pull-request comment or a job summary: tables, risks, folded details.
    Markdown,
    /// One JSON document (its shape is in README).
    Json,
}

const DIFF_HELP: &str = "Examples:\n  mcpstack diff                                   what the working tree changes since HEAD\n  mcpstack diff --base origin/main production     one environment against main\n  mcpstack diff --base \"origin/$GITHUB_BASE_REF\" --format markdown >> \"$GITHUB_STEP_SUMMARY\"";

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// When stderr is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always, even when NO_COLOR is set.
    Always,
    /// Never.
    Never,
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
    /// Print every object of one environment as a YAML stream: the objects
    /// `kubectl kustomize generated/overlays/ENV` yields, in the same order (some
    /// scalars may be quoted differently).
    #[command(after_help = "Example:\n  mcpstack render staging | kubectl diff -f -")]
    Render {
        /// Environment name (a file name in environments/, without .yaml).
        environment: String,
    },
    /// Show what a change deploys: the objects that differ between the specs at a git
    /// revision and the working tree's, environment by environment, field by field.
    ///
    /// Both sides are compiled from their specs (the revision's are read from the
    /// repository, not the working tree) and compared object by object (unit,
    /// apiVersion, kind, namespace, name); list items with a `name` (containers, env
    /// vars, ports) are matched by it. Risks come first: deletions of data, production
    /// image changes, RBAC that widens, network policy that opens, security contexts
    /// that loosen, production replicas or budgets dropping to one, units leaving
    /// Flux's dependsOn order. Environments added or removed are summarised.
    ///
    /// Exit codes: 0 compared (1 with --exit-code when anything differs), 2 invalid
    /// specs on either side (the side is named) or an unknown revision or environment,
    /// 3 other failure (git missing, not a repository).
    #[command(after_help = DIFF_HELP)]
    Diff {
        /// Environments to compare (default: every environment of either side).
        environments: Vec<String>,
        /// The revision to compare with: a commit, branch or tag git knows.
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        base: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: DiffFormatArg,
        /// List the objects that differ without their fields.
        #[arg(long)]
        names_only: bool,
        /// Exit 1 when anything differs, like `git diff --exit-code`.
        #[arg(long)]
        exit_code: bool,
    },
    /// Print the JSON Schema of spec files.
    #[command(after_help = "Example:\n  mcpstack schema > values.schema.json")]
    Schema,
    /// Set image digests in an environment file, keeping its comments and layout.
    ///
    /// Edits `services.NAME.image.digest` (for `SERVICE/CONTAINER`, the digest of an
    /// init container or sidecar; for `CHART/IMAGE`,
    /// `charts.CHART.images.IMAGE.digest`) in environments/ENV.yaml where it is written,
    /// or adds it. Several images at once: `NAME=DIGEST...`; one image also as `NAME
    /// DIGEST`. With --resolve, asks each image's registry for the digest of the tag the
    /// environment runs (the only command that uses the network); --all resolves every
    /// image of ENV that has no digest yet. The edit is validated with the project and
    /// the file written only if the edit is correct; errors elsewhere in the project do
    /// not block it (they are counted in a warning). Prints the digest (one image named
    /// without `=`), else one `NAME=DIGEST` line per image.
    ///
    /// Exit codes: 0 pinned, 2 invalid input (unknown environment or image, malformed
    /// digest, a tag the registry does not have, an edit that would not validate),
    /// 3 other failure (IO, network, registry access refused).
    #[command(after_help = PIN_HELP)]
    Pin {
        /// Environment name (a file name in environments/, without .yaml).
        environment: String,
        /// `NAME=DIGEST` for each image (or `NAME DIGEST` for one); with --resolve, NAMEs.
        /// NAME is a service of environments/stack.yaml, `SERVICE/CONTAINER` for one of
        /// its init containers or sidecars, or `CHART/IMAGE` for an image a
        /// chart runs (e.g. `postgres/docker.io/bitnami/postgresql`); a digest is
        /// `sha256:` and 64 lowercase hex digits.
        #[arg(value_name = "NAME=DIGEST", required_unless_present = "all")]
        images: Vec<String>,
        /// Ask each image's registry for the digest of the tag the environment runs.
        #[arg(long)]
        resolve: bool,
        /// With --resolve: every image of ENV without a digest (services it runs, and
        /// chart images it lists).
        #[arg(long, requires = "resolve", conflicts_with = "images")]
        all: bool,
    },
    /// Add or remove a review environment: one per branch or pull request.
    #[command(
        subcommand,
        after_help = "Example (in a pull request pipeline; `--` because a branch name may start with `-`):\n  env=$(mcpstack review add --ttl 7d -- \"$BRANCH\") && mcpstack build"
    )]
    Review(ReviewCommand),
    /// Start a new project in DIR that builds as it is, and build it.
    ///
    /// Writes environments/stack.yaml (one service), staging.yaml, production.yaml
    /// (passing the production policy: a digest pin, resources, TLS, two replicas and a
    /// disruption budget), templates/review.yaml and .github/workflows/mcpstack.yml (runs
    /// `mcpstack check` on pull requests), then does the work of build: schema/ and
    /// generated/. --example starts from the full example stack instead. Refused when
    /// DIR already holds environments/ or generated/ (or a file init would write): nothing
    /// is written then.
    ///
    /// Exit codes: 0 created, 2 a project is already there, 3 other failure.
    #[command(
        after_help = "Examples:\n  mcpstack init infra && cd infra && mcpstack check\n  mcpstack init --example"
    )]
    Init {
        /// The new project's folder, created if needed (default: the current folder, or
        /// -C DIR; relative to -C DIR when both are given).
        dir: Option<PathBuf>,
        /// Start from the full example stack: services, charts, secrets, a review
        /// environment.
        #[arg(long)]
        example: bool,
    },
    /// Print a shell completion script on stdout.
    ///
    /// Exit codes: 0, 3 when stdout cannot be written.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout.
    ///
    /// Exit codes: 0, 3 when stdout cannot be written.
    #[command(
        after_help = "Examples:\n  mcpstack man | man -l -\n  mcpstack man > ~/.local/share/man/man1/mcpstack.1"
    )]
    Man,
}

const COMPLETIONS_HELP: &str = "Examples:
  mcpstack completions bash > ~/.local/share/bash-completion/completions/mcpstack
  mcpstack completions zsh > ~/.zfunc/_mcpstack       # with fpath+=(~/.zfunc) in .zshrc
  mcpstack completions fish > ~/.config/fish/completions/mcpstack.fish
  mcpstack completions elvish >> ~/.config/elvish/rc.elv
  mcpstack completions powershell >> $PROFILE";

const PIN_HELP: &str = "Examples:
  mcpstack pin production gateway sha256:3c1bd4c27e7a8c4b7d1a6d0e4c2f9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b
  mcpstack pin production gateway=sha256:3c1b…3c2b fast-time=sha256:9f8e…0a1b
  mcpstack pin --resolve production gateway && mcpstack build
  mcpstack pin --resolve staging --all
  mcpstack pin production $(mcpstack pin --resolve staging gateway fast-time)

Environment (--resolve):
  MCPSTACK_REGISTRY_TOKEN     bearer token sent to the registry as is
  MCPSTACK_REGISTRY_USERNAME  basic credentials for the registry's token service
  MCPSTACK_REGISTRY_PASSWORD
  MCPSTACK_REGISTRY_INSECURE  host:port,... of registries reached over plain http (local
                              test registries only)";

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Create environments/<name>.yaml from environments/templates/review.yaml.
    ///
    /// NAME may be a branch or pull request name: it becomes a DNS label (lowercase,
    /// other characters as `-`, a number alone as `pr-N`), shortened with a hash suffix
    /// when a namespace, Flux unit or hostname derived from it would be too long. The
    /// new file is validated with the whole project and written only if valid. Prints
    /// the environment name. Put `--` before a NAME that may start with `-`.
    ///
    /// Idempotent: when `review add NAME` already created the environment, running it
    /// again changes nothing (the `--image` pins must match the file's); with --update
    /// the file is made again from the template and the `--image` pins. A file that
    /// `review add NAME` did not create (staging, production, a hand-written or another
    /// branch's environment) is never touched.
    ///
    /// Exit codes: 0 created, unchanged or updated, 2 invalid input (no usable name, an
    /// environment of that name that this command did not create, pins that differ
    /// without --update, a project that would not validate), 3 other failure.
    #[command(
        after_help = "Examples:\n  mcpstack review add feature/Add_SSE-support      prints feature-add-sse-support\n  mcpstack review add 42 --image gateway=sha256:3c1bd4c27e7a8c4b7d1a6d0e4c2f9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b\n  mcpstack review add --update --image gateway=\"$DIGEST\" -- \"$BRANCH\"   on every push"
    )]
    Add {
        /// Branch, pull request or any name for the environment.
        name: String,
        /// Pin a service's image in the new environment (repeatable).
        #[arg(long = "image", value_name = "SERVICE=DIGEST")]
        images: Vec<String>,
        /// Make an environment this command created again from the template and the
        /// `--image` pins (writes only when that changes the file).
        #[arg(long)]
        update: bool,
        /// Let the environment expire: `Nd` days or `Nw` weeks from today (UTC, or
        /// MCPSTACK_TODAY=YYYY-MM-DD). Writes `expires:` after `tier: review`; `check`
        /// warns once the date has passed and `review prune` deletes the file.
        #[arg(long, value_name = "Nd|Nw")]
        ttl: Option<String>,
    },
    /// Delete a review environment's spec file; staging and production are refused.
    ///
    /// NAME is the environment's name or the raw name it was added with. Run `build`
    /// afterwards to remove its output. An environment that does not exist is not an
    /// error: a note says so, and nothing changes. Exit codes: 0 removed or absent, 2 not
    /// a review environment, 3 other failure.
    #[command(
        after_help = "Example:\n  mcpstack review remove feature/Add_SSE-support && mcpstack build"
    )]
    Remove {
        /// Environment name, or the raw name given to `review add`.
        name: String,
    },
    /// Delete every review environment whose `expires` date has passed.
    ///
    /// Today is the system clock's date in UTC, or MCPSTACK_TODAY=YYYY-MM-DD. An
    /// environment expires the day after its `expires` date. Only review environment
    /// files are deleted; prints each deleted environment's name. Run `build` afterwards
    /// to remove their output. Exit codes: 0 (also when nothing expired), 2 invalid
    /// project, 3 other failure.
    #[command(after_help = "Example (a scheduled job):\n  mcpstack review prune && mcpstack build")]
    Prune,
}
