//! Unit tests of the semantic rules.

use std::sync::mpsc;
use std::time::Duration;

use super::*;
use crate::diagnostic::Severity;
use crate::load::parse;
use crate::merge::layer;
use crate::source::FileId;

const STACK: FileId = FileId(0);
const OWN: FileId = FileId(1);
const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Two services; line numbers below refer to this text.
const BASE: &[&str] = &[
    "global: {domain: example.com, network: {ingressNamespace: ingress-nginx}}", // 1
    "# the domain and the ingress controller's namespace are set above",         // 2
    "services:",                                                                 // 3
    "  gateway:",                                                                // 4
    "    dependsOn: [redis]",                                                    // 5
    "    image:",                                                                // 6
    "      repository: ibm/mcp-context-forge",                                   // 7
    "      tag: \"0.9.0\"",                                                      // 8
    "    port: 4444",                                                            // 9
    "    ingress:",                                                              // 10
    "      enabled: true",                                                       // 11
    "  redis:",                                                                  // 12
    "    image:",                                                                // 13
    "      repository: bitnami/redis",                                           // 14
    "      tag: \"7.4.1\"",                                                      // 15
    "    port: 6379",                                                            // 16
];

/// YAML text from lines, so that line `n` of the text is `lines[n - 1]`.
fn yaml(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn document(file: FileId, lines: &[&str]) -> Document {
    let root = parse(file, &yaml(lines)).expect("test YAML parses");
    Document { file, root }
}

fn typed(node: &Node) -> Values {
    serde_json::from_value::<Values>(node.to_json()).expect("test YAML fits the spec types")
}

/// Code, file and line of every diagnostic, errors and warnings alike.
fn found(diagnostics: &[Diagnostic]) -> Vec<(&'static str, FileId, u32)> {
    diagnostics
        .iter()
        .map(|d| {
            let span = d.span.expect("semantic diagnostics are placed");
            (d.code.as_str(), span.file, span.line)
        })
        .collect()
}

fn stack_findings(lines: &[&str]) -> Vec<Diagnostic> {
    let document = document(STACK, lines);
    stack(&document, &typed(&document.root))
}

fn file_findings(name: &str, own: &[&str]) -> Vec<Diagnostic> {
    let stack = document(STACK, BASE);
    let own = document(OWN, own);
    environment_file(name, &own, &typed(&own.root), &typed(&stack.root))
}

/// `validate::environment` on `own` layered over `stack`.
fn layered_findings(name: &str, stack: &[&str], own: &[&str]) -> Vec<Diagnostic> {
    let stack = document(STACK, stack);
    let own = document(OWN, own);
    let merged = layer(&stack.root, &own.root);
    environment(name, &merged, &own, &typed(&merged))
}

fn env_findings(own: &[&str]) -> Vec<Diagnostic> {
    layered_findings("staging", BASE, own)
}

fn assert_clean(diagnostics: &[Diagnostic]) {
    assert!(
        diagnostics.is_empty(),
        "unexpected: {:?}",
        found(diagnostics)
    );
}

#[test]
fn a_valid_environment_has_no_findings() {
    assert_clean(&stack_findings(BASE));
    let own = ["tier: staging", "services:", "  redis:", "    replicas: 2"];
    assert_clean(&file_findings("staging", &own));
    assert_clean(&env_findings(&own));
    let digest = format!("      digest: {DIGEST}");
    let production = [
        "tier: production",
        "global:",
        "  allowedRegistries: [docker.io]",
        "  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 256Mi}}",
        "  ingress: {tls: {clusterIssuer: letsencrypt-prod}}",
        "services:",
        "  gateway:",
        "    replicas: 2",
        "    disruptionBudget: {enabled: true}",
        "    image:",
        &digest,
        "  redis:",
        "    image:",
        &digest,
    ];
    assert_clean(&file_findings("production", &production));
    assert_clean(&layered_findings("production", BASE, &production));
}

#[test]
fn tier_in_stack_is_an_error_at_the_key() {
    let mut lines = vec!["tier: staging"];
    lines.extend_from_slice(BASE);
    assert_eq!(
        found(&stack_findings(&lines)),
        [("tier-in-stack", STACK, 1)]
    );
}

#[test]
fn stack_name_must_be_a_dns_label() {
    let mut lines = vec!["name: My Stack"];
    lines.extend_from_slice(BASE);
    assert_eq!(found(&stack_findings(&lines)), [("invalid-name", STACK, 1)]);
}

#[test]
fn service_names_must_be_dns_labels() {
    let lines = [
        "services:",
        "  My_Service:",
        "    port: 80",
        "  9lives:",
        "    port: 80",
    ];
    assert_eq!(
        found(&stack_findings(&lines)),
        [("invalid-name", STACK, 4), ("invalid-name", STACK, 2)]
    );
}

#[test]
fn the_namespace_unit_name_is_reserved() {
    let lines = [
        "services:",
        "  gateway:",
        "    port: 80",
        "  namespace:",
        "    port: 80",
    ];
    assert_eq!(
        found(&stack_findings(&lines)),
        [("reserved-name", STACK, 4)]
    );
}

#[test]
fn environment_names_must_be_dns_labels() {
    let own = [
        "tier: production",
        "services:",
        "  redis:",
        "    replicas: 2",
    ];
    assert_eq!(
        found(&file_findings("Prod_EU", &own)),
        [("invalid-name", OWN, 1)]
    );
}

#[test]
fn environments_must_say_their_tier() {
    let own = ["services:", "  redis:", "    replicas: 2"];
    let findings = file_findings("staging", &own);
    assert_eq!(found(&findings), [("missing-tier", OWN, 1)]);
}

#[test]
fn environments_change_only_services_of_the_stack() {
    let own = [
        "tier: staging",
        "services:",
        "  gatway:",
        "    replicas: 2",
        "  postgres:",
        "    replicas: 1",
    ];
    let findings = file_findings("staging", &own);
    assert_eq!(
        found(&findings),
        [("unknown-service", OWN, 3), ("unknown-service", OWN, 5)]
    );
    assert_eq!(findings[0].help.as_deref(), Some("did you mean `gateway`?"));
    assert_eq!(
        findings[1].help.as_deref(),
        Some("define the service in environments/stack.yaml first")
    );
}

#[test]
fn a_set_namespace_must_be_a_dns_label() {
    let own = ["tier: staging", "global:", "  namespace: MCP_Staging"];
    assert_eq!(found(&env_findings(&own)), [("invalid-name", OWN, 3)]);
}

#[test]
fn a_derived_namespace_too_long_is_reported_in_the_environment_file() {
    // `mcp-` and a valid 60-character environment name make a 64-character
    // namespace. Nothing sets `global.namespace`: the name comes from the file name,
    // so the error belongs to the environment file, not to the stack's `global:`.
    let name = "a".repeat(60);
    let own = ["tier: staging", "services:", "  redis:", "    replicas: 2"];
    let findings = layered_findings(&name, BASE, &own);
    // The Flux unit names `{env}-gateway`, `{env}-redis` and `{env}-namespace` are too
    // long as well.
    assert_eq!(
        found(&findings),
        [
            ("invalid-name", OWN, 1),
            ("name-too-long", OWN, 1),
            ("name-too-long", OWN, 1),
            ("name-too-long", OWN, 1)
        ]
    );
}

#[test]
fn flux_unit_names_fit_in_a_label() {
    let name = "e".repeat(56);
    let findings = layered_findings(&name, BASE, &["tier: staging"]);
    let units: Vec<&str> = findings
        .iter()
        .filter(|d| d.code == "name-too-long")
        .map(|d| d.message.as_str())
        .collect();
    // `{env}-gateway` is 64 characters, and the namespace unit's name 66.
    assert_eq!(units.len(), 2, "{findings:?}");
    assert!(units[0].contains(&format!("`{name}-gateway`")), "{units:?}");
    assert!(
        units[1].contains(&format!("`{name}-namespace`")),
        "{units:?}"
    );
}

#[test]
fn the_flux_prefix_counts_towards_the_unit_name_limit() {
    let name = "e".repeat(48);
    // `{env}-namespace` is 58 characters and `{env}-gateway` 56: a 5-character prefix
    // keeps both within 63.
    let fits = layered_findings(
        &name,
        BASE,
        &["tier: staging", "global: {flux: {prefix: shop-}}"],
    );
    assert!(!fits.iter().any(|d| d.code == "name-too-long"), "{fits:?}");
    // An 8-character prefix makes them 66 and 64.
    let findings = layered_findings(
        &name,
        BASE,
        &["tier: staging", "global: {flux: {prefix: shop-ab-}}"],
    );
    let mut long: Vec<&str> = findings
        .iter()
        .filter(|d| d.code == "name-too-long")
        .map(|d| d.message.as_str())
        .collect();
    long.sort_unstable();
    assert_eq!(long.len(), 2, "{findings:?}");
    assert!(
        long[0].contains(&format!("`shop-ab-{name}-gateway` is 64")),
        "{long:?}"
    );
    assert!(
        long[1].contains(&format!("`shop-ab-{name}-namespace` is 66")),
        "{long:?}"
    );
}

#[test]
fn every_service_names_an_image_repository() {
    let mut stack = BASE.to_vec();
    stack.extend_from_slice(&["  worker:", "    port: 8080"]);
    assert_eq!(
        found(&layered_findings("staging", &stack, &["tier: staging"])),
        [("missing-image", STACK, 17), ("mutable-tag", STACK, 17)]
    );
}

#[test]
fn digests_are_sha256() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    image:",
        "      digest: sha256:abc",
    ];
    assert_eq!(found(&env_findings(&own)), [("invalid-digest", OWN, 5)]);
}

#[test]
fn production_tags_are_refused_where_the_fix_belongs() {
    let own = [
        "tier: production",
        "services:",
        "  gateway:",
        "    image:",
        "      tag: \"0.9.1\"",
        "  redis:",
        "    replicas: 2",
    ];
    let findings: Vec<Diagnostic> = layered_findings("production", BASE, &own)
        .into_iter()
        .filter(|d| d.code == "unpinned-image")
        .collect();
    assert_eq!(
        found(&findings),
        [("unpinned-image", OWN, 5), ("unpinned-image", STACK, 15)]
    );
    assert!(findings.iter().all(Diagnostic::is_error));
}

#[test]
fn mutable_tags_outside_production_are_warnings() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    image:",
        "      tag: latest",
    ];
    let findings = env_findings(&own);
    assert_eq!(found(&findings), [("mutable-tag", OWN, 5)]);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn target_port_is_the_container_port() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    service:",
        "      targetPort: 6380",
    ];
    assert_eq!(found(&env_findings(&own)), [("unknown-port", OWN, 5)]);
}

#[test]
fn probes_set_exactly_one_handler() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    probes:",
        "      liveness:",
        "        tcpSocket: {}",
        "        exec: {command: [redis-cli, ping]}",
        "      readiness:",
        "        periodSeconds: 5",
        "      startup:",
        "        enabled: false",
    ];
    assert_eq!(
        found(&env_findings(&own)),
        [("probe-handler", OWN, 6), ("probe-handler", OWN, 9)]
    );
}

#[test]
fn probe_ports_are_the_container_port() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    probes:",
        "      liveness:",
        "        tcpSocket: {port: 6380}",
        "      readiness:",
        "        httpGet: {path: /ready, port: 6379}",
    ];
    assert_eq!(found(&env_findings(&own)), [("unknown-port", OWN, 6)]);
}

#[test]
fn autoscaling_needs_a_maximum_at_or_above_the_minimum() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    autoscaling:",
        "      enabled: true",
        "      minReplicas: 5",
        "      maxReplicas: 3",
        "  redis:",
        "    autoscaling:",
        "      enabled: true",
    ];
    assert_eq!(
        found(&env_findings(&own)),
        [
            ("autoscaling-range", OWN, 7),
            ("autoscaling-range", OWN, 10)
        ]
    );
}

#[test]
fn env_references_name_exactly_one_source() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    env:",
        "      LEVEL: info",
        "      PASSWORD:",
        "        secretKeyRef: {name: redis, key: password}",
        "        configMapKeyRef: {name: redis, key: password}",
        "    envFrom:",
        "      - secretRef: redis-extra",
        "      - prefix: REDIS_",
        "secrets: {redis: {existing: true}, redis-extra: {existing: true}}",
        "configMaps: {redis: {existing: true}}",
    ];
    assert_eq!(
        found(&env_findings(&own)),
        [("env-reference", OWN, 7), ("env-reference", OWN, 11)]
    );
}

#[test]
fn disruption_budgets_set_one_bound() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    disruptionBudget:",
        "      enabled: true",
        "      minAvailable: 1",
        "      maxUnavailable: 50%",
        "    replicas: 3",
    ];
    assert_eq!(found(&env_findings(&own)), [("disruption-budget", OWN, 5)]);
}

#[test]
fn persistence_needs_a_size_and_a_mount_path() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    persistence:",
        "      enabled: true",
    ];
    let findings = env_findings(&own);
    assert_eq!(
        found(&findings),
        [("missing-field", OWN, 5), ("missing-field", OWN, 5)]
    );
    let messages: Vec<&str> = findings.iter().map(|d| d.message.as_str()).collect();
    assert!(messages[0].contains("`size`") && messages[1].contains("`mountPath`"));
}

#[test]
fn dependencies_are_enabled_services() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    dependsOn: [redis, redix]",
        "  redis:",
        "    enabled: false",
    ];
    let findings = env_findings(&own);
    assert_eq!(
        found(&findings),
        [
            ("unknown-dependency", OWN, 4),
            ("unknown-dependency", OWN, 4)
        ]
    );
    let paths: Vec<String> = findings
        .iter()
        .map(|d| d.path.as_ref().expect("a field path").to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "services.gateway.dependsOn[0]",
            "services.gateway.dependsOn[1]"
        ]
    );
    assert!(findings[0].message.contains("disabled in `staging`"));
    assert_eq!(findings[1].help.as_deref(), Some("did you mean `redis`?"));
}

#[test]
fn a_self_dependency_is_reported_once() {
    // `dependsOn: [gateway]` on `gateway` is one mistake: an `unknown-dependency`
    // error, not also a one-service `dependency-cycle`.
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    dependsOn: [redis, gateway]",
    ];
    let findings = env_findings(&own);
    assert_eq!(found(&findings), [("unknown-dependency", OWN, 4)]);
    assert_eq!(findings[0].message, "`gateway` depends on itself");
}

#[test]
fn exposed_services_need_a_domain_or_a_host() {
    let stack: Vec<&str> = BASE[2..].to_vec();
    assert_eq!(
        found(&layered_findings("staging", &stack, &["tier: staging"])),
        [
            ("missing-domain", STACK, 9),
            ("missing-ingress-namespace", OWN, 1)
        ]
    );
}

#[test]
fn ingress_paths_start_with_a_slash() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    ingress:",
        "      path: api",
    ];
    assert_eq!(found(&env_findings(&own)), [("invalid-path", OWN, 5)]);
}

#[test]
fn hostnames_are_rfc_1123() {
    let long = format!("      host: {}.example.com", "a".repeat(64));
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    ingress:",
        &long,
    ];
    assert_eq!(found(&env_findings(&own)), [("invalid-hostname", OWN, 5)]);
}

#[test]
fn hostnames_are_unique_in_an_environment() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    ingress:",
        "      host: mcp.example.com",
        "  redis:",
        "    ingress:",
        "      enabled: true",
        "      host: mcp.example.com",
    ];
    assert_eq!(
        found(&env_findings(&own)),
        [("duplicate-route", OWN, 5), ("duplicate-route", OWN, 9)]
    );
}

#[test]
fn services_share_a_host_at_different_paths() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    ingress:",
        "      host: mcp.example.com",
        "  redis:",
        "    ingress:",
        "      enabled: true",
        "      host: mcp.example.com",
        "      path: /cache",
        "  postgres:",
        "    image: {repository: team/pg, tag: \"1.0.0\"}",
        "    ingress:",
        "      enabled: true",
        "      host: mcp.example.com",
        "      path: /cache/",
    ];
    // `/cache/` is `/cache` to both controllers: reported at both paths.
    let mut findings = found(&env_findings(&own));
    findings.sort();
    assert_eq!(
        findings,
        [("duplicate-route", OWN, 10), ("duplicate-route", OWN, 16)]
    );
}

#[test]
fn a_stripped_prefix_needs_a_plain_prefix_path() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    ingress:",
        "      path: /a.b",
        "      stripPrefix: true",
        "  redis:",
        "    ingress:",
        "      enabled: true",
        "      path: /exact",
        "      pathType: Exact",
        "      stripPrefix: true",
        "  postgres:",
        "    image: {repository: team/pg, tag: \"1.0.0\"}",
        "    ingress:",
        "      enabled: true",
        "      host: pg.example.com",
        "      stripPrefix: true",
    ];
    let mut findings = found(&env_findings(&own));
    findings.sort();
    assert_eq!(
        findings,
        [
            ("invalid-path", OWN, 5),
            ("invalid-value", OWN, 11),
            ("invalid-value", OWN, 18),
        ]
    );
}

#[test]
fn a_dependency_cycle_is_reported_once_at_the_dependency_that_closes_it() {
    let own = [
        "tier: staging",
        "services:",
        "  redis:",
        "    dependsOn: [gateway]",
    ];
    let findings = env_findings(&own);
    assert_eq!(found(&findings), [("dependency-cycle", OWN, 4)]);
    assert!(findings[0].message.ends_with("gateway -> redis -> gateway"));
}

/// A chain of `depth` diamonds: `s{i}` needs `a{i}` and `b{i}`, which both need
/// `s{i+1}`. No cycle, but 2^depth paths from `s0`.
fn diamond_chain(depth: usize) -> String {
    let service = |name: String, needs: &[String]| {
        format!(
            "  {name}:\n    dependsOn: [{}]\n    image: {{repository: x/{name}, tag: \"1\"}}\n",
            needs.join(", ")
        )
    };
    let mut text = String::from("services:\n");
    for i in 0..depth {
        let next = [format!("s{}", i + 1)];
        text.push_str(&service(
            format!("s{i}"),
            &[format!("a{i}"), format!("b{i}")],
        ));
        text.push_str(&service(format!("a{i}"), &next));
        text.push_str(&service(format!("b{i}"), &next));
    }
    text.push_str(&service(format!("s{depth}"), &[]));
    text
}

#[test]
fn cycle_search_is_not_exponential() {
    let stack = parse(STACK, &diamond_chain(40)).expect("generated YAML parses");
    let own = document(OWN, &["tier: staging"]);
    let merged = layer(&stack, &own.root);
    let values = typed(&merged);
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let findings = environment("staging", &merged, &own, &values);
        let _ = done.send(found(&findings).is_empty());
    });
    let clean = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("validating 121 services with acyclic dependencies takes under 10 s");
    assert!(clean, "an acyclic dependency graph has no findings");
}

#[test]
fn env_expansion_is_checked_in_init_containers_and_sidecars() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    initContainers:",
        "      wait:",
        "        image: {repository: team/wait, tag: \"1.0.0\"}",
        "        env:",
        "          URL: \"http://$(HOST)/\"", // 8
        "          HOST: db.internal",
        "    sidecars:",
        "      proxy:",
        "        image: {repository: team/proxy, tag: \"1.0.0\"}",
        "        env:",
        "          TARGET: \"$(NOWHERE)\"", // 14
    ];
    let findings: Vec<Diagnostic> = env_findings(&own)
        .into_iter()
        .filter(|d| d.code == Code::EnvExpansion)
        .collect();
    let mut shown = found(&findings);
    shown.sort();
    assert_eq!(
        shown,
        [("env-expansion", OWN, 8), ("env-expansion", OWN, 14)]
    );
}

#[test]
fn env_expansion_reads_only_earlier_variables() {
    let own = [
        "tier: staging",
        "services:",
        "  gateway:",
        "    env:",
        "      HOST: db.internal",                           // 5
        "      URL: \"http://$(HOST):$(PORT)/$$(LITERAL)\"", // 6
        "      PORT: \"5432\"",                              // 7
        "      OTHER: \"$(MISSING)\"",                       // 8
        "      FINE: \"$(URL)\"",                            // 9
    ];
    assert_eq!(
        found(&env_findings(&own)),
        [("env-expansion", OWN, 6), ("env-expansion", OWN, 8)]
    );
    let findings = env_findings(&own);
    let messages: Vec<&str> = findings.iter().map(|d| d.message.as_str()).collect();
    assert!(messages[0].contains("`$(PORT)`, which is defined after it"));
    assert!(messages[1].contains("`$(MISSING)`, which is not defined"));
}

#[test]
fn env_keeps_the_order_written_stack_first() {
    let stack = document(STACK, BASE);
    let own = document(
        OWN,
        &[
            "tier: staging",
            "services:",
            "  gateway:",
            "    env: {Z: \"1\", A: \"$(Z)\"}",
        ],
    );
    let merged = layer(&stack.root, &own.root);
    let values = typed(&merged);
    let env = values.services.expect("services")["gateway"]
        .env
        .clone()
        .expect("env");
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Z", "A"]);
}

#[test]
fn expansions_skip_escapes() {
    assert_eq!(references::expansions("$(A)-$$(B)-$(C"), ["A"]);
    assert_eq!(references::expansions("x$(A)$(B)"), ["A", "B"]);
}

#[test]
fn secret_references_name_declared_secrets_and_keys() {
    let own = [
        "tier: staging",
        "secrets:",
        "  database: {keys: {url: DB_URL}}",  // 3
        "  made-elsewhere: {existing: true}", // 4
        "services:",
        "  gateway:",
        "    env:",
        "      A: {secretKeyRef: {name: database, key: url}}", // 8
        "      B: {secretKeyRef: {name: database, key: uri}}", // 9
        "      C: {secretKeyRef: {name: databse, key: url}}",  // 10
        "      D: {secretKeyRef: {name: made-elsewhere, key: anything}}", // 11
        "    envFrom:",
        "      - secretRef: nowhere", // 13
    ];
    let global = ["global:", "  secretStore: {aws: {region: eu-west-1}}"];
    let own: Vec<&str> = own.iter().chain(global.iter()).copied().collect();
    let findings = env_findings(&own);
    assert_eq!(
        found(&findings),
        [
            ("unknown-secret", OWN, 9),
            ("unknown-secret", OWN, 10),
            ("unknown-secret", OWN, 13)
        ]
    );
    assert_eq!(findings[0].help.as_deref(), Some("did you mean `url`?"));
    assert_eq!(
        findings[1].help.as_deref(),
        Some("did you mean `database`?")
    );
}

#[test]
fn budgets_that_allow_no_eviction_are_refused() {
    let budget = |bound: &str, replicas: &str| {
        let own = [
            "tier: staging".to_owned(),
            "services:".to_owned(),
            "  redis:".to_owned(),
            format!("    replicas: {replicas}"),
            format!("    disruptionBudget: {{enabled: true, {bound}}}"),
        ];
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        found(&env_findings(&own))
    };
    assert_eq!(budget("minAvailable: 1", "2"), []);
    assert_eq!(budget("maxUnavailable: 1", "1"), []);
    assert_eq!(
        budget("minAvailable: 2", "2"),
        [("disruption-budget", OWN, 5)]
    );
    assert_eq!(
        budget("minAvailable: 100%", "3"),
        [("disruption-budget", OWN, 5)]
    );
    assert_eq!(
        budget("maxUnavailable: 0", "3"),
        [("disruption-budget", OWN, 5)]
    );
    assert_eq!(
        budget("maxUnavailable: 0%", "3"),
        [("disruption-budget", OWN, 5)]
    );
    assert_eq!(budget("minAvailable: 1", "0"), []);
}

#[test]
fn a_read_write_once_volume_has_one_writer() {
    let own = |extra: &str| {
        let lines = [
            "tier: staging",
            "services:",
            "  redis:",
            "    persistence: {enabled: true, size: 1Gi, mountPath: /data}",
            extra,
        ];
        found(&env_findings(&lines))
    };
    assert_eq!(own("    replicas: 1"), []);
    assert_eq!(own("    replicas: 2"), [("single-writer-volume", OWN, 5)]);
    assert_eq!(
        own("    autoscaling: {enabled: true, maxReplicas: 3}"),
        [("single-writer-volume", OWN, 5)]
    );
}

#[test]
fn system_namespaces_are_refused() {
    for namespace in ["kube-system", "default", "flux-system"] {
        let line = format!("global: {{namespace: {namespace}}}");
        let own = ["tier: staging", line.as_str()];
        assert_eq!(
            found(&env_findings(&own)),
            [("reserved-namespace", OWN, 2)],
            "{namespace}"
        );
    }
}

#[test]
fn production_names_no_mutable_tag_even_with_a_digest() {
    let digest = format!("      digest: {DIGEST}");
    let production = [
        "tier: production",
        "global:",
        "  allowedRegistries: [docker.io]",
        "  resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 200m, memory: 256Mi}}",
        "  ingress: {tls: {clusterIssuer: letsencrypt-prod}}",
        "services:",
        "  gateway:",
        "    replicas: 2",
        "    disruptionBudget: {enabled: true}",
        "    image:",
        &digest,
        "  redis:",
        "    image:",
        "      tag: latest",
        &digest,
    ];
    assert_eq!(
        found(&layered_findings("production", BASE, &production)),
        [("mutable-tag", OWN, 14)]
    );
}
