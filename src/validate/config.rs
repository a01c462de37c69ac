//! ConfigMaps, mounts and extra containers: keys of declared ConfigMaps, references to
//! ConfigMaps (and to Secrets mounted as files), mount paths and permissions, init
//! containers and sidecars.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::node::Node;
use crate::spec::{self, Tier};

use super::api::format;
use super::references::{SecretRef, secret_reference};
use super::*;

/// The ConfigMaps an environment declares, enabled or not, by name.
pub(super) type DeclaredConfigMaps<'a> = BTreeMap<&'a str, &'a spec::ConfigMap>;

fn config_maps_path() -> FieldPath {
    FieldPath::root().key("configMaps")
}

/// Keys of declared ConfigMaps are valid and distinct between `data` and `files`; an
/// `existing` ConfigMap holds nothing of the stack's; literal values hold no
/// credential.
pub(super) fn config_maps(merged: &Node, values: &Values, out: &mut Vec<Diagnostic>) {
    let error = |code: Code, path: FieldPath, message: String| {
        Diagnostic::error(code, message)
            .at(merged.locate(&path).span)
            .path(path)
    };
    for (name, config_map) in values.config_maps.iter().flatten() {
        if !config_map.enabled.unwrap_or(true) {
            continue;
        }
        let at = config_maps_path().key(name);
        if let Some(problem) = format::dns_subdomain(name) {
            out.push(
                Diagnostic::error(
                    Code::InvalidName,
                    format!("ConfigMap name `{name}` {problem}"),
                )
                .at(merged.locate_key(&at).span)
                .path(at.clone())
                .expected("a DNS subdomain: lowercase letters, digits, `-` and `.`")
                .help(format!("e.g. `{}`", crate::hostname::suggest_label(name))),
            );
        }
        let literal = config_map.data.as_ref();
        let files = config_map.files.as_ref();
        if config_map.existing.unwrap_or(false) {
            for (field, set) in [("data", literal.is_some()), ("files", files.is_some())] {
                if set {
                    out.push(
                        error(
                            Code::InvalidValue,
                            at.key(field),
                            format!("ConfigMap `{name}` is marked `existing` and also sets `{field}`"),
                        )
                        .expected("`existing: true` alone, or `data`/`files` without `existing`")
                        .help("mcpstack renders nothing for an existing ConfigMap; drop `existing` to have the stack create it"),
                    );
                }
            }
            continue;
        }
        for (field, keys) in [("data", literal), ("files", files)] {
            for key in keys.into_iter().flat_map(BTreeMap::keys) {
                if let Some(problem) = format::config_key(key) {
                    let path = at.key(field).key(key);
                    out.push(
                        Diagnostic::error(
                            Code::ConfigMapKey,
                            format!("ConfigMap key `{key}` {problem}"),
                        )
                        .at(merged.locate_key(&path).span)
                        .path(path)
                        .expected("a key of letters, digits, `-`, `_` and `.`, at most 253 characters, e.g. `proxies.yaml`")
                        .help("each key becomes a file name when mounted and a variable with `envFrom`"),
                    );
                }
            }
        }
        for key in files.into_iter().flat_map(BTreeMap::keys) {
            if literal.is_some_and(|data| data.contains_key(key)) {
                let path = at.key("files").key(key);
                out.push(
                    Diagnostic::error(
                        Code::ConfigMapKey,
                        format!("ConfigMap `{name}` sets key `{key}` in both `data` and `files`"),
                    )
                    .at(merged.locate_key(&path).span)
                    .path(path)
                    .expected("each key in one of `data` and `files`")
                    .help("keep one of the two, or rename one of the keys"),
                );
            }
        }
        for (key, value) in literal.into_iter().flatten() {
            if let Some(why) = crate::plaintext::finding(key, value) {
                out.push(secrets::plaintext_error(
                    error(Code::PlaintextSecret, at.key("data").key(key), why),
                    format!("keep credentials in a Secret declared under `secrets` and mount it (`mounts: [{{path: /etc/secrets, secret: NAME}}]`) or reference it with `secretKeyRef`; ConfigMap `{name}` is not secret"),
                ));
            }
        }
    }
}

/// The content of ConfigMap files holds no credential. Each finding is reported at the
/// spec value naming the file.
pub fn config_files(merged: &Node, files: &crate::load::ConfigFiles) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, contents) in files {
        for (key, text) in contents {
            let found = crate::plaintext::credential_value(text).or_else(|| {
                text.lines()
                    .find_map(|line| crate::plaintext::credential_value(line.trim()))
            });
            if let Some(why) = found {
                let path = config_maps_path().key(name).key("files").key(key);
                out.push(secrets::plaintext_error(
                    Diagnostic::error(
                        Code::PlaintextSecret,
                        format!("the file of key `{key}` of ConfigMap `{name}`: {why}"),
                    )
                    .at(merged.locate(&path).span)
                    .path(path),
                    "keep the credential in a Secret declared under `secrets`, mounted beside the file (`mounts: [{path: /etc/secrets, secret: NAME}]`)".to_owned(),
                ));
            }
        }
    }
    out
}

/// A reference to a ConfigMap, and where it was written.
struct ConfigRef<'a> {
    name: &'a str,
    key: Option<&'a str>,
    path: FieldPath,
    key_path: FieldPath,
    /// Whether the reference may name a missing object (`optional: true`).
    optional: bool,
}

/// Whether `reference` names a declared, enabled ConfigMap (and one of its keys).
fn config_reference(
    env: &str,
    merged: &Node,
    declared: &DeclaredConfigMaps<'_>,
    reference: &ConfigRef<'_>,
) -> Option<Diagnostic> {
    let name = reference.name;
    let error = |message: String| {
        Diagnostic::error(Code::UnknownConfigMap, message)
            .at(merged.locate(&reference.path).span)
            .path(reference.path.clone())
    };
    let Some(config_map) = declared.get(name) else {
        if reference.optional {
            return None;
        }
        let known: Vec<String> = declared.keys().map(|k| format!("`{k}`")).collect();
        // A near miss of a declared name is a typo: an error. Any other name may be a
        // ConfigMap created outside the stack, as every ConfigMap was before the stack
        // could declare them: a warning (`--deny-warnings` makes it an error).
        if let Some(near) = did_you_mean(name, declared.keys().copied()) {
            return Some(
                error(format!(
                    "ConfigMap `{name}` is not declared under `configMaps`"
                ))
                .expected(format!("one of {}", known.join(", ")))
                .help(format!("did you mean `{near}`?")),
            );
        }
        return Some(
            Diagnostic::warning(
                Code::UnknownConfigMap,
                format!(
                    "ConfigMap `{name}` is not declared under `configMaps`; it must exist in the namespace before the pods start"
                ),
            )
            .at(merged.locate(&reference.path).span)
            .path(reference.path.clone())
            .expected("a ConfigMap declared under `configMaps`")
            .help(format!(
                "declare it: `configMaps: {{{name}: {{data: {{KEY: value}}}}}}`, or `{{{name}: {{existing: true}}}}` for one created outside the stack"
            )),
        );
    };
    if !config_map.enabled.unwrap_or(true) {
        if reference.optional {
            return None;
        }
        return Some(
            error(format!("ConfigMap `{name}` is disabled in `{env}`"))
                .help("enable the ConfigMap in this environment, or drop the reference"),
        );
    }
    let key = reference.key?;
    if config_map.existing.unwrap_or(false) || reference.optional {
        return None;
    }
    let keys: Vec<&str> = config_map
        .data
        .iter()
        .chain(config_map.files.iter())
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    if keys.contains(&key) {
        return None;
    }
    let mut diagnostic = Diagnostic::error(
        Code::UnknownConfigMap,
        format!("ConfigMap `{name}` has no key `{key}`"),
    )
    .at(merged.locate(&reference.key_path).span)
    .path(reference.key_path.clone())
    .expected(match keys.is_empty() {
        true => "a key of its `data` or `files`".to_owned(),
        false => format!(
            "one of {}",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    if let Some(near) = did_you_mean(key, keys.iter().copied()) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    Some(diagnostic)
}

/// One container of a service's pod as the spec writes it: the main one, a sidecar
/// or an init container.
struct Written<'a> {
    /// `services.NAME` or `services.NAME.sidecars.C` / `.initContainers.C`.
    path: FieldPath,
    env: Option<&'a spec::EnvVars>,
    env_from: Option<&'a [spec::EnvFrom]>,
    mounts: Option<&'a [spec::Mount]>,
    writable_paths: Option<&'a [String]>,
}

impl Context<'_> {
    /// The main container, then the enabled sidecars and init containers.
    fn written(&self) -> Vec<Written<'_>> {
        let mut out = vec![Written {
            path: self.path(),
            env: self.spec.env.as_ref(),
            env_from: self.spec.env_from.as_deref(),
            mounts: self.spec.mounts.as_deref(),
            writable_paths: self.spec.writable_paths.as_deref(),
        }];
        for (field, name, container) in self.extra() {
            out.push(Written {
                path: self.path().key(field).key(name),
                env: container.env.as_ref(),
                env_from: container.env_from.as_deref(),
                mounts: container.mounts.as_deref(),
                writable_paths: container.writable_paths.as_deref(),
            });
        }
        out
    }

    /// Enabled sidecars, then enabled init containers: (field, name, container).
    fn extra(&self) -> Vec<(&'static str, &str, &spec::Container)> {
        let lists = [
            ("sidecars", self.spec.sidecars.as_ref()),
            ("initContainers", self.spec.init_containers.as_ref()),
        ];
        lists
            .into_iter()
            .flat_map(|(field, list)| {
                list.into_iter()
                    .flatten()
                    .map(move |(name, c)| (field, name.as_str(), c))
            })
            .filter(|(_, _, c)| c.enabled.unwrap_or(true))
            .collect()
    }

    /// Every ConfigMap a container reads (`configMapKeyRef`, `envFrom`, mounts) is
    /// declared, with the keys it names; every Secret mounted as files is declared,
    /// with its keys; the extra containers' Secret references are checked as the main
    /// container's are.
    pub(super) fn config_references(
        &self,
        config_maps: &DeclaredConfigMaps<'_>,
        secrets: &references::Declared<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        for (index, container) in self.written().into_iter().enumerate() {
            let mut configs: Vec<ConfigRef<'_>> = Vec::new();
            let mut secret_refs: Vec<SecretRef<'_>> = Vec::new();
            for (var, value) in container.env.into_iter().flatten() {
                let spec::EnvValue::Reference(reference) = value else {
                    continue;
                };
                let at = container.path.key("env").key(var);
                if let Some(key) = &reference.config_map_key_ref {
                    let at = at.key("configMapKeyRef");
                    configs.push(ConfigRef {
                        name: &key.name,
                        key: Some(&key.key),
                        path: at.key("name"),
                        key_path: at.key("key"),
                        optional: key.optional.unwrap_or(false),
                    });
                }
                // The main container's Secret references are checked with the
                // service's other references.
                if index > 0
                    && let Some(key) = &reference.secret_key_ref
                {
                    let at = at.key("secretKeyRef");
                    secret_refs.push(SecretRef {
                        name: &key.name,
                        key: Some(&key.key),
                        path: at.key("name"),
                        key_path: Some(at.key("key")),
                    });
                }
            }
            for (position, source) in container.env_from.into_iter().flatten().enumerate() {
                let at = container.path.key("envFrom").index(position);
                if let Some(name) = &source.config_map_ref {
                    configs.push(ConfigRef {
                        name,
                        key: None,
                        path: at.key("configMapRef"),
                        key_path: at.key("configMapRef"),
                        optional: false,
                    });
                }
                if index > 0
                    && let Some(name) = &source.secret_ref
                {
                    secret_refs.push(SecretRef {
                        name,
                        key: None,
                        path: at.key("secretRef"),
                        key_path: None,
                    });
                }
            }
            for (position, mount) in container.mounts.into_iter().flatten().enumerate() {
                let at = container.path.key("mounts").index(position);
                let keys: Vec<(usize, &str)> = mount
                    .keys
                    .iter()
                    .flatten()
                    .map(String::as_str)
                    .enumerate()
                    .collect();
                if let Some(name) = &mount.config_map {
                    configs.push(ConfigRef {
                        name,
                        key: None,
                        path: at.key("configMap"),
                        key_path: at.key("configMap"),
                        optional: false,
                    });
                    // Keys only matter once the ConfigMap itself is known.
                    if declared_enabled(config_maps, name) {
                        for (i, key) in &keys {
                            configs.push(ConfigRef {
                                name,
                                key: Some(key),
                                path: at.key("configMap"),
                                key_path: at.key("keys").index(*i),
                                optional: false,
                            });
                        }
                    }
                }
                if let Some(name) = &mount.secret {
                    secret_refs.push(SecretRef {
                        name,
                        key: None,
                        path: at.key("secret"),
                        key_path: None,
                    });
                    let known = secrets
                        .get(name.as_str())
                        .is_some_and(|s| s.enabled.unwrap_or(true));
                    if known {
                        for (i, key) in &keys {
                            secret_refs.push(SecretRef {
                                name,
                                key: Some(key),
                                path: at.key("secret"),
                                key_path: Some(at.key("keys").index(*i)),
                            });
                        }
                    }
                }
            }
            for reference in &configs {
                out.extend(config_reference(
                    self.env,
                    self.merged,
                    config_maps,
                    reference,
                ));
            }
            for reference in &secret_refs {
                out.extend(secret_reference(self.env, self.merged, secrets, reference));
            }
        }
    }

    /// Mounts: exactly one source, a clean absolute path used once per container (by
    /// a mount, a writable path or the data volume), keys listed at most once and not
    /// an empty list, and a mode that grants no write (the files are read-only).
    pub(super) fn mounts(&self, out: &mut Vec<Diagnostic>) {
        let data = self
            .enabled_persistence()
            .and_then(|p| p.mount_path.as_deref());
        for (index, container) in self.written().into_iter().enumerate() {
            // Paths in use in this container, with where each was written.
            let mut taken: BTreeMap<&str, FieldPath> = BTreeMap::new();
            if index == 0
                && let Some(path) = data
            {
                taken.insert(path, self.path().key("persistence").key("mountPath"));
            }
            for (position, path) in container.writable_paths.into_iter().flatten().enumerate() {
                let at = container.path.key("writablePaths").index(position);
                if index > 0
                    && let Some(problem) = format::container_path(path)
                {
                    out.push(
                        self.error(
                            Code::InvalidPath,
                            at.clone(),
                            format!("writable path `{path}` {problem}"),
                        )
                        .expected("an absolute path such as `/tmp`"),
                    );
                }
                taken.entry(path.as_str()).or_insert(at);
            }
            for (position, mount) in container.mounts.into_iter().flatten().enumerate() {
                let at = container.path.key("mounts").index(position);
                self.mount(mount, &at, &mut taken, out);
            }
        }
    }

    fn mount<'m>(
        &self,
        mount: &'m spec::Mount,
        at: &FieldPath,
        taken: &mut BTreeMap<&'m str, FieldPath>,
        out: &mut Vec<Diagnostic>,
    ) {
        if mount.config_map.is_some() == mount.secret.is_some() {
            let what = match mount.config_map.is_some() {
                true => "both `configMap` and `secret`",
                false => "neither `configMap` nor `secret`",
            };
            out.push(
                self.error(
                    Code::InvalidMount,
                    at.clone(),
                    format!("a mount names {what}"),
                )
                .expected("exactly one source: `configMap: NAME` or `secret: NAME`")
                .help("e.g. `{path: /etc/gateway, configMap: gateway-config}`; mount each source at its own path"),
            );
        }
        let path = mount.path.as_str();
        let path_at = at.key("path");
        let unclean = path.len() > 1 && path.ends_with('/') || path.contains("//");
        if let Some(problem) = format::container_path(path)
            .or_else(|| unclean.then(|| "has an empty part or a trailing `/`".to_owned()))
        {
            out.push(
                self.error(
                    Code::InvalidMount,
                    path_at.clone(),
                    format!("mount path `{path}` {problem}"),
                )
                .expected("a clean absolute folder such as `/etc/mcp-gateway`")
                .help("the files of the source appear in this folder, one per key"),
            );
        } else if let Some(first) = taken.get(path) {
            let line = self
                .merged
                .at(first)
                .map(|n| format!(" (line {})", n.span.line))
                .unwrap_or_default();
            out.push(
                self.error(
                    Code::MountCollision,
                    path_at.clone(),
                    format!("`{path}` is already mounted in this container, by `{first}`{line}"),
                )
                .expected("one volume per path in a container")
                .help("mount the source at a folder of its own, e.g. a sub-folder"),
            );
        } else {
            taken.insert(path, path_at);
        }
        if let Some(keys) = &mount.keys {
            if keys.is_empty() {
                out.push(
                    self.error(
                        Code::InvalidMount,
                        at.key("keys"),
                        "`keys` is an empty list".to_owned(),
                    )
                    .expected("the keys to show as files, or no `keys` for every key")
                    .help("e.g. `keys: [proxies.yaml]`; leave `keys` out to mount every key"),
                );
            }
            for (i, key) in keys.iter().enumerate() {
                if keys[..i].contains(key) {
                    out.push(
                        self.error(
                            Code::InvalidMount,
                            at.key("keys").index(i),
                            format!("key `{key}` is listed twice"),
                        )
                        .expected("each key once")
                        .help("remove the repeated key"),
                    );
                }
            }
        }
        if let Some(mode) = &mount.default_mode
            && let Ok(bits) = u32::from_str_radix(mode, 8)
            && (bits > 0o777 || bits & 0o222 != 0)
        {
            let suggested = match mount.secret.is_some() {
                true => "0400",
                false => "0444",
            };
            out.push(
                self.error(
                    Code::InvalidMount,
                    at.key("defaultMode"),
                    format!("mode `{mode}` grants write permission to files mounted read-only"),
                )
                .expected("octal permission bits without write bits, e.g. `0440`")
                .help(format!("the files are read-only whatever the mode says; write `{suggested}` (or add execute bits for scripts, e.g. `0555`)")),
            );
        }
    }

    /// Init containers and sidecars: DNS-label names, unique in the pod and not the
    /// main container's; an image repository; production pins, registries and tags as
    /// for the service's image; env references to exactly one key; production
    /// resources.
    pub(super) fn extra_containers(&self, out: &mut Vec<Diagnostic>) {
        let mut seen: BTreeMap<&str, FieldPath> = BTreeMap::new();
        for (field, name, container) in self.extra() {
            let at = self.path().key(field).key(name);
            let key_span = self.merged.locate_key(&at).span;
            if let Some(problem) = format::dns_label(name) {
                out.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        format!("container name `{name}` {problem}"),
                    )
                    .at(key_span)
                    .path(at.clone())
                    .expected("a DNS label: at most 63 lowercase letters, digits and `-`")
                    .help(format!("e.g. `{}`", crate::hostname::suggest_label(name))),
                );
            }
            if name == self.service {
                out.push(
                    Diagnostic::error(
                        Code::DuplicateName,
                        format!("container `{name}` has the name of the service's main container"),
                    )
                    .at(key_span)
                    .path(at.clone())
                    .expected("a name no other container of the pod has")
                    .help(format!(
                        "e.g. `{name}-{}`",
                        if field == "sidecars" { "proxy" } else { "init" }
                    )),
                );
            } else if let Some(first) = seen.get(name) {
                out.push(
                    Diagnostic::error(
                        Code::DuplicateName,
                        format!(
                            "container `{name}` is declared twice in the pod (also as `{first}`)"
                        ),
                    )
                    .at(key_span)
                    .path(at.clone())
                    .expected("unique container names among the sidecars and init containers")
                    .help("rename one of them"),
                );
            } else {
                seen.insert(name, at.clone());
            }
            self.container_image(&at, name, container, out);
            self.container_env(&at, container, out);
            if self.tier == Tier::Production {
                self.container_resources(&at, name, container, out);
            }
        }
    }

    fn container_image(
        &self,
        at: &FieldPath,
        name: &str,
        container: &spec::Container,
        out: &mut Vec<Diagnostic>,
    ) {
        let path = at.key("image");
        let image = container.image.clone().unwrap_or_default();
        if image.repository.is_none() {
            out.push(
                self.error(
                    Code::MissingImage,
                    path,
                    format!(
                        "container `{name}` of `{}` has no image repository",
                        self.service
                    ),
                )
                .expected("`image.repository`, e.g. `busybox` with `tag: \"1.36\"`")
                .help("each init container and sidecar runs its own image"),
            );
            return;
        }
        let subject = format!("container `{name}` of `{}`", self.service);
        let pin_name = format!("{}/{name}", self.service);
        self.image_pinning(&path, &image, &subject, &pin_name, out);
        if let Some(allowed) = &self.global.allowed_registries {
            let reference = lower::container_image(&image, self.global);
            let registry = crate::image::registry_of(&reference.name);
            if !allowed.iter().any(|r| r == registry) {
                let field = if image.registry.is_some() {
                    "registry"
                } else {
                    "repository"
                };
                out.push(
                    self.error(Code::RegistryNotAllowed, path.key(field), format!("production image `{}` of container `{name}` comes from `{registry}`, which is not an allowed registry", reference.name))
                        .expected(format!("one of {}", allowed.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")))
                        .help("mirror the image into an allowed registry, or add the registry to `global.allowedRegistries`"),
                );
            }
        }
    }

    fn container_env(
        &self,
        at: &FieldPath,
        container: &spec::Container,
        out: &mut Vec<Diagnostic>,
    ) {
        for (var, value) in container.env.iter().flatten() {
            if let spec::EnvValue::Reference(reference) = value {
                let count = usize::from(reference.secret_key_ref.is_some())
                    + usize::from(reference.config_map_key_ref.is_some());
                if count != 1 {
                    out.push(
                        self.error(
                            Code::EnvReference,
                            at.key("env").key(var),
                            format!("`{var}` must reference exactly one key"),
                        )
                        .expected("`secretKeyRef: {name, key}` or `configMapKeyRef: {name, key}`"),
                    );
                }
            } else if let spec::EnvValue::Literal(text) = value
                && let Some(why) = crate::plaintext::finding(var, text)
            {
                out.push(secrets::plaintext_error(
                    self.error(Code::PlaintextSecret, at.key("env").key(var), why),
                    "keep credentials in a Secret declared under `secrets` and reference it with `secretKeyRef`".to_owned(),
                ));
            }
        }
        for (index, source) in container.env_from.iter().flatten().enumerate() {
            let count = usize::from(source.secret_ref.is_some())
                + usize::from(source.config_map_ref.is_some());
            if count != 1 {
                out.push(
                    self.error(
                        Code::EnvReference,
                        at.key("envFrom").index(index),
                        "an envFrom entry must name exactly one source".to_owned(),
                    )
                    .expected("`secretRef: NAME` or `configMapRef: NAME`"),
                );
            }
        }
    }

    fn container_resources(
        &self,
        at: &FieldPath,
        name: &str,
        container: &spec::Container,
        out: &mut Vec<Diagnostic>,
    ) {
        let resources = container
            .resources
            .as_ref()
            .or(self.global.resources.as_ref());
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        let missing: Vec<&str> = [
            ("requests.cpu", requests.and_then(|l| l.cpu.as_ref())),
            ("requests.memory", requests.and_then(|l| l.memory.as_ref())),
            ("limits.cpu", limits.and_then(|l| l.cpu.as_ref())),
            ("limits.memory", limits.and_then(|l| l.memory.as_ref())),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_none())
        .map(|(field, _)| field)
        .collect();
        if !missing.is_empty() {
            out.push(
                self.error(
                    Code::ResourcesRequired,
                    at.key("resources"),
                    format!("production container `{name}` of `{}` has no {}", self.service, missing.join(", ")),
                )
                .expected("`resources: {requests: {cpu, memory}, limits: {cpu, memory}}` on the container or in `global.resources`"),
            );
        }
    }
}

/// Whether `name` is a declared, enabled ConfigMap.
fn declared_enabled(declared: &DeclaredConfigMaps<'_>, name: &str) -> bool {
    declared
        .get(name)
        .is_some_and(|c| c.enabled.unwrap_or(true))
}

impl ChartContext<'_> {
    /// ConfigMaps a chart reads its values from are declared, with the key.
    pub(super) fn config_references(
        &self,
        declared: &DeclaredConfigMaps<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        for (index, source) in self.spec.values_from.iter().flatten().enumerate() {
            if source.kind != spec::ValuesSourceKind::ConfigMap {
                continue;
            }
            let at = self.path().key("valuesFrom").index(index);
            let key_path = match source.values_key {
                Some(_) => at.key("valuesKey"),
                None => at.key("name"),
            };
            let reference = ConfigRef {
                name: &source.name,
                key: Some(source.values_key.as_deref().unwrap_or("values.yaml")),
                path: at.key("name"),
                key_path,
                optional: source.optional.unwrap_or(false),
            };
            out.extend(config_reference(
                self.env,
                self.merged,
                declared,
                &reference,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load::{Document, parse};
    use crate::source::FileId;
    use crate::spec::Values;

    /// Code and line of every diagnostic of `validate::environment` on one file.
    fn findings(lines: &[&str]) -> Vec<(&'static str, u32)> {
        let text = lines.join("\n") + "\n";
        let root = parse(FileId(0), &text).expect("test YAML parses");
        let values: Values = serde_json::from_value(root.to_json()).expect("fits the types");
        let own = Document {
            file: FileId(0),
            root: root.clone(),
        };
        let mut found: Vec<(&'static str, u32)> =
            super::super::environment("dev", &root, &own, &values)
                .iter()
                .map(|d| (d.code.as_str(), d.span.map_or(0, |s| s.line)))
                .collect();
        found.sort();
        found
    }

    const HEAD: &[&str] = &[
        "tier: staging",                                    // 1
        "configMaps:",                                      // 2
        "  settings:",                                      // 3
        "    data: {LEVEL: info, bad/key: x}",              // 4
        "    files: {LEVEL: files/level.txt}",              // 5
        "  outside: {existing: true}",                      // 6
        "secrets:",                                         // 7
        "  creds: {existing: true}",                        // 8
        "services:",                                        // 9
        "  app:",                                           // 10
        "    image: {repository: org/app, tag: \"1.0.0\"}", // 11
    ];

    fn with(rest: &[&'static str]) -> Vec<&'static str> {
        HEAD.iter().chain(rest).copied().collect::<Vec<_>>()
    }

    #[test]
    fn config_map_keys_are_valid_and_distinct() {
        assert_eq!(
            findings(&with(&[])),
            [("config-map-key", 4), ("config-map-key", 5)]
        );
    }

    #[test]
    fn mounts_are_checked() {
        let lines = with(&[
            "    mounts:",                                                       // 12
            "      - {path: /etc/a, configMap: settings, secret: creds}",        // 13
            "      - {path: etc/b, configMap: settings}",                        // 14
            "      - {path: /etc/c, configMap: settings, keys: []}",             // 15
            "      - {path: /etc/d, configMap: settings, keys: [LEVEL, LEVEL]}", // 16
            "      - {path: /etc/e, secret: creds, defaultMode: \"0640\"}",      // 17
            "      - {path: /etc/f}",                                            // 18
            "      - {path: /etc/g, configMap: outside, keys: [anything]}",      // 19
            "      - {path: /etc/h, configMap: settings, keys: [NOPE]}",         // 20
        ]);
        let found = findings(&lines);
        let expected = [
            ("config-map-key", 4),
            ("config-map-key", 5),
            ("invalid-mount", 13),
            ("invalid-mount", 14),
            ("invalid-mount", 15),
            ("invalid-mount", 16),
            ("invalid-mount", 17),
            ("invalid-mount", 18),
            ("unknown-config-map", 20),
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn extra_containers_are_checked_like_the_main_one() {
        let lines = with(&[
            "    sidecars:",                                                           // 12
            "      Proxy:",                                                            // 13
            "        image: {repository: org/proxy, tag: \"1.0.0\"}",                  // 14
            "    initContainers:",                                                     // 15
            "      setup:",                                                            // 16
            "        image: {tag: \"1.0.0\"}",                                         // 17
            "        envFrom: [{configMapRef: setings}]",                              // 18
            "        env:",                                                            // 19
            "          A: {configMapKeyRef: {name: missing, key: k, optional: true}}", // 20
            "          B: {secretKeyRef: {name: nope, key: k}}",                       // 21
            "        mounts: [{path: /etc/x, secret: creds, keys: [any]}]",            // 22
        ]);
        assert_eq!(
            findings(&lines),
            [
                ("config-map-key", 4),
                ("config-map-key", 5),
                ("invalid-name", 13),
                ("missing-image", 17),
                ("unknown-config-map", 18),
                ("unknown-secret", 21),
            ]
        );
    }

    #[test]
    fn credentials_in_config_maps_are_refused() {
        let lines = [
            "tier: staging",
            "configMaps:",
            "  settings:",
            "    data: {DB_PASSWORD: hunter2, LEVEL: info}",
            "    files: {key.pem: files/key.pem, ok.txt: files/ok.txt}",
        ];
        assert_eq!(findings(&lines), [("plaintext-secret", 4)]);
        let text = lines.join("\n") + "\n";
        let root = parse(FileId(0), &text).expect("parses");
        let mut files = crate::load::ConfigFiles::new();
        files.insert(
            "settings".to_owned(),
            [
                (
                    "key.pem".to_owned(),
                    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n".to_owned(),
                ),
                ("ok.txt".to_owned(), "level: info\n".to_owned()),
            ]
            .into(),
        );
        let found: Vec<(&str, u32)> = super::config_files(&root, &files)
            .iter()
            .map(|d| (d.code.as_str(), d.span.map_or(0, |s| s.line)))
            .collect();
        assert_eq!(found, [("plaintext-secret", 5)]);
    }
}
