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
