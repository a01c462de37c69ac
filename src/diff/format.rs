//! How a diff is shown: for people in a terminal (coloured or plain), as a markdown
//! pull-request comment (a table per environment, the risks, then each object folded in
//! `<details>`, under a size cap), or as one JSON document.

use serde_json::{Value as Json, json};

use super::risk::{Risk, short};
use super::{Change, ChangeKind, Diff, EnvironmentDiff, FieldChange, ObjectChange, Status};

/// How much to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Objects only, without their fields.
    pub names_only: bool,
    /// ANSI colours (human format only).
    pub color: bool,
}

/// What was compared, for the headings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    pub base: String,
    pub head: String,
}

/// Markdown comments stop listing objects past this many bytes: GitHub refuses
/// comments over 65,536 characters.
pub const MARKDOWN_CAP: usize = 60_000;

const RED: &str = "\u{1b}[31m";
const GREEN: &str = "\u{1b}[32m";
const YELLOW: &str = "\u{1b}[33m";
const BOLD: &str = "\u{1b}[1m";
const RESET: &str = "\u{1b}[0m";

/// The human rendering.
pub fn human(diff: &Diff, sides: &Sides, options: Options) -> String {
    let paint = |code: &str, text: &str| match options.color {
        true => format!("{code}{text}{RESET}"),
        false => text.to_owned(),
    };
    let changed = diff
        .environments
        .iter()
        .filter(|e| e.status != Status::Unchanged)
        .count();
    let mut out = format!(
        "Comparing {} with {}: {changed} of {} environment(s) differ.\n",
        printable(&sides.base),
        printable(&sides.head),
        diff.environments.len()
    );
    if !diff.risks.is_empty() {
        out.push_str(&format!("\n{}\n", paint(BOLD, "Risks:")));
        for risk in &diff.risks {
            out.push_str(&format!(
                "  {} {}: {}\n",
                paint(RED, "!"),
                risk.environment,
                printable(&risk.message)
            ));
        }
    }
    let mut previous_listed = true;
    for env in &diff.environments {
        let listed = !env.changes.is_empty();
        if listed || previous_listed {
            out.push('\n');
        }
        previous_listed = listed;
        out.push_str(&format!(
            "{} ({}): {}\n",
            paint(BOLD, &env.name),
            env.tier.as_str(),
            summary(env)
        ));
        for change in &env.changes {
            let (mark, color) = match change.kind() {
                ChangeKind::Added => ("+", GREEN),
                ChangeKind::Removed => ("-", RED),
                ChangeKind::Changed => ("~", YELLOW),
            };
            out.push_str(&format!(
                "  {} {}  [unit {}]\n",
                paint(color, mark),
                change.identity.label(),
                change.identity.unit
            ));
            if options.names_only {
                continue;
            }
            if let Change::Changed(fields) = &change.change {
                for field in fields {
                    out.push_str(&format!(
                        "      {}: {} -> {}\n",
                        printable(&field.path),
                        paint(RED, &value(&field.old)),
                        paint(GREEN, &value(&field.new))
                    ));
                }
            }
        }
    }
    out
}

/// What happened to an environment, in a few words.
fn summary(env: &EnvironmentDiff) -> String {
    match env.status {
        Status::Added => format!("added, {} object(s)", env.objects),
        Status::Removed => format!("removed, {} object(s)", env.objects),
        Status::Unchanged => "unchanged".to_owned(),
        Status::Changed => {
            let parts: Vec<String> = [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Changed]
                .into_iter()
                .map(|k| (k, env.count(k)))
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| format!("{n} {}", k.as_str()))
                .collect();
            parts.join(", ")
        }
    }
}

fn value(value: &Option<Json>) -> String {
    value
        .as_ref()
        .map_or("(none)".to_owned(), |v| printable(&short(v)))
}

/// Spec text in a terminal line: control characters escaped.
fn printable(text: &str) -> String {
    crate::diagnostic::printable(text)
}

/// The markdown rendering, at most about [`MARKDOWN_CAP`] bytes.
pub fn markdown(diff: &Diff, sides: &Sides, options: Options) -> String {
    let mut out = format!(
        "### mcpstack diff: {} → {}\n\n",
        code(&sides.base),
        html(&sides.head)
    );
    if !diff.has_changes() {
        out.push_str("No object changes in any environment.\n");
        return out;
    }
    out.push_str("| environment | tier | status | added | removed | changed |\n");
    out.push_str("|---|---|---|---:|---:|---:|\n");
    for env in &diff.environments {
        let (added, removed, changed) = match env.status {
            Status::Added => (env.objects, 0, 0),
            Status::Removed => (0, env.objects, 0),
            _ => (
                env.count(ChangeKind::Added),
                env.count(ChangeKind::Removed),
                env.count(ChangeKind::Changed),
            ),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {added} | {removed} | {changed} |\n",
            html(&env.name),
            env.tier.as_str(),
            env.status.as_str()
        ));
    }
    if !diff.risks.is_empty() {
        out.push_str("\n**Risks**\n\n");
        for risk in &diff.risks {
            out.push_str(&format!(
                "- **{}**: {}\n",
                html(&risk.environment),
                html(&risk.message)
            ));
        }
    }
    let mut left_out = 0;
    for env in diff.environments.iter().filter(|e| !e.changes.is_empty()) {
        let heading = format!("\n#### {}\n\n", html(&env.name));
        if out.len() + heading.len() > MARKDOWN_CAP {
            left_out += env.changes.len();
            continue;
        }
        out.push_str(&heading);
        for change in &env.changes {
            let section = object_markdown(change, options);
            if out.len() + section.len() > MARKDOWN_CAP {
                left_out += 1;
                continue;
            }
            out.push_str(&section);
        }
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n_{left_out} object(s) left out to stay under the comment size limit; run \
             `mcpstack diff` to see every change._\n"
        ));
    }
    out
}

fn object_markdown(change: &ObjectChange, options: Options) -> String {
    let mark = match change.kind() {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "−",
        ChangeKind::Changed => "~",
    };
    let title = format!(
        "{mark} {} (unit {})",
        html(&change.identity.label()),
        html(&change.identity.unit)
    );
    let fields = match &change.change {
        Change::Changed(fields) if !options.names_only => fields,
        _ => return format!("- {title}\n"),
    };
    let mut out = format!("<details><summary>{title}</summary>\n\n");
    out.push_str("| field | old | new |\n|---|---|---|\n");
    for field in fields {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            code(&field.path),
            cell(&field.old),
            cell(&field.new)
        ));
    }
    out.push_str("\n</details>\n\n");
    out
}

fn cell(value: &Option<Json>) -> String {
    match value {
        None => "_(none)_".to_owned(),
        Some(v) => code(&short(v)),
    }
}

/// Text as inline code that nothing in it can break out of.
fn code(text: &str) -> String {
    format!("<code>{}</code>", html(text))
}

/// Text escaped for HTML and for markdown tables (`|`), on one line.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '*' | '_' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push_str("<br>"),
            c if c.is_control() => out.push_str(&format!("&#{};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// The JSON rendering: one document (its shape is documented in README).
pub fn json(diff: &Diff, sides: &Sides, options: Options) -> String {
    let environments: Vec<Json> = diff
        .environments
        .iter()
        .map(|env| {
            let changes: Vec<Json> = env
                .changes
                .iter()
                .map(|c| object_json(c, options))
                .collect();
            json!({
                "name": env.name,
                "tier": env.tier.as_str(),
                "status": env.status.as_str(),
                "objects": env.objects,
                "added": env.count(ChangeKind::Added),
                "removed": env.count(ChangeKind::Removed),
                "changed": env.count(ChangeKind::Changed),
                "changes": changes,
            })
        })
        .collect();
    let risks: Vec<Json> = diff.risks.iter().map(risk_json).collect();
    let document = json!({
        "base": sides.base,
        "head": sides.head,
        "changes": diff.has_changes(),
        "risks": risks,
        "environments": environments,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn object_json(change: &ObjectChange, options: Options) -> Json {
    let id = &change.identity;
    let mut out = json!({
        "change": change.kind().as_str(),
        "unit": id.unit,
        "apiVersion": id.api_version,
        "kind": id.kind,
        "namespace": id.namespace,
        "name": id.name,
    });
    if let (Change::Changed(fields), false) = (&change.change, options.names_only) {
        out["fields"] = Json::Array(fields.iter().map(field_json).collect());
    }
    out
}

fn field_json(field: &FieldChange) -> Json {
    json!({ "path": field.path, "old": field.old, "new": field.new })
}

fn risk_json(risk: &Risk) -> Json {
    let mut out = json!({
        "environment": risk.environment,
        "risk": risk.kind.as_str(),
        "message": risk.message,
    });
    if let Some(id) = &risk.object {
        out["unit"] = json!(id.unit);
        out["kind"] = json!(id.kind);
        out["namespace"] = json!(id.namespace);
        out["name"] = json!(id.name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_break_out_of_its_cell() {
        assert_eq!(
            html("a|b`c<script>\n# x"),
            "a&#124;b&#96;c&lt;script&gt;<br>\\# x"
        );
    }
}
