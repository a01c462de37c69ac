//! Network policies: which traffic each unit of an environment may send and receive.
//! Every pod of an environment denies all traffic but DNS; each unit's policy opens
//! what the spec declares: its exposure, its metrics, and the connections between
//! units (`connectsTo`) and to outside addresses (`egress`).

use std::collections::BTreeMap;

use crate::model::{self, NetworkPolicy, NetworkRule, Peer};
use crate::spec::{Connection, Egress, NetworkEngine, Routing, Values};

/// Namespace and labels of the cluster DNS, which every pod may reach.
pub const DNS_NAMESPACE: &str = "kube-system";
pub const DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

/// Labels selecting a service's pods.
pub fn service_pods(service: &str, stack: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/instance".to_owned(), stack.to_owned()),
        ("app.kubernetes.io/name".to_owned(), service.to_owned()),
    ])
}

/// Labels selecting a chart's pods: Helm charts label them with the release name.
pub fn chart_pods(chart: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/instance".to_owned(), chart.to_owned())])
}

/// Whether the environment generates network policies.
pub fn enabled(values: &Values) -> bool {
    values
        .global
        .as_ref()
        .and_then(|g| g.network.as_ref())
        .and_then(|n| n.policies)
        .unwrap_or(true)
}

/// The namespace allowed to reach exposed units: the ingress controller's, or the
/// Gateway's for Gateway API routing.
pub fn ingress_namespace(values: &Values) -> Option<String> {
    let global = values.global.as_ref()?;
    let configured = global
        .network
        .as_ref()
        .and_then(|n| n.ingress_namespace.clone());
    let gateway = global.gateway.as_ref().and_then(|g| g.namespace.clone());
    match global.routing {
        Some(Routing::GatewayApi) => gateway.or(configured),
        _ => configured.or(gateway),
    }
}

/// The environment's network policy engine.
pub fn engine(values: &Values) -> NetworkEngine {
    values
        .global
        .as_ref()
        .and_then(|g| g.network.as_ref())
        .and_then(|n| n.engine)
        .unwrap_or_default()
}

/// The peer an `egress` entry opens under `engine`; `None` for an entry validation
/// refuses (no destination, or one the engine cannot express without a `cidr`).
/// Under Cilium, the API server and hostnames are named (their `cidr` fallback is
/// not used: Cilium tells API server traffic by identity, not by address); under plain
/// NetworkPolicy, the fallback `cidr` stands for them.
pub fn egress_peer(egress: &Egress, engine: NetworkEngine) -> Option<Peer> {
    let cidr = || {
        egress.cidr.clone().map(|cidr| Peer::Cidr {
            cidr,
            except: egress.except.clone().unwrap_or_default(),
        })
    };
    let named = match (egress.api_server.unwrap_or(false), &egress.host) {
        (true, _) => Some(Peer::ApiServer),
        (false, Some(host)) => Some(Peer::Host(host.clone())),
        (false, None) => None,
    };
    if let Some(named) = named {
        return match engine {
            NetworkEngine::Cilium => Some(named),
            NetworkEngine::Kubernetes => cidr(),
        };
    }
    let pods = egress.pod_labels.clone().filter(|p| !p.is_empty());
    match (&egress.namespace, pods) {
        (Some(namespace), Some(pods)) => Some(Peer::NamespacePods {
            namespace: namespace.clone(),
            pods,
        }),
        (Some(namespace), None) => Some(Peer::Namespace(namespace.clone())),
        (None, Some(pods)) => Some(Peer::Pods(pods)),
        (None, None) => cidr(),
    }
}

/// One unit as far as traffic goes.
struct Unit<'a> {
    pods: BTreeMap<String, String>,
    /// Ports it serves, for traffic it receives: `None` means every port (charts).
    serves: Option<Vec<i64>>,
    exposed: bool,
    /// Whether its pods listen at all: workers, Jobs and CronJobs admit no ingress.
    listens: bool,
    metrics_port: Option<i64>,
    connects_to: &'a [Connection],
    egress: &'a [Egress],
}

/// Every unit's policy, by unit name. `services` and `charts` are the environment's
/// enabled units, lowered.
pub fn policies(
    values: &Values,
    services: &[model::Service],
    charts: &[model::Chart],
) -> BTreeMap<String, NetworkPolicy> {
    if !enabled(values) {
        return BTreeMap::new();
    }
    let mut units: BTreeMap<&str, Unit<'_>> = BTreeMap::new();
    for service in services {
        let Some(spec) = values.services.as_ref().and_then(|m| m.get(&service.name)) else {
            continue;
        };
        let unit = Unit {
            pods: service_pods(&service.name, &service.part_of),
            serves: Some(vec![service.port]),
            exposed: service.ingress.is_some(),
            listens: service.listens,
            metrics_port: service
                .metrics
                .as_ref()
                .map(|m| m.port.unwrap_or(service.port)),
            connects_to: spec.connects_to.as_deref().unwrap_or_default(),
            egress: spec.egress.as_deref().unwrap_or_default(),
        };
        units.insert(&service.name, unit);
    }
    for chart in charts {
        let Some(spec) = values.charts.as_ref().and_then(|m| m.get(&chart.name)) else {
            continue;
        };
        let unit = Unit {
            pods: chart_pods(&chart.name),
            serves: None,
            exposed: spec.hostname.is_some(),
            listens: true,
            metrics_port: None,
            connects_to: spec.connects_to.as_deref().unwrap_or_default(),
            egress: spec.egress.as_deref().unwrap_or_default(),
        };
        units.insert(&chart.name, unit);
    }
    let ingress_namespace = ingress_namespace(values);
    let engine = engine(values);
    let monitoring = values
        .global
        .as_ref()
        .and_then(|g| g.network.as_ref())
        .and_then(|n| n.monitoring_namespace.clone());
    let ports_of = |name: &str, port: i64| -> Vec<i64> {
        // Policies see the pod's port: a Service port is translated to its target.
        match services.iter().find(|s| s.name == name) {
            Some(s) if s.service.port == port => vec![s.service.target_port],
            _ => vec![port],
        }
    };
    let mut out = BTreeMap::new();
    for (name, unit) in &units {
        let mut policy = NetworkPolicy {
            pods: unit.pods.clone(),
            ingress: Vec::new(),
            egress: Vec::new(),
        };
        if let (true, Some(ns)) = (unit.exposed, &ingress_namespace) {
            policy.ingress.push(NetworkRule {
                peer: Peer::Namespace(ns.clone()),
                ports: unit.serves.clone().unwrap_or_default(),
            });
        }
        if let (Some(port), Some(ns)) = (unit.metrics_port, &monitoring) {
            policy.ingress.push(NetworkRule {
                peer: Peer::Namespace(ns.clone()),
                ports: vec![port],
            });
        }
        for source in units.values() {
            for connection in source.connects_to.iter().filter(|c| c.to == *name) {
                policy.ingress.push(NetworkRule {
                    peer: Peer::Pods(source.pods.clone()),
                    ports: ports_of(name, connection.port),
                });
            }
        }
        for connection in unit.connects_to {
            let Some(target) = units.get(connection.to.as_str()) else {
                continue;
            };
            policy.egress.push(NetworkRule {
                peer: Peer::Pods(target.pods.clone()),
                ports: ports_of(&connection.to, connection.port),
            });
        }
        for egress in unit.egress {
            let Some(peer) = egress_peer(egress, engine) else {
                continue;
            };
            policy.egress.push(NetworkRule {
                peer,
                ports: egress.ports.clone(),
            });
        }
        if !unit.listens {
            policy.ingress.clear();
        }
        policy.ingress.sort();
        policy.ingress.dedup();
        policy.egress.sort();
        policy.egress.dedup();
        out.insert((*name).to_owned(), policy);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower;

    fn environment(yaml: &str) -> model::Environment {
        let values: Values = serde_saphyr::from_str(yaml).expect("valid values");
        lower::environment("staging", &values, vec![])
    }

    const STACK: &str = "tier: staging
global: {domain: example.com, network: {ingressNamespace: ingress-nginx}}
services:
  api:
    port: 8080
    service: {port: 80}
    ingress: {enabled: true}
    connectsTo: [{to: db, port: 5432}]
    egress: [{cidr: 203.0.113.0/24, ports: [443]}]
  worker:
    connectsTo: [{to: api, port: 80}]
charts:
  db:
    repository: oci://example.com/charts
    chart: postgresql
    version: 1.0.0
";

    #[test]
    fn declared_traffic_is_allowed_on_both_ends() {
        let env = environment(STACK);
        assert!(env.default_deny);
        let api = &env.network_policies["api"];
        assert!(api.ingress.contains(&NetworkRule {
            peer: Peer::Namespace("ingress-nginx".into()),
            ports: vec![8080]
        }));
        // The worker connects to the Service port 80; the pod receives it on 8080.
        assert!(api.ingress.contains(&NetworkRule {
            peer: Peer::Pods(service_pods("worker", "mcp-stack")),
            ports: vec![8080]
        }));
        assert!(api.egress.contains(&NetworkRule {
            peer: Peer::Pods(chart_pods("db")),
            ports: vec![5432]
        }));
        assert!(api.egress.contains(&NetworkRule {
            peer: Peer::Cidr {
                cidr: "203.0.113.0/24".into(),
                except: vec![]
            },
            ports: vec![443]
        }));
        let db = &env.network_policies["db"];
        assert_eq!(db.pods, chart_pods("db"));
        assert_eq!(
            db.ingress,
            vec![NetworkRule {
                peer: Peer::Pods(service_pods("api", "mcp-stack")),
                ports: vec![5432]
            }]
        );
        assert!(db.egress.is_empty());
        let worker = &env.network_policies["worker"];
        assert!(
            worker.ingress.is_empty(),
            "the worker is not exposed and nobody connects to it"
        );
    }

    #[test]
    fn pods_that_listen_on_no_port_admit_no_ingress() {
        let stack = STACK
            .replace(
                "  worker:\n",
                "  worker:\n    worker: true\n    metrics: {enabled: true}\n",
            )
            .replace(
                "connectsTo: [{to: db, port: 5432}]",
                "connectsTo: [{to: worker, port: 8080}]",
            );
        let env = environment(&stack.replace(
            "global: {domain: example.com, network: {ingressNamespace: ingress-nginx}}",
            "global: {domain: example.com, network: {ingressNamespace: ingress-nginx, monitoringNamespace: monitoring}}",
        ));
        assert!(!env.services.iter().any(|s| s.name == "worker" && s.listens));
        let worker = &env.network_policies["worker"];
        assert!(worker.ingress.is_empty(), "{worker:?}");
        assert!(!worker.egress.is_empty(), "its own connections stay open");
    }

    #[test]
    fn egress_peers_depend_on_the_engine() {
        let entry = |yaml: &str| -> Egress { serde_saphyr::from_str(yaml).expect("an entry") };
        let api = entry("{apiServer: true, cidr: 10.96.0.1/32, ports: [443]}");
        let fallback = Peer::Cidr {
            cidr: "10.96.0.1/32".into(),
            except: vec![],
        };
        assert_eq!(
            egress_peer(&api, NetworkEngine::Cilium),
            Some(Peer::ApiServer)
        );
        assert_eq!(egress_peer(&api, NetworkEngine::Kubernetes), Some(fallback));
        let bare = entry("{apiServer: true, ports: [443]}");
        assert_eq!(egress_peer(&bare, NetworkEngine::Kubernetes), None);
        let host = entry("{host: '*.example.com', ports: [443]}");
        assert_eq!(
            egress_peer(&host, NetworkEngine::Cilium),
            Some(Peer::Host("*.example.com".into()))
        );
        let pods = entry("{namespace: observability, podLabels: {app: otel}, ports: [4317]}");
        assert_eq!(
            egress_peer(&pods, NetworkEngine::Kubernetes),
            Some(Peer::NamespacePods {
                namespace: "observability".into(),
                pods: BTreeMap::from([("app".into(), "otel".into())]),
            })
        );
        let namespace = entry("{namespace: tools, ports: [80]}");
        assert_eq!(
            egress_peer(&namespace, NetworkEngine::Cilium),
            Some(Peer::Namespace("tools".into()))
        );
    }

    #[test]
    fn policies_can_be_switched_off() {
        let env = environment(&STACK.replace(
            "network: {ingressNamespace: ingress-nginx}",
            "network: {policies: false}",
        ));
        assert!(!env.default_deny);
        assert!(env.network_policies.is_empty());
    }
}
