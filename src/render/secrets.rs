//! External Secrets Operator objects (`external-secrets.io/v1`): the environment's
//! `SecretStore` (or `ClusterSecretStore`) and one `ExternalSecret` per synced Secret.
//! Only names and remote keys appear; no secret value ever does.

use serde_json::{Map, Value as Json, json};

use crate::model::Environment;
use crate::render::kubernetes::MANAGER;
use crate::spec::{
    CreationPolicy, DeletionPolicy, ExternalSecret, RemoteKey, SecretStore, VaultAuth,
};

/// Default name of the store object.
pub const DEFAULT_STORE: &str = "secret-store";

/// The store's kind and name as an ExternalSecret refers to it; `key` is its name in
/// `global.secretStores` (none for `global.secretStore`).
pub fn store_ref(
    store: &SecretStore,
    key: Option<&str>,
    namespace: &str,
) -> (&'static str, String) {
    let name = store
        .name
        .clone()
        .or_else(|| key.map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_STORE.to_owned());
    match (store.cluster_wide.unwrap_or(false), store.is_existing()) {
        // Cluster-scoped names are shared by every environment: make them unique.
        (true, false) => ("ClusterSecretStore", format!("{namespace}-{name}")),
        // A store that exists is referred to by its own name.
        (true, true) => ("ClusterSecretStore", name),
        (false, _) => ("SecretStore", name),
    }
}

/// The store a secret reads from, with its name in `global.secretStores` (none for the
/// default store).
pub fn store_of<'a>(
    env: &'a Environment,
    secret: &ExternalSecret,
) -> Option<(Option<&'a str>, &'a SecretStore)> {
    match &secret.store {
        Some(name) => env
            .secret_stores
            .get_key_value(name)
            .map(|(key, store)| (Some(key.as_str()), store)),
        None => env.secret_store.as_ref().map(|store| (None, store)),
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

/// The stores (namespace unit) and the ExternalSecrets homed there, by file name.
pub fn objects(env: &Environment, part_of: &str) -> Vec<(String, Json)> {
    let stores = env
        .secret_store
        .iter()
        .map(|store| (None, store))
        .chain(env.secret_stores.iter().map(|(k, s)| (Some(k.as_str()), s)));
    let mut files = Vec::new();
    for (key, store) in stores.filter(|(_, s)| !s.is_existing()) {
        let (kind, name) = store_ref(store, key, &env.namespace);
        let namespace = (kind == "SecretStore").then_some(env.namespace.as_str());
        let store_object = json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": kind,
            "metadata": metadata(&name, namespace, part_of),
            "spec": { "provider": provider(store, &env.namespace) },
        });
        let kind = kind.to_ascii_lowercase();
        let file = match key {
            None => format!("{kind}.yaml"),
            Some(key) => format!("{kind}-{key}.yaml"),
        };
        files.push((file, store_object));
    }
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

/// The ExternalSecret of synced Secret `secret`, when its store is known.
fn external_secret_of(env: &Environment, secret: &str, part_of: &str) -> Option<Json> {
    let spec = env.secrets.get(secret)?;
    let (key, store) = store_of(env, spec)?;
    let (kind, name) = store_ref(store, key, &env.namespace);
    Some(external_secret(
        secret,
        spec,
        kind,
        &name,
        &env.namespace,
        part_of,
    ))
}

/// A reference to a Secret or service account of the environment's namespace.
fn named(name: &str, key: Option<&str>, namespace: &str) -> Json {
    let mut out = Map::new();
    out.insert("name".into(), name.into());
    if let Some(key) = key {
        out.insert("key".into(), key.into());
    }
    out.insert("namespace".into(), namespace.into());
    Json::Object(out)
}

fn provider(store: &SecretStore, namespace: &str) -> Json {
    if let Some(infisical) = store.infisical() {
        let credentials = infisical.credentials_secret.clone().unwrap_or_default();
        let key = |key: &str| named(&credentials, Some(key), namespace);
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
    if let Some(vault) = store.vault() {
        let role = vault.role.clone().unwrap_or_default();
        let account = vault.service_account.as_deref();
        let auth = match vault.auth.unwrap_or(VaultAuth::Kubernetes) {
            VaultAuth::Kubernetes => {
                let mut auth = Map::new();
                auth.insert(
                    "mountPath".into(),
                    vault
                        .auth_mount_path
                        .clone()
                        .unwrap_or_else(|| "kubernetes".to_owned())
                        .into(),
                );
                auth.insert("role".into(), role.into());
                if let Some(account) = account {
                    auth.insert("serviceAccountRef".into(), named(account, None, namespace));
                }
                json!({ "kubernetes": auth })
            }
            VaultAuth::Jwt => json!({ "jwt": {
                "path": vault.auth_mount_path.clone().unwrap_or_else(|| "jwt".to_owned()),
                "role": role,
                "kubernetesServiceAccountToken": {
                    "serviceAccountRef": named(account.unwrap_or_default(), None, namespace),
                },
            } }),
        };
        return json!({ "vault": {
            "server": vault.server.clone().unwrap_or_default(),
            "path": vault.path.clone().unwrap_or_else(|| "secret".to_owned()),
            "version": "v2",
            "auth": auth,
        } });
    }
    if let Some(aws) = store.aws() {
        let mut out = Map::new();
        out.insert("service".into(), "SecretsManager".into());
        out.insert(
            "region".into(),
            aws.region.clone().unwrap_or_default().into(),
        );
        if let Some(role) = &aws.role {
            out.insert("role".into(), role.clone().into());
        }
        if let Some(account) = &aws.service_account {
            out.insert(
                "auth".into(),
                json!({ "jwt": { "serviceAccountRef": named(account, None, namespace) } }),
            );
        } else if let Some(credentials) = &aws.credentials_secret {
            out.insert(
                "auth".into(),
                json!({ "secretRef": {
                    "accessKeyIDSecretRef": named(credentials, Some("access-key-id"), namespace),
                    "secretAccessKeySecretRef": named(credentials, Some("secret-access-key"), namespace),
                } }),
            );
        }
        return json!({ "aws": out });
    }
    Json::Object(Map::new())
}

/// The `remoteRef` of one key.
fn remote_ref(remote: &RemoteKey) -> Json {
    let mut out = Map::new();
    out.insert("key".into(), remote.key().into());
    if let RemoteKey::Ref(reference) = remote {
        if let Some(property) = &reference.property {
            out.insert("property".into(), property.clone().into());
        }
        if let Some(version) = &reference.version {
            out.insert("version".into(), version.clone().into());
        }
    }
    Json::Object(out)
}

/// `spec.target`: the Secret's name, who owns it, and its type and data templates.
fn target(name: &str, spec: &ExternalSecret) -> Json {
    let mut out = Map::new();
    out.insert("name".into(), name.into());
    let creation = match spec.creation_policy.unwrap_or(CreationPolicy::Owner) {
        CreationPolicy::Owner => "Owner",
        CreationPolicy::Orphan => "Orphan",
        CreationPolicy::Merge => "Merge",
        CreationPolicy::None => "None",
    };
    out.insert("creationPolicy".into(), creation.into());
    if let Some(deletion) = spec.deletion_policy {
        let deletion = match deletion {
            DeletionPolicy::Retain => "Retain",
            DeletionPolicy::Delete => "Delete",
            DeletionPolicy::Merge => "Merge",
        };
        out.insert("deletionPolicy".into(), deletion.into());
    }
    let templates = spec.templates();
    if spec.target_type().is_some() || !templates.is_empty() {
        let mut template = Map::new();
        template.insert("engineVersion".into(), "v2".into());
        if let Some(kind) = spec.target_type() {
            template.insert("type".into(), kind.into());
        }
        if !templates.is_empty() {
            let data: Map<String, Json> = templates
                .into_iter()
                .map(|(key, text)| (key, Json::String(text)))
                .collect();
            template.insert("data".into(), Json::Object(data));
        }
        out.insert("template".into(), Json::Object(template));
    }
    Json::Object(out)
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
    body.insert("target".into(), target(name, spec));
    if let Some(keys) = spec.keys.as_ref().filter(|k| !k.is_empty()) {
        let data: Vec<Json> = keys
            .iter()
            .map(|(key, remote)| json!({ "secretKey": key, "remoteRef": remote_ref(remote) }))
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
