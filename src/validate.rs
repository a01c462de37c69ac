//! Semantic rules the schema cannot express. Each rule reads typed values and reports
//! diagnostics placed with the layered tree, so each names the file and line that set
//! the offending value.

use std::collections::BTreeMap;

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
    let services = values
        .services
        .iter()
        .flatten()
        .map(|(name, _)| ("services", "service", name));
    let charts = values
        .charts
        .iter()
        .flatten()
        .map(|(name, _)| ("charts", "chart", name));
    for (section, noun, name) in services.chain(charts) {
        let path = FieldPath::root().key(section).key(name);
        let span = root.locate_key(&path).span;
        if name == crate::render::flux::NAMESPACE_UNIT {
            out.push(
                Diagnostic::error(
                    "reserved-name",
                    format!("`{name}` is reserved for the environment's namespace unit"),
                )
                .at(span)
                .path(path.clone())
                .help(format!("rename the {noun}, e.g. `namespace-controller`")),
            );
        }
        if let Some(problem) = hostname::service_name_problem(name) {
            out.push(
                Diagnostic::error("invalid-name", format!("{noun} name `{name}` {problem}"))
                    .at(span)
                    .path(path.clone())
                    .expected("a DNS label starting with a letter: lowercase letters, digits and `-`, at most 63 characters")
                    .help(format!("rename it to `{}`", hostname::suggest_label(name))),
            );
        }
        if section == "charts" && name.len() > MAX_RELEASE_NAME {
            out.push(
                Diagnostic::error("name-too-long", format!("chart name `{name}` is {} characters long; Helm release names have at most {MAX_RELEASE_NAME}", name.len()))
                    .at(span)
                    .path(path.clone()),
            );
        }
        if section == "charts"
            && values
                .services
                .as_ref()
                .is_some_and(|s| s.contains_key(name))
        {
            out.push(
                Diagnostic::error(
                    "duplicate-name",
                    format!("`{name}` names both a service and a chart"),
                )
                .at(span)
                .path(path)
                .help("each service and chart is a unit with its own folder; rename one of them"),
            );
        }
    }
    out
}

/// Helm's limit on release names.
const MAX_RELEASE_NAME: usize = 53;

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
    let sections = [
        (
            "services",
            "service",
            stack
                .services
                .as_ref()
                .map(|m| m.keys().collect::<Vec<_>>()),
            values
                .services
                .as_ref()
                .map(|m| m.keys().collect::<Vec<_>>()),
        ),
        (
            "charts",
            "chart",
            stack.charts.as_ref().map(|m| m.keys().collect::<Vec<_>>()),
            values.charts.as_ref().map(|m| m.keys().collect::<Vec<_>>()),
        ),
    ];
    for (section, noun, defined, named) in sections {
        let known: Vec<&str> = defined
            .unwrap_or_default()
            .into_iter()
            .map(String::as_str)
            .collect();
        for name in named.unwrap_or_default() {
            if known.contains(&name.as_str()) {
                continue;
            }
            let path = FieldPath::root().key(section).key(name);
            let choices = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut diagnostic = Diagnostic::error(
                if section == "charts" {
                    "unknown-chart"
                } else {
                    "unknown-service"
                },
                format!("{noun} `{name}` is not defined in the stack file"),
            )
            .at(root.locate_key(&path).span)
            .path(path)
            .expected(format!("one of {choices}"));
            diagnostic = match did_you_mean(name, known.iter().copied()) {
                Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                None => diagnostic.help(format!(
                    "define the {noun} in environments/stack.yaml first"
                )),
            };
            out.push(diagnostic);
        }
    }
    out
}

/// Rules on one environment's layered values. `merged` is the layered tree (for
/// positions), `own` the environment's own file (where production fixes belong).
pub fn environment(name: &str, merged: &Node, own: &Document, values: &Values) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tier = values.tier.unwrap_or(Tier::Review);
    let global = values.global.clone().unwrap_or_default();
    if let Some(pattern) = &global.host_pattern
        && has_unknown_placeholder(&global)
    {
        let path = FieldPath::root().key("global").key("hostPattern");
        out.push(
            Diagnostic::error(
                "invalid-host-pattern",
                format!("hostname pattern `{pattern}` has a placeholder mcpstack does not know"),
            )
            .at(merged.locate(&path).span)
            .path(path)
            .expected("placeholders `{service}`, `{env}` and `{domain}` only"),
        );
    }
    let namespace = lower::namespace(name, values);
    if let Some(problem) = hostname::label_problem(&namespace) {
        let path = FieldPath::root().key("global").key("namespace");
        let set = global.namespace.is_some();
        let (span, origin) = match set {
            true => (merged.locate(&path).span, ""),
            false => (own.root.span, " (derived from the environment name)"),
        };
        out.push(
            Diagnostic::error(
                "invalid-name",
                format!("namespace `{namespace}`{origin} {problem}"),
            )
            .at(span)
            .path(path)
            .expected("a DNS label of at most 63 characters")
            .help("set `global.namespace` in the environment file"),
        );
    }
    let services: BTreeMap<&str, &spec::Service> = values
        .services
        .iter()
        .flatten()
        .filter(|(_, s)| s.enabled.unwrap_or(true))
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let charts: BTreeMap<&str, &spec::Chart> = values
        .charts
        .iter()
        .flatten()
        .filter(|(_, c)| c.enabled.unwrap_or(true))
        .map(|(n, c)| (n.as_str(), c))
        .collect();
    let units = units(values);
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
        ctx.hostname(&mut hosts, &mut out);
        ctx.routing(&mut out);
        ctx.plaintext(&mut out);
        ctx.production_policy(&mut out);
        ctx.filesystem(&mut out);
    }
    for (chart_name, chart) in &charts {
        let ctx = ChartContext {
            env: name,
            tier,
            merged,
            own,
            chart: chart_name,
            spec: chart,
            global: &global,
        };
        ctx.source(&mut out);
        ctx.images(&mut out);
        ctx.hostname(&mut hosts, &mut out);
        ctx.plaintext(&mut out);
        ctx.registries(&mut out);
    }
    if tier == Tier::Production
        && global.allowed_registries.is_none()
        && !(services.is_empty() && charts.is_empty())
    {
        let path = FieldPath::root().key("global").key("allowedRegistries");
        out.push(
            Diagnostic::error("registry-allow-list", format!("production environment `{name}` does not list the registries its images may come from"))
                .at(own.root.span)
                .path(path)
                .expected("`global.allowedRegistries: [ghcr.io, ...]`")
                .help("production runs images only from registries you trust; list them"),
        );
    }
    secrets(merged, values, &mut out);
    unit_names(name, own, &units, &mut out);
    dependencies(name, merged, &units, &mut out);
    connections(name, merged, own, values, &units, &mut out);
    dependency_cycles(merged, &units, &mut out);
    out
}

/// The secret store names one provider with what it needs, and every synced Secret
/// says what to read.
fn secrets(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let error = |code: &'static str, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    let store_path = FieldPath::root().key("global").key("secretStore");
    let store = values.global.as_ref().and_then(|g| g.secret_store.as_ref());
    let enabled: Vec<&String> = values
        .secrets
        .iter()
        .flatten()
        .filter(|(_, s)| s.enabled.unwrap_or(true))
        .map(|(n, _)| n)
        .collect();
    if store.is_none()
        && let Some(first) = enabled.first()
    {
        out.push(
            error(
                "missing-secret-store",
                FieldPath::root().key("secrets").key(first),
                format!("secret `{first}` is synced from a store, but no store is set"),
            )
            .expected("`global.secretStore` with `infisical`, `vault` or `aws`"),
        );
    }
    if let Some(store) = store {
        let providers = [
            store.infisical.is_some(),
            store.vault.is_some(),
            store.aws.is_some(),
        ];
        let count = providers.iter().filter(|p| **p).count();
        if count != 1 {
            out.push(
                error(
                    "secret-store-provider",
                    store_path.clone(),
                    format!("the secret store sets {count} providers"),
                )
                .expected("exactly one of `infisical`, `vault` and `aws`"),
            );
        }
        let required: Vec<(&str, &str, bool)> = match (&store.infisical, &store.vault, &store.aws) {
            (Some(i), _, _) => vec![
                ("infisical", "projectSlug", i.project_slug.is_none()),
                ("infisical", "environmentSlug", i.environment_slug.is_none()),
                (
                    "infisical",
                    "credentialsSecret",
                    i.credentials_secret.is_none(),
                ),
            ],
            (None, Some(v), _) => vec![
                ("vault", "server", v.server.is_none()),
                ("vault", "role", v.role.is_none()),
            ],
            (None, None, Some(a)) => vec![("aws", "region", a.region.is_none())],
            (None, None, None) => Vec::new(),
        };
        for (provider, field, missing) in required {
            if missing {
                out.push(
                    error(
                        "missing-field",
                        store_path.key(provider),
                        format!("the {provider} secret store has no `{field}`"),
                    )
                    .expected(format!("`global.secretStore.{provider}.{field}`")),
                );
            }
        }
    }
    for (name, secret) in values
        .secrets
        .iter()
        .flatten()
        .filter(|(_, s)| s.enabled.unwrap_or(true))
    {
        let empty = secret.keys.as_ref().is_none_or(|k| k.is_empty()) && secret.path.is_none();
        if empty {
            out.push(
                error(
                    "missing-field",
                    FieldPath::root().key("secrets").key(name),
                    format!("secret `{name}` reads nothing from the store"),
                )
                .expected("`keys: {KEY: REMOTE_KEY}`, `path: /folder`, or both"),
            );
        }
    }
}

/// A unit Flux reconciles: an enabled service or chart.
struct Unit<'a> {
    /// `services.NAME` or `charts.NAME`.
    path: FieldPath,
    depends_on: &'a [String],
    connects_to: &'a [spec::Connection],
    exposed: bool,
    enabled: bool,
}

/// Every service and chart of the layered values, enabled or not, by name.
fn units(values: &Values) -> BTreeMap<&str, Unit<'_>> {
    let services = values.services.iter().flatten().map(|(name, s)| {
        let unit = Unit {
            path: service_path(name),
            depends_on: s.depends_on.as_deref().unwrap_or_default(),
            connects_to: s.connects_to.as_deref().unwrap_or_default(),
            exposed: s
                .ingress
                .as_ref()
                .is_some_and(|i| i.enabled.unwrap_or(false)),
            enabled: s.enabled.unwrap_or(true),
        };
        (name.as_str(), unit)
    });
    let charts = values.charts.iter().flatten().map(|(name, c)| {
        let unit = Unit {
            path: FieldPath::root().key("charts").key(name),
            depends_on: c.depends_on.as_deref().unwrap_or_default(),
            connects_to: c.connects_to.as_deref().unwrap_or_default(),
            exposed: c.hostname.is_some(),
            enabled: c.enabled.unwrap_or(true),
        };
        (name.as_str(), unit)
    });
    services.chain(charts).collect()
}

/// Flux writes each unit's Kustomization name into a label on every object it applies,
/// so `{env}-{unit}` must fit in 63 characters.
fn unit_names(
    env: &str,
    own: &Document,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        let flux_name = crate::render::flux::unit_name(env, name);
        if flux_name.len() <= 63 {
            continue;
        }
        out.push(
            Diagnostic::error(
                "name-too-long",
                format!("Flux unit name `{flux_name}` is {} characters long, over the limit of 63", flux_name.len()),
            )
            .at(own.root.span)
            .path(unit.path.clone())
            .expected("environment and unit names of at most 62 characters together")
            .help("Flux writes the unit name into a label on every object; shorten the environment or the name"),
        );
    }
}

/// Every `connectsTo` names another enabled unit; exposed units can be reached when
/// network policies are on.
fn connections(
    env: &str,
    merged: &Node,
    own: &Document,
    values: &Values,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        for (index, connection) in unit.connects_to.iter().enumerate() {
            let path = unit.path.key("connectsTo").index(index).key("to");
            let target = connection.to.as_str();
            let problem = match units.get(target) {
                _ if target == *name => format!("`{name}` connects to itself"),
                Some(t) if t.enabled => continue,
                Some(_) => format!("`{name}` connects to `{target}`, which is disabled in `{env}`"),
                None => format!("`{name}` connects to `{target}`, which is not a service or chart"),
            };
            let mut diagnostic = Diagnostic::error("unknown-connection", problem)
                .at(merged.locate(&path).span)
                .path(path);
            if let Some(near) = did_you_mean(target, units.keys().copied())
                .filter(|n| !units.contains_key(target) && *n != target)
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }
    if !crate::network::enabled(values) || crate::network::ingress_namespace(values).is_some() {
        return;
    }
    if let Some((name, _)) = units.iter().find(|(_, u)| u.enabled && u.exposed) {
        let path = FieldPath::root().key("global").key("network");
        out.push(
            Diagnostic::error("missing-ingress-namespace", format!("`{name}` is exposed, but the network policies do not say where its traffic comes from"))
                .at(own.root.span)
                .path(path)
                .expected("`global.network.ingressNamespace` (the ingress controller's namespace) or `global.gateway.namespace`")
                .help("or turn network policies off with `global.network.policies: false`"),
        );
    }
}

/// Every `dependsOn` names another enabled service or chart.
fn dependencies(
    env: &str,
    merged: &Node,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        for (index, dependency) in unit.depends_on.iter().enumerate() {
            let path = unit.path.key("dependsOn").index(index);
            let span = merged.locate(&path).span;
            let problem = match units.get(dependency.as_str()) {
                _ if dependency == name => format!("`{name}` depends on itself"),
                Some(target) if target.enabled => continue,
                Some(_) => {
                    format!("`{name}` depends on `{dependency}`, which is disabled in `{env}`")
                }
                None => {
                    format!("`{name}` depends on `{dependency}`, which is not a service or chart")
                }
            };
            let mut diagnostic = Diagnostic::error("unknown-dependency", problem)
                .at(span)
                .path(path);
            if units.contains_key(dependency.as_str()) && dependency != name {
                diagnostic = diagnostic.help(format!(
                    "enable `{dependency}` in `{env}` or drop the dependency"
                ));
            } else if let Some(near) = did_you_mean(dependency, units.keys().copied())
                .filter(|near| *near != dependency && !units.contains_key(dependency.as_str()))
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }
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

    /// The probes in force: the service's own of each kind, else the global one.
    fn probes(&self, out: &mut Vec<Diagnostic>) {
        let port = lower::port(self.spec, self.global);
        let own = self.spec.probes.clone().unwrap_or_default();
        let global = self.global.probes.clone().unwrap_or_default();
        let kinds = [
            ("liveness", own.liveness, global.liveness),
            ("readiness", own.readiness, global.readiness),
            ("startup", own.startup, global.startup),
        ];
        for (kind, own, global) in kinds {
            let (probe, path) = match (own, global) {
                (Some(probe), _) => (probe, self.path().key("probes").key(kind)),
                (None, Some(probe)) => (
                    probe,
                    FieldPath::root().key("global").key("probes").key(kind),
                ),
                (None, None) => continue,
            };
            if !probe.enabled.unwrap_or(true) {
                continue;
            }
            let handlers = [
                probe.http_get.is_some(),
                probe.tcp_socket.is_some(),
                probe.exec.is_some(),
            ];
            let count = handlers.iter().filter(|h| **h).count();
            if count != 1 {
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
                    let message = format!(
                        "the {kind} probe of `{}` targets port {probe_port}, which its container does not expose",
                        self.service
                    );
                    out.push(
                        self.error("unknown-port", path.key(handler).key("port"), message)
                            .expected(format!("{port}, the container port of `{}`", self.service))
                            .help("remove the probe's `port` to use each container's own port"),
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
        let host = lower::host(
            self.service,
            ingress.host.as_deref(),
            self.global,
            self.env,
            self.tier,
        );
        let exposed = Exposed {
            host,
            bad_pattern: has_unknown_placeholder(self.global),
            explicit: ingress.host.is_some(),
            path,
            owner: self.path(),
        };
        exposed.check(self.env, self.merged, hosts, out);
    }

    /// Writable paths are absolute, distinct from the data volume, and API rules say
    /// what they allow.
    fn filesystem(&self, out: &mut Vec<Diagnostic>) {
        let data = self
            .spec
            .persistence
            .as_ref()
            .filter(|p| p.enabled.unwrap_or(false))
            .and_then(|p| p.mount_path.as_deref());
        for (index, path) in self.spec.writable_paths.iter().flatten().enumerate() {
            let at = self.path().key("writablePaths").index(index);
            if !path.starts_with('/') {
                out.push(
                    self.error(
                        "invalid-path",
                        at,
                        format!("writable path `{path}` is not absolute"),
                    )
                    .expected("an absolute path such as `/tmp`"),
                );
            } else if Some(path.as_str()) == data {
                out.push(
                    self.error(
                        "invalid-path",
                        at,
                        format!("`{path}` is already the persistent volume's mount path"),
                    )
                    .help("the data volume is writable; remove it from `writablePaths`"),
                );
            }
        }
        for (index, rule) in self
            .spec
            .api_access
            .iter()
            .flat_map(|a| a.rules.iter())
            .enumerate()
        {
            if rule.verbs.is_empty() || rule.resources.is_empty() {
                out.push(
                    self.error(
                        "invalid-value",
                        self.path().key("apiAccess").key("rules").index(index),
                        "an API rule needs resources and verbs".to_owned(),
                    )
                    .expected("`{apiGroups: [\"\"], resources: [pods], verbs: [get, list]}`"),
                );
            }
        }
    }

    /// Production policy: images from allowed registries, TLS on every exposed host, at
    /// least two replicas (or autoscaling) and a disruption budget for exposed services,
    /// requests and limits on every container.
    fn production_policy(&self, out: &mut Vec<Diagnostic>) {
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
                self.error("registry-not-allowed", self.path().key("image").key(field), format!("production image `{}` comes from `{registry}`, which is not an allowed registry", image.name))
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
                    "resources-required",
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
        let Some(ingress) = self
            .spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
        else {
            return;
        };
        let routing = ingress
            .routing
            .or(self.global.routing)
            .unwrap_or(spec::Routing::Ingress);
        if routing == spec::Routing::Ingress && lower::ingress_tls(ingress, self.global).is_none() {
            out.push(
                self.error("tls-required", self.path().key("ingress"), format!("production host of `{}` is served without TLS", self.service))
                    .expected("`ingress.tls` on the service or `global.ingress.tls`, e.g. `{clusterIssuer: letsencrypt-prod}`"),
            );
        }
        let autoscaling = self
            .spec
            .autoscaling
            .as_ref()
            .filter(|a| a.enabled.unwrap_or(false));
        let replicas = match autoscaling {
            Some(a) => a.min_replicas.unwrap_or(1),
            None => self.spec.replicas.unwrap_or(1),
        };
        if autoscaling.is_none() && replicas < 2 {
            out.push(
                self.error(
                    "replicas-required",
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
        let budget = self
            .spec
            .disruption_budget
            .as_ref()
            .is_some_and(|b| b.enabled.unwrap_or(false));
        if replicas >= 2 && !budget {
            out.push(
                self.error("disruption-budget-required", self.path().key("disruptionBudget"), format!("exposed production service `{}` runs {replicas} replicas without a disruption budget", self.service))
                    .expected("`disruptionBudget: {enabled: true}`")
                    .help("without one, a node drain may take every replica down at once"),
            );
        }
    }

    /// No literal env value is, or is named like, a credential.
    fn plaintext(&self, out: &mut Vec<Diagnostic>) {
        for (name, value) in self.spec.env.iter().flatten() {
            let spec::EnvValue::Literal(text) = value else {
                continue;
            };
            if let Some(why) = crate::plaintext::finding(name, text) {
                let help = format!(
                    "put it in a Secret and reference it: `{name}: {{secretKeyRef: {{name: SECRET, key: KEY}}}}`, or use `envFrom`"
                );
                out.push(plaintext_error(
                    self.error("plaintext-secret", self.path().key("env").key(name), why),
                    help,
                ));
            }
        }
    }

    /// Gateway API routing needs a Gateway to attach to, cannot express every Ingress
    /// path type, and must not cut streams.
    fn routing(&self, out: &mut Vec<Diagnostic>) {
        let Some(ingress) = self
            .spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
        else {
            return;
        };
        let routing = ingress
            .routing
            .or(self.global.routing)
            .unwrap_or(spec::Routing::Ingress);
        if routing != spec::Routing::GatewayApi {
            return;
        }
        let path = self.path().key("ingress");
        if self
            .global
            .gateway
            .as_ref()
            .and_then(|g| g.name.as_ref())
            .is_none()
        {
            // Report where the routing was chosen: that is where the Gateway belongs too.
            let chosen = match ingress.routing {
                Some(_) => path.key("routing"),
                None => FieldPath::root().key("global").key("routing"),
            };
            out.push(
                self.error(
                    "missing-gateway",
                    chosen,
                    format!(
                        "`{}` is routed through Gateway API but no Gateway is named",
                        self.service
                    ),
                )
                .expected("`global.gateway.name` (and `namespace`, `sectionName` as needed)"),
            );
        }
        if ingress.path_type == Some(spec::PathType::ImplementationSpecific) {
            out.push(
                self.error(
                    "invalid-value",
                    path.key("pathType"),
                    "Gateway API routes have no `ImplementationSpecific` path type".to_owned(),
                )
                .expected("`Prefix` or `Exact`"),
            );
        }
        if ingress.sse.unwrap_or(false)
            && let Some(timeout) = &ingress.request_timeout
            && !is_zero_duration(timeout)
        {
            out.push(
                self.error(
                    "sse-timeout",
                    path.key("requestTimeout"),
                    format!("`{}` streams (sse) but its route cuts requests after {timeout}", self.service),
                )
                .expected("`requestTimeout: 0s`, or no `requestTimeout` (sse services get `0s`)")
                .help("Envoy-based gateways cut streams at 15 s unless the route's request timeout is 0s"),
            );
        }
    }
}

fn plaintext_error(diagnostic: Diagnostic, help: String) -> Diagnostic {
    diagnostic
        .expected(
            "a reference to a Secret; no credential is ever written in a spec or in generated/",
        )
        .help(help)
}

/// Every string in chart values that looks like a credential, with its path.
fn plaintext_values(
    path: &FieldPath,
    key: &str,
    value: &serde_json::Value,
    out: &mut Vec<(FieldPath, String)>,
) {
    match value {
        serde_json::Value::String(text) => {
            if let Some(why) = crate::plaintext::finding(key, text) {
                out.push((path.clone(), why));
            }
        }
        serde_json::Value::Object(map) => {
            for (child, value) in map {
                plaintext_values(&path.key(child), child, value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                plaintext_values(&path.index(index), key, item, out);
            }
        }
        _ => {}
    }
}

/// Whether a Gateway API duration is zero (`0s`, `0ms`, `0h0m0s`).
fn is_zero_duration(duration: &str) -> bool {
    duration
        .chars()
        .all(|c| c == '0' || c.is_ascii_alphabetic())
}

/// Whether `global.hostPattern` holds a placeholder other than `{service}`, `{env}`
/// and `{domain}`.
fn has_unknown_placeholder(global: &spec::Global) -> bool {
    global.host_pattern.as_ref().is_some_and(|pattern| {
        let rest = pattern
            .replace("{service}", "")
            .replace("{env}", "")
            .replace("{domain}", "");
        rest.contains(['{', '}'])
    })
}

/// A hostname an environment exposes, and where it came from.
struct Exposed {
    host: String,
    /// Written in the spec, rather than computed from the pattern.
    explicit: bool,
    /// Where to report problems with it.
    path: FieldPath,
    /// The service or chart that exposes it.
    owner: FieldPath,
    /// The host comes from a hostname pattern that is itself invalid.
    bad_pattern: bool,
}

impl Exposed {
    /// The hostname is valid (RFC 1123) and no other unit of the environment uses it.
    fn check(
        self,
        env: &str,
        merged: &Node,
        hosts: &mut BTreeMap<String, FieldPath>,
        out: &mut Vec<Diagnostic>,
    ) {
        // A pattern with an unknown placeholder is reported once, at the pattern.
        if !self.explicit && self.bad_pattern {
            return;
        }
        let span = merged.locate(&self.path).span;
        let host = self.host;
        if let Some(problem) = hostname::hostname_problem(&host) {
            let origin = if self.explicit {
                ""
            } else {
                " (from the hostname pattern)"
            };
            out.push(
                Diagnostic::error("invalid-hostname", format!("hostname `{host}`{origin} is not valid: {problem}"))
                    .at(span)
                    .path(self.path)
                    .expected("an RFC 1123 hostname: labels of at most 63 lowercase letters, digits and `-`, 253 characters in all")
                    .help("set a shorter host explicitly, or shorten the domain or pattern"),
            );
            return;
        }
        if let Some(first) = hosts.get(&host) {
            out.push(
                Diagnostic::error(
                    "duplicate-hostname",
                    format!("hostname `{host}` is already used by `{first}` in `{env}`"),
                )
                .at(span)
                .path(self.path)
                .expected("a hostname unique within the environment")
                .help("give one of them its own host"),
            );
            return;
        }
        hosts.insert(host, self.owner);
    }
}

/// One chart under validation.
struct ChartContext<'a> {
    env: &'a str,
    tier: Tier,
    merged: &'a Node,
    own: &'a Document,
    chart: &'a str,
    spec: &'a spec::Chart,
    global: &'a spec::Global,
}

impl ChartContext<'_> {
    fn path(&self) -> FieldPath {
        FieldPath::root().key("charts").key(self.chart)
    }

    fn error(&self, code: &'static str, path: FieldPath, message: String) -> Diagnostic {
        Diagnostic::error(code, message)
            .at(self.merged.locate(&path).span)
            .path(path)
    }

    /// The span to report a production fix at: the environment file's mention of the
    /// chart when it has one.
    fn production_span(&self, path: &FieldPath) -> crate::source::Span {
        match self.own.root.at(&self.path()) {
            Some(_) => self.own.root.locate(path).span,
            None => self.merged.locate(path).span,
        }
    }

    fn source(&self, out: &mut Vec<Diagnostic>) {
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
                        "missing-field",
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
                    "invalid-repository",
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
                Diagnostic::error("chart-version-range", format!("production chart `{}` names the version range `{version}`", self.chart))
                    .at(self.production_span(&path))
                    .path(path)
                    .expected("an exact version such as `16.4.5`")
                    .help("a range upgrades production whenever the chart publishes; pin the version you tested"),
            );
        }
    }

    fn images(&self, out: &mut Vec<Diagnostic>) {
        if self.tier != Tier::Production {
            return;
        }
        let images = self.spec.images.clone().unwrap_or_default();
        if images.is_empty() {
            let path = self.path().key("images");
            out.push(
                Diagnostic::error("unpinned-image", format!("production chart `{}` pins none of its images", self.chart))
                    .at(self.production_span(&path))
                    .path(path)
                    .expected("`images: {NAME: {digest: sha256:...}}` for every image the chart runs")
                    .help("list the chart's images by the name it renders (see `helm template`), each with a digest"),
            );
            return;
        }
        for (image, pin) in images.iter().filter(|(_, pin)| pin.digest.is_none()) {
            let path = self.path().key("images").key(image);
            let shown = pin
                .tag
                .as_ref()
                .map(|t| format!("tag `{t}`"))
                .unwrap_or_else(|| "no digest".to_owned());
            out.push(
                Diagnostic::error("unpinned-image", format!("production image `{image}` of chart `{}` is not pinned by digest ({shown})", self.chart))
                    .at(self.production_span(&path))
                    .path(path.key("digest"))
                    .expected("`digest: sha256:<64 hex digits>`"),
            );
        }
    }

    /// Production chart images come from allowed registries.
    fn registries(&self, out: &mut Vec<Diagnostic>) {
        let Some(allowed) = self
            .global
            .allowed_registries
            .as_ref()
            .filter(|_| self.tier == Tier::Production)
        else {
            return;
        };
        for (name, pin) in self.spec.images.iter().flatten() {
            let runs = pin.new_name.as_deref().unwrap_or(name);
            let registry = crate::image::registry_of(runs);
            if allowed.iter().any(|r| r == registry) {
                continue;
            }
            let path = self.path().key("images").key(name);
            // The registry is in the image's name: point at the key.
            let span = self.merged.locate_key(&path).span;
            out.push(
                Diagnostic::error("registry-not-allowed", format!("production image `{runs}` of chart `{}` comes from `{registry}`, which is not an allowed registry", self.chart))
                    .at(span)
                    .path(path)
                    .expected(format!("one of {}", allowed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")))
                    .help("set `newName` to a mirror in an allowed registry, or add the registry to `global.allowedRegistries`"),
            );
        }
    }

    /// No string in the chart's values is, or is named like, a credential.
    fn plaintext(&self, out: &mut Vec<Diagnostic>) {
        let Some(values) = &self.spec.values else {
            return;
        };
        let mut found = Vec::new();
        plaintext_values(
            &self.path().key("values"),
            "",
            &serde_json::Value::Object(values.clone()),
            &mut found,
        );
        for (path, why) in found {
            let help = "put it in a Secret and pass it with `valuesFrom: [{kind: Secret, name: SECRET, targetPath: PATH}]`, or use the chart's `existingSecret` setting";
            out.push(plaintext_error(
                self.error("plaintext-secret", path, why),
                help.to_owned(),
            ));
        }
    }

    fn hostname(&self, hosts: &mut BTreeMap<String, FieldPath>, out: &mut Vec<Diagnostic>) {
        let Some(hostname) = &self.spec.hostname else {
            return;
        };
        let path = self.path().key("hostname");
        for (index, value_path) in hostname.value_paths.iter().enumerate() {
            if let Err(problem) = crate::helm_values::parse(value_path) {
                out.push(
                    self.error(
                        "invalid-value-path",
                        path.key("valuePaths").index(index),
                        format!("values path `{value_path}` is not valid: {problem}"),
                    )
                    .expected("a path such as `ingress.hosts[0].host`"),
                );
            }
        }
        if hostname.host.is_none() && self.global.domain.is_none() {
            out.push(
                self.error(
                    "missing-domain",
                    path,
                    format!(
                        "chart `{}` has a hostname but the environment has no domain",
                        self.chart
                    ),
                )
                .expected("`global.domain`, or `hostname.host` on the chart"),
            );
            return;
        }
        let host = lower::host(
            self.chart,
            hostname.host.as_deref(),
            self.global,
            self.env,
            self.tier,
        );
        let at = if hostname.host.is_some() {
            path.key("host")
        } else {
            path
        };
        let exposed = Exposed {
            host,
            bad_pattern: has_unknown_placeholder(self.global),
            explicit: hostname.host.is_some(),
            path: at,
            owner: self.path(),
        };
        exposed.check(self.env, self.merged, hosts, out);
    }
}

/// Dependency cycles among enabled services, each reported once, at the service where
/// the search closed it. Self-dependencies are reported by the dependency rule.
fn dependency_cycles(merged: &Node, units: &BTreeMap<&str, Unit<'_>>, out: &mut Vec<Diagnostic>) {
    let mut search = CycleSearch {
        units,
        state: BTreeMap::new(),
        trail: Vec::new(),
        cycles: Vec::new(),
    };
    for (start, _) in units.iter().filter(|(_, u)| u.enabled) {
        search.visit(start);
    }
    for cycle in search.cycles {
        let closing = cycle[cycle.len() - 2].as_str();
        let Some(unit) = units.get(closing) else {
            continue;
        };
        let path = unit.path.key("dependsOn");
        out.push(
            Diagnostic::error(
                "dependency-cycle",
                format!(
                    "units depend on each other in a cycle: {}",
                    cycle.join(" -> ")
                ),
            )
            .at(merged.locate(&path).span)
            .path(path)
            .help("Flux cannot order a cycle; remove one of the dependencies"),
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    InProgress,
    Done,
}

/// Depth-first search over `dependsOn` between enabled units, each explored once:
/// linear in the number of dependencies.
struct CycleSearch<'a, 'b> {
    units: &'a BTreeMap<&'b str, Unit<'b>>,
    state: BTreeMap<&'b str, Visit>,
    trail: Vec<&'b str>,
    cycles: Vec<Vec<String>>,
}

impl<'b> CycleSearch<'_, 'b> {
    fn visit(&mut self, name: &'b str) {
        let Some(unit) = self.units.get(name).filter(|u| u.enabled) else {
            return;
        };
        if self.state.contains_key(name) {
            return;
        }
        self.state.insert(name, Visit::InProgress);
        self.trail.push(name);
        for next in unit.depends_on {
            let Some((next, target)) = self.units.get_key_value(next.as_str()) else {
                continue;
            };
            let next: &'b str = next;
            if next == name || !target.enabled {
                continue;
            }
            match self.state.get(next) {
                None => self.visit(next),
                Some(Visit::InProgress) => {
                    let from = self.trail.iter().position(|s| *s == next).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        self.trail[from..].iter().map(|s| (*s).to_owned()).collect();
                    cycle.push(next.to_owned());
                    self.cycles.push(cycle);
                }
                Some(Visit::Done) => {}
            }
        }
        self.trail.pop();
        self.state.insert(name, Visit::Done);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::diagnostic::Severity;
    use crate::load::parse;
    use crate::merge::layer;
    use crate::source::FileId;

    const STACK: FileId = FileId(0);
    const OWN: FileId = FileId(1);
    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// Two services; line numbers below refer to this text.
    const BASE: &[&str] = &[
        "global: {domain: example.com, network: {ingressNamespace: ingress-nginx}}", // 1
        "# the domain and the ingress controller's namespace are set above",         // 2
        "services:",                                                                 // 3
        "  gateway:",                                                                // 4
        "    dependsOn: [redis]",                                                    // 5
        "    image:",                                                                // 6
        "      repository: ibm/mcp-context-forge",                                   // 7
        "      tag: \"0.9.0\"",                                                      // 8
        "    port: 4444",                                                            // 9
        "    ingress:",                                                              // 10
        "      enabled: true",                                                       // 11
        "  redis:",                                                                  // 12
        "    image:",                                                                // 13
        "      repository: bitnami/redis",                                           // 14
        "      tag: \"7.4.1\"",                                                      // 15
        "    port: 6379",                                                            // 16
    ];

    /// YAML text from lines, so that line `n` of the text is `lines[n - 1]`.
    fn yaml(lines: &[&str]) -> String {
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    fn document(file: FileId, lines: &[&str]) -> Document {
        let root = parse(file, &yaml(lines)).expect("test YAML parses");
        Document { file, root }
    }

    fn typed(node: &Node) -> Values {
        serde_json::from_value::<Values>(node.to_json()).expect("test YAML fits the spec types")
    }

    /// Code, file and line of every diagnostic, errors and warnings alike.
    fn found(diagnostics: &[Diagnostic]) -> Vec<(&'static str, FileId, u32)> {
        diagnostics
            .iter()
            .map(|d| {
                let span = d.span.expect("semantic diagnostics are placed");
                (d.code, span.file, span.line)
            })
            .collect()
    }

    fn stack_findings(lines: &[&str]) -> Vec<Diagnostic> {
        let document = document(STACK, lines);
        stack(&document, &typed(&document.root))
    }

    fn file_findings(name: &str, own: &[&str]) -> Vec<Diagnostic> {
        let stack = document(STACK, BASE);
        let own = document(OWN, own);
        environment_file(name, &own, &typed(&own.root), &typed(&stack.root))
    }

    /// `validate::environment` on `own` layered over `stack`.
    fn layered_findings(name: &str, stack: &[&str], own: &[&str]) -> Vec<Diagnostic> {
        let stack = document(STACK, stack);
        let own = document(OWN, own);
        let merged = layer(&stack.root, &own.root);
        environment(name, &merged, &own, &typed(&merged))
    }

    fn env_findings(own: &[&str]) -> Vec<Diagnostic> {
        layered_findings("staging", BASE, own)
    }

    fn assert_clean(diagnostics: &[Diagnostic]) {
        assert!(
            diagnostics.is_empty(),
            "unexpected: {:?}",
            found(diagnostics)
        );
    }

    #[test]
    fn a_valid_environment_has_no_findings() {
        assert_clean(&stack_findings(BASE));
        let own = ["tier: staging", "services:", "  redis:", "    replicas: 2"];
        assert_clean(&file_findings("staging", &own));
        assert_clean(&env_findings(&own));
        let digest = format!("      digest: {DIGEST}");
        let production = [
            "tier: production",
            "global:",
            "  allowedRegistries: [docker.io]",
            "  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 256Mi}}",
            "  ingress: {tls: {clusterIssuer: letsencrypt-prod}}",
            "services:",
            "  gateway:",
            "    replicas: 2",
            "    disruptionBudget: {enabled: true}",
            "    image:",
            &digest,
            "  redis:",
            "    image:",
            &digest,
        ];
        assert_clean(&file_findings("production", &production));
        assert_clean(&layered_findings("production", BASE, &production));
    }

    #[test]
    fn tier_in_stack_is_an_error_at_the_key() {
        let mut lines = vec!["tier: staging"];
        lines.extend_from_slice(BASE);
        assert_eq!(
            found(&stack_findings(&lines)),
            [("tier-in-stack", STACK, 1)]
        );
    }

    #[test]
    fn stack_name_must_be_a_dns_label() {
        let mut lines = vec!["name: My Stack"];
        lines.extend_from_slice(BASE);
        assert_eq!(found(&stack_findings(&lines)), [("invalid-name", STACK, 1)]);
    }

    #[test]
    fn service_names_must_be_dns_labels() {
        let lines = [
            "services:",
            "  My_Service:",
            "    port: 80",
            "  9lives:",
            "    port: 80",
        ];
        assert_eq!(
            found(&stack_findings(&lines)),
            [("invalid-name", STACK, 4), ("invalid-name", STACK, 2)]
        );
    }

    #[test]
    fn the_namespace_unit_name_is_reserved() {
        let lines = [
            "services:",
            "  gateway:",
            "    port: 80",
            "  namespace:",
            "    port: 80",
        ];
        assert_eq!(
            found(&stack_findings(&lines)),
            [("reserved-name", STACK, 4)]
        );
    }

    #[test]
    fn environment_names_must_be_dns_labels() {
        let own = [
            "tier: production",
            "services:",
            "  redis:",
            "    replicas: 2",
        ];
        assert_eq!(
            found(&file_findings("Prod_EU", &own)),
            [("invalid-name", OWN, 1)]
        );
    }

    #[test]
    fn environments_must_say_their_tier() {
        let own = ["services:", "  redis:", "    replicas: 2"];
        let findings = file_findings("staging", &own);
        assert_eq!(found(&findings), [("missing-tier", OWN, 1)]);
    }

    #[test]
    fn environments_change_only_services_of_the_stack() {
        let own = [
            "tier: staging",
            "services:",
            "  gatway:",
            "    replicas: 2",
            "  postgres:",
            "    replicas: 1",
        ];
        let findings = file_findings("staging", &own);
        assert_eq!(
            found(&findings),
            [("unknown-service", OWN, 3), ("unknown-service", OWN, 5)]
        );
        assert_eq!(findings[0].help.as_deref(), Some("did you mean `gateway`?"));
        assert_eq!(
            findings[1].help.as_deref(),
            Some("define the service in environments/stack.yaml first")
        );
    }

    #[test]
    fn a_set_namespace_must_be_a_dns_label() {
        let own = ["tier: staging", "global:", "  namespace: MCP_Staging"];
        assert_eq!(found(&env_findings(&own)), [("invalid-name", OWN, 3)]);
    }

    #[test]
    fn a_derived_namespace_too_long_is_reported_in_the_environment_file() {
        // `mcp-` and a valid 60-character environment name make a 64-character
        // namespace. Nothing sets `global.namespace`: the name comes from the file name,
        // so the error belongs to the environment file, not to the stack's `global:`.
        let name = "a".repeat(60);
        let own = ["tier: staging", "services:", "  redis:", "    replicas: 2"];
        let findings = layered_findings(&name, BASE, &own);
        // The Flux unit names `{env}-gateway` and `{env}-redis` are too long as well.
        assert_eq!(
            found(&findings),
            [
                ("invalid-name", OWN, 1),
                ("name-too-long", OWN, 1),
                ("name-too-long", OWN, 1)
            ]
        );
    }

    #[test]
    fn flux_unit_names_fit_in_a_label() {
        let name = "e".repeat(56);
        let findings = layered_findings(&name, BASE, &["tier: staging"]);
        let units: Vec<&str> = findings
            .iter()
            .filter(|d| d.code == "name-too-long")
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(units.len(), 1, "{findings:?}");
        assert!(units[0].contains(&format!("{name}-gateway")), "{units:?}");
    }

    #[test]
    fn every_service_names_an_image_repository() {
        let mut stack = BASE.to_vec();
        stack.extend_from_slice(&["  worker:", "    port: 8080"]);
        assert_eq!(
            found(&layered_findings("staging", &stack, &["tier: staging"])),
            [("missing-image", STACK, 17), ("mutable-tag", STACK, 17)]
        );
    }

    #[test]
    fn digests_are_sha256() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    image:",
            "      digest: sha256:abc",
        ];
        assert_eq!(found(&env_findings(&own)), [("invalid-digest", OWN, 5)]);
    }

    #[test]
    fn production_tags_are_refused_where_the_fix_belongs() {
        let own = [
            "tier: production",
            "services:",
            "  gateway:",
            "    image:",
            "      tag: \"0.9.1\"",
            "  redis:",
            "    replicas: 2",
        ];
        let findings: Vec<Diagnostic> = layered_findings("production", BASE, &own)
            .into_iter()
            .filter(|d| d.code == "unpinned-image")
            .collect();
        assert_eq!(
            found(&findings),
            [("unpinned-image", OWN, 5), ("unpinned-image", STACK, 15)]
        );
        assert!(findings.iter().all(Diagnostic::is_error));
    }

    #[test]
    fn mutable_tags_outside_production_are_warnings() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    image:",
            "      tag: latest",
        ];
        let findings = env_findings(&own);
        assert_eq!(found(&findings), [("mutable-tag", OWN, 5)]);
        assert_eq!(findings[0].severity, Severity::Warning);
    }

    #[test]
    fn target_port_is_the_container_port() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    service:",
            "      targetPort: 6380",
        ];
        assert_eq!(found(&env_findings(&own)), [("unknown-port", OWN, 5)]);
    }

    #[test]
    fn probes_set_exactly_one_handler() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    probes:",
            "      liveness:",
            "        tcpSocket: {}",
            "        exec: {command: [redis-cli, ping]}",
            "      readiness:",
            "        periodSeconds: 5",
            "      startup:",
            "        enabled: false",
        ];
        assert_eq!(
            found(&env_findings(&own)),
            [("probe-handler", OWN, 6), ("probe-handler", OWN, 9)]
        );
    }

    #[test]
    fn probe_ports_are_the_container_port() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    probes:",
            "      liveness:",
            "        tcpSocket: {port: 6380}",
            "      readiness:",
            "        httpGet: {path: /ready, port: 6379}",
        ];
        assert_eq!(found(&env_findings(&own)), [("unknown-port", OWN, 6)]);
    }

    #[test]
    fn autoscaling_needs_a_maximum_at_or_above_the_minimum() {
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    autoscaling:",
            "      enabled: true",
            "      minReplicas: 5",
            "      maxReplicas: 3",
            "  redis:",
            "    autoscaling:",
            "      enabled: true",
        ];
        assert_eq!(
            found(&env_findings(&own)),
            [
                ("autoscaling-range", OWN, 7),
                ("autoscaling-range", OWN, 10)
            ]
        );
    }

    #[test]
    fn env_references_name_exactly_one_source() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    env:",
            "      LEVEL: info",
            "      PASSWORD:",
            "        secretKeyRef: {name: redis, key: password}",
            "        configMapKeyRef: {name: redis, key: password}",
            "    envFrom:",
            "      - secretRef: redis-extra",
            "      - prefix: REDIS_",
        ];
        assert_eq!(
            found(&env_findings(&own)),
            [("env-reference", OWN, 7), ("env-reference", OWN, 11)]
        );
    }

    #[test]
    fn disruption_budgets_set_one_bound() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    disruptionBudget:",
            "      enabled: true",
            "      minAvailable: 1",
            "      maxUnavailable: 50%",
        ];
        assert_eq!(found(&env_findings(&own)), [("disruption-budget", OWN, 5)]);
    }

    #[test]
    fn persistence_needs_a_size_and_a_mount_path() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    persistence:",
            "      enabled: true",
        ];
        let findings = env_findings(&own);
        assert_eq!(
            found(&findings),
            [("missing-field", OWN, 5), ("missing-field", OWN, 5)]
        );
        let messages: Vec<&str> = findings.iter().map(|d| d.message.as_str()).collect();
        assert!(messages[0].contains("`size`") && messages[1].contains("`mountPath`"));
    }

    #[test]
    fn dependencies_are_enabled_services() {
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    dependsOn: [redis, redix]",
            "  redis:",
            "    enabled: false",
        ];
        let findings = env_findings(&own);
        assert_eq!(
            found(&findings),
            [
                ("unknown-dependency", OWN, 4),
                ("unknown-dependency", OWN, 4)
            ]
        );
        let paths: Vec<String> = findings
            .iter()
            .map(|d| d.path.as_ref().expect("a field path").to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "services.gateway.dependsOn[0]",
                "services.gateway.dependsOn[1]"
            ]
        );
        assert!(findings[0].message.contains("disabled in `staging`"));
        assert_eq!(findings[1].help.as_deref(), Some("did you mean `redis`?"));
    }

    #[test]
    fn a_self_dependency_is_reported_once() {
        // `dependsOn: [gateway]` on `gateway` is one mistake: an `unknown-dependency`
        // error, not also a one-service `dependency-cycle`.
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    dependsOn: [redis, gateway]",
        ];
        let findings = env_findings(&own);
        assert_eq!(found(&findings), [("unknown-dependency", OWN, 4)]);
        assert_eq!(findings[0].message, "`gateway` depends on itself");
    }

    #[test]
    fn exposed_services_need_a_domain_or_a_host() {
        let stack: Vec<&str> = BASE[2..].to_vec();
        assert_eq!(
            found(&layered_findings("staging", &stack, &["tier: staging"])),
            [
                ("missing-domain", STACK, 9),
                ("missing-ingress-namespace", OWN, 1)
            ]
        );
    }

    #[test]
    fn ingress_paths_start_with_a_slash() {
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    ingress:",
            "      path: api",
        ];
        assert_eq!(found(&env_findings(&own)), [("invalid-path", OWN, 5)]);
    }

    #[test]
    fn hostnames_are_rfc_1123() {
        let long = format!("      host: {}.example.com", "a".repeat(64));
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    ingress:",
            &long,
        ];
        assert_eq!(found(&env_findings(&own)), [("invalid-hostname", OWN, 5)]);
    }

    #[test]
    fn hostnames_are_unique_in_an_environment() {
        let own = [
            "tier: staging",
            "services:",
            "  gateway:",
            "    ingress:",
            "      host: mcp.example.com",
            "  redis:",
            "    ingress:",
            "      enabled: true",
            "      host: mcp.example.com",
        ];
        assert_eq!(found(&env_findings(&own)), [("duplicate-hostname", OWN, 9)]);
    }

    #[test]
    fn a_dependency_cycle_is_reported_once_at_the_dependency_that_closes_it() {
        let own = [
            "tier: staging",
            "services:",
            "  redis:",
            "    dependsOn: [gateway]",
        ];
        let findings = env_findings(&own);
        assert_eq!(found(&findings), [("dependency-cycle", OWN, 4)]);
        assert!(findings[0].message.ends_with("gateway -> redis -> gateway"));
    }

    /// A chain of `depth` diamonds: `s{i}` needs `a{i}` and `b{i}`, which both need
    /// `s{i+1}`. No cycle, but 2^depth paths from `s0`.
    fn diamond_chain(depth: usize) -> String {
        let service = |name: String, needs: &[String]| {
            format!(
                "  {name}:\n    dependsOn: [{}]\n    image: {{repository: x/{name}, tag: \"1\"}}\n",
                needs.join(", ")
            )
        };
        let mut text = String::from("services:\n");
        for i in 0..depth {
            let next = [format!("s{}", i + 1)];
            text.push_str(&service(
                format!("s{i}"),
                &[format!("a{i}"), format!("b{i}")],
            ));
            text.push_str(&service(format!("a{i}"), &next));
            text.push_str(&service(format!("b{i}"), &next));
        }
        text.push_str(&service(format!("s{depth}"), &[]));
        text
    }

    #[test]
    fn cycle_search_is_not_exponential() {
        let stack = parse(STACK, &diamond_chain(40)).expect("generated YAML parses");
        let own = document(OWN, &["tier: staging"]);
        let merged = layer(&stack, &own.root);
        let values = typed(&merged);
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let findings = environment("staging", &merged, &own, &values);
            let _ = done.send(found(&findings).is_empty());
        });
        let clean = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("validating 121 services with acyclic dependencies takes under 10 s");
        assert!(clean, "an acyclic dependency graph has no findings");
    }
}
