//! Unit tests of the API server's rules on rendered objects.

use serde_json::json;

use super::*;

fn deployment() -> Json {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "gateway", "namespace": "staging", "labels": {"app.kubernetes.io/name": "gateway"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "gateway"}},
                "spec": {
                    "containers": [{
                        "name": "gateway",
                        "image": "ghcr.io/org/gateway:1.0",
                        "ports": [{"name": "main", "containerPort": 8080}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                }
            }
        }
    })
}

/// The fields of the violations of `object`, as text.
fn fields(object: &Json) -> Vec<String> {
    check(object).iter().map(|v| v.at.to_string()).collect()
}

fn with(mut object: Json, pointer: &str, value: Json) -> Json {
    *object.pointer_mut(pointer).expect("the field exists") = value;
    object
}

const CONTAINER: &str = "/spec/template/spec/containers/0";

#[test]
fn a_valid_deployment_passes() {
    assert_eq!(check(&deployment()), Vec::new());
}

#[test]
fn names_follow_their_kind() {
    let bad = with(deployment(), "/metadata/name", json!("../escape"));
    assert_eq!(fields(&bad), ["metadata.name"]);
    let service = json!({"kind": "Service", "metadata": {"name": "1gateway"}, "spec": {}});
    assert_eq!(fields(&service), ["metadata.name"]);
    let role = json!({"kind": "Role", "metadata": {"name": "read:pods"}, "rules": [{"apiGroups": [""], "verbs": ["get"], "resources": ["pods"]}]});
    assert_eq!(check(&role), Vec::new());
}

#[test]
fn pod_labels_keep_the_selector() {
    let bad = with(
        deployment(),
        "/spec/template/metadata/labels/app.kubernetes.io~1name",
        json!("other"),
    );
    assert_eq!(
        fields(&bad),
        ["spec.template.metadata.labels.app.kubernetes.io/name"]
    );
}

#[test]
fn ports_integers_and_env_names() {
    let port = with(
        deployment(),
        &format!("{CONTAINER}/ports/0/containerPort"),
        json!(70000),
    );
    assert_eq!(
        fields(&port),
        ["spec.template.spec.containers[0].ports[0].containerPort"]
    );
    let replicas = with(deployment(), "/spec/replicas", json!(3_000_000_000_i64));
    assert_eq!(fields(&replicas), ["spec.replicas"]);
    let negative = with(deployment(), "/spec/replicas", json!(-1));
    assert_eq!(fields(&negative), ["spec.replicas"]);
    let env = with(
        deployment(),
        &format!("{CONTAINER}/env/0/name"),
        json!("1X"),
    );
    assert_eq!(
        fields(&env),
        ["spec.template.spec.containers[0].env[0].name"]
    );
}

#[test]
fn quantities_parse_and_requests_stay_within_limits() {
    let bad = with(
        deployment(),
        &format!("{CONTAINER}/resources/limits/memory"),
        json!("1GB"),
    );
    assert_eq!(
        fields(&bad),
        ["spec.template.spec.containers[0].resources.limits.memory"]
    );
    let over = with(
        deployment(),
        &format!("{CONTAINER}/resources/requests/cpu"),
        json!("2"),
    );
    assert_eq!(
        fields(&over),
        ["spec.template.spec.containers[0].resources.requests.cpu"]
    );
}

#[test]
fn mounts_name_volumes_once() {
    let bad = with(
        deployment(),
        &format!("{CONTAINER}/volumeMounts/0/name"),
        json!("data"),
    );
    assert_eq!(
        fields(&bad),
        ["spec.template.spec.containers[0].volumeMounts[0].name"]
    );
}

#[test]
fn ip_blocks_and_their_exceptions() {
    let policy = |cidr: &str, except: &str| {
        json!({"kind": "NetworkPolicy", "metadata": {"name": "x"}, "spec": {
            "podSelector": {"matchLabels": {"a": "b"}},
            "egress": [{"to": [{"ipBlock": {"cidr": cidr, "except": [except]}}], "ports": [{"port": 443}]}]
        }})
    };
    assert_eq!(check(&policy("10.0.0.0/8", "10.1.0.0/16")), Vec::new());
    assert_eq!(
        fields(&policy("10.0.0.0/33", "10.1.0.0/16")),
        ["spec.egress[0].to[0].ipBlock.cidr"]
    );
    assert_eq!(
        fields(&policy("10.0.0.0/8", "192.168.0.0/16")),
        ["spec.egress[0].to[0].ipBlock.except[0]"]
    );
    assert_eq!(
        fields(&policy("10.0.0.0/8", "10.0.0.0/8")),
        ["spec.egress[0].to[0].ipBlock.except[0]"]
    );
}

#[test]
fn ingress_hosts_are_names_and_budgets_at_most_all() {
    let ingress = |host: &str| json!({"kind": "Ingress", "metadata": {"name": "x"}, "spec": {"rules": [{"host": host}]}});
    assert_eq!(check(&ingress("mcp.example.com")), Vec::new());
    assert_eq!(fields(&ingress("10.0.0.1")), ["spec.rules[0].host"]);
    assert_eq!(fields(&ingress("MCP.example.com")), ["spec.rules[0].host"]);
    let budget = |value: Json| json!({"kind": "PodDisruptionBudget", "metadata": {"name": "x"}, "spec": {"minAvailable": value}});
    assert_eq!(check(&budget(json!("50%"))), Vec::new());
    assert_eq!(fields(&budget(json!("150%"))), ["spec.minAvailable"]);
}

#[test]
fn flux_durations_are_go_durations() {
    let release = json!({"kind": "HelmRelease", "metadata": {"name": "redis"}, "spec": {
        "interval": "5 minutes", "chart": {"spec": {"chart": "redis"}}, "values": {"replicas": -1}
    }});
    // Helm values are the chart's business: a negative number there is no API error.
    assert_eq!(fields(&release), ["spec.interval"]);
}

#[test]
fn echoed_text_cannot_start_a_line() {
    assert_eq!(shown("a\n::error::x"), "a\\n::error::x");
}

#[test]
fn cilium_policies_have_valid_selectors_ports_and_names() {
    let policy = |port: &str, fqdn: Json, dns_key: &str| {
        json!({"kind": "CiliumNetworkPolicy", "metadata": {"name": "x"}, "spec": {
            "endpointSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}},
            "egress": [
                {"toFQDNs": [fqdn], "toPorts": [{"ports": [{"port": port, "protocol": "TCP"}]}]},
                {"toEndpoints": [{"matchLabels": {dns_key: "kube-dns"}}]}
            ]
        }})
    };
    let name = json!({"matchName": "api.github.com"});
    assert_eq!(
        check(&policy("443", name.clone(), "k8s:k8s-app")),
        Vec::new()
    );
    let pattern = json!({"matchPattern": "*.github.com"});
    assert_eq!(check(&policy("443", pattern, "k8s:k8s-app")), Vec::new());
    assert_eq!(
        fields(&policy("65536", name.clone(), "k8s:k8s-app")),
        ["spec.egress[0].toPorts[0].ports[0].port"]
    );
    assert_eq!(
        fields(&policy("https", name.clone(), "k8s:k8s-app")),
        ["spec.egress[0].toPorts[0].ports[0].port"]
    );
    assert_eq!(
        fields(&policy(
            "443",
            json!({"matchName": "bad_host"}),
            "k8s:k8s-app"
        )),
        ["spec.egress[0].toFQDNs[0].matchName"]
    );
    assert_eq!(
        fields(&policy("443", name, "bad key")),
        ["spec.egress[1].toEndpoints[0].matchLabels.bad key"]
    );
}
