//! Diagnostics: a user's mistake, where it was written, and how to fix it.

use std::cell::Cell;
use std::fmt::Write as _;

use crate::node::FieldPath;
use crate::source::{Sources, Span};

/// The rule a diagnostic reports: a stable short name users search for, match on in
/// JSON output and name in `expected.txt` of the invalid corpus. One list, so a typo in
/// a code is a compile error.
macro_rules! codes {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as users see it, e.g. `unknown-key`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The code a user-facing name stands for.
            pub fn from_name(name: &str) -> Option<Code> {
                match name {
                    $($name => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    ApiAccessAccount => "api-access-account",
    ApiRule => "api-rule",
    AutoscalingRange => "autoscaling-range",
    ChartVersionRange => "chart-version-range",
    ConfigFile => "config-file",
    ConfigMapKey => "config-map-key",
    ConfigMapTooLarge => "config-map-too-large",
    CronDependency => "cron-dependency",
    DependencyCycle => "dependency-cycle",
    DisruptionBudget => "disruption-budget",
    DisruptionBudgetRequired => "disruption-budget-required",
    DuplicateHostname => "duplicate-hostname",
    DuplicateKey => "duplicate-key",
    DuplicateName => "duplicate-name",
    DuplicateRoute => "duplicate-route",
    EgressDestination => "egress-destination",
    EgressNeedsCidr => "egress-needs-cidr",
    EmptyFile => "empty-file",
    EnvExpansion => "env-expansion",
    EnvReference => "env-reference",
    EnvironmentExists => "environment-exists",
    ExpiredEnvironment => "expired-environment",
    FileTooLarge => "file-too-large",
    ForeignAccount => "foreign-account",
    InvalidArgument => "invalid-argument",
    InvalidDigest => "invalid-digest",
    InvalidHostPattern => "invalid-host-pattern",
    InvalidHostname => "invalid-hostname",
    InvalidMount => "invalid-mount",
    InvalidName => "invalid-name",
    InvalidPath => "invalid-path",
    InvalidRepository => "invalid-repository",
    InvalidSchedule => "invalid-schedule",
    InvalidValue => "invalid-value",
    InvalidValuePath => "invalid-value-path",
    KindField => "kind-field",
    MissingDomain => "missing-domain",
    MountCollision => "mount-collision",
    MissingField => "missing-field",
    MissingGateway => "missing-gateway",
    MissingImage => "missing-image",
    MissingIngressNamespace => "missing-ingress-namespace",
    MissingSecretStore => "missing-secret-store",
    MissingTier => "missing-tier",
    MutableTag => "mutable-tag",
    NameTooLong => "name-too-long",
    NoStack => "no-stack",
    NoTemplate => "no-template",
    NotAReviewEnvironment => "not-a-review-environment",
    NotListening => "not-listening",
    NotUtf8 => "not-utf8",
    OutOfRange => "out-of-range",
    PlaintextSecret => "plaintext-secret",
    ProbeHandler => "probe-handler",
    ProjectErrors => "project-errors",
    ProjectExists => "project-exists",
    PullSecretType => "pull-secret-type",
    RbacVerb => "rbac-verb",
    RbacWide => "rbac-wide",
    RegistryAllowList => "registry-allow-list",
    RegistryNotAllowed => "registry-not-allowed",
    ReplicasRequired => "replicas-required",
    ReservedName => "reserved-name",
    ReservedNamespace => "reserved-namespace",
    ResourcesRequired => "resources-required",
    SecretStoreProvider => "secret-store-provider",
    SharedObject => "shared-object",
    SingleWriterVolume => "single-writer-volume",
    SpecFileLink => "spec-file-link",
    SpecFileName => "spec-file-name",
    SseTimeout => "sse-timeout",
    StaticStoreCredentials => "static-store-credentials",
    TemplateKey => "template-key",
    TemplateTier => "template-tier",
    TierInStack => "tier-in-stack",
    TlsRequired => "tls-required",
    UnknownChart => "unknown-chart",
    UnknownConfigMap => "unknown-config-map",
    UnknownConnection => "unknown-connection",
    UnknownDependency => "unknown-dependency",
    UnknownEnvironment => "unknown-environment",
    UnknownRevision => "unknown-revision",
    UnknownKey => "unknown-key",
    UnknownPort => "unknown-port",
    UnknownSecret => "unknown-secret",
    UnknownSecretStore => "unknown-secret-store",
    UnknownService => "unknown-service",
    UnknownTag => "unknown-tag",
    UnpinnedImage => "unpinned-image",
    UnsupportedLayout => "unsupported-layout",
    ValuePathConflict => "value-path-conflict",
    WrongType => "wrong-type",
    YamlDocuments => "yaml-documents",
    YamlSyntax => "yaml-syntax",
    YamlTooDeep => "yaml-too-deep",
    YamlTooLarge => "yaml-too-large",
    Yaml11Value => "yaml11-value",
}

/// Stored by its user-facing name (the build record keeps a run's warnings).
impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Code::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{name}`")))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about the specs. Errors stop the run before anything is written;
/// warnings are shown and do not fail it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where the offending value (or key) was written; `None` for whole-project findings.
    pub span: Option<Span>,
    /// Stable short name of the rule, e.g. `unknown-key`.
    pub code: Code,
    pub message: String,
    /// The field path within the spec, e.g. `services.gateway.image.digest`.
    pub path: Option<FieldPath>,
    /// What a valid value looks like.
    pub expected: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            span: None,
            code,
            message: message.into(),
            path: None,
            expected: None,
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn path(mut self, path: FieldPath) -> Self {
        self.path = Some(path);
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Render like a compiler: headline, location, the source line with a caret,
    /// then the field path, the expectation and a hint.
    pub fn render(&self, sources: &Sources) -> String {
        self.render_styled(sources, false)
    }

    /// [`Diagnostic::render`], with the `error[...]`/`warning[...]` label in colour (ANSI
    /// escapes) when `color` is set.
    pub fn render_styled(&self, sources: &Sources, color: bool) -> String {
        let mut out = String::new();
        let (label, style) = match self.severity {
            Severity::Error => ("error", ERROR_STYLE),
            Severity::Warning => ("warning", WARNING_STYLE),
        };
        let label = format!("{label}[{}]", self.code);
        let label = match color {
            true => format!("{style}{label}{RESET}"),
            false => label,
        };
        let _ = writeln!(out, "{label}: {}", printable(&self.message));
        let number = self.span.map(|s| s.line.to_string()).unwrap_or_default();
        let gutter = " ".repeat(number.len().max(1));
        if let Some(span) = self.span {
            let file = sources.file(span.file);
            let _ = writeln!(
                out,
                "{gutter}--> {}:{}:{}",
                printable(&file.path),
                span.line,
                span.column
            );
            if let Some(line) = sources.line(span.file, span.line) {
                let (line, column) = window(line, span.column.saturating_sub(1) as usize);
                let line = line.as_str();
                let before: String = line.chars().take(column).collect();
                let caret_pad: String = printable_line(&before)
                    .chars()
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{number} | {}", printable_line(line));
                let _ = writeln!(out, "{gutter} | {caret_pad}^");
            }
        }
        if let Some(path) = &self.path {
            let _ = writeln!(out, "{gutter} = field: {}", printable(&path.to_string()));
        }
        if let Some(expected) = &self.expected {
            let _ = writeln!(out, "{gutter} = expected: {}", printable(expected));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} = help: {}", printable(help));
        }
        out
    }
}

/// At most [`SNIPPET_CHARS`] characters of a long source line around `column` (0-based,
/// in characters), with `…` where it was cut, and the column within the window.
fn window(line: &str, column: usize) -> (String, usize) {
    let count = line.chars().count();
    if count <= SNIPPET_CHARS {
        return (line.to_owned(), column);
    }
    let start = column
        .saturating_sub(SNIPPET_CHARS / 2)
        .min(count - SNIPPET_CHARS);
    let mut text: String = line.chars().skip(start).take(SNIPPET_CHARS).collect();
    let mut column = column - start;
    if start > 0 {
        text.insert(0, '…');
        column += 1;
    }
    if start + SNIPPET_CHARS < count {
        text.push('…');
    }
    (text, column)
}

/// The longest source line a snippet shows whole.
const SNIPPET_CHARS: usize = 160;

/// Text echoed from the specs, safe to print: every control character and line or
/// paragraph separator escaped, so spec text can never start a line of its own (and
/// so never a GitHub workflow command such as `::error::`) or drive the terminal.
/// Messages quote spec text: a very long one is cut.
pub fn printable(text: &str) -> String {
    let escaped = escape(text, false);
    match escaped.char_indices().nth(MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

/// The longest message, field or hint shown whole.
const MESSAGE_CHARS: usize = 1000;

/// A source line for a snippet: like [`printable`], but tabs stay tabs so the caret
/// lines up.
fn printable_line(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, keep_tabs: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let unsafe_char = c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
        match c {
            '\t' if keep_tabs => out.push(c),
            _ if unsafe_char => out.extend(c.escape_default()),
            _ => out.push(c),
        }
    }
    out
}

/// How diagnostics are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MessageFormat {
    /// Like a compiler: headline, location, source line with a caret, hints.
    #[default]
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
}

/// Bold red, for the `error` label.
const ERROR_STYLE: &str = "\x1b[1;31m";
/// Bold yellow, for the `warning` label.
const WARNING_STYLE: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

/// How a run reports what it found, and what it has shown so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reporting {
    pub format: MessageFormat,
    /// Also write GitHub Actions workflow commands (`::error file=...::`), so that each
    /// diagnostic shows on the pull request's diff. Human format only: in JSON format
    /// every line is JSON.
    pub github_annotations: bool,
    /// Treat warnings as errors.
    pub deny_warnings: bool,
    /// Colour the `error` and `warning` labels of human diagnostics.
    pub color: bool,
    /// The errors and warnings shown so far, for the summary line.
    pub shown: Tally,
}

/// Diagnostics shown by a run, by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    errors: Cell<usize>,
    warnings: Cell<usize>,
}

impl Tally {
    pub fn errors(&self) -> usize {
        self.errors.get()
    }

    pub fn warnings(&self) -> usize {
        self.warnings.get()
    }

    fn count(&self, diagnostic: &Diagnostic) {
        let counter = match diagnostic.severity {
            Severity::Error => &self.errors,
            Severity::Warning => &self.warnings,
        };
        counter.set(counter.get() + 1);
    }
}

/// The last line of a run on stderr: what it did, with its exit code. In JSON format an
/// object `{"summary": TEXT, "exit": N, "errors": N, "warnings": N, ...fields, "help":
/// TEXT}`, errors and warnings counting the diagnostics shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub exit: u8,
    /// What happened, e.g. `built 3 environment(s): ...`.
    pub text: String,
    /// Counts of the command, in order (`written`, `stale`, ...).
    pub fields: Vec<(&'static str, serde_json::Value)>,
    /// What to do next.
    pub help: Option<String>,
    /// A failure of the environment (exit code 3): shown as `error: TEXT`.
    pub failure: bool,
}

impl Summary {
    pub fn new(exit: u8, text: impl Into<String>) -> Self {
        Self {
            exit,
            text: text.into(),
            fields: Vec::new(),
            help: None,
            failure: false,
        }
    }

    /// A failure of the environment: I/O, network, an internal error.
    pub fn failure(exit: u8, text: impl Into<String>) -> Self {
        Self {
            failure: true,
            ..Self::new(exit, text)
        }
    }

    pub fn field(mut self, name: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// How much a [`Reporting::note`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteLevel {
    /// Progress: `mcpstack: TEXT`.
    Info,
    /// Something to look at that does not fail the run: `warning: TEXT`.
    Warning,
}

impl Reporting {
    /// Write `diagnostics` to `out` in the chosen format.
    pub fn emit(
        &self,
        sources: &Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn std::io::Write,
    ) {
        for diagnostic in diagnostics {
            self.shown.count(diagnostic);
            let text = match self.format {
                MessageFormat::Human => diagnostic.render_styled(sources, self.color),
                MessageFormat::Json => format!("{}\n", diagnostic.to_json(sources)),
            };
            let _ = write!(out, "{text}");
            if self.format == MessageFormat::Human {
                let _ = writeln!(out);
                if self.github_annotations {
                    let _ = writeln!(out, "{}", diagnostic.github_annotation(sources));
                }
            }
        }
    }

    /// Write a line that is not a diagnostic: progress, or a warning about the run.
    /// JSON: `{"note": TEXT, "level": "info"|"warning"}`.
    pub fn note(&self, out: &mut dyn std::io::Write, level: NoteLevel, text: &str) {
        let (label, name) = match level {
            NoteLevel::Info => ("mcpstack", "info"),
            NoteLevel::Warning => ("warning", "warning"),
        };
        let _ = match self.format {
            MessageFormat::Human => writeln!(out, "{label}: {}", printable(text)),
            MessageFormat::Json => {
                let note = serde_json::json!({"note": text, "level": name});
                writeln!(out, "{note}")
            }
        };
    }

    /// Write the run's summary: in human format `mcpstack: TEXT` (`error: TEXT` for a
    /// failure) and `help: ...`; in JSON format one object (see [`Summary`]).
    pub fn summary(&self, out: &mut dyn std::io::Write, summary: &Summary) {
        if self.format == MessageFormat::Human {
            let label = if summary.failure { "error" } else { "mcpstack" };
            let _ = writeln!(out, "{label}: {}", printable(&summary.text));
            if let Some(help) = &summary.help {
                let _ = writeln!(out, "help: {}", printable(help));
            }
            return;
        }
        let mut object = serde_json::Map::new();
        object.insert("summary".into(), summary.text.clone().into());
        object.insert("exit".into(), summary.exit.into());
        object.insert("errors".into(), self.shown.errors().into());
        object.insert("warnings".into(), self.shown.warnings().into());
        for (name, value) in &summary.fields {
            object.insert((*name).into(), value.clone());
        }
        if let Some(help) = &summary.help {
            object.insert("help".into(), help.clone().into());
        }
        let _ = writeln!(out, "{}", serde_json::Value::Object(object));
    }
}

impl Diagnostic {
    /// The diagnostic as a JSON object: `severity`, `code`, `message`, and where known
    /// `file`, `line`, `column`, `field`, `expected`, `help`.
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.insert("severity".into(), severity.into());
        out.insert("code".into(), self.code.as_str().into());
        out.insert("message".into(), self.message.clone().into());
        if let Some(span) = self.span {
            out.insert("file".into(), sources.file(span.file).path.clone().into());
            out.insert("line".into(), span.line.into());
            out.insert("column".into(), span.column.into());
        }
        if let Some(path) = &self.path {
            out.insert("field".into(), path.to_string().into());
        }
        if let Some(expected) = &self.expected {
            out.insert("expected".into(), expected.clone().into());
        }
        if let Some(help) = &self.help {
            out.insert("help".into(), help.clone().into());
        }
        serde_json::Value::Object(out)
    }

    /// A GitHub Actions workflow command that annotates the file and line.
    pub fn github_annotation(&self, sources: &Sources) -> String {
        let command = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![format!(
            "title={}",
            escape_property(&format!("mcpstack {}", self.code))
        )];
        if let Some(span) = self.span {
            properties.insert(
                0,
                format!("file={}", escape_property(&sources.file(span.file).path)),
            );
            properties.insert(1, format!("line={}", span.line));
            properties.insert(2, format!("col={}", span.column));
        }
        let mut message = self.message.clone();
        if let Some(help) = &self.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        format!(
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        )
    }
}

/// A GitHub Actions workflow command annotating a file that is not a spec file (a
/// stale generated file), at `line` when known.
pub fn github_file_annotation(
    severity: Severity,
    file: &str,
    line: Option<usize>,
    title: &str,
    message: &str,
) -> String {
    let command = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![format!("file={}", escape_property(file))];
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// Workflow command data escaping.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            // Other line breaks and control characters are not the runner's to read.
            _ if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.extend(c.escape_default());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Workflow command property escaping.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Sort diagnostics by file, line and column, errors before warnings at one place.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        a.span
            .cmp(&b.span)
            .then(a.severity.cmp(&b.severity))
            .then(a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_json_and_github_annotations() {
        let mut sources = Sources::default();
        let file = sources.add("environments/staging.yaml".into(), "a: 1\n".into());
        let d = Diagnostic::error(Code::WrongType, "expected a string, found 100%")
            .at(Span {
                file,
                line: 1,
                column: 4,
            })
            .help("quote it");
        let json = d.to_json(&sources);
        assert_eq!(json["file"], "environments/staging.yaml");
        assert_eq!(json["line"], 1);
        assert_eq!(json["code"], "wrong-type");
        assert_eq!(
            d.github_annotation(&sources),
            "::error file=environments/staging.yaml,line=1,col=4,title=mcpstack wrong-type::expected a string, found 100%25%0Ahelp: quote it"
        );
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["replicas", "resources", "image"];
        assert_eq!(did_you_mean("replcas", keys), Some("replicas"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}

#[cfg(test)]
mod snippet_tests {
    use super::*;

    #[test]
    fn long_lines_show_a_window_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (text, column) = window(&line, 500);
        assert_eq!(text.chars().nth(column), Some('X'));
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert!(text.chars().count() <= SNIPPET_CHARS + 2);
        assert_eq!(window("short", 2), ("short".to_owned(), 2));
    }

    #[test]
    fn echoed_text_never_starts_a_line() {
        let text = printable("x\n::error file=a::injected\r\u{2028}y");
        assert!(!text.contains(['\n', '\r', '\u{2028}']));
        assert!(printable(&"z".repeat(5000)).chars().count() <= MESSAGE_CHARS + 1);
    }
}

#[cfg(test)]
mod code_tests {
    use super::Code;

    #[test]
    fn codes_are_distinct_kebab_case_names() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }));
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "two codes share a name");
    }
}
