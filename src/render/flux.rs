//! Flux objects: per environment, one Kustomization (`kustomize.toolkit.fluxcd.io/v1`)
//! per unit, ordered with `dependsOn`.

use serde_json::{Value as Json, json};

use crate::model::{Environment, Flux};

/// Namespace the Flux objects live in, and of the GitRepository, unless
/// `global.flux.namespace` and `global.flux.sourceNamespace` say otherwise.
pub const DEFAULT_NAMESPACE: &str = "flux-system";
/// Name of the namespace unit of every environment.
pub const NAMESPACE_UNIT: &str = "namespace";

/// Name of the Flux Kustomization of a unit: `{prefix}{env}-{unit}`. Kustomize-controller
/// writes it into a label on every object it applies, so it must stay within 63
/// characters.
pub fn unit_name(prefix: &str, env: &str, unit: &str) -> String {
    format!("{prefix}{env}-{unit}")
}

/// The Flux Kustomization of one unit. `needs` names other units of the environment;
/// the namespace unit also waits for the cluster's infrastructure
/// (`global.flux.dependsOn`), and every other unit waits for the namespace unit.
pub fn kustomization(env: &Environment, unit: &str, needs: &[String]) -> Json {
    let Flux {
        interval,
        timeout,
        prune,
        wait,
        source,
        source_namespace,
        namespace,
        prefix,
        depends_on,
        path,
    } = &env.flux;
    let mut spec = serde_json::Map::new();
    let infrastructure: &[String] = if unit == NAMESPACE_UNIT {
        depends_on
    } else {
        &[]
    };
    let depends: Vec<Json> = infrastructure
        .iter()
        .map(|name| json!({ "name": name }))
        .chain(
            needs
                .iter()
                .map(|need| json!({ "name": unit_name(prefix, &env.name, need) })),
        )
        .collect();
    if !depends.is_empty() {
        spec.insert("dependsOn".into(), json!(depends));
    }
    spec.insert("interval".into(), json!(interval));
    spec.insert("timeout".into(), json!(timeout));
    spec.insert(
        "path".into(),
        json!(format!(
            "{}/overlays/{}/{unit}",
            path.trim_end_matches('/'),
            env.name
        )),
    );
    spec.insert("prune".into(), json!(prune));
    spec.insert("wait".into(), json!(wait));
    // Flux looks for the source in the Kustomization's own namespace unless told.
    let source_ref = if source_namespace == namespace {
        json!({ "kind": "GitRepository", "name": source })
    } else {
        json!({ "kind": "GitRepository", "name": source, "namespace": source_namespace })
    };
    spec.insert("sourceRef".into(), source_ref);
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": unit_name(prefix, &env.name, unit),
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/managed-by": crate::render::kubernetes::MANAGER,
                "mcpstack.dev/environment": env.name,
            },
        },
        "spec": spec,
    })
}
