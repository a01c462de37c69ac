//! Egress beyond the stack, end to end on `tests/fixtures/egress`: pods of other
//! namespaces, the Kubernetes API server and external hostnames under both network
//! engines. `cilium` names the API server (`toEntities`) and hostnames (`toFQDNs`, with
//! the DNS rule Cilium needs) in a CiliumNetworkPolicy beside the unit's NetworkPolicy;
//! `plain` (plain NetworkPolicy) opens their `cidr` fallbacks, and refuses them without
//! one. The objects must pass `kubernetes-validate --strict` and Cilium's CRD schema,
//! and `kubectl kustomize` must build what `render` prints.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{
    KUBECTL, KUBERNETES_VALIDATE, Need, can_run, can_run_part, code, copy_dir, crd_schemas_dir,
    mcpstack, parse_stream, project_root, stderr, stdout,
};
use serde_json::{Value as Json, json};

const ENVIRONMENTS: [&str; 2] = ["cilium", "plain"];

/// A copy of the fixture stack, after `edit` changed its spec files.
fn copied(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&project_root().join("tests/fixtures/egress"), dir.path());
    edit(dir.path());
    dir
}

fn rendered(root: &Path, env: &str) -> Vec<Json> {
    let output = mcpstack(root, &["render", env]);
    assert_eq!(code(&output), 0, "render fails: {}", stderr(&output));
    parse_stream(&stdout(&output)).expect("rendered YAML")
}

fn fixture(env: &str) -> Vec<Json> {
    rendered(&project_root().join("tests/fixtures/egress"), env)
}

fn find<'a>(objects: &'a [Json], kind: &str, name: &str) -> Option<&'a Json> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn append(root: &Path, file: &str, text: &str) {
    let path = root.join("environments").join(file);
    let mut content = fs::read_to_string(&path).expect("spec file");
    content.push_str(text);
    fs::write(path, content).expect("spec file written");
}

/// The egress peers of a NetworkPolicy, each with its ports.
fn egress(policy: &Json) -> Vec<(Json, Json)> {
    policy["spec"]["egress"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| (rule["to"][0].clone(), rule["ports"].clone()))
        .collect()
}

fn tcp(ports: &[i64]) -> Json {
    Json::Array(
        ports
            .iter()
            .map(|p| json!({"protocol": "TCP", "port": p}))
            .collect(),
    )
}

#[test]
fn the_api_server_is_named_under_cilium_and_its_cidr_opened_under_plain_policies() {
    let api_block = json!({"ipBlock": {"cidr": "10.96.0.1/32"}});
    let cilium = fixture("cilium");
    for unit in ["agent", "kube-tool"] {
        let policy = find(&cilium, "CiliumNetworkPolicy", unit).expect("a Cilium policy");
        assert_eq!(policy["apiVersion"], "cilium.io/v2");
        assert_eq!(
            policy["spec"]["egress"][0]["toEntities"],
            json!(["kube-apiserver"])
        );
        assert_eq!(
            policy["metadata"]["labels"],
            find(&cilium, "NetworkPolicy", unit).expect("a policy")["metadata"]["labels"]
        );
        // Cilium tells API server traffic by identity: the fallback address is not used.
        let plain = find(&cilium, "NetworkPolicy", unit).expect("a policy");
        assert!(!egress(plain).iter().any(|(peer, _)| *peer == api_block));
    }
    let agent = find(&cilium, "CiliumNetworkPolicy", "agent").expect("agent's");
    assert_eq!(
        agent["spec"]["endpointSelector"],
        json!({"matchLabels": {"app.kubernetes.io/instance": "egress", "app.kubernetes.io/name": "agent"}})
    );
    assert_eq!(
        agent["spec"]["egress"][0]["toPorts"],
        json!([{"ports": [{"port": "443", "protocol": "TCP"}, {"port": "6443", "protocol": "TCP"}]}])
    );

    let plain = fixture("plain");
    assert!(
        !plain.iter().any(|o| o["kind"] == "CiliumNetworkPolicy"),
        "no Cilium object under plain NetworkPolicy"
    );
    let agent = find(&plain, "NetworkPolicy", "agent").expect("agent's");
    assert!(
        egress(agent).contains(&(api_block.clone(), tcp(&[443, 6443]))),
        "{agent:#}"
    );
    let tool = find(&plain, "NetworkPolicy", "kube-tool").expect("the chart's");
    assert_eq!(egress(tool), vec![(api_block, tcp(&[443]))]);
}

#[test]
fn the_api_server_without_a_cidr_is_refused_under_plain_policies_only() {
    let entry = "charts:\n  kube-tool:\n    egress:\n      - {apiServer: true, ports: [443]}\n";
    let dir = copied(|root| {
        append(root, "plain.yaml", entry);
        append(root, "cilium.yaml", entry);
    });
    let output = mcpstack(dir.path(), &["validate"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("error[egress-needs-cidr]"), "{err}");
    assert!(err.contains("plain NetworkPolicy cannot select the Kubernetes API server"));
    assert!(err.contains("--> environments/plain.yaml:6:"), "{err}");
    assert!(err.contains("global.network.engine: cilium"), "{err}");
    assert!(err.contains("cidr: "), "the help shows a CIDR: {err}");
    assert_eq!(err.matches("error[").count(), 1, "Cilium accepts it: {err}");
    // Without policies, nothing is enforced and nothing is asked.
    let off = copied(|root| {
        append(root, "plain.yaml", entry);
        append(
            root,
            "plain.yaml",
            "global:\n  network: {policies: false}\n",
        );
        append(root, "cilium.yaml", entry);
    });
    let output = mcpstack(off.path(), &["validate"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn pods_of_other_namespaces_are_selected_by_namespace_name_and_labels() {
    for env in ENVIRONMENTS {
        let objects = fixture(env);
        let agent = find(&objects, "NetworkPolicy", "agent").expect("agent's");
        let peers = egress(agent);
        let namespace = |name: &str| json!({"matchLabels": {"kubernetes.io/metadata.name": name}});
        assert!(peers.contains(&(
            json!({
                "namespaceSelector": namespace("observability"),
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "opentelemetry-collector"}},
            }),
            tcp(&[4317, 4318])
        )));
        assert!(peers.contains(&(
            json!({"namespaceSelector": namespace("tools")}),
            tcp(&[8080])
        )));
        assert!(peers.contains(&(
            json!({"podSelector": {"matchLabels": {"app": "legacy-proxy"}}}),
            tcp(&[3128])
        )));
        assert!(peers.contains(&(
            json!({"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}),
            tcp(&[443])
        )));
        // Every rule has ports: none opens every port.
        assert!(peers.iter().all(|(_, ports)| ports.is_array()), "{env}");
    }
}

#[test]
fn hostnames_are_fqdn_rules_with_the_dns_rule_under_cilium_and_cidrs_under_plain() {
    let cilium = fixture("cilium");
    let agent = find(&cilium, "CiliumNetworkPolicy", "agent").expect("agent's");
    let rules = agent["spec"]["egress"].as_array().expect("egress rules");
    let fqdns: Vec<&Json> = rules.iter().filter_map(|r| r.get("toFQDNs")).collect();
    assert_eq!(
        fqdns,
        vec![
            &json!([{"matchPattern": "*.googleapis.com"}]),
            &json!([{"matchName": "api.github.com"}])
        ]
    );
    let dns = rules
        .iter()
        .find(|r| r.get("toEndpoints").is_some())
        .expect("the DNS rule");
    assert_eq!(
        dns["toEndpoints"],
        json!([{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}])
    );
    assert_eq!(
        dns["toPorts"][0]["rules"],
        json!({"dns": [{"matchPattern": "*"}]})
    );
    // The chart reaches no hostname: no DNS rule of its own.
    let tool = find(&cilium, "CiliumNetworkPolicy", "kube-tool").expect("the chart's");
    assert_eq!(tool["spec"]["egress"].as_array().map(Vec::len), Some(1));

    let plain = fixture("plain");
    let agent = find(&plain, "NetworkPolicy", "agent").expect("agent's");
    let peers = egress(agent);
    for cidr in ["140.82.112.0/20", "142.250.0.0/15"] {
        assert!(peers.contains(&(json!({"ipBlock": {"cidr": cidr}}), tcp(&[443]))));
    }
}

#[test]
fn a_hostname_without_a_cidr_is_refused_under_plain_policies() {
    let dir = copied(|root| {
        append(
            root,
            "plain.yaml",
            "services:\n  agent:\n    egress:\n      - {host: api.github.com, ports: [443]}\n",
        )
    });
    let output = mcpstack(dir.path(), &["validate"]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("error[egress-needs-cidr]"), "{err}");
    assert!(err.contains("cannot select `api.github.com`"), "{err}");
    assert!(err.contains("services.agent.egress[0].host"), "{err}");
}

#[test]
fn kustomize_builds_what_render_prints() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    let dir = copied(|_| {});
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 0, "build fails: {}", stderr(&output));
    for env in ENVIRONMENTS {
        let output = Command::new(KUBECTL)
            .arg("kustomize")
            .arg(dir.path().join("generated/overlays").join(env))
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let built = parse_stream(&stdout(&output)).expect("kustomize output");
        assert_eq!(built, rendered(dir.path(), env), "{env}");
    }
    // Each unit builds to its share, the Cilium policy in the unit it opens.
    let unit = dir.path().join("generated/overlays/cilium/agent");
    let output = Command::new(KUBECTL)
        .arg("kustomize")
        .arg(&unit)
        .output()
        .expect("kubectl runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let objects = parse_stream(&stdout(&output)).expect("kustomize output");
    assert!(find(&objects, "CiliumNetworkPolicy", "agent").is_some());
}

#[test]
fn policies_pass_strict_validation_and_the_cilium_schema() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut policies = Vec::new();
    let mut cilium = Vec::new();
    for env in ENVIRONMENTS {
        for object in fixture(env) {
            match object["kind"].as_str().unwrap_or_default() {
                "NetworkPolicy" => policies.push(object),
                "CiliumNetworkPolicy" => cilium.push(object),
                _ => {}
            }
        }
    }
    assert!(policies.len() >= 6 && cilium.len() == 2);
    let text: String = policies
        .iter()
        .map(|o| format!("---\n{}\n", serde_json::to_string(o).expect("JSON")))
        .collect();
    fs::write(dir.path().join("policies.yaml"), text).expect("written");
    let result = Command::new(KUBERNETES_VALIDATE)
        .args(["-k", "1.33.0", "--strict", "policies.yaml"])
        .current_dir(dir.path())
        .output()
        .expect("kubernetes-validate runs");
    let report = String::from_utf8_lossy(&result.stdout).into_owned();
    let passed = report
        .lines()
        .filter(|l| l.contains(" passed for resource "))
        .count();
    assert!(
        result.status.success() && passed == policies.len(),
        "{passed} of {} passed\n{report}{}",
        policies.len(),
        stderr(&result)
    );
    if !can_run_part(
        "the check of CiliumNetworkPolicies against their CRD schema",
        &[Need::CrdSchemas],
    ) {
        return;
    }
    let path = crd_schemas_dir().join("cilium.io/ciliumnetworkpolicy_v2.json");
    let schema: Json =
        serde_json::from_str(&fs::read_to_string(&path).expect("read the CRD schema"))
            .expect("a JSON schema");
    let validator = jsonschema::draft202012::new(&schema).expect("a CRD schema compiles");
    for policy in &cilium {
        let errors: Vec<String> = validator
            .iter_errors(policy)
            .map(|e| format!("{}: {e}", e.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{policy:#}: {errors:?}");
    }
}
