//! Flux objects: per environment, one Kustomization (`kustomize.toolkit.fluxcd.io/v1`)
//! per unit, ordered with `dependsOn`.

use serde_json::{Value as Json, json};

use crate::model::{Environment, Flux};

/// Namespace the Flux objects live in.
pub const FLUX_NAMESPACE: &str = "flux-system";
/// Name of the namespace unit of every environment.
pub const NAMESPACE_UNIT: &str = "namespace";

/// Name of the Flux Kustomization of a unit. Kustomize-controller writes it into a
/// label on every object it applies, so it must stay within 63 characters.
pub fn unit_name(env: &str, unit: &str) -> String {
    format!("{env}-{unit}")
}

/// The Flux Kustomization of one unit. `needs` names other units of the environment.
pub fn kustomization(env: &Environment, unit: &str, needs: &[String]) -> Json {
    let Flux {
        interval,
        timeout,
        prune,
        wait,
        source,
        path,
    } = &env.flux;
    let mut spec = serde_json::Map::new();
    if !needs.is_empty() {
        let depends: Vec<Json> = needs
            .iter()
            .map(|need| json!({ "name": unit_name(&env.name, need) }))
            .collect();
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
    spec.insert(
        "sourceRef".into(),
        json!({ "kind": "GitRepository", "name": source }),
    );
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": unit_name(&env.name, unit),
            "namespace": FLUX_NAMESPACE,
            "labels": {
                "app.kubernetes.io/managed-by": crate::render::kubernetes::MANAGER,
                "mcpstack.dev/environment": env.name,
            },
        },
        "spec": spec,
    })
}
