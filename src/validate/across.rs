//! Rules across environments: objects of one environment must not be objects of
//! another. Environments may share a cluster, so a namespace, a Flux Kustomization
//! (`{env}-{unit}` in Flux's namespace), a cluster-scoped store or a hostname that two
//! environments render would be fought over on every reconcile, and removing one
//! environment would delete the other's.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::load::Document;
use crate::model;
use crate::node::Node;

use super::api;

/// One environment as the cross-environment rules see it.
pub struct Rendered<'a> {
    pub env: &'a model::Environment,
    /// The layered tree, for positions.
    pub merged: &'a Node,
    pub own: &'a Document,
}

/// Every object and hostname rendered by two environments, reported once per pair of
/// environments, in the later one.
pub fn environments(part_of: &str, environments: &[Rendered<'_>]) -> Vec<Diagnostic> {
    let mut owners: BTreeMap<(String, String, String), &str> = BTreeMap::new();
    let mut hosts: BTreeMap<(String, String), &str> = BTreeMap::new();
    let mut out = Vec::new();
    for rendered in environments {
        let env = rendered.env;
        let mut reported: Vec<&str> = Vec::new();
        for (unit, object) in crate::render::unit_objects(part_of, env) {
            let identity = (
                object["kind"].as_str().unwrap_or_default().to_owned(),
                object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                object["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            match owners.get(&identity) {
                Some(other) if !reported.contains(other) => {
                    reported.push(other);
                    let at = crate::node::FieldPath::root().key("metadata").key("name");
                    let origin = api::provenance::origin(
                        unit,
                        &object,
                        &at,
                        rendered.merged,
                        rendered.own.root.span,
                    );
                    let (kind, namespace, name) = &identity;
                    let shown = match namespace.is_empty() {
                        true => format!("{kind} `{name}`"),
                        false => format!("{kind} `{namespace}/{name}`"),
                    };
                    out.push(
                        Diagnostic::error("shared-object", format!("environments `{other}` and `{}` both render {shown}", env.name))
                            .at(origin.span)
                            .path(origin.path)
                            .expected("objects of each environment's own: its own namespace and names")
                            .help("two environments owning one object overwrite each other on every reconcile, and removing one deletes the other's; give this environment its own `global.namespace`, or rename it"),
                    );
                }
                Some(_) => {}
                None => {
                    owners.insert(identity, &env.name);
                }
            }
        }
        for service in &env.services {
            let Some(ingress) = &service.ingress else {
                continue;
            };
            let route = (ingress.host.clone(), ingress.path.clone());
            match hosts.get(&route) {
                Some(other) => {
                    let path = crate::node::FieldPath::root()
                        .key("services")
                        .key(&service.name)
                        .key("ingress");
                    let at = match rendered.merged.at(&path.key("host")) {
                        Some(node) => (node.span, path.key("host")),
                        None => (rendered.merged.locate(&path).span, path),
                    };
                    out.push(
                        Diagnostic::error("duplicate-hostname", format!("`{}{}` of `{}` is also served in environment `{other}`", route.0, route.1, service.name))
                            .at(at.0)
                            .path(at.1)
                            .expected("a hostname of this environment's own")
                            .help("two environments on one hostname take each other's traffic; keep the default hostname pattern or set a host of its own"),
                    );
                }
                None => {
                    hosts.insert(route, &env.name);
                }
            }
        }
    }
    out
}
