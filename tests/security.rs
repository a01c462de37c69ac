//! Security of the committed output: every pod template of every environment (`mcpstack
//! render ENV`, which tests/cli.rs holds equal to `kubectl kustomize
//! generated/overlays/ENV`) meets the Pod Security Standards "restricted" profile
//! (checked here, control by control), every workload lands in a Namespace of its own
//! overlay that enforces that profile, and checkov finds nothing in any environment that
//! `docs/security.md` does not accept, for that check and that object, with a reason.
//!
//! A missing checkov fails the checkov tests, unless `MCPSTACK_ALLOW_SKIP` allows the
//! skip (see tests/common/mod.rs).

mod common;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::{Value as Json, json};

use common::{
    CHECKOV, Document, Need, can_run, describe, documents, environments, project_root, render,
    rendered_documents,
};

/// An accepted finding: a check ID and the object it is accepted for, `Kind/name`.
type Acceptance = (String, String);

/// The checkov release `.ci/run` installs (keep the two in step): the accepted checks in
/// `docs/security.md` were reviewed against its findings.
const CHECKOV_VERSION: &str = "3.3.30";
/// The document that lists the accepted checkov checks, relative to the project root.
const SECURITY_DOC: &str = "docs/security.md";
/// The heading of the section of `SECURITY_DOC` whose table lists the accepted findings.
const ACCEPTED_HEADING: &str = "## Accepted checkov findings";
/// The shortest reason accepted for a check: a sentence, not "n/a".
const MIN_REASON_CHARS: usize = 40;
/// The label by which a Namespace enforces a Pod Security Standard.
const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

// --- Tests ---------------------------------------------------------------------------

#[test]
fn pod_templates_meet_the_restricted_profile() {
    let mut failures = Vec::new();
    let mut templates = 0;
    for env in environments() {
        let documents = match rendered_documents(&env) {
            Ok(documents) => documents,
            Err(error) => {
                failures.push(format!("{env}: {error}"));
                continue;
            }
        };
        for document in &documents {
            let place = format!("{env}: {}", describe(&document.object));
            match pod_template(&document.object) {
                Ok(Some(template)) => {
                    templates += 1;
                    let violations = restricted_violations(template);
                    failures.extend(violations.iter().map(|v| format!("{place}: {v}")));
                }
                Ok(None) => {}
                Err(error) => failures.push(format!("{place}: {error}")),
            }
        }
    }
    assert!(
        templates > 0 || !failures.is_empty(),
        "no environment renders a pod template: nothing was checked"
    );
    assert!(
        failures.is_empty(),
        "{}",
        report(
            "violation(s) of the Pod Security Standards \"restricted\" profile",
            &failures
        )
    );
}

#[test]
fn workloads_run_in_namespaces_that_enforce_restricted() {
    let mut failures = Vec::new();
    for env in environments() {
        match rendered_documents(&env) {
            Ok(documents) => failures.extend(
                enforcement_gaps(&documents)
                    .into_iter()
                    .map(|gap| format!("{env}: {gap}")),
            ),
            Err(error) => failures.push(format!("{env}: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{}",
        report("gap(s) in Pod Security admission", &failures)
    );
}

#[test]
fn checkov_finds_only_accepted_findings_in_any_environment() {
    if !can_run(&[Need::Checkov]) {
        return;
    }
    let (accepted, mut failures) = match accepted_findings(&security_doc()) {
        Ok(accepted) => (accepted, Vec::new()),
        Err(errors) => (BTreeMap::new(), errors),
    };
    let mut files = Vec::new();
    let mut documents_of = BTreeMap::new();
    for env in environments() {
        let stream = render(&env).unwrap_or_else(|error| panic!("{error}"));
        let file = format!("{env}.yaml");
        let objects = documents(&stream).unwrap_or_else(|e| panic!("{env} renders YAML: {e}"));
        documents_of.insert(file.clone(), objects);
        files.push((file, stream));
    }
    let scan = checkov(&files).expect("checkov scans");
    for file in documents_of.keys() {
        assert!(
            scan.files.contains(file),
            "checkov reported nothing on {file}, only on {:?}",
            scan.files
        );
    }
    if failures.is_empty() {
        failures.extend(review(&scan.findings, &accepted, &documents_of));
    }
    assert!(
        failures.is_empty(),
        "{}\n\n(checkov {} on the objects of every environment, as `mcpstack render ENV` \
         prints them; {SECURITY_DOC} was reviewed against checkov {CHECKOV_VERSION}, the \
         version .ci/run installs. Fix the generator or the spec, or accept the finding in \
         the table under \"{ACCEPTED_HEADING}\", for that check and object, with the reason \
         it does not apply or cannot be met yet.)",
        report("checkov finding(s) to act on", &failures),
        scan.version
    );
}

// --- Self-checks: the checks above can fail ------------------------------------------

#[test]
fn restricted_profile_accepts_a_hardened_deployment() {
    let violations = restricted_violations(&hardened_deployment()["spec"]["template"]);
    assert!(violations.is_empty(), "{}", strings(&violations).join("\n"));
}

#[test]
fn restricted_profile_rejects_a_privileged_host_path_deployment() {
    let deployment = noncompliant_deployment();
    let template = pod_template(&deployment)
        .expect("a Deployment has a pod template")
        .expect("a Deployment is a workload");
    let found = strings(&restricted_violations(template));
    let expected = [
        "pod: Host Namespaces: hostNetwork",
        "pod: HostPath Volumes: volume \"host\"",
        "pod: Running as Non-root: runAsNonRoot",
        "container \"app\": Privileged Containers",
        "container \"app\": Capabilities: add",
        "container \"app\": Capabilities: drop",
        "container \"app\": Privilege Escalation",
        "container \"app\": Running as Non-root user",
        "container \"app\": Seccomp",
        "container \"app\": Host Ports",
        "init container \"setup\": Privilege Escalation",
    ];
    for expected in expected {
        assert!(
            found.iter().any(|v| v.starts_with(expected)),
            "missing `{expected}…` in:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn restricted_profile_rejects_each_control() {
    type Mutation = fn(&mut Json);
    let cases: &[(&str, Mutation)] = &[
        ("pod: Host Namespaces: hostPID", |t| {
            t["spec"]["hostPID"] = json!(true);
        }),
        ("pod: Host Namespaces: hostIPC", |t| {
            t["spec"]["hostIPC"] = json!(true);
        }),
        ("pod: HostProcess", |t| {
            t["spec"]["securityContext"]["windowsOptions"] = json!({"hostProcess": true});
        }),
        ("pod: Volume Types: volume \"nfs\" uses nfs", |t| {
            t["spec"]["volumes"] = json!([{"name": "nfs", "nfs": {"server": "s", "path": "/"}}]);
        }),
        ("pod: Sysctls: kernel.msgmax", |t| {
            t["spec"]["securityContext"]["sysctls"] =
                json!([{"name": "kernel.msgmax", "value": "1"}]);
        }),
        ("pod: AppArmor: annotation", |t| {
            t["metadata"]["annotations"] =
                json!({"container.apparmor.security.beta.kubernetes.io/app": "unconfined"});
        }),
        ("pod: AppArmor: appArmorProfile.type", |t| {
            t["spec"]["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"});
        }),
        ("pod: SELinux: seLinuxOptions.type", |t| {
            t["spec"]["securityContext"]["seLinuxOptions"] = json!({"type": "spc_t"});
        }),
        ("pod: SELinux: seLinuxOptions.user", |t| {
            t["spec"]["securityContext"]["seLinuxOptions"] = json!({"user": "system_u"});
        }),
        ("pod: Running as Non-root user: runAsUser", |t| {
            t["spec"]["securityContext"]["runAsUser"] = json!(0);
        }),
        ("pod: Seccomp: seccompProfile.type", |t| {
            t["spec"]["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
        }),
        (
            "container \"app\": Running as Non-root: runAsNonRoot is unset",
            |t| {
                t["spec"]["securityContext"]
                    .as_object_mut()
                    .expect("pod security context")
                    .remove("runAsNonRoot");
            },
        ),
        (
            "container \"app\": Running as Non-root: runAsNonRoot is false",
            |t| {
                t["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = json!(false);
            },
        ),
        ("container \"app\": Seccomp: seccompProfile is unset", |t| {
            t["spec"]["securityContext"]
                .as_object_mut()
                .expect("pod security context")
                .remove("seccompProfile");
        }),
        ("container \"app\": Capabilities: add", |t| {
            t["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["CHOWN"]);
        }),
        ("container \"app\": /proc Mount Type", |t| {
            t["spec"]["containers"][0]["securityContext"]["procMount"] = json!("Unmasked");
        }),
        (
            "container \"app\": Host Probes / Lifecycle Hooks: livenessProbe.httpGet.host",
            |t| {
                t["spec"]["containers"][0]["livenessProbe"] =
                    json!({"httpGet": {"host": "10.0.0.1", "path": "/", "port": 80}});
            },
        ),
        (
            "container \"app\": Host Probes / Lifecycle Hooks: lifecycle.preStop.tcpSocket.host",
            |t| {
                t["spec"]["containers"][0]["lifecycle"] =
                    json!({"preStop": {"tcpSocket": {"host": "node", "port": 22}}});
            },
        ),
        ("container \"app\": SELinux: seLinuxOptions.role", |t| {
            t["spec"]["containers"][0]["securityContext"]["seLinuxOptions"] = json!({"role": "r"});
        }),
        ("container \"app\": AppArmor: appArmorProfile.type", |t| {
            t["spec"]["containers"][0]["securityContext"]["appArmorProfile"] =
                json!({"type": "Unconfined"});
        }),
        ("container \"app\": HostProcess", |t| {
            t["spec"]["containers"][0]["securityContext"]["windowsOptions"] =
                json!({"hostProcess": true});
        }),
        ("ephemeral container \"debug\": Privilege Escalation", |t| {
            t["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox:1"}]);
        }),
    ];
    let mut missing = Vec::new();
    for (expected, mutate) in cases {
        let mut template = hardened_deployment()["spec"]["template"].clone();
        mutate(&mut template);
        let found = strings(&restricted_violations(&template));
        if !found.iter().any(|v| v.starts_with(expected)) {
            missing.push(format!("`{expected}…` not reported; found: {found:?}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn restricted_profile_allows_what_the_standard_allows() {
    let mut template = hardened_deployment()["spec"]["template"].clone();
    let pod = &mut template["spec"]["securityContext"];
    pod["sysctls"] = json!([{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]);
    pod["seLinuxOptions"] = json!({"type": "container_t", "level": "s0:c1,c2"});
    pod["appArmorProfile"] = json!({"type": "RuntimeDefault"});
    let container = &mut template["spec"]["containers"][0];
    container["securityContext"]["capabilities"]["add"] = json!(["NET_BIND_SERVICE"]);
    container["securityContext"]["procMount"] = json!("Default");
    container["ports"] = json!([{"containerPort": 8080, "hostPort": 0}]);
    template["spec"]["volumes"] = json!([
        {"name": "tmp", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "c"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "d"}},
    ]);
    let violations = restricted_violations(&template);
    assert!(violations.is_empty(), "{}", strings(&violations).join("\n"));
}

#[test]
fn pod_templates_are_found_in_every_workload_kind() {
    let template = json!({"metadata": {}, "spec": {"containers": []}});
    let cases = [
        json!({"kind": "Deployment", "spec": {"template": template.clone()}}),
        json!({"kind": "StatefulSet", "spec": {"template": template.clone()}}),
        json!({"kind": "DaemonSet", "spec": {"template": template.clone()}}),
        json!({"kind": "Job", "spec": {"template": template.clone()}}),
        json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}),
        json!({"kind": "Pod", "metadata": {}, "spec": {"containers": []}}),
    ];
    for object in &cases {
        let found = pod_template(object).expect("a workload has a pod template");
        assert!(found.is_some(), "no template found in {object}");
    }
    let service = json!({"kind": "Service", "spec": {}});
    assert!(pod_template(&service).expect("not a workload").is_none());
    let broken = json!({"kind": "CronJob", "spec": {}});
    assert!(
        pod_template(&broken).is_err(),
        "a CronJob without a template"
    );
}

#[test]
fn namespace_check_rejects_workloads_outside_restricted_namespaces() {
    let namespace = |name: &str, level: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": {ENFORCE_LABEL: level}}})
    };
    let mut deployment = hardened_deployment();
    deployment["metadata"]["namespace"] = json!("apps");
    let mut chart = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                           "metadata": {"name": "db", "namespace": "apps"},
                           "spec": {"targetNamespace": "elsewhere"}});
    let gaps = enforcement_gaps(&as_documents(&[
        namespace("apps", "baseline"),
        deployment.clone(),
        chart.clone(),
    ]));
    let text = gaps.join("\n");
    assert!(
        text.contains("Namespace apps: enforces \"baseline\""),
        "{text}"
    );
    assert!(
        text.contains("Deployment apps/sample: runs in namespace \"apps\""),
        "{text}"
    );
    assert!(
        text.contains("HelmRelease apps/db: runs in namespace \"elsewhere\""),
        "{text}"
    );

    chart["spec"] = json!({});
    let gaps = enforcement_gaps(&as_documents(&[
        namespace("apps", "restricted"),
        deployment,
        chart,
    ]));
    assert!(gaps.is_empty(), "{gaps:?}");
}

#[test]
fn security_doc_accepts_findings_only_with_resources_and_reasons() {
    let accepted = accepted_findings(&security_doc())
        .unwrap_or_else(|errors| panic!("{SECURITY_DOC}:\n{}", errors.join("\n")));
    assert!(!accepted.is_empty(), "{SECURITY_DOC} accepts no finding");
    for ((check, resource), reason) in &accepted {
        assert!(is_resource(resource), "{check}: {resource}");
        assert!(reason.len() >= MIN_REASON_CHARS, "{check}: {reason}");
    }
}

#[test]
fn accepted_table_rejects_rows_without_resources_or_reasons_and_duplicates() {
    let reason = "Needed: the one service that declares apiAccess talks to the API server.";
    let doc = format!(
        "# Security\n\n| CKV_K8S_1 | Deployment/a | outside the section, ignored |\n\n\
         {ACCEPTED_HEADING}\n\n| check | resources | reason |\n|---|---|---|\n\
         | `CKV_K8S_38` | `Deployment/edge-mcp` | {reason} |\n\
         | CKV_K8S_22 | Deployment/gateway |  |\n\
         | CKV_K8S_40 | Deployment/gateway | n/a |\n\
         | CKV_K8S_38 | Deployment/edge-mcp, Deployment/gateway | {reason} |\n\
         | CKV_K8S_35 |  | {reason} |\n\
         | CKV_K8S_43 | gateway | {reason} |\n\
         | CKV_K8S_15 | {reason} |\n\
         | readOnly | Deployment/gateway | {reason} |\n\
         \n## Next\n\n| CKV_K8S_99 | Deployment/a | outside the section, ignored |\n"
    );
    let errors = accepted_findings(&doc).expect_err("broken rows are errors");
    let text = errors.join("\n");
    for expected in [
        "CKV_K8S_22: no reason",
        "CKV_K8S_40: the reason",
        "CKV_K8S_38 for Deployment/edge-mcp: listed twice",
        "CKV_K8S_35: no resource given",
        "CKV_K8S_43: `gateway` is not an object as `Kind/name`",
        "CKV_K8S_15: `Needed: the one service",
        "`readOnly` is not a checkov check ID",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert_eq!(errors.len(), 7, "{text}");

    let missing = accepted_findings("# Security\n").expect_err("no section");
    assert!(missing[0].contains(ACCEPTED_HEADING), "{missing:?}");

    let good = format!(
        "{ACCEPTED_HEADING}\n\n| check | resources | reason |\n|---|---|---|\n\
         | `CKV_K8S_38` | `Deployment/edge-mcp` | {reason} |\n\
         | CKV_K8S_35 | Deployment/edge-mcp, Deployment/gateway | {reason} |\n"
    );
    let accepted = accepted_findings(&good).expect("a well-formed table");
    let keys: Vec<(&str, &str)> = accepted
        .keys()
        .map(|(check, resource)| (check.as_str(), resource.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("CKV_K8S_35", "Deployment/edge-mcp"),
            ("CKV_K8S_35", "Deployment/gateway"),
            ("CKV_K8S_38", "Deployment/edge-mcp"),
        ]
    );
}

#[test]
fn review_accepts_a_finding_only_for_the_objects_named() {
    let mut other = hardened_deployment();
    other["metadata"]["name"] = json!("other");
    let documents = BTreeMap::from([
        (
            "staging.yaml".to_owned(),
            as_documents(&[hardened_deployment(), other.clone()]),
        ),
        ("production.yaml".to_owned(), as_documents(&[other])),
    ]);
    let finding = |check: &str, file: &str, line: usize| Finding {
        check: check.to_owned(),
        name: "a check".to_owned(),
        resource: "Deployment.default.unused".to_owned(),
        file: file.to_owned(),
        line: Some(line),
    };
    let findings = [
        finding("CKV_K8S_35", "staging.yaml", 1),
        finding("CKV_K8S_35", "staging.yaml", 2),
        finding("CKV_K8S_35", "production.yaml", 1),
        finding("CKV_K8S_40", "staging.yaml", 1),
    ];
    let accept = |check: &str, resource: &str| {
        (
            (check.to_owned(), resource.to_owned()),
            "accepted for a reason".to_owned(),
        )
    };
    let accepted = BTreeMap::from([
        accept("CKV_K8S_35", "Deployment/sample"),
        accept("CKV_K8S_22", "Deployment/sample"),
        accept("CKV_K8S_40", "Deployment/other"),
    ]);
    let failures = review(&findings, &accepted, &documents);
    let text = failures.join("\n");
    assert_eq!(failures.len(), 5, "{text}");
    // Accepted for `sample`, found on `other` in two environments.
    assert!(
        failures[0].starts_with(
            "CKV_K8S_35 (a check): staging.yaml: apps/v1 Deployment default/other: not accepted"
        ) && failures[0].contains("`| CKV_K8S_35 | Deployment/other | REASON |`"),
        "{text}"
    );
    assert!(
        failures[1]
            .starts_with("CKV_K8S_35 (a check): production.yaml: apps/v1 Deployment default/other"),
        "{text}"
    );
    assert!(
        failures[2]
            .starts_with("CKV_K8S_40 (a check): staging.yaml: apps/v1 Deployment default/sample"),
        "{text}"
    );
    assert!(
        failures[3].contains("CKV_K8S_22 is accepted") && failures[3].contains("stale"),
        "{text}"
    );
    assert!(
        failures[4].contains("CKV_K8S_40 is accepted") && failures[4].contains("Deployment/other"),
        "{text}"
    );
}

#[test]
fn scanned_objects_fall_back_to_checkov_resource_ids() {
    let finding = Finding {
        check: "CKV_K8S_35".to_owned(),
        name: "a check".to_owned(),
        resource: "Deployment.mcp-staging.gateway.v2".to_owned(),
        file: "unknown.yaml".to_owned(),
        line: Some(3),
    };
    let object = scanned_object(&finding, &BTreeMap::new());
    assert_eq!(object.resource, "Deployment/gateway.v2");
}

#[test]
fn checkov_reports_a_privileged_deployment() {
    if !can_run(&[Need::Checkov]) {
        return;
    }
    let text = serde_json::to_string_pretty(&noncompliant_deployment()).expect("serialize");
    let scan = checkov(&[("sample.yaml".to_owned(), text)]).expect("checkov scans the sample");
    assert!(scan.files.contains("sample.yaml"), "{:?}", scan.files);
    let checks: BTreeSet<&str> = scan.findings.iter().map(|f| f.check.as_str()).collect();
    for expected in ["CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_20"] {
        assert!(
            checks.contains(expected),
            "checkov {} must report {expected} (privileged, hostNetwork, privilege \
             escalation); it reported {checks:?}",
            scan.version
        );
    }
}

#[test]
fn checkov_report_without_results_is_an_error() {
    let summary = json!({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0,
                         "resource_count": 0, "checkov_version": "3.3.30"});
    let error = parse_checkov(&summary).expect_err("nothing was checked");
    assert!(error.contains("checked no resource"), "{error}");

    let report = json!({
        "check_type": "kubernetes",
        "results": {
            "failed_checks": [{
                "check_id": "CKV_K8S_40", "check_name": "high UID",
                "resource": "Deployment.default.sample", "file_path": "/staging.yaml",
                "file_line_range": [3, 9],
            }],
            "passed_checks": [{
                "check_id": "CKV_K8S_22", "resource": "Deployment.default.other",
                "file_path": "/production.yaml", "file_line_range": [1, 2],
            }],
        },
        "summary": {"passed": 10, "failed": 1, "skipped": 0, "parsing_errors": 0,
                    "resource_count": 1, "checkov_version": "3.3.30"},
    });
    let scan = parse_checkov(&json!([report])).expect("a report");
    assert_eq!(scan.version, "3.3.30");
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].line, Some(3));
    assert_eq!(scan.findings[0].file, "staging.yaml");
    assert_eq!(
        scan.files.iter().collect::<Vec<_>>(),
        ["production.yaml", "staging.yaml"]
    );
}

// --- Helpers -------------------------------------------------------------------------

fn security_doc() -> String {
    std::fs::read_to_string(project_root().join(SECURITY_DOC)).expect("read docs/security.md")
}

fn report(what: &str, failures: &[String]) -> String {
    format!("{} {what}:\n\n{}", failures.len(), failures.join("\n"))
}

fn items(value: &Json) -> impl Iterator<Item = &Json> {
    value.as_array().into_iter().flatten()
}

// --- Pod Security Standards: the "restricted" profile --------------------------------
//
// The controls of https://kubernetes.io/docs/concepts/security/pod-security-standards/
// ("Restricted", which includes everything in "Baseline"), with the allowed values of
// the Pod Security admission controller of Kubernetes 1.34. Where the admission
// controller is more lenient, this check is stricter: no exemptions for Windows pods
// or pods in user namespaces, and only the eight volume types the standard lists (not
// the `image` volumes newer admission controllers also allow). The optional "Non-root
// groups" control, which the admission controller does not enforce, is not checked.

/// Volume sources of the restricted profile (besides `name`, a volume's only key).
const ALLOWED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The "safe" sysctls of the baseline profile (admission controller, Kubernetes 1.32+).
const SAFE_SYSCTLS: [&str; 12] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// SELinux types of the baseline profile; the empty type leaves the runtime's default.
const SELINUX_TYPES: [&str; 5] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The seccomp and AppArmor profile types the profiles allow.
const CONFINED_PROFILES: [&str; 2] = ["RuntimeDefault", "Localhost"];

/// The only capability the restricted profile lets a container add.
const ADDABLE_CAPABILITY: &str = "NET_BIND_SERVICE";

const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

/// The container lists of a pod spec, each with how messages name its containers.
const CONTAINER_LISTS: [(&str, &str); 3] = [
    ("containers", "container"),
    ("initContainers", "init container"),
    ("ephemeralContainers", "ephemeral container"),
];

/// One breach of a control: where (the pod, or a container), which control, what.
struct Violation {
    place: String,
    control: &'static str,
    detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.place, self.control, self.detail)
    }
}

fn strings(violations: &[Violation]) -> Vec<String> {
    violations.iter().map(ToString::to_string).collect()
}

/// A control and what breaches it, before it is placed.
type Breach = (&'static str, String);

/// The pod template of a workload (`metadata` and `spec`); `None` for other kinds, an
/// error for a workload without one.
fn pod_template(object: &Json) -> Result<Option<&Json>, String> {
    let template = match object["kind"].as_str().unwrap_or_default() {
        "Pod" => object,
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &object["spec"]["template"],
        "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"],
        "PodTemplate" => &object["template"],
        _ => return Ok(None),
    };
    if template["spec"].is_object() {
        Ok(Some(template))
    } else {
        Err("a workload without a pod template spec".into())
    }
}

/// Every breach of the restricted profile in a pod template, pod-level first.
fn restricted_violations(template: &Json) -> Vec<Violation> {
    let spec = &template["spec"];
    let pod = &spec["securityContext"];
    let mut violations: Vec<Violation> = pod_breaches(template)
        .into_iter()
        .map(|(control, detail)| Violation {
            place: "pod".into(),
            control,
            detail,
        })
        .collect();
    let pod_defaults = PodDefaults {
        non_root: pod["runAsNonRoot"] == true,
        seccomp: confined(&pod["seccompProfile"]["type"]),
    };
    for (list, label) in CONTAINER_LISTS {
        for container in items(&spec[list]) {
            let name = container["name"].as_str().unwrap_or("?");
            let place = format!("{label} \"{name}\"");
            violations.extend(
                container_breaches(container, &pod_defaults)
                    .into_iter()
                    .map(|(control, detail)| Violation {
                        place: place.clone(),
                        control,
                        detail,
                    }),
            );
        }
    }
    violations
}

/// What the pod's security context settings for all its containers.
struct PodDefaults {
    non_root: bool,
    seccomp: bool,
}

fn pod_breaches(template: &Json) -> Vec<Breach> {
    let spec = &template["spec"];
    let mut breaches = host_namespaces(spec);
    breaches.extend(volumes(spec));
    breaches.extend(sysctls(&spec["securityContext"]));
    breaches.extend(apparmor_annotations(&template["metadata"]));
    breaches.extend(context_breaches(&spec["securityContext"]));
    breaches
}

fn container_breaches(container: &Json, pod: &PodDefaults) -> Vec<Breach> {
    let context = &container["securityContext"];
    let mut breaches = Vec::new();
    if set_and_not_false(&context["privileged"]) {
        breaches.push((
            "Privileged Containers",
            format!(
                "privileged is {}; allowed: false or unset",
                context["privileged"]
            ),
        ));
    }
    breaches.extend(capabilities(&context["capabilities"]));
    breaches.extend(host_ports(container));
    if context["allowPrivilegeEscalation"] != false {
        breaches.push((
            "Privilege Escalation",
            format!(
                "allowPrivilegeEscalation is {}; must be false",
                shown(&context["allowPrivilegeEscalation"])
            ),
        ));
    }
    if context["runAsNonRoot"].is_null() && !pod.non_root {
        breaches.push((
            "Running as Non-root",
            "runAsNonRoot is unset here and in the pod; one of them must be true".into(),
        ));
    }
    if context["seccompProfile"].is_null() && !pod.seccomp {
        breaches.push((
            "Seccomp",
            "seccompProfile is unset here and not confined in the pod; one of them must \
             be RuntimeDefault or Localhost"
                .into(),
        ));
    }
    if !(context["procMount"].is_null() || context["procMount"] == "Default") {
        breaches.push((
            "/proc Mount Type",
            format!(
                "procMount is {}; allowed: Default or unset",
                context["procMount"]
            ),
        ));
    }
    breaches.extend(probe_hosts(container));
    breaches.extend(context_breaches(context));
    breaches
}

/// Controls a pod's and a container's security context share: explicit values only.
fn context_breaches(context: &Json) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let non_root = &context["runAsNonRoot"];
    if !non_root.is_null() && non_root != true {
        breaches.push((
            "Running as Non-root",
            format!("runAsNonRoot is {non_root}; must be true"),
        ));
    }
    if context["runAsUser"] == 0 {
        breaches.push((
            "Running as Non-root user",
            "runAsUser is 0; must be non-zero or unset".into(),
        ));
    }
    let seccomp = &context["seccompProfile"]["type"];
    if !context["seccompProfile"].is_null() && !confined(seccomp) {
        breaches.push((
            "Seccomp",
            format!(
                "seccompProfile.type is {}; allowed: RuntimeDefault, Localhost",
                shown(seccomp)
            ),
        ));
    }
    let apparmor = &context["appArmorProfile"]["type"];
    if !context["appArmorProfile"].is_null() && !confined(apparmor) {
        breaches.push((
            "AppArmor",
            format!(
                "appArmorProfile.type is {}; allowed: RuntimeDefault, Localhost",
                shown(apparmor)
            ),
        ));
    }
    breaches.extend(selinux(&context["seLinuxOptions"]));
    if set_and_not_false(&context["windowsOptions"]["hostProcess"]) {
        breaches.push((
            "HostProcess",
            "windowsOptions.hostProcess is true; allowed: false or unset".into(),
        ));
    }
    breaches
}

fn host_namespaces(spec: &Json) -> Vec<Breach> {
    ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|field| set_and_not_false(&spec[*field]))
        .map(|field| {
            (
                "Host Namespaces",
                format!("{field} is {}; allowed: false or unset", spec[field]),
            )
        })
        .collect()
}

fn volumes(spec: &Json) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for volume in items(&spec["volumes"]) {
        let name = volume["name"].as_str().unwrap_or("?");
        let sources = volume.as_object().into_iter().flatten().map(|(k, _)| k);
        for source in sources.filter(|k| *k != "name") {
            if source == "hostPath" {
                breaches.push((
                    "HostPath Volumes",
                    format!("volume \"{name}\" is a hostPath"),
                ));
            } else if !ALLOWED_VOLUMES.contains(&source.as_str()) {
                breaches.push((
                    "Volume Types",
                    format!(
                        "volume \"{name}\" uses {source}; allowed: {}",
                        ALLOWED_VOLUMES.join(", ")
                    ),
                ));
            }
        }
    }
    breaches
}

fn sysctls(pod_context: &Json) -> Vec<Breach> {
    items(&pod_context["sysctls"])
        .map(|sysctl| sysctl["name"].as_str().unwrap_or("?"))
        .filter(|name| !SAFE_SYSCTLS.contains(name))
        .map(|name| ("Sysctls", format!("{name} is not a safe sysctl")))
        .collect()
}

fn apparmor_annotations(metadata: &Json) -> Vec<Breach> {
    let annotations = metadata["annotations"].as_object().into_iter().flatten();
    annotations
        .filter(|(key, _)| key.starts_with(APPARMOR_ANNOTATION))
        .filter(|(_, value)| {
            let value = value.as_str().unwrap_or("?");
            !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/"))
        })
        .map(|(key, value)| {
            (
                "AppArmor",
                format!("annotation {key} is {value}; allowed: runtime/default, localhost/*"),
            )
        })
        .collect()
}

fn selinux(options: &Json) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let kind = options["type"].as_str().unwrap_or_default();
    if !options["type"].is_null() && !SELINUX_TYPES.contains(&kind) {
        breaches.push((
            "SELinux",
            format!(
                "seLinuxOptions.type is {}; allowed: {}",
                options["type"],
                SELINUX_TYPES[1..].join(", ")
            ),
        ));
    }
    for field in ["user", "role"] {
        if options[field].as_str().is_some_and(|v| !v.is_empty()) {
            breaches.push((
                "SELinux",
                format!(
                    "seLinuxOptions.{field} is {}; must be unset",
                    options[field]
                ),
            ));
        }
    }
    breaches
}

fn capabilities(capabilities: &Json) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let added: Vec<&str> = items(&capabilities["add"])
        .map(|c| c.as_str().unwrap_or("?"))
        .filter(|c| *c != ADDABLE_CAPABILITY)
        .collect();
    if !added.is_empty() {
        breaches.push((
            "Capabilities",
            format!(
                "add {}; only {ADDABLE_CAPABILITY} may be added",
                added.join(", ")
            ),
        ));
    }
    if !items(&capabilities["drop"]).any(|c| c == "ALL") {
        breaches.push((
            "Capabilities",
            format!("drop is {}; must include ALL", shown(&capabilities["drop"])),
        ));
    }
    breaches
}

fn host_ports(container: &Json) -> Vec<Breach> {
    items(&container["ports"])
        .filter(|port| !(port["hostPort"].is_null() || port["hostPort"] == 0))
        .map(|port| {
            (
                "Host Ports",
                format!("hostPort {}; allowed: 0 or unset", port["hostPort"]),
            )
        })
        .collect()
}

/// Probes and lifecycle handlers that name a host: they would reach the node or other
/// addresses on the kubelet's behalf.
fn probe_hosts(container: &Json) -> Vec<Breach> {
    let handlers = [
        ("livenessProbe", &container["livenessProbe"]),
        ("readinessProbe", &container["readinessProbe"]),
        ("startupProbe", &container["startupProbe"]),
        ("lifecycle.postStart", &container["lifecycle"]["postStart"]),
        ("lifecycle.preStop", &container["lifecycle"]["preStop"]),
    ];
    let mut breaches = Vec::new();
    for (path, handler) in handlers {
        for action in ["httpGet", "tcpSocket"] {
            let host = &handler[action]["host"];
            if host.as_str().is_some_and(|h| !h.is_empty()) {
                breaches.push((
                    "Host Probes / Lifecycle Hooks",
                    format!("{path}.{action}.host is {host}; must be unset"),
                ));
            }
        }
    }
    breaches
}

/// Whether a profile type is one the profiles allow.
fn confined(kind: &Json) -> bool {
    kind.as_str()
        .is_some_and(|k| CONFINED_PROFILES.contains(&k))
}

/// Whether a field that must be false or unset is anything else.
fn set_and_not_false(value: &Json) -> bool {
    !(value.is_null() || value == false)
}

/// A value for a message: `unset` for null.
fn shown(value: &Json) -> String {
    if value.is_null() {
        "unset".into()
    } else {
        value.to_string()
    }
}

// --- Pod Security admission ----------------------------------------------------------

/// The ways workloads could escape the restricted profile's admission: Namespaces of
/// the build that do not enforce it, and workloads (pod templates, and HelmReleases,
/// whose pods only the cluster sees) in namespaces that are not such a Namespace.
fn enforcement_gaps(documents: &[Document]) -> Vec<String> {
    let mut gaps = Vec::new();
    let mut restricted = BTreeSet::new();
    for document in documents.iter().filter(|d| d.object["kind"] == "Namespace") {
        let object = &document.object;
        let level = &object["metadata"]["labels"][ENFORCE_LABEL];
        if level == "restricted" {
            restricted.insert(object["metadata"]["name"].as_str().unwrap_or("?"));
        } else {
            gaps.push(format!(
                "{}: enforces {}; {ENFORCE_LABEL} must be \"restricted\"",
                describe(object),
                shown(level)
            ));
        }
    }
    for document in documents {
        let Some(namespace) = workload_namespace(&document.object) else {
            continue;
        };
        if !restricted.contains(namespace) {
            gaps.push(format!(
                "{}: runs in namespace \"{namespace}\", which this overlay does not create \
                 with {ENFORCE_LABEL}: restricted",
                describe(&document.object)
            ));
        }
    }
    gaps
}

/// Where a workload's pods run: a pod template's namespace, or the namespace a
/// HelmRelease installs into. `None` for other objects.
fn workload_namespace(object: &Json) -> Option<&str> {
    let own = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    if object["kind"] == "HelmRelease" {
        return Some(object["spec"]["targetNamespace"].as_str().unwrap_or(own));
    }
    matches!(pod_template(object), Ok(Some(_)) | Err(_)).then_some(own)
}

// --- checkov ---------------------------------------------------------------------------

/// One failed check of a checkov run.
#[derive(Debug)]
struct Finding {
    check: String,
    name: String,
    resource: String,
    /// The scanned file, relative to the scanned folder.
    file: String,
    /// The first line of the object in the scanned file.
    line: Option<usize>,
}

/// What a checkov run found, and which checkov found it.
#[derive(Debug)]
struct Scan {
    version: String,
    findings: Vec<Finding>,
    /// The files checkov reported any check on, passed or failed.
    files: BTreeSet<String>,
}

/// Run checkov's Kubernetes checks on YAML streams, each `(file name, stream)` written
/// to a temporary folder that checkov scans. `--skip-download` keeps it offline (no
/// guideline or policy download).
fn checkov(files: &[(String, String)]) -> Result<Scan, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (file, stream) in files {
        std::fs::write(dir.path().join(file), stream).expect("write a scanned file");
    }
    let output = Command::new(CHECKOV)
        .args(["--framework", "kubernetes", "--directory", "."])
        .args([
            "--output",
            "json",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .current_dir(dir.path())
        .output()
        .map_err(|e| format!("checkov could not run: {e}"))?;
    // Exit code 1 means "some check failed", which the report says too.
    let report: Json = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "checkov ({}) printed no JSON report ({e}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    parse_checkov(&report)
}

/// The failed checks of checkov's JSON output: one report, or a list of them for
/// several frameworks. A run that checked nothing, or failed to parse a file, is an
/// error, so that the scan cannot pass by looking at nothing.
fn parse_checkov(output: &Json) -> Result<Scan, String> {
    let reports: Vec<&Json> = match output {
        Json::Array(reports) => reports.iter().collect(),
        report => vec![report],
    };
    let mut scan = Scan {
        version: String::new(),
        findings: Vec::new(),
        files: BTreeSet::new(),
    };
    for report in reports {
        let summary = if report["summary"].is_object() {
            &report["summary"]
        } else {
            report
        };
        scan.version = summary["checkov_version"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        if summary["resource_count"].as_u64().unwrap_or(0) == 0 {
            return Err(format!("checkov checked no resource: {summary}"));
        }
        if summary["parsing_errors"].as_u64() != Some(0) {
            return Err(format!("checkov could not parse the file: {summary}"));
        }
        let failed: Vec<Finding> = items(&report["results"]["failed_checks"])
            .map(finding)
            .collect();
        if summary["failed"].as_u64() != u64::try_from(failed.len()).ok() {
            return Err(format!(
                "checkov counted {} failed checks but listed {}: {summary}",
                summary["failed"],
                failed.len()
            ));
        }
        let passed = items(&report["results"]["passed_checks"]);
        scan.files.extend(passed.map(file_path));
        scan.files.extend(failed.iter().map(|f| f.file.clone()));
        scan.findings.extend(failed);
    }
    Ok(scan)
}

/// The file of a check, relative to the scanned folder (checkov writes `/NAME`).
fn file_path(check: &Json) -> String {
    let path = check["file_path"].as_str().unwrap_or("?");
    path.trim_start_matches('/').to_owned()
}

fn finding(check: &Json) -> Finding {
    let text = |key: &str| check[key].as_str().unwrap_or("?").to_owned();
    Finding {
        check: text("check_id"),
        name: text("check_name"),
        resource: text("resource"),
        file: file_path(check),
        line: check["file_line_range"][0]
            .as_u64()
            .and_then(|line| usize::try_from(line).ok()),
    }
}

/// Findings not accepted in the security doc for their object, then accepted findings
/// that no longer occur in any environment. `documents` holds the objects of each
/// scanned file.
fn review(
    findings: &[Finding],
    accepted: &BTreeMap<Acceptance, String>,
    documents: &BTreeMap<String, Vec<Document>>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut occurring = BTreeSet::new();
    for finding in findings {
        let object = scanned_object(finding, documents);
        let key = (finding.check.clone(), object.resource.clone());
        if !accepted.contains_key(&key) {
            failures.push(format!(
                "{} ({}): {}: {}: not accepted in {SECURITY_DOC} (accept it with a row \
                 `| {} | {} | REASON |`)",
                finding.check,
                finding.name,
                finding.file,
                object.described,
                finding.check,
                object.resource
            ));
        }
        occurring.insert(key);
    }
    failures.extend(accepted.keys().filter(|key| !occurring.contains(*key)).map(
        |(check, resource)| {
            format!(
                "{check} is accepted in {SECURITY_DOC} for {resource}, but fails on it in \
                 no environment: remove the acceptance (stale)"
            )
        },
    ));
    failures
}

/// The object a finding is about: `Kind/name`, as the table names it, and a longer
/// description for messages.
struct ScannedObject {
    resource: String,
    described: String,
}

/// The object of a finding: the document of its file that holds the line checkov
/// reports, or else what checkov's resource ID (`Kind.namespace.name`) says.
fn scanned_object(finding: &Finding, documents: &BTreeMap<String, Vec<Document>>) -> ScannedObject {
    let document = finding.line.and_then(|line| {
        documents
            .get(&finding.file)?
            .iter()
            .rev()
            .find(|d| d.line <= line)
    });
    if let Some(document) = document {
        let object = &document.object;
        let field = |value: &Json| value.as_str().unwrap_or("?").to_owned();
        // A Job's name carries a hash of its content: the table names it by its service.
        let name = match (
            field(&object["kind"]).as_str(),
            object["metadata"]["labels"]["app.kubernetes.io/name"].as_str(),
        ) {
            ("Job", Some(service)) => service.to_owned(),
            _ => field(&object["metadata"]["name"]),
        };
        return ScannedObject {
            resource: format!("{}/{name}", field(&object["kind"])),
            described: describe(object),
        };
    }
    let mut parts = finding.resource.splitn(3, '.');
    let kind = parts.next().unwrap_or("?");
    let name = parts.nth(1).unwrap_or("?");
    ScannedObject {
        resource: format!("{kind}/{name}"),
        described: finding.resource.clone(),
    }
}

/// The accepted findings of the security doc, `(check ID, Kind/name)` to reason: the
/// rows of the table in its `ACCEPTED_HEADING` section, `| check | resources | reason |`,
/// where resources lists one or more `Kind/name`, separated by commas. Every problem
/// with a row is an error.
fn accepted_findings(doc: &str) -> Result<BTreeMap<Acceptance, String>, Vec<String>> {
    let Some(section) = section(doc, ACCEPTED_HEADING) else {
        return Err(vec![format!(
            "{SECURITY_DOC} has no \"{ACCEPTED_HEADING}\" section"
        )]);
    };
    let mut accepted = BTreeMap::new();
    let mut errors = Vec::new();
    for cells in section.iter().filter_map(|line| table_row(line)) {
        if is_header(&cells) {
            continue;
        }
        match accepted_row(&cells) {
            Ok((check, resources, reason)) => {
                for resource in resources {
                    match accepted.entry((check.clone(), resource)) {
                        Entry::Occupied(entry) => {
                            errors.push(format!("{check} for {}: listed twice", entry.key().1));
                        }
                        Entry::Vacant(entry) => {
                            entry.insert(reason.clone());
                        }
                    }
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

/// The lines of the section under `heading`, up to the next heading of its level.
fn section<'a>(doc: &'a str, heading: &str) -> Option<Vec<&'a str>> {
    let mut lines = doc.lines().skip_while(|line| line.trim_end() != heading);
    lines.next()?;
    Some(lines.take_while(|line| !line.starts_with("## ")).collect())
}

/// The trimmed cells of a Markdown table row; `None` for other lines.
fn table_row(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    Some(
        inner
            .split('|')
            .map(|cell| cell.trim().to_owned())
            .collect(),
    )
}

/// Whether a row is the table's header or the line under it.
fn is_header(cells: &[String]) -> bool {
    cells[0].eq_ignore_ascii_case("check")
        || cells
            .iter()
            .all(|cell| !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':')))
}

/// A row's check ID, the objects it accepts the check for, and the reason.
fn accepted_row(cells: &[String]) -> Result<(String, Vec<String>, String), String> {
    let check = cells[0].trim_matches('`').to_owned();
    if !is_check_id(&check) {
        return Err(format!(
            "`{check}` is not a checkov check ID (e.g. CKV_K8S_22)"
        ));
    }
    let Some(resources) = cells.get(1) else {
        return Err(format!("{check}: no resources and no reason given"));
    };
    let resources: Vec<String> = resources
        .split(',')
        .map(|resource| resource.trim().trim_matches('`').to_owned())
        .filter(|resource| !resource.is_empty())
        .collect();
    if resources.is_empty() {
        return Err(format!(
            "{check}: no resource given; name the objects the check is accepted for, as \
             `Kind/name`"
        ));
    }
    if let Some(bad) = resources.iter().find(|r| !is_resource(r)) {
        return Err(format!(
            "{check}: `{bad}` is not an object as `Kind/name` (e.g. Deployment/gateway)"
        ));
    }
    let reason = cells[2..].join(" | ").trim().to_owned();
    if reason.is_empty() {
        return Err(format!("{check}: no reason given"));
    }
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(format!(
            "{check}: the reason \"{reason}\" is too short to say why the check is accepted"
        ));
    }
    Ok((check, resources, reason))
}

/// `Deployment/gateway`: a kind (a capitalized word) and an object name.
fn is_resource(text: &str) -> bool {
    let Some((kind, name)) = text.split_once('/') else {
        return false;
    };
    kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphanumeric())
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
}

/// `CKV_K8S_22`, `CKV2_K8S_6`: `CKV`, optional digits, `_`, a word, `_`, digits.
fn is_check_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("CKV") else {
        return false;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some((middle, number)) = rest.strip_prefix('_').and_then(|r| r.rsplit_once('_')) else {
        return false;
    };
    !middle.is_empty()
        && middle
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

// --- Samples for the self-checks -----------------------------------------------------

/// A Deployment that meets the restricted profile: what the generator writes.
fn hardened_deployment() -> Json {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sample", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "sample"}},
            "template": {
                "metadata": {"labels": {"app": "sample"}},
                "spec": {
                    "automountServiceAccountToken": false,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [{
                        "name": "app",
                        "image": "example/app:1",
                        "ports": [{"containerPort": 8080}],
                        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": true,
                        },
                    }],
                },
            },
        },
    })
}

/// A Deployment that breaks the profile in many ways at once.
fn noncompliant_deployment() -> Json {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sample", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "sample"}},
            "template": {
                "metadata": {"labels": {"app": "sample"}},
                "spec": {
                    "hostNetwork": true,
                    "securityContext": {"runAsNonRoot": false},
                    "initContainers": [{"name": "setup", "image": "example/setup:1"}],
                    "containers": [{
                        "name": "app",
                        "image": "example/app:1",
                        "ports": [{"containerPort": 8080, "hostPort": 8080}],
                        "securityContext": {
                            "privileged": true,
                            "allowPrivilegeEscalation": true,
                            "runAsUser": 0,
                            "capabilities": {"add": ["SYS_ADMIN"]},
                        },
                        "volumeMounts": [{"name": "host", "mountPath": "/host"}],
                    }],
                    "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
                },
            },
        },
    })
}

/// Documents of a stream of objects, one per line, for the review self-checks.
fn as_documents(objects: &[Json]) -> Vec<Document> {
    objects
        .iter()
        .enumerate()
        .map(|(index, object)| Document {
            line: index + 1,
            text: object.to_string(),
            object: object.clone(),
        })
        .collect()
}
