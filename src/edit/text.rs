//! The text edit of a spec file: one scalar set at a path, the rest of the file (its
//! comments, blank lines, key order and quoting) kept as it is, and the result read back
//! to prove that nothing else changed.

use crate::diagnostic::{Code, Diagnostic};
use crate::load;
use crate::node::{FieldPath, Node, Value};
use crate::source::{FileId, Span};

pub(crate) fn path_of(keys: &[String]) -> FieldPath {
    keys.iter()
        .fold(FieldPath::root(), |path, key| path.key(key))
}

/// `text` with the scalar at `keys` set to `value`: the old scalar's text replaced, or
/// the missing mappings and key inserted where the file's layout puts them. The result is
/// parsed again and must equal the old tree with only that value changed; a layout this
/// edit cannot handle safely (anchors, block scalars, ...) is a diagnostic, never a
/// broken file.
pub fn set_scalar(
    file: FileId,
    text: &str,
    keys: &[String],
    value: &str,
) -> Result<String, Diagnostic> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    let root = load::parse(file, body)?;
    let editor = Editor::new(body, indent_step(&root));
    let splice = editor.splice(&root, keys, value)?;
    let edited = splice.apply(body);
    verify(file, &root, &edited, keys, value)?;
    Ok(format!("{bom}{edited}"))
}

/// Replace `start..end` with `text`.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    text: String,
}

impl Splice {
    fn insert(at: usize, text: String) -> Self {
        Self {
            start: at,
            end: at,
            text,
        }
    }

    fn apply(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len() + self.text.len());
        out.push_str(&body[..self.start]);
        out.push_str(&self.text);
        out.push_str(&body[self.end..]);
        out
    }
}

/// The edit could not be made: the file is left for a person to change.
fn unsupported(span: Span, keys: &[String], why: &str) -> Diagnostic {
    let path = path_of(keys);
    Diagnostic::error(
        Code::UnsupportedLayout,
        format!("cannot set `{path}` here: {why}"),
    )
    .at(span)
    .path(path)
    .help("set the value by hand; mcpstack edits only plain, quoted and flow values")
}

/// The file's text with line positions, and how new lines are written in it.
struct Editor<'a> {
    body: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    newline: &'static str,
    /// Indentation of a nested block mapping, in spaces.
    step: usize,
}

/// The deepest existing node on a path, and what is known about where it sits.
#[derive(Clone, Copy)]
struct Place<'a> {
    node: &'a Node,
    /// The span of the key that introduces `node` (`None` at the root).
    key: Option<Span>,
    /// Whether `node` sits inside a flow collection.
    in_flow: bool,
    depth: usize,
}

impl<'a> Editor<'a> {
    fn new(body: &'a str, step: usize) -> Self {
        let starts = std::iter::once(0)
            .chain(body.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let newline = if body.contains("\r\n") { "\r\n" } else { "\n" };
        Self {
            body,
            starts,
            newline,
            step,
        }
    }

    /// Text of line `line` (1-based) without its line break.
    fn line(&self, line: u32) -> Option<&'a str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let end = self
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.body.len());
        let text = &self.body[start..end];
        Some(text.trim_end_matches('\n').trim_end_matches('\r'))
    }

    fn line_count(&self) -> u32 {
        u32::try_from(self.starts.len()).unwrap_or(u32::MAX)
    }

    /// Byte offset of a span (columns count characters).
    fn offset(&self, span: Span) -> Option<usize> {
        let index = usize::try_from(span.line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let text = self.line(span.line)?;
        let column = usize::try_from(span.column).ok()?.checked_sub(1)?;
        let within = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .nth(column)?;
        Some(start + within)
    }

    /// Offset just past line `line`'s break (the end of the text on the last line).
    fn after_line(&self, line: u32) -> usize {
        usize::try_from(line)
            .ok()
            .and_then(|l| self.starts.get(l).copied())
            .unwrap_or(self.body.len())
    }

    fn char_at(&self, offset: usize) -> Option<char> {
        self.body.get(offset..)?.chars().next()
    }

    /// Whether the collection at `span` is written in flow style (`{...}`).
    fn is_flow(&self, span: Span) -> bool {
        self.offset(span)
            .and_then(|o| self.char_at(o))
            .is_some_and(|c| c == '{' || c == '[')
    }

    fn splice(&self, root: &'a Node, keys: &[String], value: &str) -> Result<Splice, Diagnostic> {
        let mut place = Place {
            node: root,
            key: None,
            in_flow: self.is_flow(root.span),
            depth: 0,
        };
        for (depth, key) in keys.iter().enumerate() {
            let Some(entry) = place.node.mapping().and_then(|m| m.get(key)) else {
                return self.insert(place, keys, value);
            };
            let in_flow = place.in_flow || self.is_flow(entry.node.span);
            place = Place {
                node: &entry.node,
                key: Some(entry.key_span),
                in_flow,
                depth: depth + 1,
            };
        }
        self.replace(place, keys, value)
    }

    /// Replace the scalar at `place` with `value`, in the same quoting style.
    fn replace(
        &self,
        place: Place<'_>,
        keys: &[String],
        value: &str,
    ) -> Result<Splice, Diagnostic> {
        let span = place.node.span;
        let fail = |why: &str| unsupported(span, keys, why);
        if matches!(place.node.value, Value::Mapping(_) | Value::Sequence(_)) {
            return Err(fail(&format!("it holds a {}", place.node.kind_name())));
        }
        let start = self
            .offset(span)
            .ok_or_else(|| fail("its position is outside the file"))?;
        if place.node.value == Value::Null && self.char_at(start) == Some(':') {
            let text = format!(" {}", scalar(value, place.in_flow));
            return Ok(Splice::insert(start + 1, text));
        }
        let rest = &self.body[start..];
        let end = match rest.chars().next() {
            Some('"') => double_quoted_len(rest),
            Some('\'') => single_quoted_len(rest),
            Some('|' | '>') => return Err(fail("it is a block scalar")),
            Some('*' | '&' | '!') => return Err(fail("it has an anchor, alias or tag")),
            _ => Some(plain_len(rest, place.in_flow)),
        }
        .ok_or_else(|| fail("its quotes are not closed"))?;
        // Keep the style: a plain value stays plain where the file wrote one.
        let text = match rest.chars().next() {
            Some('"') => double_quoted(value),
            Some('\'') if !value.contains('\'') => format!("'{value}'"),
            _ if place.node.value != Value::Null => scalar(value, false),
            _ => scalar(value, place.in_flow),
        };
        Ok(Splice {
            start,
            end: start + end,
            text,
        })
    }

    /// Insert `keys[place.depth..]` with `value` into the node at `place`.
    fn insert(&self, place: Place<'_>, keys: &[String], value: &str) -> Result<Splice, Diagnostic> {
        let rest = &keys[place.depth..];
        let span = place.node.span;
        let fail = |why: &str| unsupported(span, keys, why);
        let start = self
            .offset(span)
            .ok_or_else(|| fail("its position is outside the file"))?;
        match &place.node.value {
            Value::Mapping(_) if self.is_flow(span) => self.insert_flow(start, rest, value, &fail),
            Value::Mapping(map) => self.insert_block(map, place.depth == 0, rest, value, &fail),
            Value::Null if self.char_at(start) == Some(':') && place.in_flow => Ok(Splice::insert(
                start + 1,
                format!(" {{{}}}", flow_entry(rest, value)),
            )),
            Value::Null if self.char_at(start) == Some(':') => {
                let key = place.key.ok_or_else(|| fail("the document is empty"))?;
                let indent = self
                    .indent_of_key(key)
                    .ok_or_else(|| fail("its key is not at the start of a line"))?;
                let at = self.after_line(key.line);
                let lines = self.block_lines(indent + self.step, self.step, rest, value);
                Ok(Splice::insert(at, self.terminated(at, lines)))
            }
            Value::Null => {
                let end = start + plain_len(&self.body[start..], place.in_flow);
                Ok(Splice {
                    start,
                    end,
                    text: format!("{{{}}}", flow_entry(rest, value)),
                })
            }
            _ => Err(fail(&format!(
                "`{}` holds a {}, not a mapping",
                path_of(&keys[..place.depth]),
                place.node.kind_name()
            ))),
        }
    }

    /// Add `key: ...` before the closing brace of the flow mapping starting at `start`.
    fn insert_flow(
        &self,
        start: usize,
        rest: &[String],
        value: &str,
        fail: &dyn Fn(&str) -> Diagnostic,
    ) -> Result<Splice, Diagnostic> {
        let last = last_significant(&self.body[start..])
            .ok_or_else(|| fail("its closing brace was not found"))?;
        let at = start + last;
        let separator = match self.body[..at].chars().next_back() {
            Some('{') => "",
            Some(',') => " ",
            _ => ", ",
        };
        Ok(Splice::insert(
            at,
            format!("{separator}{}", flow_entry(rest, value)),
        ))
    }

    /// Add lines after the last entry of a block mapping, at its indentation.
    fn insert_block(
        &self,
        map: &crate::node::Mapping,
        top_level: bool,
        rest: &[String],
        value: &str,
        fail: &dyn Fn(&str) -> Diagnostic,
    ) -> Result<Splice, Diagnostic> {
        let last = map
            .values()
            .map(|e| e.key_span)
            .max_by_key(|s| (s.line, s.column))
            .ok_or_else(|| fail("the mapping is empty"))?;
        let indent = self
            .indent_of_key(last)
            .ok_or_else(|| fail("its keys are not at the start of a line"))?;
        let end_line = self.last_line_of_entry(last.line, indent);
        let at = self.after_line(end_line);
        let step = step_in(map).unwrap_or(self.step);
        let mut lines = self.block_lines(indent, step, rest, value);
        if top_level && self.line(end_line + 1).is_none_or(|l| !l.trim().is_empty()) {
            lines.insert_str(0, self.newline);
        }
        Ok(Splice::insert(at, self.terminated(at, lines)))
    }

    /// `lines`, preceded by a line break when inserted at the end of a last line that
    /// has none.
    fn terminated(&self, at: usize, lines: String) -> String {
        match at == self.body.len() && !self.body.is_empty() && !self.body.ends_with('\n') {
            true => format!("{}{lines}", self.newline),
            false => lines,
        }
    }

    /// The indentation of a key that starts its line, in spaces.
    fn indent_of_key(&self, key: Span) -> Option<usize> {
        let line = self.line(key.line)?;
        let indent = usize::try_from(key.column).ok()?.checked_sub(1)?;
        let before: String = line.chars().take(indent).collect();
        (before.chars().all(|c| c == ' ') && before.chars().count() == indent).then_some(indent)
    }

    /// The last line of the entry whose key is on `line`: the lines after it that are
    /// indented deeper than `indent` (blank and comment lines only count when followed
    /// by such a line).
    fn last_line_of_entry(&self, line: u32, indent: usize) -> u32 {
        let mut last = line;
        for next in line + 1..=self.line_count() {
            let Some(text) = self.line(next) else { break };
            let trimmed = text.trim_start_matches(' ');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if text.len() - trimmed.len() <= indent {
                break;
            }
            last = next;
        }
        last
    }

    /// Block lines for `keys` nested from `indent` by `step`, the last holding `value`.
    fn block_lines(&self, indent: usize, step: usize, keys: &[String], value: &str) -> String {
        let mut out = String::new();
        for (depth, key) in keys.iter().enumerate() {
            out.push_str(&" ".repeat(indent + depth * step));
            out.push_str(&key_text(key));
            out.push(':');
            if depth + 1 == keys.len() {
                out.push(' ');
                out.push_str(&scalar(value, false));
            }
            out.push_str(self.newline);
        }
        out
    }
}

/// The indentation step the file uses for nested block mappings (default 2).
fn indent_step(root: &Node) -> usize {
    fn find(node: &Node) -> Option<usize> {
        let map = node.mapping()?;
        step_in(map).or_else(|| map.values().find_map(|e| find(&e.node)))
    }
    find(root).unwrap_or(2)
}

/// The indentation step of the block mappings nested in `map`, if it has one.
fn step_in(map: &crate::node::Mapping) -> Option<usize> {
    map.values().find_map(|entry| {
        let child = &entry.node;
        let block = child.mapping().is_some() && child.span.line > entry.key_span.line;
        let step = child.span.column.checked_sub(entry.key_span.column)?;
        usize::try_from(step).ok().filter(|s| block && *s > 0)
    })
}

/// `k1: {k2: value}` for a flow mapping.
fn flow_entry(keys: &[String], value: &str) -> String {
    match keys {
        [] => String::new(),
        [last] => format!("{}: {}", key_text(last), scalar(value, true)),
        [first, rest @ ..] => format!("{}: {{{}}}", key_text(first), flow_entry(rest, value)),
    }
}

/// A scalar written plain when YAML reads it back as the same string, else quoted.
fn scalar(value: &str, in_flow: bool) -> String {
    match is_plain_safe(value, in_flow) {
        true => value.to_owned(),
        false => double_quoted(value),
    }
}

fn key_text(key: &str) -> String {
    scalar(key, true)
}

/// Whether `value` reads back as the same string when written plain: it starts with a
/// letter or digit that cannot make it a number, boolean or null, and holds only
/// characters without meaning to YAML (`:` only outside flow collections).
fn is_plain_safe(value: &str, in_flow: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let special = ["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    first.is_ascii_alphabetic()
        && !special.contains(&value.to_ascii_lowercase().as_str())
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | '@' | '+')
                || (c == ':' && !in_flow)
        })
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Length of a double-quoted scalar at the start of `text`, quotes included.
fn double_quoted_len(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Length of a single-quoted scalar at the start of `text` (`''` is a quote).
fn single_quoted_len(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            continue;
        }
        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
            chars.next();
            continue;
        }
        return Some(i + 1);
    }
    None
}

/// Length of a plain scalar on one line: up to a comment, the line's end or, in a flow
/// collection, a flow indicator; trailing blanks excluded.
fn plain_len(text: &str, in_flow: bool) -> usize {
    let mut end = 0;
    let mut after_blank = false;
    for (i, c) in text.char_indices() {
        let stop = matches!(c, '\n' | '\r')
            || (c == '#' && after_blank)
            || (in_flow && matches!(c, ',' | '}' | ']'));
        if stop {
            break;
        }
        after_blank = c == ' ' || c == '\t';
        if !after_blank {
            end = i + c.len_utf8();
        }
    }
    end
}

/// For a flow collection at the start of `text`: the offset just past its last
/// character that is neither blank, comment nor the closing bracket.
fn last_significant(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut last = 0;
    let mut previous = ' ';
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        let quote_may_open = matches!(previous, '{' | '[' | ',' | ':' | ' ' | '\t' | '\n');
        match c {
            '#' if matches!(previous, ' ' | '\t' | '\n' | '\r') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                previous = '\n';
                continue;
            }
            '"' | '\'' if quote_may_open => {
                let len = match c {
                    '"' => double_quoted_len(&text[i..])?,
                    _ => single_quoted_len(&text[i..])?,
                };
                last = i + len;
                for _ in text[i + 1..i + len].chars() {
                    chars.next();
                }
                previous = c;
                continue;
            }
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(last);
                }
            }
            _ => {}
        }
        if !c.is_whitespace() {
            last = i + c.len_utf8();
        }
        previous = c;
    }
    None
}

/// The edited text must parse to the old tree with only `keys` set to `value`.
fn verify(
    file: FileId,
    before: &Node,
    edited: &str,
    keys: &[String],
    value: &str,
) -> Result<(), Diagnostic> {
    let span = before.locate(&path_of(keys)).span;
    let why = "the edited file would not read back as intended";
    let after = load::parse(file, edited).map_err(|_| unsupported(span, keys, why))?;
    let mut expected = before.to_json();
    set_json(&mut expected, keys, value);
    match after.to_json() == expected {
        true => Ok(()),
        false => Err(unsupported(span, keys, why)),
    }
}

fn set_json(json: &mut serde_json::Value, keys: &[String], value: &str) {
    let Some((first, rest)) = keys.split_first() else {
        *json = serde_json::Value::String(value.to_owned());
        return;
    };
    if !json.is_object() {
        *json = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(map) = json.as_object_mut() {
        let child = map.entry(first.clone()).or_insert(serde_json::Value::Null);
        set_json(child, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn keys(path: &str) -> Vec<String> {
        path.split('.').map(str::to_owned).collect()
    }

    fn edit(text: &str, path: &str) -> String {
        set_scalar(FileId(0), text, &keys(path), DIGEST).expect("edit")
    }

    fn refused(text: &str, path: &str) -> Diagnostic {
        set_scalar(FileId(0), text, &keys(path), DIGEST).expect_err("refused")
    }

    const PATH: &str = "services.api.image.digest";

    #[test]
    fn replaces_a_value_in_its_quoting_style() {
        for (old, new) in [
            (
                "digest: sha256:aa  # old",
                format!("digest: {DIGEST}  # old"),
            ),
            ("digest: \"sha256:aa\"", format!("digest: \"{DIGEST}\"")),
            ("digest: 'sha256:aa'", format!("digest: '{DIGEST}'")),
            ("digest: ~", format!("digest: {DIGEST}")),
            ("digest:   # empty", format!("digest: {DIGEST}   # empty")),
        ] {
            let text = format!("tier: x\nservices:\n  api:\n    image:\n      {old}\n");
            let expected = format!("tier: x\nservices:\n  api:\n    image:\n      {new}\n");
            assert_eq!(edit(&text, PATH), expected, "{old}");
        }
    }

    #[test]
    fn replaces_a_one_line_block_scalar() {
        let text = "services:\n  api:\n    image:\n      digest: >-\n        sha256:aa\n";
        let expected =
            format!("services:\n  api:\n    image:\n      digest: >-\n        {DIGEST}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn replaces_a_value_in_a_flow_mapping() {
        let text = "services:\n  api: {image: {digest: sha256:aa, tag: x}}\n";
        let expected = format!("services:\n  api: {{image: {{digest: {DIGEST}, tag: x}}}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn inserts_into_a_block_mapping_after_its_last_entry() {
        let text = "services:\n  api:\n    image:\n      tag: \"1.0\"   # release\n\n      # trailing comment\n    replicas: 1\n";
        let expected = format!(
            "services:\n  api:\n    image:\n      tag: \"1.0\"   # release\n      digest: {DIGEST}\n\n      # trailing comment\n    replicas: 1\n"
        );
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn inserts_into_flow_mappings() {
        for (old, new) in [
            (
                "{tag: \"1.0\"}",
                format!("{{tag: \"1.0\", digest: \"{DIGEST}\"}}"),
            ),
            ("{}", format!("{{digest: \"{DIGEST}\"}}")),
            ("{tag: x,}", format!("{{tag: x, digest: \"{DIGEST}\"}}")),
            (
                "{\n      tag: x  # c, }\n    }",
                format!("{{\n      tag: x, digest: \"{DIGEST}\"  # c, }}\n    }}"),
            ),
        ] {
            let text = format!("services:\n  api:\n    image: {old}\n");
            let expected = format!("services:\n  api:\n    image: {new}\n");
            assert_eq!(edit(&text, PATH), expected, "{old}");
        }
    }

    #[test]
    fn creates_missing_mappings_with_the_files_indentation() {
        let text = "tier: x\nservices:\n    api:\n        replicas: 1\n";
        let expected = format!(
            "tier: x\nservices:\n    api:\n        replicas: 1\n        image:\n            digest: {DIGEST}\n"
        );
        assert_eq!(edit(text, PATH), expected);
        let text = "tier: x  # no newline at the end";
        let expected = format!(
            "tier: x  # no newline at the end\n\nservices:\n  api:\n    image:\n      digest: {DIGEST}\n"
        );
        assert_eq!(edit(text, PATH), expected);
        let text = "services:\n  api:\n  other: {}\n";
        let expected =
            format!("services:\n  api:\n    image:\n      digest: {DIGEST}\n  other: {{}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn keeps_crlf_line_breaks_and_a_byte_order_mark() {
        let text = "\u{feff}tier: x\r\nservices:\r\n  api:\r\n    replicas: 1\r\n";
        let expected = format!(
            "\u{feff}tier: x\r\nservices:\r\n  api:\r\n    replicas: 1\r\n    image:\r\n      digest: {DIGEST}\r\n"
        );
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn counts_columns_in_characters() {
        let text = "services:\n  api: {image: {tag: \"é—ü\", digest: \"sha256:aa\"}}\n";
        let expected =
            format!("services:\n  api: {{image: {{tag: \"é—ü\", digest: \"{DIGEST}\"}}}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        let folded =
            "services:\n  api:\n    image:\n      digest: >-\n        sha256:aa\n        bb\n";
        assert_eq!(refused(folded, PATH).code, Code::UnsupportedLayout);
        let anchored =
            "services:\n  api:\n    image: &img\n      tag: x\n  web:\n    image: *img\n";
        assert_eq!(refused(anchored, PATH).code, Code::UnsupportedLayout);
        let scalar_image = "services:\n  api:\n    image: ghcr.io/a:1\n";
        assert_eq!(refused(scalar_image, PATH).code, Code::UnsupportedLayout);
    }

    #[test]
    fn plain_scalars_are_written_only_when_they_read_back() {
        assert!(is_plain_safe(DIGEST, false));
        assert!(!is_plain_safe(DIGEST, true));
        assert!(!is_plain_safe("yes", false));
        assert!(!is_plain_safe("1.0", false));
        assert!(!is_plain_safe("a b", false));
        assert_eq!(
            key_text("docker.io/bitnami/redis"),
            "docker.io/bitnami/redis"
        );
        assert_eq!(key_text("on"), "\"on\"");
    }
}
