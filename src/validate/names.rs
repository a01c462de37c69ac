//! Names that become object, folder and file names: the stack, services, charts,
//! environments, namespaces and Flux units.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::hostname;
use crate::load::Document;
use crate::node::FieldPath;
use crate::spec::Values;

use super::*;

/// Rules on the stack file alone.
pub fn stack(document: &Document, values: &Values) -> Vec<Diagnostic> {
    let mut out = super::expiry::stack(document, values);
    let root = &document.root;
    if values.tier.is_some() {
        let path = FieldPath::root().key("tier");
        out.push(
            Diagnostic::error(
                Code::TierInStack,
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
            Diagnostic::error(Code::InvalidName, format!("stack name `{name}` {problem}"))
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
                    Code::ReservedName,
                    format!("`{name}` is reserved for the environment's namespace unit"),
                )
                .at(span)
                .path(path.clone())
                .help(format!("rename the {noun}, e.g. `namespace-controller`")),
            );
        }
        if let Some(problem) = hostname::service_name_problem(name) {
            out.push(
                Diagnostic::error(Code::InvalidName, format!("{noun} name `{name}` {problem}"))
                    .at(span)
                    .path(path.clone())
                    .expected("a DNS label starting with a letter: lowercase letters, digits and `-`, at most 63 characters")
                    .help(format!("rename it to `{}`", hostname::suggest_label(name))),
            );
        }
        if section == "charts" && name.len() > MAX_RELEASE_NAME {
            out.push(
                Diagnostic::error(Code::NameTooLong, format!("chart name `{name}` is {} characters long; Helm release names have at most {MAX_RELEASE_NAME}", name.len()))
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
                    Code::DuplicateName,
                    format!("`{name}` names both a service and a chart"),
                )
                .at(span)
                .path(path)
                .help("each service and chart is a unit with its own folder; rename one of them"),
            );
        }
    }
    named_entries(root, &mut out);
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
                Code::InvalidName,
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
                Code::MissingTier,
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
                    Code::UnknownChart
                } else {
                    Code::UnknownService
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
    named_entries(root, &mut out);
    out.extend(super::expiry::environment(name, document, values));
    out
}

/// Flux writes each unit's Kustomization name into a label on every object it applies,
/// so `{prefix}{env}-{unit}` must fit in 63 characters.
pub(super) fn unit_names(
    prefix: &str,
    env: &str,
    own: &Document,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        let flux_name = crate::render::flux::unit_name(prefix, env, name);
        if flux_name.len() <= 63 {
            continue;
        }
        out.push(
            Diagnostic::error(
                Code::NameTooLong,
                format!("Flux unit name `{flux_name}` is {} characters long, over the limit of 63", flux_name.len()),
            )
            .at(own.root.span)
            .path(unit.path.clone())
            .expected("`global.flux.prefix`, environment and unit names of at most 62 characters together")
            .help("Flux writes the unit name into a label on every object; shorten the prefix, the environment or the name"),
        );
    }
    // The namespace unit every environment has: too long only through the prefix or
    // the environment's name.
    let flux_name =
        crate::render::flux::unit_name(prefix, env, crate::render::flux::NAMESPACE_UNIT);
    if flux_name.len() > 63 {
        let mut diagnostic = Diagnostic::error(
            Code::NameTooLong,
            format!(
                "Flux unit name `{flux_name}` is {} characters long, over the limit of 63",
                flux_name.len()
            ),
        )
        .at(own.root.span)
        .expected("`global.flux.prefix` and environment name of at most 53 characters together")
        .help("Flux writes the unit name into a label on every object; shorten the prefix or the environment name");
        if !prefix.is_empty() {
            diagnostic = diagnostic.path(
                crate::node::FieldPath::root()
                    .key("global")
                    .key("flux")
                    .key("prefix"),
            );
        }
        out.push(diagnostic);
    }
}

/// Names of sections whose keys become object and file names, beyond services and
/// charts (checked with the stack): each key must be a DNS label. A section added
/// later joins this list, and the output tree refuses any path that slips through.
const NAMED_SECTIONS: [(&str, &str); 1] = [("secrets", "secret")];

/// Every key of a named section, in whichever file declares it, is a DNS label.
fn named_entries(root: &Node, out: &mut Vec<Diagnostic>) {
    for (section, noun) in NAMED_SECTIONS {
        let Some(entries) = root.get(section).and_then(Node::mapping) else {
            continue;
        };
        for name in entries.keys() {
            let Some(problem) = hostname::label_problem(name) else {
                continue;
            };
            let path = FieldPath::root().key(section).key(name);
            out.push(
                Diagnostic::error(Code::InvalidName, format!("{noun} name `{name}` {problem}"))
                    .at(root.locate_key(&path).span)
                    .path(path)
                    .expected(
                        "a DNS label: lowercase letters, digits and `-`, at most 63 characters",
                    )
                    .help(format!("rename it to `{}`", hostname::suggest_label(name))),
            );
        }
    }
}

/// Namespaces an environment must never take over: mcpstack labels its namespace
/// for Pod Security `restricted`, denies all traffic in it by default, and Flux
/// deletes it with the environment.
const RESERVED_NAMESPACES: [&str; 5] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "flux-system",
];

/// The namespaces an environment names: its own is not a system one, and the others
/// (ingress controller, monitoring, Gateway) are namespace names at all.
pub(super) fn namespaces(merged: &Node, namespace: &str, out: &mut Vec<Diagnostic>) {
    let global = FieldPath::root().key("global");
    if RESERVED_NAMESPACES.contains(&namespace) {
        let path = global.key("namespace");
        out.push(
            Diagnostic::error(Code::ReservedNamespace, format!("namespace `{namespace}` belongs to the cluster"))
                .at(merged.locate(&path).span)
                .path(path)
                .expected("a namespace of the environment's own, e.g. `mcp-staging`")
                .help("mcpstack enforces restricted Pod Security and a default deny in its namespace, and Flux deletes it with the environment"),
        );
    }
    for (path, name) in controller_namespaces(merged) {
        let name = &name;
        if name == namespace {
            let own = global.key("namespace");
            out.push(
                Diagnostic::error(Code::ReservedNamespace, format!("the environment's namespace `{namespace}` is also `{path}`"))
                    .at(merged.locate(&own).span)
                    .path(own)
                    .expected("a namespace of the environment's own, apart from the ingress controller's, Gateway's and Prometheus's")
                    .help("mcpstack enforces restricted Pod Security and a default deny in its namespace, and Flux deletes it with the environment: that would take the controller with it"),
            );
        }
        if let Some(problem) = hostname::label_problem(name) {
            out.push(
                Diagnostic::error(Code::InvalidName, format!("namespace `{name}` {problem}"))
                    .at(merged.locate(&path).span)
                    .path(path)
                    .expected("a namespace name: a DNS label such as `ingress-nginx`"),
            );
        }
    }
    let flux_path = global.key("flux").key("path");
    if let Some(crate::node::Value::String(path)) = merged.at(&flux_path).map(|n| &n.value)
        && path.split('/').any(|part| part == "..")
    {
        out.push(
            Diagnostic::error(
                Code::InvalidPath,
                format!("Flux path `{path}` leaves the repository"),
            )
            .at(merged.locate(&flux_path).span)
            .path(flux_path)
            .expected("a path inside the repository, e.g. `./generated` or `./deploy/generated`")
            .help(
                "Flux reads paths inside the source it fetched; a path through `..` finds nothing",
            ),
        );
    }
}

/// A chart installs into the environment's namespace or one of its own, never into
/// one the cluster owns.
pub(super) fn target_namespace(
    merged: &Node,
    chart: &str,
    target: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let controllers = controller_namespaces(merged);
    let Some(target) = target
        .filter(|t| RESERVED_NAMESPACES.contains(t) || controllers.iter().any(|(_, c)| c == *t))
    else {
        return;
    };
    let path = FieldPath::root()
        .key("charts")
        .key(chart)
        .key("targetNamespace");
    out.push(
        Diagnostic::error(Code::ReservedNamespace, format!("chart `{chart}` installs into `{target}`, which belongs to the cluster or its controllers"))
            .at(merged.locate(&path).span)
            .path(path)
            .expected("no `targetNamespace` (the environment's namespace), or one of the stack's own")
            .help("a chart in a system namespace escapes the environment's Pod Security and network policies"),
    );
}

/// The namespaces of the controllers an environment names (ingress controller,
/// Prometheus, Gateway), with where each is set.
fn controller_namespaces(merged: &Node) -> Vec<(FieldPath, String)> {
    let global = FieldPath::root().key("global");
    [
        global.key("network").key("ingressNamespace"),
        global.key("network").key("monitoringNamespace"),
        global.key("gateway").key("namespace"),
    ]
    .into_iter()
    .filter_map(|path| match merged.at(&path).map(|n| &n.value) {
        Some(crate::node::Value::String(name)) => Some((path.clone(), name.clone())),
        _ => None,
    })
    .collect()
}
