//! `expires`: a date on review environment files only, and a warning once it has passed.

use crate::diagnostic::{Code, Diagnostic};
use crate::expiry::{self, Date};
use crate::load::Document;
use crate::node::FieldPath;
use crate::spec::{Tier, Values};

fn path() -> FieldPath {
    FieldPath::root().key("expires")
}

/// The stack file describes every environment: it has no expiry.
pub fn stack(document: &Document, values: &Values) -> Vec<Diagnostic> {
    if values.expires.is_none() {
        return Vec::new();
    }
    vec![
        Diagnostic::error(
            Code::InvalidValue,
            "the stack file describes every environment and has no expiry date",
        )
        .at(document.root.locate_key(&path()).span)
        .path(path())
        .help("set `expires` in a review environment's file instead"),
    ]
}

/// An environment file's `expires`: only with `tier: review`, a real date, and a
/// warning once today is after it.
pub fn environment(name: &str, document: &Document, values: &Values) -> Vec<Diagnostic> {
    let Some(text) = &values.expires else {
        return Vec::new();
    };
    let span = document.root.locate(&path()).span;
    if let Some(tier) = values.tier.filter(|t| *t != Tier::Review) {
        return vec![
            Diagnostic::error(
                Code::InvalidValue,
                format!(
                    "`expires` is only for review environments; `{name}` is a {} environment",
                    tier.as_str()
                ),
            )
            .at(span)
            .path(path())
            .expected("no `expires`, or `tier: review`")
            .help("remove `expires`: staging and production environments do not expire"),
        ];
    }
    let Some(date) = Date::parse(text) else {
        return vec![
            Diagnostic::error(
                Code::InvalidValue,
                format!("`{text}` is not a date of the calendar"),
            )
            .at(span)
            .path(path())
            .expected("a date `YYYY-MM-DD`, e.g. `2026-12-31`"),
        ];
    };
    match expiry::today() {
        Ok(today) if today > date => vec![
            Diagnostic::warning(
                Code::ExpiredEnvironment,
                format!("review environment `{name}` expired on {date} (today is {today})"),
            )
            .at(span)
            .path(path())
            .help(format!(
                "run `mcpstack review prune` to delete expired review environments, or set a later date to keep `{name}`"
            )),
        ],
        Ok(_) => Vec::new(),
        Err(why) => vec![
            Diagnostic::error(
                Code::InvalidArgument,
                format!("cannot tell whether `{name}` has expired: {why}"),
            )
            .at(span)
            .path(path()),
        ],
    }
}
