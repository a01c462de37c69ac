//! Secrets: the secret store, synced Secrets and the plaintext-secret guard.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::node::{FieldPath, Node};
use crate::spec::{self, Values};

use super::*;

/// The secret stores name one provider with what it needs (or exist already), every
/// synced Secret names a known store and says what to read, its templates read keys it
/// has, pull secrets are pull secrets, and the policy on static credentials holds.
pub(super) fn check(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let error = |code: Code, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    let global = values.global.as_ref();
    let default_store = global.and_then(|g| g.secret_store.as_ref());
    let named: BTreeMap<&str, &spec::SecretStore> = global
        .and_then(|g| g.secret_stores.as_ref())
        .into_iter()
        .flatten()
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let store_path = |key: Option<&str>| {
        let global = FieldPath::root().key("global");
        match key {
            None => global.key("secretStore"),
            Some(key) => global.key("secretStores").key(key),
        }
    };
    let stores = default_store
        .map(|s| (None, s))
        .into_iter()
        .chain(named.iter().map(|(k, s)| (Some(*k), *s)));
    let mut rendered: BTreeMap<(bool, String), Option<&str>> = BTreeMap::new();
    for (key, store) in stores {
        check_store(merged, store, &store_path(key), out);
        if store.is_existing() {
            continue;
        }
        // Two rendered stores of one kind and name would be one object.
        let name = store.name.clone().or_else(|| key.map(str::to_owned));
        let name = name.unwrap_or_else(|| crate::render::secrets::DEFAULT_STORE.to_owned());
        let identity = (store.cluster_wide.unwrap_or(false), name.clone());
        if let Some(first) = rendered.get(&identity) {
            let path = store_path(key);
            let first = store_path(*first).to_string();
            out.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("two secret stores render the same object, named `{name}`"),
                )
                .at(merged.locate_key(&path).span)
                .path(path)
                .expected(format!(
                    "a name other than that of `{}`",
                    first.trim_start_matches('.')
                ))
                .help("set `name` on one of them"),
            );
            continue;
        }
        rendered.insert(identity, key);
    }
    let synced: Vec<(&String, &spec::ExternalSecret)> = values
        .secrets
        .iter()
        .flatten()
        .filter(|(_, s)| s.synced())
        .collect();
    let policy = global
        .and_then(|g| g.secret_policy.as_ref())
        .and_then(|p| p.require_workload_identity)
        .unwrap_or(false);
    let mut refused_stores = Vec::new();
    for (name, secret) in &synced {
        let secret_path = FieldPath::root().key("secrets").key(name);
        // The store this secret reads from.
        let store = match &secret.store {
            Some(wanted) => match named.get(wanted.as_str()) {
                Some(store) => Some((Some(wanted.as_str()), *store)),
                None => {
                    let mut diagnostic = error(
                        Code::UnknownSecretStore,
                        secret_path.key("store"),
                        format!("secret `{name}` reads from store `{wanted}`, which `global.secretStores` does not declare"),
                    )
                    .expected(match named.is_empty() {
                        true => "a name declared under `global.secretStores`".to_owned(),
                        false => format!(
                            "one of {}",
                            named.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                    });
                    diagnostic = match did_you_mean(wanted, named.keys().copied()) {
                        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                        None => diagnostic.help(format!(
                            "declare it: `global: {{secretStores: {{{wanted}: {{vault: {{...}}}}}}}}`, or `{{existing: true}}` for a store that is already in the cluster; drop `store` to read from `global.secretStore`"
                        )),
                    };
                    out.push(diagnostic);
                    continue;
                }
            },
            None => default_store.map(|s| (None, s)),
        };
        let Some((store_key, store)) = store else {
            out.push(
                error(
                    Code::MissingSecretStore,
                    secret_path.clone(),
                    format!("secret `{name}` is synced from a store, but no store is set"),
                )
                .expected("`global.secretStore` with `infisical`, `vault` or `aws`"),
            );
            continue;
        };
        if let (Some(path), Some(_)) = (&secret.path, store.infisical())
            && !path.starts_with('/')
        {
            out.push(
                error(
                    Code::InvalidPath,
                    secret_path.key("path"),
                    format!("Infisical folder `{path}` of secret `{name}` is not absolute"),
                )
                .expected("a folder such as `/gateway`")
                .help("Infisical names folders from the root of the environment: write `/` first"),
            );
        }
        if policy
            && let Some((provider, field)) = store.static_credentials()
            && !refused_stores.contains(&store_key)
        {
            refused_stores.push(store_key);
            let at = store_path(store_key).key(provider).key(field);
            let label = store_path(store_key).to_string();
            let label = label.trim_start_matches('.');
            out.push(
                error(
                    Code::StaticStoreCredentials,
                    at,
                    format!(
                        "secret `{name}` reads from store `{label}`, whose `{provider}` login uses static credentials (`{field}`), and `global.secretPolicy.requireWorkloadIdentity` is set"
                    ),
                )
                .expected("a store that authenticates by a service account: `vault` (`auth: kubernetes` or `jwt`) or `aws` with `serviceAccount`")
                .help("e.g. `vault: {server: https://vault.example.com, role: mcp-stack, serviceAccount: vault-auth}`; an environment that switches provider sets `infisical: {enabled: false}`"),
            );
        }
        let credentials = [
            store
                .infisical()
                .and_then(|i| i.credentials_secret.as_deref()),
            store.aws().and_then(|a| a.credentials_secret.as_deref()),
        ];
        if credentials.contains(&Some(name.as_str())) {
            out.push(
                Diagnostic::error(
                    Code::SharedObject,
                    format!("secret `{name}` is the secret store's own credentials Secret"),
                )
                .at(merged.locate_key(&secret_path).span)
                .path(secret_path.clone())
                .expected("another name: the store reads its credentials from this Secret")
                .help("syncing it from the store would overwrite the credentials the store needs to sync anything"),
            );
        }
        let empty = secret.keys.as_ref().is_none_or(|k| k.is_empty()) && secret.path.is_none();
        if empty {
            out.push(
                error(
                    Code::MissingField,
                    secret_path.clone(),
                    format!("secret `{name}` reads nothing from the store"),
                )
                .expected("`keys: {KEY: REMOTE_KEY}`, `path: /folder`, or both"),
            );
        }
        check_target(merged, name, secret, &secret_path, out);
    }
    pull_secrets(merged, values, out);
}

/// One store: exactly one provider with its required fields, or `existing` and none.
fn check_store(
    merged: &Node,
    store: &spec::SecretStore,
    at: &FieldPath,
    out: &mut Vec<Diagnostic>,
) {
    let error = |code: Code, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    let count = [
        store.infisical().is_some(),
        store.vault().is_some(),
        store.aws().is_some(),
    ]
    .iter()
    .filter(|p| **p)
    .count();
    if store.is_existing() {
        if count != 0 {
            out.push(
                error(
                    Code::SecretStoreProvider,
                    at.clone(),
                    format!("the secret store exists in the cluster, yet sets {count} provider(s)"),
                )
                .expected("`existing: true` and `name` alone: the cluster's store already says how it reads secrets"),
            );
        }
        return;
    }
    if count != 1 {
        out.push(
            error(
                Code::SecretStoreProvider,
                at.clone(),
                format!("the secret store sets {count} providers"),
            )
            .expected("exactly one of `infisical`, `vault` and `aws` (a provider with `enabled: false` does not count)"),
        );
    }
    let required: Vec<(&str, &str, bool)> = match (store.infisical(), store.vault(), store.aws()) {
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
            (
                "vault",
                "serviceAccount",
                v.auth == Some(spec::VaultAuth::Jwt) && v.service_account.is_none(),
            ),
        ],
        (None, None, Some(a)) => vec![("aws", "region", a.region.is_none())],
        (None, None, None) => Vec::new(),
    };
    for (provider, field, missing) in required {
        if missing {
            out.push(
                error(
                    Code::MissingField,
                    at.key(provider),
                    format!("the {provider} secret store has no `{field}`"),
                )
                .expected(format!(
                    "`{}.{provider}.{field}`",
                    at.to_string().trim_start_matches('.')
                )),
            );
        }
    }
    if let Some(aws) = store.aws()
        && aws.service_account.is_some()
        && aws.credentials_secret.is_some()
    {
        out.push(
            error(
                Code::InvalidValue,
                at.key("aws").key("credentialsSecret"),
                "the AWS store sets both `serviceAccount` (IRSA) and `credentialsSecret` (access keys)".to_owned(),
            )
            .expected("one way to log in: `serviceAccount` or `credentialsSecret`"),
        );
    }
}

/// The Secret a synced secret makes: its templates read keys it has, a pull secret's
/// type is right, and the External Secrets webhook's rules on the two policies hold.
fn check_target(
    merged: &Node,
    name: &str,
    secret: &spec::ExternalSecret,
    at: &FieldPath,
    out: &mut Vec<Diagnostic>,
) {
    let error = |code: Code, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    // With `path`, the Secret's keys are whatever the folder holds.
    let keys: Option<Vec<&str>> = match secret.path {
        Some(_) => None,
        None => Some(
            secret
                .keys
                .iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .collect(),
        ),
    };
    let listed = |keys: &[&str]| {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unknown = |key: &str, path: FieldPath, what: String| -> Option<Diagnostic> {
        let keys = keys.as_ref()?;
        if keys.contains(&key) {
            return None;
        }
        let diagnostic = error(Code::TemplateKey, path, what).expected(match keys.is_empty() {
            true => "a key listed under the secret's `keys`".to_owned(),
            false => format!("one of {}", listed(keys)),
        });
        Some(match did_you_mean(key, keys.iter().copied()) {
            Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
            None => diagnostic.help(format!(
                "add it to the secret's keys: `secrets: {{{name}: {{keys: {{{key}: REMOTE_KEY}}}}}}`"
            )),
        })
    };
    for (target, text) in secret.template.iter().flatten() {
        if let Some(problem) = template_syntax(text) {
            out.push(
                error(
                    Code::InvalidValue,
                    at.key("template").key(target),
                    format!("template `{target}` of secret `{name}` {problem}"),
                )
                .expected("a Go template the External Secrets Operator can parse, e.g. `\"postgres://app:{{ .password }}@db:5432/app\"`")
                .help("the operator parses the template on every sync and, when it cannot, never writes the Secret; close every `{{` with `}}` and every `if`/`range`/`with` with `{{ end }}`"),
            );
            continue;
        }
        let mut seen = Vec::new();
        for key in crate::plaintext::template_keys(text) {
            if seen.contains(&key) {
                continue;
            }
            out.extend(unknown(
                &key,
                at.key("template").key(target),
                format!("template `{target}` of secret `{name}` reads key `{key}`, which the secret does not have"),
            ));
            seen.push(key);
        }
    }
    if let Some(docker) = &secret.docker_config {
        if let Some(problem) = registry_server(&docker.server) {
            out.push(
                error(
                    Code::InvalidValue,
                    at.key("dockerConfig").key("server"),
                    format!("`dockerConfig.server` `{}` of secret `{name}` {problem}", docker.server.escape_debug()),
                )
                .expected("a registry host, optionally with a port and a path, e.g. `ghcr.io`, `registry.example.com:5000` or `https://index.docker.io/v1/`")
                .help("the server becomes a key of the `.dockerconfigjson` the kubelet matches images against; quotes, braces or spaces would break the JSON or the template it is built from"),
            );
        }
        for (field, key) in [
            ("username", &docker.username),
            ("password", &docker.password),
        ] {
            out.extend(unknown(
                key,
                at.key("dockerConfig").key(field),
                format!("`dockerConfig.{field}` of secret `{name}` names key `{key}`, which the secret does not have"),
            ));
        }
        if let Some(kind) = &secret.secret_type
            && kind != spec::DOCKER_CONFIG_JSON
        {
            out.push(
                error(
                    Code::InvalidValue,
                    at.key("type"),
                    format!("secret `{name}` builds a `.dockerconfigjson` but is of type `{kind}`"),
                )
                .expected(format!(
                    "`type: {}`, or no `type`",
                    spec::DOCKER_CONFIG_JSON
                )),
            );
        }
        if secret
            .template
            .iter()
            .flatten()
            .any(|(k, _)| k == ".dockerconfigjson")
        {
            out.push(
                error(
                    Code::DuplicateKey,
                    at.key("template").key(".dockerconfigjson"),
                    format!("secret `{name}` writes `.dockerconfigjson` both with `dockerConfig` and in `template`"),
                )
                .expected("one of the two"),
            );
        }
    }
    // The API server refuses a Secret of a built-in type without the keys it needs.
    let needs: &[&str] = match secret.target_type() {
        Some("kubernetes.io/tls") => &["tls.crt", "tls.key"],
        Some(spec::DOCKER_CONFIG_JSON) => &[".dockerconfigjson"],
        Some("kubernetes.io/dockercfg") => &[".dockercfg"],
        Some("kubernetes.io/ssh-auth") => &["ssh-privatekey"],
        _ => &[],
    };
    if let Some(held) = secret.held_keys() {
        let missing: Vec<&str> = needs
            .iter()
            .copied()
            .filter(|k| !held.iter().any(|h| h == k))
            .collect();
        if !missing.is_empty() {
            let path = match secret.secret_type {
                Some(_) => at.key("type"),
                None => at.key("dockerConfig"),
            };
            out.push(
                error(
                    Code::InvalidValue,
                    path,
                    format!(
                        "secret `{name}` is of type `{}` but has no key {}",
                        secret.target_type().unwrap_or_default(),
                        listed(&missing)
                    ),
                )
                .expected(format!("keys (or `template` entries) {}", listed(needs)))
                .help("the API server refuses a Secret of a built-in type without the keys that type requires"),
            );
        }
    }
    // Types whose other requirements mcpstack cannot meet or that need one of two keys.
    let at_type = || match secret.secret_type {
        Some(_) => at.key("type"),
        None => at.key("dockerConfig"),
    };
    match secret.target_type() {
        Some("kubernetes.io/service-account-token") => out.push(
            error(
                Code::InvalidValue,
                at_type(),
                format!("secret `{name}` is of type `kubernetes.io/service-account-token`"),
            )
            .expected("`Opaque` (no `type`) or another type the store's data fits")
            .help("the API server refuses such a Secret without the `kubernetes.io/service-account.name` annotation, and Kubernetes itself fills its token; a token from the store is an `Opaque` secret"),
        ),
        Some("kubernetes.io/basic-auth") => {
            if let Some(held) = secret.held_keys()
                && !held.iter().any(|k| k == "username" || k == "password")
            {
                out.push(
                    error(
                        Code::InvalidValue,
                        at_type(),
                        format!("secret `{name}` is of type `kubernetes.io/basic-auth` but has neither key `username` nor `password`"),
                    )
                    .expected("a key (or `template` entry) `username` or `password`")
                    .help("the API server refuses a basic-auth Secret without one of the two"),
                );
            }
        }
        _ => {}
    }
    use spec::{CreationPolicy as C, DeletionPolicy as D};
    let creation = secret.creation_policy.unwrap_or(C::Owner);
    let clash = match secret.deletion_policy {
        Some(D::Delete) if creation != C::Owner => Some(
            "`deletionPolicy: Delete` needs `creationPolicy: Owner`: the operator deletes only a Secret it owns",
        ),
        Some(D::Merge) if creation == C::None => {
            Some("`deletionPolicy: Merge` cannot be used with `creationPolicy: None`")
        }
        _ => None,
    };
    if let Some(why) = clash {
        out.push(
            error(
                Code::InvalidValue,
                at.key("deletionPolicy"),
                format!("secret `{name}`: {why}"),
            )
            .expected("`creationPolicy: Owner` with `Delete`; any but `None` with `Merge`")
            .help("the External Secrets Operator's admission webhook refuses this pair"),
        );
    }
}

/// What is wrong with a registry server of a `.dockerconfigjson`: an optional
/// `https://` (or `http://`), a host (its first label may be `*`), an optional port and
/// an optional path of plain characters.
pub(super) fn registry_server(server: &str) -> Option<String> {
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Some("is not a registry host name".to_owned());
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Some(format!(
            "has port `{}`, not a number from 1 to 65535",
            port.escape_debug()
        ));
    }
    if !path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
    {
        return Some(
            "has a path with characters other than letters, digits, `/`, `.`, `-` and `_`"
                .to_owned(),
        );
    }
    None
}

/// What the External Secrets Operator's template parser (Go's `text/template`)
/// would refuse in `text`: an unclosed action or comment, an `end` or `else` with no
/// block, a block never ended, or `env`/`expandenv`, which the operator removes.
pub(super) fn template_syntax(text: &str) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let body = &rest[start + 2..];
        let inner = body.strip_prefix("- ").unwrap_or(body).trim_start();
        if inner.starts_with("/*") {
            let Some(end) = inner.find("*/") else {
                return Some("has a comment `{{/*` that is never closed with `*/}}`".to_owned());
            };
            let after = inner[end + 2..].trim_start_matches([' ', '-']);
            let Some(after) = after.strip_prefix("}}") else {
                return Some("has a comment that does not end right before `}}`".to_owned());
            };
            rest = after;
            continue;
        }
        // The action's end: the first `}}` outside a quoted string.
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut end = None;
        for (i, c) in body.char_indices() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q != '`' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None if matches!(c, '"' | '`' | '\'') => quote = Some(c),
                None if body[i..].starts_with("}}") => {
                    end = Some(i);
                    break;
                }
                None => {}
            }
        }
        let Some(end) = end else {
            return Some("has a `{{` that is never closed with `}}`".to_owned());
        };
        let action = body[..end]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let mut words = action
            .split(|c: char| c.is_whitespace() || matches!(c, '|' | '(' | ')'))
            .filter(|w| !w.is_empty());
        match words.next() {
            Some(block @ ("if" | "range" | "with" | "define" | "block")) => open.push(block),
            Some("else")
                if !open
                    .last()
                    .is_some_and(|b| matches!(*b, "if" | "range" | "with")) =>
            {
                return Some("has an `{{ else }}` outside any `if`, `range` or `with`".to_owned());
            }
            Some("end") if open.is_empty() => {
                return Some("has an `{{ end }}` that closes no block".to_owned());
            }
            Some("end") => {
                open.pop();
            }
            _ => {}
        }
        if let Some(function) = strip_strings(action)
            .split(|c: char| c.is_whitespace() || matches!(c, '|' | '(' | ')'))
            .find(|w| matches!(*w, "env" | "expandenv"))
        {
            return Some(format!(
                "calls `{function}`, which the operator removes from its templates (they may not read its environment)"
            ));
        }
        rest = &body[end + 2..];
    }
    open.last()
        .map(|block| format!("opens `{{{{ {block} }}}}` and never closes it with `{{{{ end }}}}`"))
}

/// `text` with its quoted strings emptied, so that words inside them are not read as
/// function names.
fn strip_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if matches!(c, '"' | '`' | '\'') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Every pull secret is a declared Secret: one created outside the stack, or one the
/// store syncs as `kubernetes.io/dockerconfigjson`.
fn pull_secrets(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let names = values
        .global
        .as_ref()
        .and_then(|g| g.image.as_ref())
        .and_then(|i| i.pull_secrets.as_ref());
    let declared: BTreeMap<&str, &spec::ExternalSecret> = values
        .secrets
        .iter()
        .flatten()
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    for (index, name) in names.into_iter().flatten().enumerate() {
        let at = FieldPath::root()
            .key("global")
            .key("image")
            .key("pullSecrets")
            .index(index);
        // A name that is no Secret name at all is the API rules' to report.
        let name_like = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        let Some(secret) = declared.get(name.as_str()) else {
            if !name_like {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                Code::UnknownSecret,
                format!("pull secret `{name}` is not declared under `secrets`"),
            )
            .at(merged.locate(&at).span)
            .path(at.clone())
            .expected("a secret with `dockerConfig`, or `existing: true`");
            diagnostic = match did_you_mean(name, declared.keys().copied()) {
                Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                None => diagnostic.help(format!(
                    "sync it from the store: `secrets: {{{name}: {{keys: {{username: REGISTRY_USER, password: REGISTRY_TOKEN}}, dockerConfig: {{server: ghcr.io, username: username, password: password}}}}}}`, or declare `{{existing: true}}` for one made outside the stack"
                )),
            };
            out.push(diagnostic);
            continue;
        };
        if !secret.synced() {
            continue;
        }
        if secret.target_type() != Some(spec::DOCKER_CONFIG_JSON) {
            out.push(
                Diagnostic::error(
                    Code::PullSecretType,
                    format!(
                        "pull secret `{name}` is synced as type `{}`, which the kubelet cannot read registry credentials from",
                        secret.target_type().unwrap_or("Opaque")
                    ),
                )
                .at(merged.locate(&at).span)
                .path(at)
                .expected(format!("a secret of type `{}`", spec::DOCKER_CONFIG_JSON))
                .help(format!(
                    "build it from the registry credentials: `secrets: {{{name}: {{dockerConfig: {{server: ghcr.io, username: KEY, password: KEY}}}}}}`"
                )),
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

#[cfg(test)]
mod tests {
    use super::{registry_server, template_syntax};

    #[test]
    fn templates_parse_like_the_operator() {
        for good in [
            "postgres://app:{{ .password }}@db:5432/app",
            "{{- if .a -}}{{ .a | b64enc }}{{ else }}{{ \"}}\" }}{{ end }}",
            "{{/* a comment */}} }} {\"json\": 1}",
            "{{ range $k, $v := . }}{{ $k }}={{ $v }}{{ end }}",
            "{{ define \"x\" }}y{{ end }}{{ template \"x\" }}",
            "{{ .a | replace \"env\" \"x\" }}",
        ] {
            assert_eq!(template_syntax(good), None, "{good}");
        }
        for (bad, why) in [
            ("{{ .a ", "never closed"),
            ("{{ .a }}{{ end }}", "closes no block"),
            ("{{ if .a }}y", "never closes it"),
            ("{{ else }}", "outside any"),
            ("{{/* open", "comment"),
            ("{{ env \"HOME\" }}", "`env`"),
            ("{{ \"$HOME\" | expandenv }}", "`expandenv`"),
        ] {
            let problem = template_syntax(bad).unwrap_or_else(|| panic!("{bad} passes"));
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }

    #[test]
    fn registry_servers_are_hosts() {
        for good in [
            "ghcr.io",
            "registry.example.com:5000",
            "https://index.docker.io/v1/",
            "*.example.com",
        ] {
            assert_eq!(registry_server(good), None, "{good}");
        }
        for bad in [
            "",
            "ghcr.io\"}",
            "{{ .u }}",
            "ghcr io",
            "ghcr.io:0",
            "ghcr.io:http",
            "ghcr.io/a b",
        ] {
            assert!(registry_server(bad).is_some(), "{bad}");
        }
    }
}
