//! External Secrets Operator objects (`external-secrets.io/v1`): the environment's
//! `SecretStore` (or `ClusterSecretStore`) and one `ExternalSecret` per synced Secret.
//! Only names and remote keys appear; no secret value ever does.

use serde_json::{Map, Value as Json, json};

use crate::model::Environment;
use crate::render::kubernetes::MANAGER;
use crate::spec::{ExternalSecret, SecretStore};

/// Default name of the store object.
pub const DEFAULT_STORE: &str = "secret-store";

/// The store's kind and name as an ExternalSecret refers to it.
fn store_ref(store: &SecretStore, namespace: &str) -> (&'static str, String) {
    let name = store
        .name
        .clone()
        .unwrap_or_else(|| DEFAULT_STORE.to_owned());
    match store.cluster_wide.unwrap_or(false) {
        // Cluster-scoped names are shared by every environment: make them unique.
        true => ("ClusterSecretStore", format!("{namespace}-{name}")),
        false => ("SecretStore", name),
    }
}

fn metadata(name: &str, namespace: Option<&str>, part_of: &str) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), name.into());
    if let Some(namespace) = namespace {
        meta.insert("namespace".into(), namespace.into());
    }
    meta.insert(
        "labels".into(),
        json!({ "app.kubernetes.io/managed-by": MANAGER, "app.kubernetes.io/part-of": part_of }),
    );
    Json::Object(meta)
}

/// The store (namespace unit) and the ExternalSecrets homed there, by file name.
pub fn objects(env: &Environment, part_of: &str) -> Vec<(String, Json)> {
    let Some(store) = &env.secret_store else {
        return Vec::new();
    };
    let (kind, name) = store_ref(store, &env.namespace);
    let namespace = (kind == "SecretStore").then_some(env.namespace.as_str());
    let store_object = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": kind,
        "metadata": metadata(&name, namespace, part_of),
        "spec": { "provider": provider(store, &env.namespace) },
    });
    let mut files = vec![(format!("{}.yaml", kind.to_ascii_lowercase()), store_object)];
    for secret in env.secrets.keys() {
        if env.homes.secrets.contains_key(secret) {
            continue;
        }
        if let Some(object) = external_secret_of(env, secret, part_of) {
            files.push((format!("externalsecret-{secret}.yaml"), object));
        }
    }
    files
}

/// The ExternalSecrets that live in `unit` (the one unit that uses each).
pub fn unit_objects(env: &Environment, unit: &str, part_of: &str) -> Vec<Json> {
    env.homes
        .secrets_of(unit)
        .filter_map(|secret| external_secret_of(env, secret, part_of))
        .collect()
}

/// The ExternalSecret of synced Secret `secret`, when there is a store.
fn external_secret_of(env: &Environment, secret: &str, part_of: &str) -> Option<Json> {
    let store = env.secret_store.as_ref()?;
    let spec = env.secrets.get(secret)?;
    let (kind, name) = store_ref(store, &env.namespace);
    Some(external_secret(
        secret,
        spec,
        kind,
        &name,
        &env.namespace,
        part_of,
    ))
}

fn provider(store: &SecretStore, namespace: &str) -> Json {
    if let Some(infisical) = &store.infisical {
        let credentials = infisical.credentials_secret.clone().unwrap_or_default();
        let key = |key: &str| json!({ "name": credentials, "key": key, "namespace": namespace });
        let mut scope = Map::new();
        scope.insert(
            "projectSlug".into(),
            infisical.project_slug.clone().unwrap_or_default().into(),
        );
        scope.insert(
            "environmentSlug".into(),
            infisical
                .environment_slug
                .clone()
                .unwrap_or_default()
                .into(),
        );
        if let Some(path) = &infisical.secrets_path {
            scope.insert("secretsPath".into(), path.clone().into());
        }
        let mut out = Map::new();
        if let Some(host) = &infisical.host_api {
            out.insert("hostAPI".into(), host.clone().into());
        }
        out.insert(
            "auth".into(),
            json!({ "universalAuthCredentials": { "clientId": key("clientId"), "clientSecret": key("clientSecret") } }),
        );
        out.insert("secretsScope".into(), Json::Object(scope));
        return json!({ "infisical": out });
    }
    if let Some(vault) = &store.vault {
        return json!({ "vault": {
            "server": vault.server.clone().unwrap_or_default(),
            "path": vault.path.clone().unwrap_or_else(|| "secret".to_owned()),
            "version": "v2",
            "auth": { "kubernetes": {
                "mountPath": vault.auth_mount_path.clone().unwrap_or_else(|| "kubernetes".to_owned()),
                "role": vault.role.clone().unwrap_or_default(),
            } },
        } });
    }
    if let Some(aws) = &store.aws {
        let mut out = Map::new();
        out.insert("service".into(), "SecretsManager".into());
        out.insert(
            "region".into(),
            aws.region.clone().unwrap_or_default().into(),
        );
        if let Some(role) = &aws.role {
            out.insert("role".into(), role.clone().into());
        }
        return json!({ "aws": out });
    }
    Json::Object(Map::new())
}

fn external_secret(
    name: &str,
    spec: &ExternalSecret,
    store_kind: &str,
    store: &str,
    namespace: &str,
    part_of: &str,
) -> Json {
    let mut body = Map::new();
    body.insert(
        "refreshInterval".into(),
        spec.refresh_interval
            .clone()
            .unwrap_or_else(|| "1h".to_owned())
            .into(),
    );
    body.insert(
        "secretStoreRef".into(),
        json!({ "kind": store_kind, "name": store }),
    );
    body.insert(
        "target".into(),
        json!({ "name": name, "creationPolicy": "Owner" }),
    );
    if let Some(keys) = spec.keys.as_ref().filter(|k| !k.is_empty()) {
        let data: Vec<Json> = keys
            .iter()
            .map(|(key, remote)| json!({ "secretKey": key, "remoteRef": { "key": remote } }))
            .collect();
        body.insert("data".into(), Json::Array(data));
    }
    if let Some(path) = &spec.path {
        body.insert(
            "dataFrom".into(),
            json!([{ "find": { "path": path, "name": { "regexp": ".*" } } }]),
        );
    }
    json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": metadata(name, Some(namespace), part_of),
        "spec": body,
    })
}
