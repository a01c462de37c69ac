//! Rules across environments: objects of one environment must not be objects of
//! another. Environments may share a cluster, so a namespace, a Flux Kustomization
//! (`{prefix}{env}-{unit}` in Flux's namespace), a cluster-scoped store or a hostname that two
//! environments render would be fought over on every reconcile, and removing one
//! environment would delete the other's.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
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

/// The identity of an object in a cluster: kind, namespace (empty when cluster-scoped)
/// and name.
pub type ObjectId = (String, String, String);

/// What an object claims in a cluster: itself and, for a HelmRelease that installs
/// into a namespace of its own, the Helm release there (`[target-]name`, as Flux names
/// it), which two environments must not share either.
pub fn object_ids(object: &serde_json::Value) -> Vec<ObjectId> {
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let mut ids = vec![(
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )];
    let spec = &object["spec"];
    if object["kind"] == "HelmRelease"
        && let Some(target) = spec["targetNamespace"].as_str()
    {
        let release = match spec["releaseName"].as_str() {
            Some(release) => release.to_owned(),
            None => format!("{target}-{}", text(&object["metadata"]["name"])),
        };
        ids.push(("Helm release".to_owned(), target.to_owned(), release));
        // Installing into a namespace claims it: another environment's, or one another
        // environment installs into too, is shared.
        ids.push(("Namespace".to_owned(), String::new(), target.to_owned()));
    }
    ids
}

/// Whether any object or (host, path) of one environment is also another's: the cheap
/// test, on identities the environment checks already rendered, before
/// [`environments`] renders again to say where.
pub fn any_shared(environments: &[(&model::Environment, &[ObjectId])]) -> bool {
    let mut owners: BTreeMap<&ObjectId, &str> = BTreeMap::new();
    let mut hosts: BTreeMap<(String, String), crate::spec::Tier> = BTreeMap::new();
    for (env, objects) in environments {
        for id in objects.iter() {
            if owners
                .insert(id, &env.name)
                .is_some_and(|other| other != env.name)
            {
                return true;
            }
        }
        for (_, route, _) in routes(env) {
            match hosts.insert(route, env.tier) {
                Some(crate::spec::Tier::Production)
                    if env.tier == crate::spec::Tier::Production => {}
                Some(_) => return true,
                None => {}
            }
        }
    }
    false
}

/// Every object and hostname rendered by two environments, reported once per pair of
/// environments, in the later one.
pub fn environments(part_of: &str, environments: &[Rendered<'_>]) -> Vec<Diagnostic> {
    let mut owners: BTreeMap<(String, String, String), &str> = BTreeMap::new();
    let mut hosts: BTreeMap<(String, String), (&str, crate::spec::Tier)> = BTreeMap::new();
    let mut out = Vec::new();
    // The environment that came later to a shared object is the one to blame: production
    // before staging before review environments, then by name.
    let by_name: BTreeMap<&str, &Rendered<'_>> = environments
        .iter()
        .map(|r| (r.env.name.as_str(), r))
        .collect();
    let mut ordered: Vec<&Rendered<'_>> = environments.iter().collect();
    ordered.sort_by_key(|r| (tier_rank(r.env.tier), r.env.name.clone()));
    for rendered in ordered {
        let env = rendered.env;
        let mut reported: Vec<&str> = Vec::new();
        let objects = crate::render::unit_objects(part_of, env);
        let claims = objects.iter().flat_map(|(unit, object)| {
            object_ids(object)
                .into_iter()
                .map(move |id| (*unit, object, id))
        });
        for (unit, object, identity) in claims {
            match owners.get(&identity) {
                Some(other) if *other != env.name.as_str() && !reported.contains(other) => {
                    reported.push(other);
                    let at = crate::node::FieldPath::root().key("metadata").key("name");
                    let (kind, namespace, name) = &identity;
                    if kind == "Kustomization" {
                        out.push(flux_unit_collision(rendered, other, name));
                        continue;
                    }
                    let mut origin = api::provenance::origin(
                        unit,
                        object,
                        &at,
                        None,
                        rendered.merged,
                        rendered.own.root.span,
                    );
                    // A namespace one environment names in its own file and the other
                    // only derives is the first's doing: point there.
                    let named = |r: &Rendered<'_>| {
                        r.own
                            .root
                            .at(&crate::node::FieldPath::root()
                                .key("global")
                                .key("namespace"))
                            .map(|node| node.span)
                    };
                    if kind == "Namespace"
                        && named(rendered).is_none()
                        && let Some(first) = by_name.get(other)
                        && let Some(span) = named(first)
                    {
                        origin = api::provenance::Origin {
                            span,
                            path: crate::node::FieldPath::root()
                                .key("global")
                                .key("namespace"),
                        };
                    }
                    // A shared Helm release comes from the namespace it installs into.
                    if matches!(kind.as_str(), "Helm release" | "Namespace")
                        && let crate::render::UnitOf::Chart(chart) = unit
                    {
                        let path = crate::node::FieldPath::root()
                            .key("charts")
                            .key(chart)
                            .key("targetNamespace");
                        origin = api::provenance::Origin {
                            span: rendered.merged.locate(&path).span,
                            path,
                        };
                    }
                    let shown = match namespace.is_empty() {
                        true => format!("{kind} `{name}`"),
                        false => format!("{kind} `{namespace}/{name}`"),
                    };
                    let help = match kind.as_str() {
                        "Helm release" => {
                            "a chart installed into one `targetNamespace` from several environments is one Helm release, upgraded by each in turn; give each environment its own `targetNamespace`"
                        }
                        _ => {
                            "two environments owning one object overwrite each other on every reconcile, and removing one deletes the other's; give this environment its own `global.namespace`, or rename it"
                        }
                    };
                    out.push(
                        Diagnostic::error(
                            Code::SharedObject,
                            format!(
                                "environments `{other}` and `{}` both render {shown}",
                                env.name
                            ),
                        )
                        .at(origin.span)
                        .path(origin.path)
                        .expected("objects of each environment's own: its own namespace and names")
                        .help(help),
                    );
                }
                Some(_) => {}
                None => {
                    owners.insert(identity, &env.name);
                }
            }
        }
        for (unit, route, at) in routes(env) {
            match hosts.get(&route) {
                // Production environments may serve one name together (regions behind
                // one DNS name); every other environment needs hosts of its own.
                Some((_, crate::spec::Tier::Production))
                    if env.tier == crate::spec::Tier::Production => {}
                Some((other, _)) => {
                    let at = match rendered.merged.at(&at.key("host")) {
                        Some(node) => (node.span, at.key("host")),
                        None => (rendered.merged.locate(&at).span, at),
                    };
                    out.push(
                        Diagnostic::error(Code::DuplicateHostname, format!("`{}{}` of `{unit}` is also served in environment `{other}`", route.0, route.1))
                            .at(at.0)
                            .path(at.1)
                            .expected("a hostname of this environment's own")
                            .help("two environments on one hostname take each other's traffic; keep the default hostname pattern or set a host of its own"),
                    );
                }
                None => {
                    hosts.insert(route, (&env.name, env.tier));
                }
            }
        }
    }
    out
}

fn tier_rank(tier: crate::spec::Tier) -> u8 {
    match tier {
        crate::spec::Tier::Production => 0,
        crate::spec::Tier::Staging => 1,
        crate::spec::Tier::Review => 2,
    }
}

/// The (host, path) each unit of an environment serves, with the spec entry that sets
/// its host: a service's `ingress`, a chart's `hostname`.
fn routes(env: &model::Environment) -> Vec<(String, (String, String), crate::node::FieldPath)> {
    let root = crate::node::FieldPath::root();
    let services = env.services.iter().filter_map(|service| {
        let ingress = service.ingress.as_ref()?;
        Some((
            service.name.clone(),
            (
                ingress.host.clone(),
                crate::lower::route_key(&ingress.path).to_owned(),
            ),
            root.key("services").key(&service.name).key("ingress"),
        ))
    });
    let charts = env.charts.iter().filter_map(|chart| {
        let host = chart.host.clone()?;
        Some((
            chart.name.clone(),
            (host, "/".to_owned()),
            root.key("charts").key(&chart.name).key("hostname"),
        ))
    });
    services.chain(charts).collect()
}

/// Two environments whose Flux units share a name (`{prefix}{env}-{unit}`) in one
/// namespace: reported at the unit of the later environment.
fn flux_unit_collision(rendered: &Rendered<'_>, other: &str, name: &str) -> Diagnostic {
    let env = &rendered.env.name;
    let prefix = &rendered.env.flux.prefix;
    let unit = name
        .strip_prefix(&format!("{prefix}{env}-"))
        .unwrap_or(name);
    let root = crate::node::FieldPath::root();
    let path = [root.key("services").key(unit), root.key("charts").key(unit)]
        .into_iter()
        .find(|p| rendered.merged.at(p).is_some());
    let (span, path) = match path {
        Some(path) => (rendered.merged.locate_key(&path).span, Some(path)),
        None => (rendered.own.root.span, None),
    };
    let mut diagnostic = Diagnostic::error(
        Code::SharedObject,
        format!("Flux unit `{name}` of environment `{env}` is also a unit of environment `{other}`"),
    )
    .at(span)
    .expected("Flux unit names (`{prefix}{env}-{unit}`) unique across environments")
    .help("Flux names each unit `{prefix}{env}-{unit}` in `global.flux.namespace`; rename this environment or the unit, or set another `global.flux.prefix`, so the two names differ");
    if let Some(path) = path {
        diagnostic = diagnostic.path(path);
    }
    diagnostic
}
