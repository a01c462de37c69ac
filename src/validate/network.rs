//! Network: `connectsTo` between units and where exposed traffic comes from.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::load::Document;
use crate::node::{FieldPath, Node};
use crate::spec::Values;

use super::*;

/// Every `connectsTo` names another enabled unit; exposed units can be reached when
/// network policies are on.
pub(super) fn connections(
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
            let mut diagnostic = Diagnostic::error(Code::UnknownConnection, problem)
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
            Diagnostic::error(Code::MissingIngressNamespace, format!("`{name}` is exposed, but the network policies do not say where its traffic comes from"))
                .at(own.root.span)
                .path(path)
                .expected("`global.network.ingressNamespace` (the ingress controller's namespace) or `global.gateway.namespace`")
                .help("or turn network policies off with `global.network.policies: false`"),
        );
    }
}

/// No `connectsTo` names a service that listens on no port (a worker, Job or CronJob):
/// its network policy admits nothing.
pub(super) fn listeners(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let services = values.services.iter().flatten();
    let silent: BTreeMap<&str, &'static str> = services
        .clone()
        .filter(|(_, s)| s.enabled.unwrap_or(true))
        .filter_map(|(n, s)| {
            let kind = s.kind.unwrap_or_default();
            let what = match () {
                _ if kind.runs_to_completion() => kind.as_str(),
                _ if s.worker.unwrap_or(false) => "worker",
                _ => return None,
            };
            Some((n.as_str(), what))
        })
        .collect();
    let charts = values.charts.iter().flatten().map(|(n, c)| {
        (
            n,
            c.enabled.unwrap_or(true),
            c.connects_to.as_deref().unwrap_or_default(),
            FieldPath::root().key("charts").key(n),
        )
    });
    let units = services
        .map(|(n, s)| {
            (
                n,
                s.enabled.unwrap_or(true),
                s.connects_to.as_deref().unwrap_or_default(),
                service_path(n),
            )
        })
        .chain(charts);
    for (name, on, connections, path) in units {
        for (index, connection) in connections.iter().enumerate().filter(|_| on) {
            let Some(what) = silent.get(connection.to.as_str()) else {
                continue;
            };
            if connection.to == *name {
                continue;
            }
            let path = path.key("connectsTo").index(index).key("to");
            out.push(
                Diagnostic::error(
                    Code::NotListening,
                    format!("`{name}` connects to `{}`, a {what} that listens on no port", connection.to),
                )
                .at(merged.locate(&path).span)
                .path(path)
                .expected("a service that listens on its port, or a chart")
                .help(format!("remove the connection: `{}` receives no traffic (its network policy admits none); connections go from it, in its own `connectsTo`", connection.to)),
            );
        }
    }
}

/// Each `egress` entry names exactly one kind of destination (a `cidr` may stand
/// beside `apiServer` or `host` as their address under plain NetworkPolicy), and the
/// engine can express it: plain NetworkPolicy selects neither the API server nor a
/// hostname, so under the `kubernetes` engine those need their `cidr`.
pub(super) fn egress(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let services = values.services.iter().flatten().map(|(n, s)| {
        let on = s.enabled.unwrap_or(true);
        (on, service_path(n), s.egress.as_deref().unwrap_or_default())
    });
    let charts = values.charts.iter().flatten().map(|(n, c)| {
        let on = c.enabled.unwrap_or(true);
        let path = FieldPath::root().key("charts").key(n);
        (on, path, c.egress.as_deref().unwrap_or_default())
    });
    let policies = crate::network::enabled(values);
    let engine = crate::network::engine(values);
    for (_, path, entries) in services.chain(charts).filter(|(on, _, _)| *on) {
        for (index, entry) in entries.iter().enumerate() {
            let here = path.key("egress").index(index);
            if let Some(diagnostic) = egress_entry(merged, &here, entry, policies, engine) {
                out.push(diagnostic);
            }
        }
    }
}

/// The first problem of one `egress` entry at `here`.
fn egress_entry(
    merged: &Node,
    here: &FieldPath,
    entry: &crate::spec::Egress,
    policies: bool,
    engine: crate::spec::NetworkEngine,
) -> Option<Diagnostic> {
    let error = |code: Code, field: &str, message: String| {
        // The field that is wrong, or the whole entry (`field` empty).
        let path = match merged.at(&here.key(field)) {
            Some(_) if !field.is_empty() => here.key(field),
            _ => here.clone(),
        };
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    let selector = entry.namespace.is_some() || entry.pod_labels.is_some();
    let api_server = entry.api_server.unwrap_or(false);
    let host = entry.host.is_some();
    let kinds: Vec<&str> = [
        (selector, "`namespace`/`podLabels`"),
        (api_server, "`apiServer`"),
        (host, "`host`"),
        (entry.cidr.is_some() && selector, "`cidr`"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    let example = "`{namespace: observability, podLabels: {app.kubernetes.io/name: otel-collector}, ports: [4317]}`, `{apiServer: true, ports: [443]}`, `{host: api.github.com, ports: [443]}` or `{cidr: 203.0.113.0/24, ports: [443]}`";
    if kinds.len() > 1 {
        let field = if host { "host" } else { "apiServer" };
        return Some(
            error(
                Code::EgressDestination,
                field,
                format!(
                    "this egress entry names {} destinations: one entry opens one kind of destination",
                    kinds.join(" and ")
                ),
            )
            .expected("exactly one of `cidr`, `namespace`/`podLabels`, `apiServer`, `host` (a `cidr` may stand beside `apiServer` or `host` as its address)")
            .help(format!("split it into one entry per destination, e.g. {example}")),
        );
    }
    let empty_pods =
        entry.namespace.is_none() && entry.pod_labels.as_ref().is_some_and(|p| p.is_empty());
    if kinds.is_empty() && entry.cidr.is_none() || empty_pods {
        let field = if empty_pods { "podLabels" } else { "" };
        return Some(
            error(
                Code::EgressDestination,
                field,
                "this egress entry names no destination".to_owned(),
            )
            .expected("one of `cidr`, `namespace`/`podLabels`, `apiServer: true`, `host`")
            .help(format!("e.g. {example}")),
        );
    }
    if entry.except.is_some() && (entry.cidr.is_none() || api_server || host) {
        return Some(
            error(
                Code::EgressDestination,
                "except",
                "`except` narrows an address range, and this entry opens none".to_owned(),
            )
            .expected("`except` beside a `cidr` destination")
            .help("remove `except`, or give the range: `{cidr: 10.0.0.0/8, except: [10.1.0.0/16], ports: [443]}`"),
        );
    }
    if let Some(namespace) = &entry.namespace
        && let Some(problem) = crate::hostname::label_problem(namespace)
    {
        return Some(
            error(
                Code::InvalidName,
                "namespace",
                format!(
                    "namespace `{}` {problem}",
                    crate::diagnostic::printable(namespace)
                ),
            )
            .expected("a namespace name (an RFC 1123 label), e.g. `observability`"),
        );
    }
    if let Some(name) = &entry.host {
        let bare = name.strip_prefix("*.").unwrap_or(name);
        let address = crate::validate::api::format::is_ip_address(bare);
        let problem = address
            .then(|| {
                "is an IP address, which a name rule never matches; open it with `cidr: ADDRESS/32`"
                    .to_owned()
            })
            .or_else(|| crate::hostname::hostname_problem(bare))
            .or_else(|| (!bare.contains('.')).then(|| "is not a fully qualified name".to_owned()));
        if let Some(problem) = problem {
            return Some(
                error(
                    Code::InvalidHostname,
                    "host",
                    format!("egress host `{}`: {problem}", crate::diagnostic::printable(name)),
                )
                .expected("a hostname such as `api.github.com`, or `*.github.com` for every name under a domain"),
            );
        }
    }
    if policies
        && engine == crate::spec::NetworkEngine::Kubernetes
        && (api_server || host)
        && entry.cidr.is_none()
    {
        let (field, what, why) = match api_server {
            true => (
                "apiServer",
                "the Kubernetes API server".to_owned(),
                "its address depends on the cluster (the `kubernetes` Service's ClusterIP is translated to the control plane's addresses before policies apply)",
            ),
            false => (
                "host",
                format!(
                    "`{}`",
                    crate::diagnostic::printable(entry.host.as_deref().unwrap_or_default())
                ),
                "a NetworkPolicy selects addresses, never names, and a name's addresses change",
            ),
        };
        let example = match api_server {
            true => {
                "`{apiServer: true, cidr: 172.20.0.1/32, ports: [443]}` (the API server's endpoint addresses: `kubectl get endpoints kubernetes -n default`)"
            }
            false => "`{host: api.github.com, cidr: 140.82.112.0/20, ports: [443]}`",
        };
        return Some(
            error(
                Code::EgressNeedsCidr,
                field,
                format!("plain NetworkPolicy cannot select {what}: {why}"),
            )
            .expected("a `cidr` beside it (the addresses plain NetworkPolicy opens), or `global.network.engine: cilium`")
            .help(format!("e.g. {example}")),
        );
    }
    None
}
