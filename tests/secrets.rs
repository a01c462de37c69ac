//! External Secrets as the operator maps them, end to end on the fixture stack
//! `tests/fixtures/secrets`: a pull secret built from the store as
//! `kubernetes.io/dockerconfigjson` and referenced by the pods; `property` and `version`
//! reaching `remoteRef`; data templates and target types; store authentication by
//! service account (Vault `kubernetes` and `jwt`, AWS IRSA); a store that exists in the
//! cluster; a per-secret store; the policy against static store credentials. Every
//! External Secrets object conforms to its CRD schema.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use common::{
    Need, ObjectKey, can_run, code, copy_folders, crd_schemas_dir, kustomize, mcpstack,
    objects_by_key, parse_stream, project_root, stderr, stdout,
};

fn fixture() -> PathBuf {
    project_root().join("tests/fixtures/secrets")
}

fn render(root: &Path, env: &str) -> BTreeMap<ObjectKey, Json> {
    let output = mcpstack(root, &["render", env]);
    assert_eq!(code(&output), 0, "render {env}: {}", stderr(&output));
    objects_by_key(&stdout(&output)).expect("render prints objects")
}

fn find<'a>(objects: &'a BTreeMap<ObjectKey, Json>, kind: &str, name: &str) -> Option<&'a Json> {
    objects
        .iter()
        .find(|((_, k, _, n), _)| k == kind && n == name)
        .map(|(_, o)| o)
}

fn object<'a>(objects: &'a BTreeMap<ObjectKey, Json>, kind: &str, name: &str) -> &'a Json {
    find(objects, kind, name).unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The `remoteRef` of `key` in an ExternalSecret.
fn remote_ref<'a>(secret: &'a Json, key: &str) -> &'a Json {
    secret["spec"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["secretKey"] == key)
        .map(|d| &d["remoteRef"])
        .unwrap_or_else(|| panic!("no data entry {key}"))
}

#[test]
fn a_pull_secret_from_the_store_is_a_dockerconfigjson_the_pods_use() {
    let objects = render(&fixture(), "staging");
    let secret = object(&objects, "ExternalSecret", "registry-pull");
    let template = &secret["spec"]["target"]["template"];
    assert_eq!(template["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(template["engineVersion"], "v2");
    let config = template["data"][".dockerconfigjson"]
        .as_str()
        .expect("a .dockerconfigjson template");
    assert!(
        config.starts_with(r#"{"auths":{"ghcr.io":{"username":"{{ .user }}""#),
        "{config}"
    );
    assert!(
        config.contains(r#""auth":"{{ printf "%s:%s" .user (index . "pull-token") | b64enc }}""#),
        "{config}"
    );
    // The template reads the keys the store fills, by property of one JSON secret.
    assert_eq!(
        remote_ref(secret, "pull-token"),
        &serde_json::json!({"key": "REGISTRY", "property": "token"})
    );
    for name in ["api", "worker"] {
        let deployment = object(&objects, "Deployment", name);
        assert_eq!(
            deployment["spec"]["template"]["spec"]["imagePullSecrets"],
            serde_json::json!([{"name": "registry-pull"}]),
            "{name}"
        );
    }
}

#[test]
fn property_and_version_reach_the_remote_ref() {
    let objects = render(&fixture(), "staging");
    let database = object(&objects, "ExternalSecret", "database");
    assert_eq!(
        remote_ref(database, "password"),
        &serde_json::json!({"key": "DATABASE", "property": "password", "version": "3"})
    );
    assert_eq!(
        remote_ref(database, "admin-password"),
        &serde_json::json!({"key": "DATABASE", "property": "admin.password"})
    );
    // A plain string stays a plain remote key.
    let config = object(&objects, "ExternalSecret", "api-config");
    assert_eq!(
        remote_ref(config, "token"),
        &serde_json::json!({"key": "API_TOKEN"})
    );
    assert_eq!(database["spec"]["refreshInterval"], "15m");
    assert_eq!(database["spec"]["target"]["creationPolicy"], "Owner");
    assert_eq!(database["spec"]["target"]["deletionPolicy"], "Delete");
}

#[test]
fn types_and_templates_shape_the_target_secret() {
    let objects = render(&fixture(), "staging");
    let tls = &object(&objects, "ExternalSecret", "api-tls")["spec"]["target"];
    assert_eq!(tls["template"]["type"], "kubernetes.io/tls");
    assert!(tls["template"]["data"].is_null(), "{tls}");
    assert_eq!(tls["creationPolicy"], "Orphan");
    assert_eq!(tls["deletionPolicy"], "Retain");
    let config = &object(&objects, "ExternalSecret", "api-config")["spec"]["target"];
    assert_eq!(
        config["template"]["data"]["config.json"],
        r#"{"endpoint": "{{ .endpoint }}", "token": "{{ .token }}"}"#
    );
    assert!(config["template"]["type"].is_null(), "{config}");
}

#[test]
fn stores_authenticate_by_service_account() {
    let production = render(&fixture(), "production");
    let vault = &object(&production, "SecretStore", "secret-store")["spec"]["provider"]["vault"];
    assert_eq!(
        vault["auth"]["jwt"],
        serde_json::json!({
            "path": "jwt",
            "role": "secrets-stack",
            "kubernetesServiceAccountToken": {
                "serviceAccountRef": {"name": "vault-auth", "namespace": "mcp-production"}
            }
        })
    );
    let shared = &object(&production, "SecretStore", "shared")["spec"]["provider"]["vault"];
    assert_eq!(
        shared["auth"],
        serde_json::json!({"kubernetes": {"mountPath": "kubernetes", "role": "secrets-stack"}})
    );
    let staging = render(&fixture(), "staging");
    let aws = &object(&staging, "SecretStore", "aws")["spec"]["provider"]["aws"];
    assert_eq!(
        aws["auth"],
        serde_json::json!({"jwt": {"serviceAccountRef": {"name": "secrets-reader", "namespace": "mcp-staging"}}})
    );
    assert_eq!(
        object(&staging, "ExternalSecret", "aws-api")["spec"]["secretStoreRef"],
        serde_json::json!({"kind": "SecretStore", "name": "aws"})
    );
    // Staging's default store is Infisical, by universal auth.
    let infisical = &object(&staging, "SecretStore", "secret-store")["spec"]["provider"];
    assert!(infisical["infisical"]["auth"]["universalAuthCredentials"].is_object());
    assert!(infisical["vault"].is_null());
}

#[test]
fn an_existing_store_is_referred_to_and_not_rendered() {
    for env in ["staging", "production"] {
        let objects = render(&fixture(), env);
        let token = object(&objects, "ExternalSecret", "platform-token");
        assert_eq!(
            token["spec"]["secretStoreRef"],
            serde_json::json!({"kind": "ClusterSecretStore", "name": "platform-secrets"})
        );
        let stores: Vec<&ObjectKey> = objects
            .keys()
            .filter(|(_, kind, _, _)| kind.ends_with("SecretStore"))
            .collect();
        assert!(
            stores
                .iter()
                .all(|(_, _, _, name)| name != "platform-secrets"),
            "{env}: {stores:?}"
        );
        assert_eq!(stores.len(), 3, "{env}: {stores:?}");
    }
}

#[test]
fn a_secret_reads_from_its_own_store() {
    let objects = render(&fixture(), "staging");
    let shared = object(&objects, "ExternalSecret", "shared-api");
    assert_eq!(
        shared["spec"]["secretStoreRef"],
        serde_json::json!({"kind": "SecretStore", "name": "shared"})
    );
    let store = object(&objects, "SecretStore", "shared");
    assert_eq!(
        store["spec"]["provider"]["infisical"]["secretsScope"]["environmentSlug"],
        "shared"
    );
    assert_eq!(
        object(&objects, "ExternalSecret", "database")["spec"]["secretStoreRef"]["name"],
        "secret-store"
    );
}

#[test]
fn the_policy_refuses_static_store_credentials() {
    let project = copy_folders(&fixture(), &["environments"]);
    let production = project.path().join("environments/production.yaml");
    let text = std::fs::read_to_string(&production).expect("read production.yaml");
    // The shared store goes back to Infisical's static credentials.
    let changed = text.replacen(
        "    shared:\n      infisical: {enabled: false}\n      vault:\n",
        "    shared:\n      vault:\n        enabled: false\n",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&production, changed).expect("write production.yaml");
    let output = mcpstack(project.path(), &["validate"]);
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{err}");
    assert!(err.contains("error[static-store-credentials]"), "{err}");
    assert!(
        err.contains("secret `shared-api` reads from store `global.secretStores.shared`"),
        "{err}"
    );
    assert!(
        err.contains("field: global.secretStores.shared.infisical.credentialsSecret"),
        "{err}"
    );
    // Without the switch, the same stores are accepted.
    let text = std::fs::read_to_string(&production).expect("read production.yaml");
    std::fs::write(
        &production,
        text.replace(
            "requireWorkloadIdentity: true",
            "requireWorkloadIdentity: false",
        ),
    )
    .expect("write production.yaml");
    let output = mcpstack(project.path(), &["validate"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn external_secrets_objects_conform_to_their_crd_schemas() {
    if !can_run(&[Need::CrdSchemas]) {
        return;
    }
    let mut failures = Vec::new();
    for env in ["staging", "production"] {
        for ((_, kind, _, name), object) in render(&fixture(), env) {
            let schema = match kind.as_str() {
                "ExternalSecret" => "externalsecret_v1.json",
                "SecretStore" => "secretstore_v1.json",
                "ClusterSecretStore" => "clustersecretstore_v1.json",
                _ => continue,
            };
            let path = crd_schemas_dir().join("external-secrets.io").join(schema);
            let text = std::fs::read_to_string(&path).expect("read a CRD schema");
            let schema: Json = serde_json::from_str(&text).expect("a CRD schema is JSON");
            let validator = jsonschema::draft202012::new(&schema).expect("a CRD schema compiles");
            for error in validator.iter_errors(&object) {
                failures.push(format!(
                    "{env} {kind} {name}: {}: {error}",
                    error.instance_path().as_str()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_fixture_builds_checks_clean_and_kustomize_equals_render() {
    let project = copy_folders(&fixture(), &["environments"]);
    let output = mcpstack(project.path(), &["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let output = mcpstack(project.path(), &["check"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    for env in ["staging", "production"] {
        let output = mcpstack(project.path(), &["render", env]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let rendered = parse_stream(&stdout(&output)).expect("render parses");
        let overlay = project.path().join("generated/overlays").join(env);
        let built = kustomize(&overlay).expect("kustomize");
        let built = parse_stream(&built).expect("kustomize output parses");
        assert_eq!(
            built, rendered,
            "{env}: kubectl kustomize equals mcpstack render"
        );
    }
}
