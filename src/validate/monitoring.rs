//! Monitoring and scaling extras: the labels of ServiceMonitors and claims, and the
//! custom metrics of autoscalers. Each rule reads the service's settings layered over
//! the global defaults (`lower::with_defaults`) and reports a value where it was
//! written, the service's own field or `global`'s.

use crate::diagnostic::{Code, Diagnostic};
use crate::lower::Defaulted;
use crate::spec::ScalingMetricType;

use super::*;

/// The labels mcpstack sets on every object of a service: a label of the user's may not
/// replace them (the selectors and the stack's bookkeeping read them).
pub const STANDARD_LABELS: [&str; 5] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

/// What tells two autoscaling metrics apart: type, name and selector.
type MetricId<'a> = (
    ScalingMetricType,
    &'a str,
    Option<&'a BTreeMap<String, String>>,
);

impl Context<'_> {
    pub(super) fn monitoring(&self, out: &mut Vec<Diagnostic>) {
        let metrics = self
            .spec
            .metrics
            .as_ref()
            .filter(|m| m.enabled.unwrap_or(true))
            .and_then(|m| m.labels.as_ref());
        let claims = self.enabled_persistence().and_then(|p| p.labels.as_ref());
        for (block, labels) in [
            (Defaulted::Metrics, metrics),
            (Defaulted::Persistence, claims),
        ] {
            for key in labels.into_iter().flat_map(|l| l.keys()) {
                if STANDARD_LABELS.contains(&key.as_str()) {
                    out.push(
                        self.error(
                            Code::ReservedName,
                            self.layered_path(block, &["labels", key]),
                            format!(
                                "label `{}` of `{}` would replace the one mcpstack sets",
                                crate::diagnostic::printable(key),
                                self.service
                            ),
                        )
                        .expected(format!("a label other than {}", STANDARD_LABELS.map(|l| format!("`{l}`")).join(", ")))
                        .help("mcpstack sets these from the service's name, `component` and the stack's name; use another key, e.g. `release: kube-prometheus-stack`"),
                    );
                }
            }
        }
        self.scaling_metrics(out);
    }

    /// Custom autoscaling metrics: a target of the kind the metric type takes, and no
    /// metric twice.
    fn scaling_metrics(&self, out: &mut Vec<Diagnostic>) {
        let Some(metrics) = self.enabled_autoscaling().and_then(|a| a.metrics.as_ref()) else {
            return;
        };
        let list = self.layered_path(Defaulted::Autoscaling, &["metrics"]);
        let mut seen: Vec<MetricId<'_>> = Vec::new();
        for (index, metric) in metrics.iter().enumerate() {
            let at = list.index(index);
            let name = crate::diagnostic::printable(&metric.name);
            match (metric.kind, &metric.average_value, &metric.value) {
                (ScalingMetricType::Pods, _, Some(_)) => out.push(
                    self.error(
                        Code::InvalidValue,
                        at.key("value"),
                        format!("Pods metric `{name}` sets a total `value`"),
                    )
                    .expected("`averageValue`, the target per pod")
                    .help("a Pods metric is averaged over the pods: e.g. `averageValue: \"100\"`"),
                ),
                (ScalingMetricType::Pods, None, None) => out.push(
                    self.error(
                        Code::MissingField,
                        at.clone(),
                        format!("Pods metric `{name}` has no target"),
                    )
                    .expected("`averageValue`, the target per pod, e.g. `averageValue: \"100\"`"),
                ),
                (ScalingMetricType::External, Some(_), Some(_)) => out.push(
                    self.error(
                        Code::InvalidValue,
                        at.key("value"),
                        format!("External metric `{name}` sets both `averageValue` and `value`"),
                    )
                    .expected("one of `averageValue` (per pod) and `value` (in total)"),
                ),
                (ScalingMetricType::External, None, None) => out.push(
                    self.error(
                        Code::MissingField,
                        at.clone(),
                        format!("External metric `{name}` has no target"),
                    )
                    .expected("one of `averageValue` (per pod) and `value` (in total), e.g. `value: \"30\"`"),
                ),
                _ => {}
            }
            let selector = metric.selector.as_ref().filter(|s| !s.is_empty());
            let key = (metric.kind, metric.name.as_str(), selector);
            if seen.contains(&key) {
                out.push(
                    self.error(
                        Code::DuplicateName,
                        at.key("name"),
                        format!("metric `{name}` is listed twice with the same selector"),
                    )
                    .expected("each metric once")
                    .help("the autoscaler would compute the same recommendation twice; remove one, or tell them apart with `selector`"),
                );
            } else {
                seen.push(key);
            }
        }
    }
}
