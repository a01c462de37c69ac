//! Rendering: the lowered model to Kubernetes objects, Kustomize units and Flux
//! objects, assembled into the output tree.

pub mod config;
pub mod flux;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
pub mod secrets;
pub mod workloads;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::Error;
use crate::model::{Chart, Environment, Service, Stack};
use crate::spec::Tier;
use crate::tree::{self, GENERATED_DIR, OutputTree};

/// Every generated file of the stack, under `generated/`. A unit whose base is missing
/// breaks the model's invariant (`Stack::base` holds every service some environment
/// runs): an internal error rather than a unit quietly left out.
pub fn generated(stack: &Stack, stack_source: &str) -> Result<OutputTree, Error> {
    let mut out = OutputTree::default();
    let base_sources = vec![stack_source.to_owned()];
    // Each base is rendered once and shared by every environment's overlay.
    let bases: Bases = stack
        .base
        .iter()
        .map(|service| {
            (
                service.name.as_str(),
                (service, kustomize::base_objects(service)),
            )
        })
        .collect();
    let chart_bases: ChartBases = stack
        .base_charts
        .iter()
        .map(|chart| (chart.name.as_str(), helm::objects(chart, None)))
        .collect();
    let all_bases = bases
        .iter()
        .map(|(name, (_, objects))| (name, objects))
        .chain(chart_bases.iter());
    for (name, objects) in all_bases {
        for file in kustomize::base(objects) {
            let path = format!("{GENERATED_DIR}/base/{name}/{}", file.name);
            out.insert(path, tree::yaml_file(&base_sources, &file.body));
        }
    }
    // Units are independent: render them all on every core, environments mixed, so
    // that the work stays balanced whatever the number of environments.
    let jobs: Vec<Job<'_>> = stack
        .environments
        .iter()
        .flat_map(|env| {
            let services = env.services.iter().map(move |s| Job::Service(env, s));
            let charts = env.charts.iter().map(move |c| Job::Chart(env, c));
            std::iter::once(Job::Environment(env))
                .chain(services)
                .chain(charts)
        })
        .collect();
    let rendered = crate::parallel::map(&jobs, |job| {
        let mut files = OutputTree::default();
        match job {
            Job::Environment(env) => environment(stack, env, &mut files),
            Job::Service(env, service) => service_unit(&bases, env, service, &mut files)?,
            Job::Chart(env, chart) => chart_unit(&chart_bases, env, chart, &mut files)?,
        }
        Ok(files)
    });
    // The first failure in job order, so that the message does not depend on timing.
    for files in rendered {
        out.files.extend(files?.files);
    }
    clusters(stack, stack_source, &mut out);
    Ok(out)
}

/// The tiers, each with an entry point for Flux under `clusters/`.
pub const TIERS: [Tier; 3] = [Tier::Production, Tier::Staging, Tier::Review];

/// Per tier, `clusters/TIER/kustomization.yaml`: the Flux Kustomizations of every
/// environment of the tier (each `flux/ENV/` folder), always written, with no resources
/// when the tier has no environment. A cluster's Flux points at it once; environments
/// come and go inside it, and a removed one's Kustomizations leave it, so Flux deletes
/// them and they prune their objects.
fn clusters(stack: &Stack, stack_source: &str, out: &mut OutputTree) {
    for tier in TIERS {
        let envs: Vec<&Environment> = stack
            .environments
            .iter()
            .filter(|env| env.tier == tier)
            .collect();
        let resources: Vec<String> = envs
            .iter()
            .map(|env| format!("../../flux/{}", env.name))
            .collect();
        let mut sources = vec![stack_source.to_owned()];
        for env in &envs {
            for source in &env.sources {
                if !sources.contains(source) {
                    sources.push(source.clone());
                }
            }
        }
        out.insert(
            format!(
                "{GENERATED_DIR}/clusters/{}/kustomization.yaml",
                tier.as_str()
            ),
            tree::yaml_file(&sources, &kustomize::aggregate(&resources)),
        );
    }
}

/// The internal error of a unit rendered without its base.
fn missing_base(kind: &str, name: &str, env: &Environment) -> Error {
    Error::Internal(format!(
        "{kind} `{name}` of environment `{}` has no base to render its overlay from",
        env.name
    ))
}

/// One piece of rendering work.
enum Job<'a> {
    /// An environment's own files: its namespace unit and the aggregating files.
    Environment(&'a Environment),
    Service(&'a Environment, &'a Service),
    Chart(&'a Environment, &'a Chart),
}

/// Base services by name, with their base objects.
type Bases<'a> = BTreeMap<&'a str, (&'a Service, Vec<Json>)>;
/// Base objects of charts by name.
type ChartBases<'a> = BTreeMap<&'a str, Vec<Json>>;

fn overlay_dir(env: &Environment) -> String {
    format!("{GENERATED_DIR}/overlays/{}", env.name)
}

fn flux_dir(env: &Environment) -> String {
    format!("{GENERATED_DIR}/flux/{}", env.name)
}

/// The environment's namespace unit, its Flux Kustomization, and the files that
/// aggregate its units for people (`overlays/ENV/`) and for Flux (`flux/ENV/`).
fn environment(stack: &Stack, env: &Environment, out: &mut OutputTree) {
    let mut put = |path: String, body: &Json| out.insert(path, tree::yaml_file(&env.sources, body));
    let namespace_unit = format!("{}/{}", overlay_dir(env), flux::NAMESPACE_UNIT);
    let environment_files = environment_wide(&stack.name, env);
    let names: Vec<String> = environment_files
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    put(
        format!("{namespace_unit}/kustomization.yaml"),
        &kustomize::aggregate(&names),
    );
    for (name, object) in &environment_files {
        put(format!("{namespace_unit}/{name}"), object);
    }
    put(
        format!("{}/{}.yaml", flux_dir(env), flux::NAMESPACE_UNIT),
        &flux::kustomization(env, flux::NAMESPACE_UNIT, &[]),
    );
    let mut units: Vec<String> = env
        .services
        .iter()
        .map(|s| s.name.clone())
        .chain(env.charts.iter().map(|c| c.name.clone()))
        .collect();
    units.sort();
    units.insert(0, flux::NAMESPACE_UNIT.to_owned());
    put(
        format!("{}/kustomization.yaml", overlay_dir(env)),
        &kustomize::aggregate(&units),
    );
    let flux_files: Vec<String> = units.iter().map(|u| format!("{u}.yaml")).collect();
    put(
        format!("{}/kustomization.yaml", flux_dir(env)),
        &kustomize::aggregate(&flux_files),
    );
}

/// A service's overlay in an environment and its Flux Kustomization.
fn service_unit(
    bases: &Bases<'_>,
    env: &Environment,
    service: &Service,
    out: &mut OutputTree,
) -> Result<(), Error> {
    let Some((base, base_objects)) = bases.get(service.name.as_str()) else {
        return Err(missing_base("service", &service.name, env));
    };
    let targets = service_objects(env, service);
    // A Job is written whole, its image already the environment's.
    let images = Some((&base.image, &service.image)).filter(|_| !is_job(service));
    unit(
        env,
        &service.name,
        &targets,
        base_objects,
        images,
        &service_kustomization(env, service),
        out,
    );
    Ok(())
}

/// A chart's overlay in an environment and its Flux Kustomization.
fn chart_unit(
    bases: &ChartBases<'_>,
    env: &Environment,
    chart: &Chart,
    out: &mut OutputTree,
) -> Result<(), Error> {
    let Some(base_objects) = bases.get(chart.name.as_str()) else {
        return Err(missing_base("chart", &chart.name, env));
    };
    let targets = chart_objects(env, chart);
    unit(
        env,
        &chart.name,
        &targets,
        base_objects,
        None,
        &flux::kustomization(env, &chart.name, &needs(&chart.depends_on)),
        out,
    );
    Ok(())
}

fn unit(
    env: &Environment,
    name: &str,
    targets: &[Json],
    base_objects: &[Json],
    images: Option<(&crate::image::ImageRef, &crate::image::ImageRef)>,
    kustomization: &Json,
    out: &mut OutputTree,
) {
    let mut put = |path: String, body: &Json| out.insert(path, tree::yaml_file(&env.sources, body));
    let unit_dir = format!("{}/{name}", overlay_dir(env));
    let base_dir = format!("../../../base/{name}");
    for file in kustomize::overlay_objects(targets, base_objects, images, &env.namespace, &base_dir)
    {
        put(format!("{unit_dir}/{}", file.name), &file.body);
    }
    put(format!("{}/{name}.yaml", flux_dir(env)), kustomization);
}

/// Whether a service runs as a Job.
fn is_job(service: &Service) -> bool {
    matches!(service.workload, crate::model::Workload::Job(_))
}

/// The Flux Kustomization of a service's unit. A Job's always waits (`wait: true`)
/// whatever `global.flux.wait` says: the units that depend on it start only once it
/// completed. Its timeout covers the Job's `activeDeadlineSeconds` (and a minute to
/// start the pod), so Flux does not report a migration that is still allowed to run as
/// failed.
fn service_kustomization(env: &Environment, service: &Service) -> Json {
    let mut kustomization = flux::kustomization(env, &service.name, &needs(&service.depends_on));
    if let crate::model::Workload::Job(job) = &service.workload {
        kustomization["spec"]["wait"] = true.into();
        let configured = crate::validate::api::format::duration_seconds(&env.flux.timeout);
        if let Some(deadline) = job.active_deadline_seconds {
            let needed = deadline.saturating_add(60);
            if configured.is_some_and(|t| t < needed as f64) {
                kustomization["spec"]["timeout"] = format!("{needed}s").into();
            }
        }
    }
    kustomization
}

/// Every object of one environment, as `kubectl kustomize generated/overlays/ENV`
/// yields them: keys sorted, objects in Kustomize's default order.
pub fn environment_objects(stack: &Stack, env: &Environment) -> Vec<Json> {
    // Units render on every core, each object's keys sorted where it was rendered.
    let rendered = crate::parallel::map(&units(env), |unit| {
        let objects = match unit {
            Unit::Namespace => environment_wide(&stack.name, env)
                .into_iter()
                .map(|(_, o)| o)
                .collect(),
            Unit::Service(service) => service_objects(env, service),
            Unit::Chart(chart) => chart_objects(env, chart),
        };
        objects.into_iter().map(sorted_keys).collect::<Vec<Json>>()
    });
    let mut objects: Vec<Json> = rendered.into_iter().flatten().collect();
    sort_like_kustomize(&mut objects);
    objects
}

/// A unit of an environment, as rendering takes them one at a time.
#[derive(Debug, Clone, Copy)]
pub enum Unit<'a> {
    /// The namespace unit, with the environment-wide objects.
    Namespace,
    Service(&'a Service),
    Chart(&'a Chart),
}

/// The units of an environment in rendering order: the namespace unit, then the
/// services, then the charts.
pub fn units(env: &Environment) -> Vec<Unit<'_>> {
    std::iter::once(Unit::Namespace)
        .chain(env.services.iter().map(Unit::Service))
        .chain(env.charts.iter().map(Unit::Chart))
        .collect()
}

/// The objects of a service's unit in an environment, its network policy included.
pub fn service_objects(env: &Environment, service: &Service) -> Vec<Json> {
    let mut objects = kubernetes::objects(service, Some(&env.namespace));
    objects.extend(homed(env, &service.name, &service.part_of));
    with_network_policy(env, &service.name, objects, || kubernetes::labels(service))
}

/// The ExternalSecrets and ConfigMaps that live in a unit: those it alone uses.
fn homed(env: &Environment, unit: &str, part_of: &str) -> Vec<Json> {
    let mut objects = secrets::unit_objects(env, unit, part_of);
    objects.extend(config::unit_config_maps(env, unit, part_of));
    objects
}

/// The objects of a chart's unit in an environment, its network policy included.
pub fn chart_objects(env: &Environment, chart: &Chart) -> Vec<Json> {
    let mut objects = helm::objects(chart, Some(&env.namespace));
    objects.extend(homed(env, &chart.name, &chart.part_of));
    with_network_policy(env, &chart.name, objects, || helm::labels(chart))
}

/// A unit's objects and, when the environment has one for the unit, its network
/// policy, labelled like the unit's other objects.
fn with_network_policy(
    env: &Environment,
    unit: &str,
    mut objects: Vec<Json>,
    labels: impl FnOnce() -> Map<String, Json>,
) -> Vec<Json> {
    if let Some(policy) = env.network_policies.get(unit) {
        let labels = labels();
        objects.push(kubernetes::network_policy(
            unit,
            policy,
            labels.clone(),
            &env.namespace,
        ));
        objects.extend(kubernetes::cilium_network_policy(
            unit,
            policy,
            labels,
            &env.namespace,
        ));
    }
    objects
}

/// The namespace unit's objects, by file name: the Namespace, the secret store, the
/// ExternalSecrets and ConfigMaps that several units (or none) use, and, with network
/// policies, the default deny and the DNS allowance. Every other unit depends on this
/// one. A Secret or ConfigMap only one unit uses lives in that unit (`placement`), so
/// this one stays small however large the stack.
fn environment_wide(part_of: &str, env: &Environment) -> Vec<(String, Json)> {
    let mut files = vec![(
        "namespace.yaml".to_owned(),
        kubernetes::namespace(&env.namespace, part_of),
    )];
    files.extend(secrets::objects(env, part_of));
    files.extend(config::config_maps(env, part_of));
    if env.default_deny {
        files.push((
            "networkpolicy-default-deny.yaml".to_owned(),
            kubernetes::default_deny(&env.namespace, part_of),
        ));
        files.push((
            "networkpolicy-allow-dns.yaml".to_owned(),
            kubernetes::allow_dns(&env.namespace, part_of),
        ));
    }
    files
}

/// The unit an object of an environment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitOf<'a> {
    /// The namespace unit: Namespace, secret store, ExternalSecrets, default policies.
    Namespace,
    Service(&'a str),
    Chart(&'a str),
    /// The environment's Flux Kustomizations.
    Flux,
}

/// Every object of an environment with the unit that holds it, Flux Kustomizations
/// included: what the API server and the controllers will be handed.
pub fn unit_objects<'a>(part_of: &str, env: &'a Environment) -> Vec<(UnitOf<'a>, Json)> {
    units(env)
        .into_iter()
        .flat_map(|unit| one_unit_objects(part_of, env, unit))
        .collect()
}

/// The objects of one unit with the unit that holds each, its Flux Kustomization last
/// (the namespace unit's objects come under [`UnitOf::Namespace`], every Kustomization
/// under [`UnitOf::Flux`]). Units render independently, so a caller can check them one
/// at a time, or on every core, without holding an environment's objects.
pub fn one_unit_objects<'a>(
    part_of: &str,
    env: &'a Environment,
    unit: Unit<'a>,
) -> Vec<(UnitOf<'a>, Json)> {
    let (owner, objects, kustomization) = match unit {
        Unit::Namespace => (
            UnitOf::Namespace,
            environment_wide(part_of, env)
                .into_iter()
                .map(|(_, object)| object)
                .collect(),
            flux::kustomization(env, flux::NAMESPACE_UNIT, &[]),
        ),
        Unit::Service(service) => (
            UnitOf::Service(&service.name),
            service_objects(env, service),
            service_kustomization(env, service),
        ),
        Unit::Chart(chart) => (
            UnitOf::Chart(&chart.name),
            chart_objects(env, chart),
            flux::kustomization(env, &chart.name, &needs(&chart.depends_on)),
        ),
    };
    objects
        .into_iter()
        .map(|object| (owner, object))
        .chain(std::iter::once((UnitOf::Flux, kustomization)))
        .collect()
}

/// What a unit's Flux Kustomization waits for: the namespace unit, then its own
/// dependencies.
fn needs(depends_on: &[String]) -> Vec<String> {
    let mut needs = vec![flux::NAMESPACE_UNIT.to_owned()];
    needs.extend(depends_on.iter().cloned());
    needs
}

/// Sort objects in the order `kubectl kustomize` (Kustomize v5, legacy sort order, its
/// default) prints them: first by kind rank (a fixed list of kinds first, webhook
/// configurations last, every other kind between), then by `group_version_kind` (`~G`
/// for the core group), then by `namespace|name` compared as one string (`~X` for no
/// namespace), so `gateway-auth` comes before `gateway`.
pub fn sort_like_kustomize(objects: &mut [Json]) {
    objects.sort_by_cached_key(kustomize_sort_key);
}

/// The key [`sort_like_kustomize`] sorts by.
fn kustomize_sort_key(object: &Json) -> (i64, String, String) {
    let text = |value: &Json| value.as_str().unwrap_or_default().to_owned();
    let api_version = text(&object["apiVersion"]);
    let kind = text(&object["kind"]);
    let (group, version) = match api_version.split_once('/') {
        Some((group, version)) => (group.to_owned(), version.to_owned()),
        None => (String::new(), api_version),
    };
    let or = |value: String, missing: &str| {
        if value.is_empty() {
            missing.to_owned()
        } else {
            value
        }
    };
    let rank = kind_rank(&kind);
    let gvk = format!(
        "{}_{}_{}",
        or(group, "~G"),
        or(version, "~V"),
        or(kind, "~K")
    );
    let id = format!(
        "{}|{}",
        or(text(&object["metadata"]["namespace"]), "~X"),
        or(text(&object["metadata"]["name"]), "~N")
    );
    (rank, gvk, id)
}

/// Kustomize's legacy kind rank: kinds others depend on first (negative), webhook
/// configurations last (positive), every other kind 0.
fn kind_rank(kind: &str) -> i64 {
    const FIRST: [&str; 22] = [
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: [&str; 2] = [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    if let Some(i) = FIRST.iter().position(|k| *k == kind) {
        return i as i64 - FIRST.len() as i64;
    }
    LAST.iter()
        .position(|k| *k == kind)
        .map_or(0, |i| i as i64 + 1)
}

/// The value with every mapping's keys in sorted order, as Kustomize prints them.
pub fn sorted_keys(value: Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Document, Specs, parse};
    use crate::source::Sources;

    /// The model of a small stack: one service and one chart, run in staging.
    fn stack() -> Stack {
        stack_with("{domain: example.com, network: {policies: false}}")
    }

    /// The small stack with `global` as given.
    fn stack_with(global: &str) -> Stack {
        let stack = format!(
            "\
global: {global}
services:
  api: {{image: {{repository: team/api, tag: \"1.0\"}}}}
charts:
  cache:
    repository: oci://registry.example.com/charts
    chart: cache
    version: 1.0.0
"
        );
        let stack = stack.as_str();
        let mut sources = Sources::default();
        let stack_file = sources.add("environments/stack.yaml".into(), stack.into());
        let staging_file =
            sources.add("environments/staging.yaml".into(), "tier: staging\n".into());
        let specs = Specs {
            stack: Document {
                file: stack_file,
                root: parse(stack_file, stack).expect("stack parses"),
            },
            environments: vec![(
                "staging".into(),
                Document {
                    file: staging_file,
                    root: parse(staging_file, "tier: staging\n").expect("staging parses"),
                },
            )],
            sources,
        };
        match crate::compile::compile_specs(specs) {
            Ok(compiled) => compiled.stack,
            Err(invalid) => panic!("the test stack is valid: {:?}", invalid.diagnostics),
        }
    }

    /// A generated file parsed back.
    fn parsed(tree: &OutputTree, path: &str) -> Json {
        let text = tree.files.get(path).unwrap_or_else(|| panic!("{path}"));
        serde_saphyr::from_str(text).expect("YAML")
    }

    #[test]
    fn every_tier_has_an_entry_point_listing_its_environments() {
        let tree = generated(&stack(), "environments/stack.yaml").expect("renders");
        let clusters: Vec<&String> = tree
            .files
            .keys()
            .filter(|p| p.starts_with("generated/clusters/"))
            .collect();
        assert_eq!(
            clusters,
            [
                "generated/clusters/production/kustomization.yaml",
                "generated/clusters/review/kustomization.yaml",
                "generated/clusters/staging/kustomization.yaml",
            ]
        );
        let resources = |tier: &str| {
            parsed(
                &tree,
                &format!("generated/clusters/{tier}/kustomization.yaml"),
            )["resources"]
                .clone()
        };
        assert_eq!(
            resources("staging"),
            serde_json::json!(["../../flux/staging"])
        );
        // Tiers without environments still have their entry point, empty.
        assert_eq!(resources("production"), serde_json::json!([]));
        assert_eq!(resources("review"), serde_json::json!([]));
        assert!(
            tree.files["generated/clusters/review/kustomization.yaml"].contains("resources: []\n")
        );
    }

    #[test]
    fn flux_defaults_keep_names_namespace_and_source() {
        let stack = stack();
        let env = &stack.environments[0];
        let namespace = flux::kustomization(env, flux::NAMESPACE_UNIT, &[]);
        assert_eq!(namespace["metadata"]["name"], "staging-namespace");
        assert_eq!(namespace["metadata"]["namespace"], "flux-system");
        assert!(namespace["spec"].get("dependsOn").is_none(), "{namespace}");
        assert_eq!(
            namespace["spec"]["sourceRef"],
            serde_json::json!({"kind": "GitRepository", "name": "flux-system"})
        );
        assert_eq!(namespace["spec"]["prune"], true);
        let api = flux::kustomization(env, "api", &needs(&[]));
        assert_eq!(
            api["spec"]["dependsOn"],
            serde_json::json!([{"name": "staging-namespace"}])
        );
    }

    #[test]
    fn flux_prefix_namespace_source_and_infrastructure_reach_every_kustomization() {
        let stack = stack_with(
            "{domain: example.com, network: {policies: false}, flux: {prefix: shop-, namespace: apps, \
             source: platform, sourceNamespace: flux-system, dependsOn: [infrastructure, crds]}}",
        );
        let env = &stack.environments[0];
        let namespace = flux::kustomization(env, flux::NAMESPACE_UNIT, &[]);
        assert_eq!(namespace["metadata"]["name"], "shop-staging-namespace");
        assert_eq!(namespace["metadata"]["namespace"], "apps");
        assert_eq!(
            namespace["spec"]["dependsOn"],
            serde_json::json!([{"name": "infrastructure"}, {"name": "crds"}])
        );
        assert_eq!(
            namespace["spec"]["sourceRef"],
            serde_json::json!({"kind": "GitRepository", "name": "platform", "namespace": "flux-system"})
        );
        let api = flux::kustomization(env, "api", &needs(&["cache".to_owned()]));
        assert_eq!(api["metadata"]["name"], "shop-staging-api");
        assert_eq!(api["metadata"]["namespace"], "apps");
        // Only the namespace unit waits for the infrastructure; the others wait for it.
        assert_eq!(
            api["spec"]["dependsOn"],
            serde_json::json!([{"name": "shop-staging-namespace"}, {"name": "shop-staging-cache"}])
        );
        // The generated files carry the same names.
        let tree = generated(&stack, "environments/stack.yaml").expect("renders");
        let file = parsed(&tree, "generated/flux/staging/api.yaml");
        assert_eq!(file["metadata"]["name"], "shop-staging-api");

        // The GitRepository in the Kustomizations' namespace is referred to by name only.
        let stack = stack_with(
            "{domain: example.com, network: {policies: false}, flux: {namespace: apps, sourceNamespace: apps}}",
        );
        let api = flux::kustomization(&stack.environments[0], "api", &needs(&[]));
        assert_eq!(
            api["spec"]["sourceRef"],
            serde_json::json!({"kind": "GitRepository", "name": "flux-system"})
        );
    }

    #[test]
    fn every_unit_renders_over_its_base() {
        let tree = generated(&stack(), "environments/stack.yaml").expect("renders");
        for unit in ["api", "cache"] {
            let overlay = format!("{GENERATED_DIR}/overlays/staging/{unit}/kustomization.yaml");
            assert!(tree.files.contains_key(&overlay), "{overlay}");
        }
    }

    #[test]
    fn a_unit_without_its_base_is_an_internal_error_not_a_missing_unit() {
        let mut stack = stack();
        stack.base.clear();
        let error = generated(&stack, "environments/stack.yaml").expect_err("refused");
        assert!(
            matches!(&error, Error::Internal(m) if m.contains("service `api` of environment `staging`")),
            "{error}"
        );

        let mut stack = self::stack();
        stack.base_charts.clear();
        let error = generated(&stack, "environments/stack.yaml").expect_err("refused");
        assert!(
            matches!(&error, Error::Internal(m) if m.contains("chart `cache` of environment `staging`")),
            "{error}"
        );
    }
}
