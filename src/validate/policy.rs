//! The production policy.

use crate::diagnostic::{Code, Diagnostic};
use crate::lower;
use crate::spec::{self, Tier};

use super::*;

impl Context<'_> {
    /// Production policy: images from allowed registries, TLS on every exposed host, at
    /// least two replicas (or autoscaling) and a disruption budget for exposed services,
    /// requests and limits on every container.
    pub(super) fn production_policy(&self, out: &mut Vec<Diagnostic>) {
        if self.tier != Tier::Production {
            return;
        }
        let image = lower::image(self.service, self.spec, self.global);
        let registry = crate::image::registry_of(&image.name);
        if let Some(allowed) = &self.global.allowed_registries
            && !allowed.iter().any(|r| r == registry)
        {
            let spec_image = self.spec.image.clone().unwrap_or_default();
            let field = if spec_image.registry.is_some() {
                "registry"
            } else {
                "repository"
            };
            out.push(
                self.error(Code::RegistryNotAllowed, self.path().key("image").key(field), format!("production image `{}` comes from `{registry}`, which is not an allowed registry", image.name))
                    .expected(format!("one of {}", allowed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")))
                    .help("mirror the image into an allowed registry, or add the registry to `global.allowedRegistries`"),
            );
        }
        let resources = self
            .spec
            .resources
            .as_ref()
            .or(self.global.resources.as_ref());
        let missing: Vec<&str> = [
            (
                "requests.cpu",
                resources
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|l| l.cpu.as_ref()),
            ),
            (
                "requests.memory",
                resources
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|l| l.memory.as_ref()),
            ),
            (
                "limits.cpu",
                resources
                    .and_then(|r| r.limits.as_ref())
                    .and_then(|l| l.cpu.as_ref()),
            ),
            (
                "limits.memory",
                resources
                    .and_then(|r| r.limits.as_ref())
                    .and_then(|l| l.memory.as_ref()),
            ),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() {
            out.push(
                self.error(
                    Code::ResourcesRequired,
                    self.path().key("resources"),
                    format!(
                        "production container of `{}` has no {}",
                        self.service,
                        missing.join(", ")
                    ),
                )
                .expected(
                    "CPU and memory requests and limits, on the service or in `global.resources`",
                ),
            );
        }
        let Some(ingress) = self.enabled_ingress() else {
            return;
        };
        let routing = lower::routing(ingress, self.global);
        if routing == spec::Routing::Ingress && lower::ingress_tls(ingress, self.global).is_none() {
            out.push(
                self.error(Code::TlsRequired, self.path().key("ingress"), format!("production host of `{}` is served without TLS", self.service))
                    .expected("`ingress.tls` on the service or `global.ingress.tls`, e.g. `{clusterIssuer: letsencrypt-prod}`"),
            );
        }
        let autoscaling = self.enabled_autoscaling();
        let replicas = match autoscaling {
            Some(a) => a.min_replicas.unwrap_or(1),
            None => self.spec.replicas.unwrap_or(1),
        };
        if autoscaling.is_none() && replicas < 2 {
            out.push(
                self.error(
                    Code::ReplicasRequired,
                    self.path().key("replicas"),
                    format!(
                        "exposed production service `{}` runs {replicas} replica",
                        self.service
                    ),
                )
                .expected("`replicas: 2` or more, or `autoscaling.enabled: true`")
                .help("one replica means downtime on every rollout and node drain"),
            );
        }
        let budget = self.enabled_disruption_budget().is_some();
        if replicas >= 2 && !budget {
            out.push(
                self.error(Code::DisruptionBudgetRequired, self.path().key("disruptionBudget"), format!("exposed production service `{}` runs {replicas} replicas without a disruption budget", self.service))
                    .expected("`disruptionBudget: {enabled: true}`")
                    .help("without one, a node drain may take every replica down at once"),
            );
        }
    }
}
