//! Source files and positions: where every value a user wrote came from.

/// Index of a file in [`Sources`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct FileId(pub usize);

/// A position in a source file: 1-based line and column.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
}

/// A spec file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the project root, with `/` separators, as shown to users.
    pub path: String,
    pub text: String,
    /// Where each line starts and ends in `text`, found on first use: diagnostics quote
    /// lines, and a run may show thousands of them.
    lines: std::sync::OnceLock<Vec<(usize, usize)>>,
}

impl SourceFile {
    fn line_bounds(&self) -> &[(usize, usize)] {
        self.lines.get_or_init(|| {
            let base = self.text.as_ptr() as usize;
            lines(&self.text)
                .map(|line| {
                    let start = line.as_ptr() as usize - base;
                    (start, start + line.len())
                })
                .collect()
        })
    }
}

/// Every file read in one run; spans index into it.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// The project root the spec files were read from, when they were: files that
    /// ConfigMaps name are read relative to its `environments/`.
    root: Option<std::path::PathBuf>,
}

impl Sources {
    /// Sources of the project at `root`.
    pub fn at(root: &std::path::Path) -> Sources {
        Sources {
            files: Vec::new(),
            root: Some(root.to_path_buf()),
        }
    }

    /// The project root, when the specs were read from one.
    pub fn root(&self) -> Option<&std::path::Path> {
        self.root.as_deref()
    }

    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile {
            path,
            text,
            lines: std::sync::OnceLock::new(),
        });
        FileId(self.files.len() - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// The text of line `line` (1-based) of a file, without its line break. Lines end
    /// where YAML ends them: at `\n`, `\r\n` or a lone `\r`.
    pub fn line(&self, id: FileId, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let file = self.file(id);
        let (start, end) = *file.line_bounds().get(index)?;
        file.text.get(start..end)
    }

    /// How many lines a file has (at least 1).
    pub fn line_count(&self, id: FileId) -> u32 {
        u32::try_from(self.file(id).line_bounds().len().max(1)).unwrap_or(u32::MAX)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }
}

/// A path of a project file, relative to the root, for display.
pub fn display_path(relative: &std::path::Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The lines of `text` as YAML counts them: `\n`, `\r\n` and a lone `\r` each end one.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        if current.is_empty() {
            rest = None;
            return None;
        }
        match current.find(['\n', '\r']) {
            Some(end) => {
                let skip = if current[end..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[end + skip..]);
                Some(&current[..end])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn quoted_lines_are_the_lines_yaml_counts() {
        for text in ["a\nb\r\nc\rd", "a\n", "a\n\nb", "", "\r\r\n\n", "é\nü"] {
            let mut sources = Sources::default();
            let id = sources.add("f".into(), text.into());
            let expected: Vec<&str> = lines(text).collect();
            for (index, line) in expected.iter().enumerate() {
                let number = u32::try_from(index + 1).expect("small");
                assert_eq!(sources.line(id, number), Some(*line), "{text:?}");
            }
            let past = u32::try_from(expected.len() + 1).expect("small");
            assert_eq!(sources.line(id, past), None);
            assert_eq!(sources.line(id, 0), None);
            let count = u32::try_from(expected.len().max(1)).expect("small");
            assert_eq!(sources.line_count(id), count);
        }
    }
    use super::*;

    #[test]
    fn lines_end_as_yaml_ends_them() {
        assert_eq!(
            lines("a\nb\r\nc\rd").collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(lines("a\n").collect::<Vec<_>>(), ["a"]);
        assert_eq!(lines("a\n\nb").collect::<Vec<_>>(), ["a", "", "b"]);
        assert_eq!(lines("").count(), 0);
    }
}
