//! Secrets: the secret store, synced Secrets and the plaintext-secret guard.

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{FieldPath, Node};
use crate::spec::{self, Values};

use super::*;

/// The secret store names one provider with what it needs, and every synced Secret
/// says what to read.
pub(super) fn check(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let error = |code: Code, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    let store_path = FieldPath::root().key("global").key("secretStore");
    let store = values.global.as_ref().and_then(|g| g.secret_store.as_ref());
    let enabled: Vec<&String> = values
        .secrets
        .iter()
        .flatten()
        .filter(|(_, s)| s.synced())
        .map(|(n, _)| n)
        .collect();
    if store.is_none()
        && let Some(first) = enabled.first()
    {
        out.push(
            error(
                Code::MissingSecretStore,
                FieldPath::root().key("secrets").key(first),
                format!("secret `{first}` is synced from a store, but no store is set"),
            )
            .expected("`global.secretStore` with `infisical`, `vault` or `aws`"),
        );
    }
    if let Some(store) = store {
        let providers = [
            store.infisical.is_some(),
            store.vault.is_some(),
            store.aws.is_some(),
        ];
        let count = providers.iter().filter(|p| **p).count();
        if count != 1 {
            out.push(
                error(
                    Code::SecretStoreProvider,
                    store_path.clone(),
                    format!("the secret store sets {count} providers"),
                )
                .expected("exactly one of `infisical`, `vault` and `aws`"),
            );
        }
        let required: Vec<(&str, &str, bool)> = match (&store.infisical, &store.vault, &store.aws) {
            (Some(i), _, _) => vec![
                ("infisical", "projectSlug", i.project_slug.is_none()),
                ("infisical", "environmentSlug", i.environment_slug.is_none()),
                (
                    "infisical",
                    "credentialsSecret",
                    i.credentials_secret.is_none(),
                ),
            ],
            (None, Some(v), _) => vec![
                ("vault", "server", v.server.is_none()),
                ("vault", "role", v.role.is_none()),
            ],
            (None, None, Some(a)) => vec![("aws", "region", a.region.is_none())],
            (None, None, None) => Vec::new(),
        };
        for (provider, field, missing) in required {
            if missing {
                out.push(
                    error(
                        Code::MissingField,
                        store_path.key(provider),
                        format!("the {provider} secret store has no `{field}`"),
                    )
                    .expected(format!("`global.secretStore.{provider}.{field}`")),
                );
            }
        }
    }
    for (name, secret) in values.secrets.iter().flatten().filter(|(_, s)| s.synced()) {
        if let (Some(path), Some(store)) = (&secret.path, store)
            && store.infisical.is_some()
            && !path.starts_with('/')
        {
            out.push(
                error(
                    Code::InvalidPath,
                    FieldPath::root().key("secrets").key(name).key("path"),
                    format!("Infisical folder `{path}` of secret `{name}` is not absolute"),
                )
                .expected("a folder such as `/gateway`")
                .help("Infisical names folders from the root of the environment: write `/` first"),
            );
        }
        let credentials = store
            .and_then(|s| s.infisical.as_ref())
            .and_then(|i| i.credentials_secret.as_deref());
        if credentials == Some(name.as_str()) {
            let path = FieldPath::root().key("secrets").key(name);
            out.push(
                Diagnostic::error(
                    Code::SharedObject,
                    format!("secret `{name}` is the secret store's own credentials Secret"),
                )
                .at(merged.locate_key(&path).span)
                .path(path)
                .expected("another name: the store reads its credentials from this Secret")
                .help("syncing it from the store would overwrite the credentials the store needs to sync anything"),
            );
        }
        let empty = secret.keys.as_ref().is_none_or(|k| k.is_empty()) && secret.path.is_none();
        if empty {
            out.push(
                error(
                    Code::MissingField,
                    FieldPath::root().key("secrets").key(name),
                    format!("secret `{name}` reads nothing from the store"),
                )
                .expected("`keys: {KEY: REMOTE_KEY}`, `path: /folder`, or both"),
            );
        }
    }
}

impl Context<'_> {
    /// No literal env value is, or is named like, a credential.
    pub(super) fn plaintext(&self, out: &mut Vec<Diagnostic>) {
        for (name, value) in self.spec.env.iter().flatten() {
            let spec::EnvValue::Literal(text) = value else {
                continue;
            };
            if let Some(why) = crate::plaintext::finding(name, text) {
                let help = format!(
                    "put it in a Secret and reference it: `{name}: {{secretKeyRef: {{name: SECRET, key: KEY}}}}`, or use `envFrom`"
                );
                out.push(plaintext_error(
                    self.error(Code::PlaintextSecret, self.path().key("env").key(name), why),
                    help,
                ));
            }
        }
    }
}

impl ChartContext<'_> {
    /// No string in the chart's values is, or is named like, a credential.
    pub(super) fn plaintext(&self, out: &mut Vec<Diagnostic>) {
        let Some(values) = &self.spec.values else {
            return;
        };
        let mut found = Vec::new();
        plaintext_values(
            &self.path().key("values"),
            "",
            &serde_json::Value::Object(values.clone()),
            &mut found,
        );
        for (path, why) in found {
            let help = "put it in a Secret and pass it with `valuesFrom: [{kind: Secret, name: SECRET, targetPath: PATH}]`, or use the chart's `existingSecret` setting";
            out.push(plaintext_error(
                self.error(Code::PlaintextSecret, path, why),
                help.to_owned(),
            ));
        }
    }
}

pub(super) fn plaintext_error(diagnostic: Diagnostic, help: String) -> Diagnostic {
    diagnostic
        .expected(
            "a reference to a Secret; no credential is ever written in a spec or in generated/",
        )
        .help(help)
}

/// Every string in chart values that looks like a credential, with its path.
pub(super) fn plaintext_values(
    path: &FieldPath,
    key: &str,
    value: &serde_json::Value,
    out: &mut Vec<(FieldPath, String)>,
) {
    match value {
        serde_json::Value::String(text) => {
            if let Some(why) = crate::plaintext::finding_in_values(key, text) {
                out.push((path.clone(), why));
            }
        }
        serde_json::Value::Object(map) => {
            for (child, value) in map {
                plaintext_values(&path.key(child), child, value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                plaintext_values(&path.index(index), key, item, out);
            }
        }
        _ => {}
    }
}
