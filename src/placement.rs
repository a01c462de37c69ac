//! Which unit holds each synced Secret (its ExternalSecret) and each declared
//! ConfigMap: the one unit that uses it, so that the namespace unit stays small however
//! large the stack grows (Flux builds every unit on every reconciliation, and
//! Kustomize's cost grows faster than the objects of one build). A Secret or ConfigMap
//! that several units use, or none, stays in the namespace unit, which every unit
//! depends on.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Chart, Container, EnvSource, EnvVarValue, Environment, MountSource, Service};
use crate::spec::ValuesSourceKind;

/// The unit of each Secret and ConfigMap that lives outside the namespace unit, by
/// name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Homes {
    pub secrets: BTreeMap<String, String>,
    pub config_maps: BTreeMap<String, String>,
}

impl Homes {
    /// The Secrets synced in `unit`.
    pub fn secrets_of<'a>(&'a self, unit: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.secrets
            .iter()
            .filter(move |(_, home)| home.as_str() == unit)
            .map(|(name, _)| name.as_str())
    }

    /// The ConfigMaps declared in `unit`.
    pub fn config_maps_of<'a>(&'a self, unit: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.config_maps
            .iter()
            .filter(move |(_, home)| home.as_str() == unit)
            .map(|(name, _)| name.as_str())
    }
}

/// Where the environment's synced Secrets and declared ConfigMaps live.
pub fn homes(env: &Environment) -> Homes {
    let mut secret_users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut config_users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for service in &env.services {
        let (secrets, configs) = service_uses(service);
        for name in secrets {
            secret_users.entry(name).or_default().insert(&service.name);
        }
        for name in configs {
            config_users.entry(name).or_default().insert(&service.name);
        }
    }
    for chart in &env.charts {
        let (secrets, configs) = chart_uses(chart);
        for name in secrets {
            secret_users.entry(name).or_default().insert(&chart.name);
        }
        for name in configs {
            config_users.entry(name).or_default().insert(&chart.name);
        }
    }
    let sole = |users: &BTreeMap<&str, BTreeSet<&str>>, name: &str| -> Option<String> {
        let units = users.get(name)?;
        match units.len() {
            1 => units.iter().next().map(|u| (*u).to_owned()),
            _ => None,
        }
    };
    Homes {
        secrets: env
            .secrets
            .keys()
            .filter_map(|name| sole(&secret_users, name).map(|unit| (name.clone(), unit)))
            .collect(),
        config_maps: env
            .config_maps
            .keys()
            .filter_map(|name| sole(&config_users, name).map(|unit| (name.clone(), unit)))
            .collect(),
    }
}

/// The Secrets and ConfigMaps a service's pods read: env, envFrom, mounts and pull
/// secrets, in every container.
fn service_uses(service: &Service) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let mut secrets: BTreeSet<&str> = service.pull_secrets.iter().map(String::as_str).collect();
    let mut configs: BTreeSet<&str> = BTreeSet::new();
    let main = (&service.env, &service.env_from, &service.mounts);
    let extra = service
        .extra_containers
        .iter()
        .map(|c: &Container| (&c.env, &c.env_from, &c.mounts));
    for (env, env_from, mounts) in std::iter::once(main).chain(extra) {
        for var in env {
            match &var.value {
                EnvVarValue::SecretKey { name, .. } => {
                    secrets.insert(name);
                }
                EnvVarValue::ConfigMapKey { name, .. } => {
                    configs.insert(name);
                }
                EnvVarValue::Literal(_) => {}
            }
        }
        for source in env_from {
            match source {
                EnvSource::Secret { name, .. } => secrets.insert(name),
                EnvSource::ConfigMap { name, .. } => configs.insert(name),
            };
        }
        for mount in mounts {
            match &mount.source {
                MountSource::Secret(name) => secrets.insert(name),
                MountSource::ConfigMap(name) => configs.insert(name),
            };
        }
    }
    (secrets, configs)
}

/// The Secrets and ConfigMaps a chart reads: `valuesFrom`, and Secrets its values name
/// (`existingSecret` and the like).
fn chart_uses(chart: &Chart) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let mut secrets = BTreeSet::new();
    let mut configs = BTreeSet::new();
    for source in &chart.values_from {
        match source.kind {
            ValuesSourceKind::Secret => secrets.insert(source.name.as_str()),
            ValuesSourceKind::ConfigMap => configs.insert(source.name.as_str()),
        };
    }
    secrets.extend(crate::helm_values::secret_names(&chart.values));
    (secrets, configs)
}
