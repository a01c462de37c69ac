//! Charts: where they come from and which version.

use crate::diagnostic::{Code, Diagnostic};
use crate::lower;
use crate::spec::Tier;

use super::*;

impl ChartContext<'_> {
    pub(super) fn source(&self, out: &mut Vec<Diagnostic>) {
        let required = [
            (
                "repository",
                self.spec.repository.is_none(),
                "`oci://registry/path` or `https://charts.example.com`",
            ),
            (
                "chart",
                self.spec.chart.is_none(),
                "the chart's name in its repository",
            ),
            (
                "version",
                self.spec.version.is_none(),
                "an exact chart version such as `16.4.5`",
            ),
        ];
        for (field, missing, expected) in required {
            if missing {
                out.push(
                    self.error(
                        Code::MissingField,
                        self.path(),
                        format!("chart `{}` has no `{field}`", self.chart),
                    )
                    .expected(expected.to_owned()),
                );
            }
        }
        if let Some(repository) = &self.spec.repository
            && !(repository.starts_with("oci://") || repository.starts_with("https://"))
        {
            out.push(
                self.error(
                    Code::InvalidRepository,
                    self.path().key("repository"),
                    format!("chart repository `{repository}` is neither `oci://` nor `https://`"),
                )
                .expected("`oci://registry/path` or `https://charts.example.com`")
                .help("plain http and local paths are not allowed: Flux fetches charts over TLS"),
            );
        }
        if let Some(version) = &self.spec.version
            && self.tier == Tier::Production
            && !lower::is_exact_version(version)
        {
            let path = self.path().key("version");
            out.push(
                Diagnostic::error(Code::ChartVersionRange, format!("production chart `{}` names the version range `{version}`", self.chart))
                    .at(self.production_span(&path))
                    .path(path)
                    .expected("an exact version such as `16.4.5`")
                    .help("a range upgrades production whenever the chart publishes; pin the version you tested"),
            );
        }
    }
}
