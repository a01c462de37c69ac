//! Semantic rules the schema cannot express. Each rule reads typed values and reports
//! diagnostics placed with the layered tree, so each names the file and line that set
//! the offending value. One file per domain: names, images, workloads, hostnames and
//! routes, network, secrets, references between units, production policy, charts.

pub mod across;
pub mod api;
mod charts;
mod config;
mod expiry;
mod images;
mod monitoring;
mod names;
mod network;
mod policy;
mod references;
mod routes;
mod secrets;
mod workloads;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::hostname;
use crate::load::Document;
use crate::lower;
use crate::model;
use crate::node::{FieldPath, Node};
use crate::spec::{self, Tier, Values};

pub use config::config_files;
pub use names::{environment_file, stack};

fn services_path() -> FieldPath {
    FieldPath::root().key("services")
}

fn service_path(name: &str) -> FieldPath {
    services_path().key(name)
}

/// Rules on one environment's layered values. `merged` is the layered tree (for
/// positions), `own` the environment's own file (where production fixes belong).
pub fn environment(name: &str, merged: &Node, own: &Document, values: &Values) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tier = values.tier.unwrap_or(Tier::Review);
    let global = values.global.clone().unwrap_or_default();
    if let Some(pattern) = &global.host_pattern
        && routes::has_unknown_placeholder(&global)
    {
        let path = FieldPath::root().key("global").key("hostPattern");
        out.push(
            Diagnostic::error(
                Code::InvalidHostPattern,
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
                Code::InvalidName,
                format!("namespace `{namespace}`{origin} {problem}"),
            )
            .at(span)
            .path(path)
            .expected("a DNS label of at most 63 characters")
            .help("set `global.namespace` in the environment file"),
        );
    }
    names::namespaces(merged, &namespace, &mut out);
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
    let declared: references::Declared<'_> = values
        .secrets
        .iter()
        .flatten()
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let config_maps: config::DeclaredConfigMaps<'_> = values
        .config_maps
        .iter()
        .flatten()
        .map(|(n, c)| (n.as_str(), c))
        .collect();
    config::config_maps(merged, values, &mut out);
    let mut hosts = routes::Hosts::new();
    for (service_name, service) in &services {
        // The rules see what lowering renders: the service's settings over the global
        // defaults that apply to it.
        let effective = lower::with_defaults(service, &global);
        let ctx = Context {
            env: name,
            tier,
            merged,
            own,
            service: service_name,
            spec: &effective,
            global: &global,
        };
        ctx.image(&mut out);
        ctx.ports(&mut out);
        ctx.probes(&mut out);
        ctx.autoscaling(&mut out);
        ctx.env_references(&mut out);
        ctx.env_expansion(&mut out);
        ctx.secret_references(&declared, &mut out);
        ctx.config_references(&config_maps, &declared, &mut out);
        ctx.mounts(&mut out);
        ctx.extra_containers(&mut out);
        ctx.disruption_budget(&mut out);
        ctx.budget_allows_disruption(&mut out);
        ctx.single_writer(&mut out);
        ctx.api_account(&mut out);
        ctx.api_rules(&mut out);
        ctx.foreign_account(&mut out);
        ctx.persistence(&mut out);
        ctx.hostname(&mut hosts, &mut out);
        ctx.routing(&mut out);
        ctx.strip_prefix(&mut out);
        ctx.plaintext(&mut out);
        ctx.production_policy(&mut out);
        ctx.filesystem(&mut out);
        ctx.kind_fields(&mut out);
        ctx.monitoring(&mut out);
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
        names::target_namespace(
            merged,
            chart_name,
            chart.target_namespace.as_deref(),
            &mut out,
        );
        ctx.images(&mut out);
        ctx.hostname(&mut hosts, &mut out);
        ctx.plaintext(&mut out);
        ctx.registries(&mut out);
        ctx.secret_references(&declared, &mut out);
        ctx.config_references(&config_maps, &mut out);
    }
    if tier == Tier::Production
        && global.allowed_registries.is_none()
        && !(services.is_empty() && charts.is_empty())
    {
        let path = FieldPath::root().key("global").key("allowedRegistries");
        out.push(
            Diagnostic::error(Code::RegistryAllowList, format!("production environment `{name}` does not list the registries its images may come from"))
                .at(own.root.span)
                .path(path)
                .expected("`global.allowedRegistries: [ghcr.io, ...]`")
                .help("production runs images only from registries you trust; list them"),
        );
    }
    secrets::check(merged, values, &mut out);
    let prefix = global
        .flux
        .as_ref()
        .and_then(|f| f.prefix.as_deref())
        .unwrap_or_default();
    names::unit_names(prefix, name, own, &units, &mut out);
    references::dependencies(name, merged, &units, &mut out);
    network::connections(name, merged, own, values, &units, &mut out);
    references::dependency_cycles(merged, &units, &mut out);
    references::cron_dependencies(merged, values, &mut out);
    network::listeners(merged, values, &mut out);
    network::egress(merged, values, &mut out);
    out
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
    /// The service's persistence, when it is on.
    fn enabled_persistence(&self) -> Option<&spec::Persistence> {
        self.spec
            .persistence
            .as_ref()
            .filter(|p| p.enabled.unwrap_or(false))
    }

    /// The service's autoscaling, when it is on.
    fn enabled_autoscaling(&self) -> Option<&spec::Autoscaling> {
        self.spec
            .autoscaling
            .as_ref()
            .filter(|a| a.enabled.unwrap_or(false))
    }

    /// The service's ingress, when it is exposed.
    fn enabled_ingress(&self) -> Option<&spec::Ingress> {
        self.spec
            .ingress
            .as_ref()
            .filter(|i| i.enabled.unwrap_or(false))
    }

    /// The service's disruption budget, when it is on.
    fn enabled_disruption_budget(&self) -> Option<&spec::DisruptionBudget> {
        self.spec
            .disruption_budget
            .as_ref()
            .filter(|b| b.enabled.unwrap_or(false))
    }

    fn path(&self) -> FieldPath {
        service_path(self.service)
    }

    /// Where a field of a block `global` gives defaults for was written (`rest` empty:
    /// the block itself): the service's own, else `global`'s when that default applies
    /// to the service, else where the service would write it.
    fn layered_path(&self, block: lower::Defaulted, rest: &[&str]) -> FieldPath {
        let under = |base: FieldPath| rest.iter().fold(base.key(block.key()), |p, k| p.key(k));
        let own = under(self.path());
        if self.merged.at(&own).is_some() || !lower::takes_default(self.spec, block) {
            return own;
        }
        let global = under(FieldPath::root().key("global"));
        if self.merged.at(&global).is_some() {
            return global;
        }
        let global_block = FieldPath::root().key("global").key(block.key());
        match (
            self.merged.at(&self.path().key(block.key())),
            self.merged.at(&global_block),
        ) {
            (None, Some(_)) => global_block,
            _ => own,
        }
    }

    fn error(&self, code: Code, path: FieldPath, message: String) -> Diagnostic {
        Diagnostic::error(code, message)
            .at(self.merged.locate(&path).span)
            .path(path)
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

    fn error(&self, code: Code, path: FieldPath, message: String) -> Diagnostic {
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
}

/// The API server's rules on every object the environment renders, each violation
/// reported at the spec value it came from. Runs on a lowered environment whose
/// semantic rules passed: what it finds, the cluster would refuse.
/// A unit as a diagnostic names it.
fn unit_label(unit: crate::render::UnitOf<'_>) -> String {
    match unit {
        crate::render::UnitOf::Namespace => "the namespace unit".to_owned(),
        crate::render::UnitOf::Service(name) => format!("service `{name}`"),
        crate::render::UnitOf::Chart(name) => format!("chart `{name}`"),
        crate::render::UnitOf::Flux => "the Flux units".to_owned(),
    }
}

pub fn rendered(
    merged: &Node,
    own: &Document,
    part_of: &str,
    env: &model::Environment,
) -> (Vec<Diagnostic>, Vec<across::ObjectId>) {
    // Each unit is rendered and checked on every core; which unit owns an object first
    // and which finding reports a spec value is then decided in rendering order, as if
    // one core had done it all.
    let units = crate::render::units(env);
    let checked = crate::parallel::map(&units, |unit| {
        crate::render::one_unit_objects(part_of, env, *unit)
            .iter()
            .map(|(owner, object)| check_object(*owner, object, merged, own))
            .collect::<Vec<_>>()
    });
    let mut out = Vec::new();
    let mut identities = Vec::new();
    // One spec value renders into several objects (a label into every object of the
    // unit, a Flux setting into every Kustomization): report each value once.
    let mut reported: std::collections::BTreeSet<(crate::source::Span, Code)> =
        std::collections::BTreeSet::new();
    let mut owners: BTreeMap<across::ObjectId, crate::render::UnitOf<'_>> = BTreeMap::new();
    for (unit, objects) in units.iter().zip(checked) {
        for (index, object) in objects.into_iter().enumerate() {
            if let Some(id) = object.ids.first() {
                match owners.get(id) {
                    Some(first) if *first != object.owner => {
                        // Rare: the object is rendered again to place the diagnostic.
                        let again = crate::render::one_unit_objects(part_of, env, *unit);
                        if let Some((_, rendered)) = again.get(index) {
                            out.push(shared_object(
                                id,
                                *first,
                                object.owner,
                                rendered,
                                env,
                                merged,
                                own,
                            ));
                        }
                    }
                    Some(_) => {}
                    None => {
                        owners.insert(id.clone(), object.owner);
                    }
                }
            }
            identities.extend(object.ids);
            for (key, diagnostic) in object.findings {
                if reported.insert(key) {
                    out.push(diagnostic);
                }
            }
        }
    }
    out.sort();
    (out, identities)
}

/// One rendered object, checked on its own: the unit that holds it, what it claims in
/// the cluster, and its findings, each keyed by the spec value and code it reports (a
/// value is reported once however many objects it renders into).
struct CheckedObject<'a> {
    owner: crate::render::UnitOf<'a>,
    ids: Vec<across::ObjectId>,
    findings: Vec<((crate::source::Span, Code), Diagnostic)>,
}

/// The plaintext guard and the API rules on one rendered object.
fn check_object<'a>(
    owner: crate::render::UnitOf<'a>,
    object: &serde_json::Value,
    merged: &Node,
    own: &Document,
) -> CheckedObject<'a> {
    let mut findings = Vec::new();
    for (at, why) in crate::plaintext::in_object(object) {
        let origin = api::provenance::origin(owner, object, &at, None, merged, own.root.span);
        let diagnostic = secrets::plaintext_error(
            Diagnostic::error(Code::PlaintextSecret, why)
                .at(origin.span)
                .path(origin.path),
            "keep credentials in a Secret declared under `secrets` and reference it (`secretKeyRef`, `envFrom`, a chart's `existingSecret` or `valuesFrom`); in a command line, pass `$(VAR)` of an env var that reads the Secret".to_owned(),
        );
        findings.push(((origin.span, Code::PlaintextSecret), diagnostic));
    }
    for violation in api::check(object) {
        let origin = api::provenance::origin(
            owner,
            object,
            &violation.at,
            violation.subject.as_deref(),
            merged,
            own.root.span,
        );
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let mut diagnostic = Diagnostic::error(
            Code::ApiRule,
            format!(
                "{} (the cluster would refuse {kind} `{}` at `{}`)",
                violation.message,
                api::shown(name),
                violation.at
            ),
        )
        .at(origin.span)
        .path(origin.path)
        .expected(violation.expected);
        if let Some(help) = violation.help {
            diagnostic = diagnostic.help(help);
        }
        findings.push(((origin.span, Code::ApiRule), diagnostic));
    }
    CheckedObject {
        owner,
        ids: across::object_ids(object),
        findings,
    }
}

/// An object that a second unit renders too, placed at its name.
fn shared_object(
    id: &across::ObjectId,
    first: crate::render::UnitOf<'_>,
    second: crate::render::UnitOf<'_>,
    object: &serde_json::Value,
    env: &model::Environment,
    merged: &Node,
    own: &Document,
) -> Diagnostic {
    let at = FieldPath::root().key("metadata").key("name");
    let origin = api::provenance::origin(second, object, &at, None, merged, own.root.span);
    let (kind, _, name) = id;
    Diagnostic::error(
        Code::SharedObject,
        format!(
            "{kind} `{}` is rendered by two units of `{}`: {} and {}",
            api::shown(name),
            env.name,
            unit_label(first),
            unit_label(second)
        ),
    )
    .at(origin.span)
    .path(origin.path)
    .expected("names of each unit's own")
    .help("kustomize refuses two objects with one name, and two Flux units would prune each other's; rename one (a service account's name, or the service)")
}
