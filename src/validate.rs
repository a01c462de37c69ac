//! Semantic rules the schema cannot express. Each rule reads typed values and reports
//! diagnostics placed with the layered tree, so each names the file and line that set
//! the offending value.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::hostname;
use crate::image;
use crate::load::Document;
use crate::lower;
use crate::node::{FieldPath, Node};
use crate::spec::{self, Tier, Values};

fn services_path() -> FieldPath {
    FieldPath::root().key("services")
}

fn service_path(name: &str) -> FieldPath {
    services_path().key(name)
}

/// Rules on the stack file alone.
pub fn stack(document: &Document, values: &Values) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let root = &document.root;
    if values.tier.is_some() {
        let path = FieldPath::root().key("tier");
        out.push(
            Diagnostic::error(
                "tier-in-stack",
                "the stack file describes every environment and has no tier",
            )
            .at(root.locate_key(&path).span)
            .path(path)
            .help("set `tier` in each environment file instead"),
        );
    }
    if let Some(name) = &values.name
        && let Some(problem) = hostname::label_problem(name)
    {
        let path = FieldPath::root().key("name");
        out.push(
            Diagnostic::error("invalid-name", format!("stack name `{name}` {problem}"))
                .at(root.locate(&path).span)
                .path(path)
                .expected("a DNS label: lowercase letters, digits and `-`, at most 63 characters")
                .help(format!("try `{}`", hostname::suggest_label(name))),
        );
    }
    for name in values.services.iter().flatten().map(|(name, _)| name) {
        if name == crate::render::flux::NAMESPACE_UNIT {
            let path = service_path(name);
            out.push(
                Diagnostic::error(
                    "reserved-name",
                    format!("`{name}` is reserved for the environment's namespace unit"),
                )
                .at(root.locate_key(&path).span)
                .path(path)
                .help("rename the service, e.g. `namespace-controller`"),
            );
        }
        if let Some(problem) = hostname::service_name_problem(name) {
            let path = service_path(name);
            out.push(
                Diagnostic::error("invalid-name", format!("service name `{name}` {problem}"))
                    .at(root.locate_key(&path).span)
                    .path(path)
                    .expected("a DNS label starting with a letter: lowercase letters, digits and `-`, at most 63 characters")
                    .help(format!("rename it to `{}`", hostname::suggest_label(name))),
            );
        }
    }
    out
}

/// Rules on an environment file alone: its name, its tier, the services it names.
pub fn environment_file(
    name: &str,
    document: &Document,
    values: &Values,
    stack: &Values,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let root = &document.root;
    if let Some(problem) = hostname::label_problem(name) {
        out.push(
            Diagnostic::error(
                "invalid-name",
                format!("environment name `{name}` {problem}"),
            )
            .at(root.span)
            .expected("a file name that is a DNS label, e.g. `pr-42.yaml`")
            .help(format!(
                "rename the file to `{}.yaml`",
                hostname::suggest_label(name)
            )),
        );
    }
    if values.tier.is_none() {
        out.push(
            Diagnostic::error(
                "missing-tier",
                format!("environment `{name}` does not say its tier"),
            )
            .at(root.span)
            .path(FieldPath::root().key("tier"))
            .expected("`tier: staging`, `tier: production` or `tier: review`"),
        );
    }
    let known: Vec<&str> = stack
        .services
        .iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    for service in values.services.iter().flatten().map(|(n, _)| n) {
        if known.contains(&service.as_str()) {
            continue;
        }
        let path = service_path(service);
        let mut diagnostic = Diagnostic::error(
            "unknown-service",
            format!("service `{service}` is not defined in the stack file"),
        )
        .at(root.locate_key(&path).span)
        .path(path)
        .expected(format!(
            "one of {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        diagnostic = match did_you_mean(service, known.iter().copied()) {
            Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
            None => diagnostic.help("define the service in environments/stack.yaml first"),
        };
        out.push(diagnostic);
    }
    out
}

/// Rules on one environment's layered values. `merged` is the layered tree (for
/// positions), `own` the environment's own file (where production fixes belong).
pub fn environment(name: &str, merged: &Node, own: &Document, values: &Values) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tier = values.tier.unwrap_or(Tier::Review);
    let global = values.global.clone().unwrap_or_default();
    let namespace = lower::namespace(name, values);
    if let Some(problem) = hostname::label_problem(&namespace) {
        let path = FieldPath::root().key("global").key("namespace");
        out.push(
            Diagnostic::error("invalid-name", format!("namespace `{namespace}` {problem}"))
                .at(merged.locate(&path).span)
                .path(path)
                .expected("a DNS label"),
        );
    }
    let services: BTreeMap<&str, &spec::Service> = values
        .services
        .iter()
        .flatten()
        .filter(|(_, s)| s.enabled.unwrap_or(true))
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let all: BTreeSet<&str> = values
        .services
        .iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    let mut hosts: BTreeMap<String, FieldPath> = BTreeMap::new();
    for (service_name, service) in &services {
        let ctx = Context {
            env: name,
            tier,
            merged,
            own,
            service: service_name,
            spec: service,
            global: &global,
        };
        ctx.image(&mut out);
        ctx.ports(&mut out);
        ctx.probes(&mut out);
        ctx.autoscaling(&mut out);
        ctx.env_references(&mut out);
        ctx.disruption_budget(&mut out);
        ctx.persistence(&mut out);
        ctx.dependencies(&services, &all, &mut out);
        ctx.hostname(&mut hosts, &mut out);
    }
    dependency_cycles(merged, &services, &mut out);
    out
}

/// One service under validation, with what its rules need to look up.
struct Context<'a> {
    env: &'a str,
    tier: Tier,
    merged: &'a Node,
    own: &'a Document,
    service: &'a str,
    spec: &'a spec::Service,
    global: &'a spec::Global,
}

impl Context<'_> {
    fn path(&self) -> FieldPath {
        service_path(self.service)
    }

    fn error(&self, code: &'static str, path: FieldPath, message: String) -> Diagnostic {
        Diagnostic::error(code, message)
            .at(self.merged.locate(&path).span)
            .path(path)
    }

    fn image(&self, out: &mut Vec<Diagnostic>) {
        let path = self.path().key("image");
        let image = self.spec.image.clone().unwrap_or_default();
        if image.repository.is_none() {
            out.push(
                self.error(
                    "missing-image",
                    path.clone(),
                    format!("service `{}` has no image repository", self.service),
                )
                .expected("`image.repository`, e.g. `ibm/mcp-context-forge`")
                .help("set it in environments/stack.yaml"),
            );
        }
        if let Some(digest) = &image.digest
            && !image::is_digest(digest)
        {
            out.push(
                self.error(
                    "invalid-digest",
                    path.key("digest"),
                    format!("`{digest}` is not an image digest"),
                )
                .expected("`sha256:` followed by 64 lowercase hex digits"),
            );
        }
        if image.digest.is_some() {
            return;
        }
        let tag = image.tag.as_deref();
        if self.tier == Tier::Production {
            let shown = tag
                .map(|t| format!("tag `{t}`"))
                .unwrap_or_else(|| "no tag".to_owned());
            let at = if tag.is_some() {
                path.key("tag")
            } else {
                path.clone()
            };
            // Point at the production file when it names this image; a fix belongs there.
            let span = match self.own.root.at(&path) {
                Some(node) => self.own.root.at(&at).map(|n| n.span).unwrap_or(node.span),
                None => self.merged.locate(&at).span,
            };
            out.push(
                Diagnostic::error("unpinned-image", format!("production image of `{}` is not pinned by digest ({shown})", self.service))
                    .at(span)
                    .path(path.key("digest"))
                    .expected("`image.digest: sha256:<64 hex digits>` in the production file")
                    .help("tags can be moved; production runs only digests (find one with `docker buildx imagetools inspect IMAGE:TAG`)"),
            );
            return;
        }
        let floating = match tag {
            None => Some("no tag (implicitly `latest`)".to_owned()),
            Some(t) if image::is_floating_tag(t) => Some(format!("the mutable tag `{t}`")),
            Some(_) => None,
        };
        if let Some(what) = floating {
            let at = if tag.is_some() {
                path.key("tag")
            } else {
                path.clone()
            };
            out.push(
                Diagnostic::warning(
                    "mutable-tag",
                    format!("`{}` in `{}` runs {what}", self.service, self.env),
                )
                .at(self.merged.locate(&at).span)
                .path(at)
                .help("pin a release tag or a digest so every rollout runs the same image"),
            );
        }
    }

    fn ports(&self, out: &mut Vec<Diagnostic>) {
        let port = lower::port(self.spec, self.global);
        if let Some(target) = self.spec.service.as_ref().and_then(|s| s.target_port)
            && target != port
        {
            out.push(
                self.error(
                    "unknown-port",
                    self.path().key("service").key("targetPort"),
                    format!("target port {target} is not the container port {port}"),
                )
                .expected(format!("{port}, the port the container listens on"))
                .help("remove `targetPort` to use the container port, or change `port`"),
            );
        }
    }

    fn probes(&self, out: &mut Vec<Diagnostic>) {
        let port = lower::port(self.spec, self.global);
        let probes = self.spec.probes.clone().unwrap_or_default();
        for (kind, probe) in [
            ("liveness", &probes.liveness),
            ("readiness", &probes.readiness),
            ("startup", &probes.startup),
        ] {
            let Some(probe) = probe else { continue };
            let path = self.path().key("probes").key(kind);
            let handlers = [
                probe.http_get.is_some(),
                probe.tcp_socket.is_some(),
                probe.exec.is_some(),
            ];
            let count = handlers.iter().filter(|h| **h).count();
            if count != 1 && probe.enabled.unwrap_or(true) {
                out.push(
                    self.error(
                        "probe-handler",
                        path.clone(),
                        format!("the {kind} probe sets {count} handlers"),
                    )
                    .expected("exactly one of `httpGet`, `tcpSocket` and `exec`"),
                );
            }
            let ports = [
                (probe.http_get.as_ref().and_then(|h| h.port), "httpGet"),
                (probe.tcp_socket.as_ref().and_then(|t| t.port), "tcpSocket"),
            ];
            for (probe_port, handler) in ports {
                if let Some(probe_port) = probe_port
                    && probe_port != port
                {
                    out.push(
                        self.error("unknown-port", path.key(handler).key("port"), format!("the {kind} probe targets port {probe_port}, which the container does not expose"))
                            .expected(format!("{port}, the container port"))
                            .help("remove the probe's `port` to use the container port"),
                    );
                }
            }
        }
    }

    fn autoscaling(&self, out: &mut Vec<Diagnostic>) {
        let Some(a) = self
            .spec
            .autoscaling
            .as_ref()
            .filter(|a| a.enabled.unwrap_or(false))
        else {
            return;
        };
        let path = self.path().key("autoscaling");
        let min = a.min_replicas.unwrap_or(1);
        match a.max_replicas {
            None => out.push(
                self.error(
                    "autoscaling-range",
                    path,
                    "autoscaling is on but `maxReplicas` is not set".to_owned(),
                )
                .expected("`maxReplicas` >= `minReplicas`"),
            ),
            Some(max) if max < min => out.push(
                self.error(
                    "autoscaling-range",
                    path.key("maxReplicas"),
                    format!("maxReplicas {max} is below minReplicas {min}"),
                )
                .expected(format!("a number >= {min}")),
            ),
            Some(_) => {}
        }
    }

    fn env_references(&self, out: &mut Vec<Diagnostic>) {
        for (var, value) in self.spec.env.iter().flatten() {
            if let spec::EnvValue::Reference(reference) = value {
                let count = usize::from(reference.secret_key_ref.is_some())
                    + usize::from(reference.config_map_key_ref.is_some());
                if count != 1 {
                    out.push(
                        self.error(
                            "env-reference",
                            self.path().key("env").key(var),
                            format!("`{var}` must reference exactly one key"),
                        )
                        .expected("`secretKeyRef: {name, key}` or `configMapKeyRef: {name, key}`"),
                    );
                }
            }
        }
        for (index, source) in self.spec.env_from.iter().flatten().enumerate() {
            let count = usize::from(source.secret_ref.is_some())
                + usize::from(source.config_map_ref.is_some());
            if count != 1 {
                out.push(
                    self.error(
                        "env-reference",
                        self.path().key("envFrom").index(index),
                        "an envFrom entry must name exactly one source".to_owned(),
                    )
                    .expected("`secretRef: NAME` or `configMapRef: NAME`"),
                );
            }
        }
    }

    fn disruption_budget(&self, out: &mut Vec<Diagnostic>) {
        if let Some(budget) = &self.spec.disruption_budget
            && budget.min_available.is_some()
            && budget.max_unavailable.is_some()
        {
            out.push(
                self.error(
                    "disruption-budget",
                    self.path().key("disruptionBudget"),
                    "set `minAvailable` or `maxUnavailable`, not both".to_owned(),
                )
                .expected("one of `minAvailable` and `maxUnavailable`"),
            );
        }
    }

    fn persistence(&self, out: &mut Vec<Diagnostic>) {
        let Some(p) = self
            .spec
            .persistence
            .as_ref()
            .filter(|p| p.enabled.unwrap_or(false))
        else {
            return;
        };
        let path = self.path().key("persistence");
        for (field, missing) in [
            ("size", p.size.is_none()),
            ("mountPath", p.mount_path.is_none()),
        ] {
            if missing {
                out.push(
                    self.error(
                        "missing-field",
                        path.clone(),
                        format!("persistence is on but `{field}` is not set"),
                    )
                    .expected(format!("`persistence.{field}`")),
                );
            }
        }
    }

    fn dependencies(
        &self,
        enabled: &BTreeMap<&str, &spec::Service>,
        all: &BTreeSet<&str>,
        out: &mut Vec<Diagnostic>,
    ) {
        for (index, dependency) in self.spec.depends_on.iter().flatten().enumerate() {
            let path = self.path().key("dependsOn").index(index);
            if dependency == self.service {
                out.push(self.error(
                    "unknown-dependency",
                    path,
                    format!("`{}` depends on itself", self.service),
                ));
                continue;
            }
            if enabled.contains_key(dependency.as_str()) {
                continue;
            }
            let mut diagnostic = if all.contains(dependency.as_str()) {
                self.error(
                    "unknown-dependency",
                    path,
                    format!(
                        "`{}` depends on `{dependency}`, which is disabled in `{}`",
                        self.service, self.env
                    ),
                )
                .help(format!(
                    "enable `{dependency}` in `{}` or drop the dependency",
                    self.env
                ))
            } else {
                self.error(
                    "unknown-dependency",
                    path,
                    format!(
                        "`{}` depends on `{dependency}`, which is not a service",
                        self.service
                    ),
                )
            };
            if diagnostic.help.is_none()
                && let Some(near) = did_you_mean(dependency, all.iter().copied())
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }

    fn hostname(&self, hosts: &mut BTreeMap<String, FieldPath>, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self
            .spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
        else {
            return;
        };
        let ingress_path = self.path().key("ingress");
        let path = if ingress.host.is_some() {
            ingress_path.key("host")
        } else {
            ingress_path.clone()
        };
        if ingress.host.is_none() && self.global.domain.is_none() {
            out.push(
                self.error(
                    "missing-domain",
                    path,
                    format!(
                        "`{}` is exposed but the environment has no domain",
                        self.service
                    ),
                )
                .expected("`global.domain`, or `ingress.host` on the service"),
            );
            return;
        }
        if let Some(p) = &ingress.path
            && !p.starts_with('/')
        {
            out.push(self.error(
                "invalid-path",
                ingress_path.key("path"),
                format!("ingress path `{p}` does not start with `/`"),
            ));
        }
        let host = lower::host(self.service, ingress, self.global, self.env, self.tier);
        if let Some(problem) = hostname::hostname_problem(&host) {
            let origin = if ingress.host.is_some() {
                ""
            } else {
                " (from the hostname pattern)"
            };
            out.push(
                self.error("invalid-hostname", path, format!("hostname `{host}`{origin} is not valid: {problem}"))
                    .expected("an RFC 1123 hostname: labels of at most 63 lowercase letters, digits and `-`, 253 characters in all")
                    .help("set a shorter `ingress.host` on the service, or shorten the domain or pattern"),
            );
            return;
        }
        if let Some(first) = hosts.get(&host) {
            out.push(
                self.error(
                    "duplicate-hostname",
                    path,
                    format!(
                        "hostname `{host}` is already used by `{first}` in `{}`",
                        self.env
                    ),
                )
                .expected("a hostname unique within the environment")
                .help("give one of the services its own `ingress.host`"),
            );
            return;
        }
        hosts.insert(host, self.path());
    }
}

/// Dependency cycles among enabled services, each reported once at its first service.
fn dependency_cycles(
    merged: &Node,
    services: &BTreeMap<&str, &spec::Service>,
    out: &mut Vec<Diagnostic>,
) {
    let mut reported = BTreeSet::new();
    for start in services.keys() {
        if let Some(cycle) = find_cycle(start, services)
            && reported.insert(cycle.iter().min().cloned())
        {
            let path = service_path(start).key("dependsOn");
            out.push(
                Diagnostic::error(
                    "dependency-cycle",
                    format!(
                        "services depend on each other in a cycle: {}",
                        cycle.join(" -> ")
                    ),
                )
                .at(merged.locate(&path).span)
                .path(path)
                .help("Flux cannot order a cycle; remove one of the dependencies"),
            );
        }
    }
}

fn find_cycle(start: &str, services: &BTreeMap<&str, &spec::Service>) -> Option<Vec<String>> {
    fn walk(
        node: &str,
        services: &BTreeMap<&str, &spec::Service>,
        trail: &mut Vec<String>,
        start: &str,
    ) -> bool {
        let Some(service) = services.get(node) else {
            return false;
        };
        for next in service.depends_on.iter().flatten() {
            if next == start {
                trail.push(next.clone());
                return true;
            }
            if trail.contains(next) || next == node {
                continue;
            }
            trail.push(next.clone());
            if walk(next, services, trail, start) {
                return true;
            }
            trail.pop();
        }
        false
    }
    let mut trail = vec![start.to_owned()];
    walk(start, services, &mut trail, start).then_some(trail)
}
