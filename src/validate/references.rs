//! References between units and to sources: `dependsOn`, its cycles, env references.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::node::Node;
use crate::spec::{self};

use super::*;

/// Every `dependsOn` names another enabled service or chart.
pub(super) fn dependencies(
    env: &str,
    merged: &Node,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, unit) in units.iter().filter(|(_, u)| u.enabled) {
        for (index, dependency) in unit.depends_on.iter().enumerate() {
            let path = unit.path.key("dependsOn").index(index);
            let span = merged.locate(&path).span;
            let problem = match units.get(dependency.as_str()) {
                _ if dependency == name => format!("`{name}` depends on itself"),
                Some(target) if target.enabled => continue,
                Some(_) => {
                    format!("`{name}` depends on `{dependency}`, which is disabled in `{env}`")
                }
                None => {
                    format!("`{name}` depends on `{dependency}`, which is not a service or chart")
                }
            };
            let mut diagnostic = Diagnostic::error(Code::UnknownDependency, problem)
                .at(span)
                .path(path);
            if units.contains_key(dependency.as_str()) && dependency != name {
                diagnostic = diagnostic.help(format!(
                    "enable `{dependency}` in `{env}` or drop the dependency"
                ));
            } else if let Some(near) = did_you_mean(dependency, units.keys().copied())
                .filter(|near| *near != dependency && !units.contains_key(dependency.as_str()))
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }
}

/// The Secrets an environment declares, enabled or not, by name.
pub(super) type Declared<'a> = BTreeMap<&'a str, &'a spec::ExternalSecret>;

/// A reference to a Secret, and where it was written.
pub(super) struct SecretRef<'a> {
    pub(super) name: &'a str,
    pub(super) key: Option<&'a str>,
    /// Where the name was written.
    pub(super) path: FieldPath,
    /// Where the key was written, when not beside the name.
    pub(super) key_path: Option<FieldPath>,
}

/// Whether `reference` names a declared, enabled Secret (and one of its keys); the
/// diagnostic when it does not.
pub(super) fn secret_reference(
    env: &str,
    merged: &Node,
    declared: &Declared<'_>,
    reference: &SecretRef<'_>,
) -> Option<Diagnostic> {
    let name = reference.name;
    let error = |message: String| {
        Diagnostic::error(Code::UnknownSecret, message)
            .at(merged.locate(&reference.path).span)
            .path(reference.path.clone())
    };
    let Some(secret) = declared.get(name) else {
        let mut diagnostic = error(format!("secret `{name}` is not declared under `secrets`"))
            .expected(format!(
                "one of {}",
                declared
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        diagnostic = match did_you_mean(name, declared.keys().copied()) {
            Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
            None => diagnostic.help(format!(
                "declare it: `secrets: {{{name}: {{keys: {{KEY: REMOTE_KEY}}}}}}`, or `{{existing: true}}` for a Secret created outside the stack"
            )),
        };
        return Some(diagnostic);
    };
    if !secret.enabled.unwrap_or(true) {
        return Some(
            error(format!("secret `{name}` is disabled in `{env}`"))
                .help("enable the secret in this environment, or drop the reference"),
        );
    }
    let key = reference.key?;
    // Whole folders (`path`) and Secrets made elsewhere may hold any key; a Secret
    // with data templates holds the templates' keys.
    if secret.existing.unwrap_or(false) {
        return None;
    }
    let keys = secret.held_keys()?;
    if keys.is_empty() || keys.iter().any(|k| k == key) {
        return None;
    }
    let key_path = reference
        .key_path
        .clone()
        .unwrap_or_else(|| reference.path.clone());
    let mut diagnostic = Diagnostic::error(
        Code::UnknownSecret,
        format!("secret `{name}` has no key `{key}`"),
    )
    .at(merged.locate(&key_path).span)
    .path(key_path)
    .expected(format!(
        "one of {}",
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(near) = did_you_mean(key, keys.iter().map(String::as_str)) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    Some(diagnostic)
}

impl Context<'_> {
    /// Every `secretKeyRef` and `envFrom` Secret is declared under `secrets`.
    pub(super) fn secret_references(&self, declared: &Declared<'_>, out: &mut Vec<Diagnostic>) {
        let mut references = Vec::new();
        for (var, value) in self.spec.env.iter().flatten() {
            if let spec::EnvValue::Reference(reference) = value
                && let Some(key) = &reference.secret_key_ref
            {
                let at = self.path().key("env").key(var).key("secretKeyRef");
                references.push(SecretRef {
                    name: &key.name,
                    key: Some(&key.key),
                    path: at.key("name"),
                    key_path: Some(at.key("key")),
                });
            }
        }
        for (index, source) in self.spec.env_from.iter().flatten().enumerate() {
            if let Some(name) = &source.secret_ref {
                references.push(SecretRef {
                    name,
                    key: None,
                    path: self.path().key("envFrom").index(index).key("secretRef"),
                    key_path: None,
                });
            }
        }
        for reference in &references {
            out.extend(secret_reference(self.env, self.merged, declared, reference));
        }
    }

    /// `$(VAR)` in an env value expands only from variables defined earlier in the
    /// list; anything else stays as written, which is rarely what was meant.
    /// `$(VAR)` in env values names a variable defined earlier in the same container's
    /// list: the main container's, and each init container's and sidecar's.
    pub(super) fn env_expansion(&self, out: &mut Vec<Diagnostic>) {
        let has_sources =
            |from: &Option<Vec<spec::EnvFrom>>| from.as_ref().is_some_and(|f| !f.is_empty());
        if let Some(env) = &self.spec.env {
            let path = self.path().key("env");
            expansion_warnings(
                env,
                has_sources(&self.spec.env_from),
                &path,
                self.merged,
                out,
            );
        }
        let lists = [
            ("sidecars", self.spec.sidecars.as_ref()),
            ("initContainers", self.spec.init_containers.as_ref()),
        ];
        for (list, containers) in lists {
            for (name, container) in containers.into_iter().flatten() {
                if let Some(env) = &container.env {
                    let path = self.path().key(list).key(name).key("env");
                    let from = has_sources(&container.env_from);
                    expansion_warnings(env, from, &path, self.merged, out);
                }
            }
        }
    }

    pub(super) fn env_references(&self, out: &mut Vec<Diagnostic>) {
        for (var, value) in self.spec.env.iter().flatten() {
            if let spec::EnvValue::Reference(reference) = value {
                let count = usize::from(reference.secret_key_ref.is_some())
                    + usize::from(reference.config_map_key_ref.is_some());
                if count != 1 {
                    out.push(
                        self.error(
                            Code::EnvReference,
                            self.path().key("env").key(var),
                            format!("`{var}` must reference exactly one key"),
                        )
                        .expected("`secretKeyRef: {name, key}` or `configMapKeyRef: {name, key}`"),
                    );
                }
            }
        }
        for (index, source) in self.spec.env_from.iter().flatten().enumerate() {
            let count = usize::from(source.secret_ref.is_some())
                + usize::from(source.config_map_ref.is_some());
            if count != 1 {
                out.push(
                    self.error(
                        Code::EnvReference,
                        self.path().key("envFrom").index(index),
                        "an envFrom entry must name exactly one source".to_owned(),
                    )
                    .expected("`secretRef: NAME` or `configMapRef: NAME`"),
                );
            }
        }
    }
}

/// Warnings for `$(NAME)` in the env values of one container (`path` is its `env`)
/// that name a variable not defined above: Kubernetes leaves those as they are.
fn expansion_warnings(
    env: &spec::EnvVars,
    from_sources: bool,
    path: &FieldPath,
    merged: &Node,
    out: &mut Vec<Diagnostic>,
) {
    let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
    for (position, (var, value)) in env.iter().enumerate() {
        let spec::EnvValue::Literal(text) = value else {
            continue;
        };
        for name in expansions(text) {
            let later = names[position..].contains(&name);
            if !later && (names[..position].contains(&name) || from_sources) {
                continue;
            }
            let problem = match later {
                true => format!("`{var}` uses `$({name})`, which is defined after it"),
                false => format!("`{var}` uses `$({name})`, which is not defined"),
            };
            out.push(
                Diagnostic::warning(Code::EnvExpansion, problem)
                    .at(merged.locate(&path.key(var)).span)
                    .path(path.key(var))
                    .expected("`$(NAME)` naming a variable written above this one")
                    .help(format!(
                        "Kubernetes expands `$(VAR)` only from variables defined earlier in the list and leaves `$({name})` as it is otherwise; move `{name}` above `{var}`, or write `$$({name})` for a literal `$({name})`"
                    )),
            );
        }
    }
}

/// Dependency cycles among enabled services, each reported once, at the service where
/// the search closed it. Self-dependencies are reported by the dependency rule.
pub(super) fn dependency_cycles(
    merged: &Node,
    units: &BTreeMap<&str, Unit<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut search = CycleSearch {
        units,
        state: BTreeMap::new(),
        trail: Vec::new(),
        cycles: Vec::new(),
    };
    for (start, _) in units.iter().filter(|(_, u)| u.enabled) {
        search.visit(start);
    }
    for cycle in search.cycles {
        let closing = cycle[cycle.len() - 2].as_str();
        let Some(unit) = units.get(closing) else {
            continue;
        };
        let path = unit.path.key("dependsOn");
        out.push(
            Diagnostic::error(
                Code::DependencyCycle,
                format!(
                    "units depend on each other in a cycle: {}",
                    shown_cycle(&cycle)
                ),
            )
            .at(merged.locate(&path).span)
            .path(path)
            .help("Flux cannot order a cycle; remove one of the dependencies"),
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    InProgress,
    Done,
}

/// Depth-first search over `dependsOn` between enabled units, each explored once:
/// linear in the number of dependencies. The search keeps its own stack (`trail`, one
/// entry per unit being explored) rather than recursing, so a chain of thousands of
/// units cannot exhaust the thread's stack.
struct CycleSearch<'a, 'b> {
    units: &'a BTreeMap<&'b str, Unit<'b>>,
    state: BTreeMap<&'b str, Visit>,
    /// The units being explored, outermost first, each with the index of the next of
    /// its dependencies to look at.
    trail: Vec<(&'b str, &'b [String], usize)>,
    cycles: Vec<Vec<String>>,
}

impl<'b> CycleSearch<'_, 'b> {
    /// Explore everything reachable from `start`, recording each cycle found (the trail
    /// from the unit it returns to, and that unit again) once.
    pub(super) fn visit(&mut self, start: &'b str) {
        self.enter(start);
        while let Some((name, depends_on, next)) = self.trail.last_mut() {
            let name: &'b str = name;
            let Some(dependency) = depends_on.get(*next) else {
                self.trail.pop();
                self.state.insert(name, Visit::Done);
                continue;
            };
            *next += 1;
            let Some((dependency, target)) = self.units.get_key_value(dependency.as_str()) else {
                continue;
            };
            let dependency: &'b str = dependency;
            if dependency == name || !target.enabled {
                continue;
            }
            match self.state.get(dependency) {
                None => self.enter(dependency),
                Some(Visit::InProgress) => {
                    let from = self
                        .trail
                        .iter()
                        .position(|(s, _, _)| *s == dependency)
                        .unwrap_or(0);
                    let mut cycle: Vec<String> = self.trail[from..]
                        .iter()
                        .map(|(s, _, _)| (*s).to_owned())
                        .collect();
                    cycle.push(dependency.to_owned());
                    self.cycles.push(cycle);
                }
                Some(Visit::Done) => {}
            }
        }
    }

    /// Start exploring `name`, if it is an enabled unit not explored yet.
    fn enter(&mut self, name: &'b str) {
        let Some(unit) = self.units.get(name).filter(|u| u.enabled) else {
            return;
        };
        if self.state.contains_key(name) {
            return;
        }
        self.state.insert(name, Visit::InProgress);
        self.trail.push((name, unit.depends_on, 0));
    }
}

impl ChartContext<'_> {
    /// Secrets a chart is pointed at (`existingSecret`-style values and `valuesFrom`)
    /// are declared under `secrets`, and so are the keys it is told to read.
    pub(super) fn secret_references(&self, declared: &Declared<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        if let Some(values) = &self.spec.values {
            existing_secrets(&self.path().key("values"), values, &mut found);
        }
        let mut references: Vec<SecretRef<'_>> = found
            .iter()
            .map(|(path, name, key)| SecretRef {
                name,
                key: key.as_deref(),
                path: path.clone(),
                key_path: None,
            })
            .collect();
        for (index, source) in self.spec.values_from.iter().flatten().enumerate() {
            // An optional source may be missing: Flux then installs without it.
            if source.kind == spec::ValuesSourceKind::Secret && !source.optional.unwrap_or(false) {
                let at = self.path().key("valuesFrom").index(index);
                references.push(SecretRef {
                    name: &source.name,
                    key: Some(source.values_key.as_deref().unwrap_or("values.yaml")),
                    path: at.key("name"),
                    key_path: Some(at.key("valuesKey")),
                });
            }
        }
        for reference in &references {
            out.extend(secret_reference(self.env, self.merged, declared, reference));
        }
    }
}

/// Chart values that name an existing Secret (`existingSecret`, `auth.existingSecret`,
/// `metricsExistingSecret`, `existingSecretName`), each with the key its sibling
/// `existingSecret...Key` values name: (path, secret, key).
fn existing_secrets(
    path: &FieldPath,
    values: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(FieldPath, String, Option<String>)>,
) {
    let names_secret = crate::helm_values::names_a_secret;
    for (key, value) in values {
        match value {
            serde_json::Value::String(name) if names_secret(key) && !name.is_empty() => {
                out.push((path.key(key), name.clone(), None));
                let keys = values.iter().filter(|(sibling, _)| {
                    let lower = sibling.to_ascii_lowercase();
                    lower.starts_with("existingsecret") && lower.ends_with("key")
                });
                for (sibling, secret_key) in keys {
                    if let Some(secret_key) = secret_key.as_str() {
                        out.push((path.key(sibling), name.clone(), Some(secret_key.to_owned())));
                    }
                }
            }
            serde_json::Value::Object(map) => existing_secrets(&path.key(key), map, out),
            _ => {}
        }
    }
}

/// The names a text expands with `$(NAME)`; `$$(NAME)` is an escaped literal.
pub(super) fn expansions(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        let after = &rest[start + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
            continue;
        }
        if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            if !name.is_empty() && !name.contains(['(', '$', ' ']) {
                found.push(name);
            }
            rest = &inner[end + 1..];
            continue;
        }
        rest = after;
    }
    found
}

/// A cycle as `a -> b -> a`; a long one shows its first and last steps.
fn shown_cycle(cycle: &[String]) -> String {
    const ENDS: usize = 4;
    if cycle.len() <= 2 * ENDS + 1 {
        return cycle.join(" -> ");
    }
    format!(
        "{} -> … ({} more) -> {}",
        cycle[..ENDS].join(" -> "),
        cycle.len() - 2 * ENDS,
        cycle[cycle.len() - ENDS..].join(" -> ")
    )
}

/// No service depends on a CronJob: it runs on its schedule, so there is nothing to
/// wait for (a Job named in `dependsOn` must complete first; a CronJob never does).
pub(super) fn cron_dependencies(merged: &Node, values: &spec::Values, out: &mut Vec<Diagnostic>) {
    let enabled = |s: &&spec::Service| s.enabled.unwrap_or(true);
    let services = values.services.iter().flatten();
    let crons: Vec<&str> = services
        .clone()
        .filter(|(_, s)| enabled(s) && s.kind == Some(spec::WorkloadKind::CronJob))
        .map(|(n, _)| n.as_str())
        .collect();
    let charts = values.charts.iter().flatten().map(|(n, c)| {
        (
            n,
            c.enabled.unwrap_or(true),
            c.depends_on.as_deref().unwrap_or_default(),
            FieldPath::root().key("charts").key(n),
        )
    });
    let units = services
        .map(|(n, s)| {
            (
                n,
                enabled(&s),
                s.depends_on.as_deref().unwrap_or_default(),
                service_path(n),
            )
        })
        .chain(charts);
    for (name, on, depends_on, path) in units {
        if !on {
            continue;
        }
        for (index, dependency) in depends_on.iter().enumerate() {
            if !crons.contains(&dependency.as_str()) || dependency == name {
                continue;
            }
            let path = path.key("dependsOn").index(index);
            out.push(
                Diagnostic::error(
                    Code::CronDependency,
                    format!("`{name}` depends on `{dependency}`, a CronJob, which never completes: there is nothing to wait for"),
                )
                .at(merged.locate(&path).span)
                .path(path)
                .expected("a service, chart or `Job` in `dependsOn`")
                .help(format!("remove `{dependency}` from `dependsOn`; to run something once before `{name}` starts, make it a `kind: Job`")),
            );
        }
    }
}
