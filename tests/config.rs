//! Configuration as data, secrets as files and more than one container, end to end on
//! the fixture stack `tests/fixtures/config`: a change of a ConfigMap's content (literal
//! or file) changes the pod templates of exactly the workloads that use it; mounts
//! render their volumes, items and modes; sidecars and init containers render in order,
//! restricted, valid against the API schemas, and `kubectl kustomize` of the overlay
//! equals `mcpstack render`; files that ConfigMaps must not read are refused.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use common::{
    KUBERNETES_VALIDATE, Need, ObjectKey, can_run, code, copy_folders, files, kustomize, mcpstack,
    objects_by_key, parse_stream, project_root, stderr, stdout,
};

const ENV: &str = "staging";
const CHECKSUM: &str = "mcpstack.dev/config-checksum";

fn fixture() -> PathBuf {
    project_root().join("tests/fixtures/config")
}

/// A copy of the fixture project.
fn project() -> tempfile::TempDir {
    copy_folders(&fixture(), &["environments"])
}

fn render(root: &Path) -> String {
    let output = mcpstack(root, &["render", ENV]);
    assert_eq!(code(&output), 0, "render: {}", stderr(&output));
    stdout(&output)
}

fn objects(root: &Path) -> BTreeMap<ObjectKey, Json> {
    objects_by_key(&render(root)).expect("render prints objects")
}

fn object<'a>(objects: &'a BTreeMap<ObjectKey, Json>, kind: &str, name: &str) -> &'a Json {
    objects
        .iter()
        .find(|((_, k, _, n), _)| k == kind && n == name)
        .map(|(_, o)| o)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// `(kind, name)` of every object that differs between two renders (or is in one only).
fn changed(
    before: &BTreeMap<ObjectKey, Json>,
    after: &BTreeMap<ObjectKey, Json>,
) -> BTreeSet<(String, String)> {
    before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|(_, kind, _, name)| (kind.clone(), name.clone()))
        .collect()
}

fn pair(kind: &str, name: &str) -> (String, String) {
    (kind.to_owned(), name.to_owned())
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("environments").join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} holds {from}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// The pod template with its checksum annotation taken out.
fn without_checksum(deployment: &Json) -> Json {
    let mut object = deployment.clone();
    if let Some(annotations) = object["spec"]["template"]["metadata"]["annotations"].as_object_mut()
    {
        annotations.remove(CHECKSUM);
    }
    object
}

#[test]
fn a_config_map_change_rolls_exactly_the_workloads_that_use_it() {
    let dir = project();
    let root = dir.path();
    let before = objects(root);
    for name in ["gateway", "worker"] {
        let checksum = &object(&before, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
            [CHECKSUM];
        assert!(
            checksum.as_str().is_some_and(|c| c.len() == 64),
            "{name}: {checksum}"
        );
    }
    assert!(
        object(&before, "Deployment", "plain")["spec"]["template"]["metadata"]["annotations"]
            .is_null(),
        "a pod that uses no ConfigMap has no checksum"
    );
    // The same specs render the same checksums.
    assert_eq!(objects(root), before);

    // A literal: worker-settings is read by the worker and by the gateway's init container.
    edit(root, "stack.yaml", "QUEUE: jobs", "QUEUE: jobs-2");
    let literal = objects(root);
    assert_eq!(
        changed(&before, &literal),
        BTreeSet::from([
            pair("ConfigMap", "worker-settings"),
            pair("Deployment", "gateway"),
            pair("Deployment", "worker"),
        ])
    );
    for name in ["gateway", "worker"] {
        assert_eq!(
            without_checksum(object(&before, "Deployment", name)),
            without_checksum(object(&literal, "Deployment", name)),
            "{name}: only the checksum changes"
        );
    }

    // A file: gateway-proxies is read by the gateway alone (main container and sidecar).
    let file = root.join("environments/files/gateway/proxies.yaml");
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push_str("  - name: files\n    url: http://files:8080/mcp\n");
    std::fs::write(&file, text).expect("write");
    let from_file = objects(root);
    assert_eq!(
        changed(&literal, &from_file),
        BTreeSet::from([
            pair("ConfigMap", "gateway-proxies"),
            pair("Deployment", "gateway"),
        ])
    );
    let data = &object(&from_file, "ConfigMap", "gateway-proxies")["data"]["proxies.yaml"];
    assert!(
        data.as_str()
            .is_some_and(|d| d.contains("http://files:8080/mcp"))
    );

    // On disk: only the ConfigMap's file (in the gateway's unit, its one user) and the
    // patches of those workloads change.
    let build = |root: &Path| {
        let output = mcpstack(root, &["build"]);
        assert_eq!(code(&output), 0, "build: {}", stderr(&output));
        files(&root.join("generated"))
    };
    let built = build(root);
    edit(root, "stack.yaml", "mode: strict", "mode: lenient");
    let rebuilt = build(root);
    let differ: Vec<&String> = built
        .keys()
        .chain(rebuilt.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|path| built.get(*path) != rebuilt.get(*path))
        .collect();
    assert_eq!(
        differ,
        [
            "overlays/staging/gateway/configmap-gateway-proxies.yaml",
            "overlays/staging/gateway/deployment.patch.yaml",
        ]
    );
}

#[test]
fn mounts_render_volumes_items_and_modes() {
    let objects = objects(&fixture());
    let gateway = object(&objects, "Deployment", "gateway");
    let pod = &gateway["spec"]["template"]["spec"];
    let volumes: BTreeMap<&str, &Json> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| (v["name"].as_str().expect("name"), v))
        .collect();
    let mounts = pod["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts");
    let mount = |path: &str| {
        mounts
            .iter()
            .find(|m| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("no mount at {path}"))
    };
    let proxies = mount("/etc/gateway");
    assert_eq!(proxies["readOnly"], true);
    let volume = volumes[proxies["name"].as_str().expect("name")];
    assert_eq!(volume["configMap"]["name"], "gateway-proxies");
    assert_eq!(
        volume["configMap"]["items"],
        serde_json::json!([{"key": "proxies.yaml", "path": "proxies.yaml"}])
    );
    assert_eq!(volume["configMap"]["defaultMode"], 0o444);
    assert!(volume["configMap"].get("optional").is_none());

    let oauth = mount("/etc/oauth");
    assert_eq!(oauth["readOnly"], true);
    let volume = volumes[oauth["name"].as_str().expect("name")];
    assert_eq!(volume["secret"]["secretName"], "oauth-credentials");
    assert_eq!(volume["secret"]["defaultMode"], 256, "0400 by default");
    assert!(volume["secret"].get("items").is_none(), "every key");

    // The sidecar mounting the same source with the same keys shares the volume.
    let sidecar = &pod["initContainers"][0];
    assert_eq!(sidecar["name"], "proxy");
    assert_eq!(sidecar["volumeMounts"][0]["name"], proxies["name"]);
    assert_eq!(sidecar["volumeMounts"][0]["readOnly"], true);
    let names: Vec<&str> = volumes.keys().copied().collect();
    assert_eq!(
        names.len(),
        pod["volumes"].as_array().map_or(0, Vec::len),
        "each volume once"
    );
}

#[test]
fn sidecars_then_init_containers_in_written_order_restricted() {
    let objects = objects(&fixture());
    let pod = &object(&objects, "Deployment", "gateway")["spec"]["template"]["spec"];
    let init = pod["initContainers"].as_array().expect("initContainers");
    let order: Vec<(&str, Option<&str>)> = init
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name"),
                c["restartPolicy"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("proxy", Some("Always")),
            ("log-shipper", Some("Always")),
            ("wait-for-db", None),
        ]
    );
    for container in init
        .iter()
        .chain(pod["containers"].as_array().expect("containers"))
    {
        let context = &container["securityContext"];
        assert_eq!(context["allowPrivilegeEscalation"], false, "{container}");
        assert_eq!(context["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(context["readOnlyRootFilesystem"], true);
    }
    assert_eq!(init[2]["image"], "docker.io/library/busybox:1.36.1");
    assert_eq!(
        init[2]["envFrom"][0]["configMapRef"]["name"],
        "worker-settings"
    );
    // The sidecar's writable path is an emptyDir of its own.
    assert_eq!(init[0]["volumeMounts"][1]["mountPath"], "/var/cache/proxy");
    assert_eq!(init[0]["volumeMounts"][1]["name"], "writable-1-0");
    assert!(
        pod["volumes"]
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["name"] == "writable-1-0" && v["emptyDir"].is_object())
    );
}

/// The Pod Security "restricted" controls a generated pod could break, on every
/// container and init container of every pod template.
fn restricted_violations(pod: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let pod_context = &pod["securityContext"];
    if pod_context["seccompProfile"]["type"] != "RuntimeDefault" {
        out.push("pod seccomp profile is not RuntimeDefault".to_owned());
    }
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[field] == true {
            out.push(format!("pod sets {field}"));
        }
    }
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        let allowed = [
            "configMap",
            "csi",
            "downwardAPI",
            "emptyDir",
            "ephemeral",
            "persistentVolumeClaim",
            "projected",
            "secret",
        ];
        let kinds: Vec<&String> = volume
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .filter(|k| *k != "name")
            .collect();
        if !kinds.iter().all(|k| allowed.contains(&k.as_str())) {
            out.push(format!("volume {volume} is of a restricted type"));
        }
    }
    let containers = pod["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(pod["containers"].as_array().into_iter().flatten());
    for container in containers {
        let name = container["name"].as_str().unwrap_or_default();
        let context = &container["securityContext"];
        if context["allowPrivilegeEscalation"] != false {
            out.push(format!("{name}: privilege escalation allowed"));
        }
        if context["privileged"] == true {
            out.push(format!("{name}: privileged"));
        }
        if context["capabilities"]["drop"] != serde_json::json!(["ALL"]) {
            out.push(format!("{name}: capabilities not dropped"));
        }
        if !(pod_context["runAsNonRoot"] == true || context["runAsNonRoot"] == true) {
            out.push(format!("{name}: may run as root"));
        }
        for port in container["ports"].as_array().into_iter().flatten() {
            if port.get("hostPort").is_some() {
                out.push(format!("{name}: host port"));
            }
        }
    }
    out
}

#[test]
fn extra_containers_and_mounts_conform() {
    let dir = project();
    let root = dir.path();
    let stream = render(root);
    let documents = parse_stream(&stream).expect("parses");
    let mut violations = Vec::new();
    for object in &documents {
        if object["kind"] == "Deployment" {
            violations.extend(restricted_violations(&object["spec"]["template"]["spec"]));
        }
    }
    assert!(violations.is_empty(), "{violations:?}");

    if can_run(&[Need::KubernetesValidate]) {
        let file = root.join("rendered.yaml");
        std::fs::write(&file, &stream).expect("write");
        let output = Command::new(KUBERNETES_VALIDATE)
            .args(["-k", "1.33.0", "--strict", "rendered.yaml"])
            .current_dir(root)
            .output()
            .expect("kubernetes-validate runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let passed = text
            .lines()
            .filter(|l| l.starts_with("INFO ") && l.contains(" passed for resource "))
            .count();
        let complaints: Vec<&str> = text.lines().filter(|l| !l.starts_with("INFO ")).collect();
        assert!(
            output.status.success() && complaints.is_empty() && passed == documents.len(),
            "kubernetes-validate: {passed} of {} passed: {complaints:?} {}",
            documents.len(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    if can_run(&[Need::Kubectl]) {
        let output = mcpstack(root, &["build"]);
        assert_eq!(code(&output), 0, "build: {}", stderr(&output));
        let built = kustomize(&root.join("generated/overlays").join(ENV)).expect("kustomize");
        let built = parse_stream(&built).expect("kustomize output parses");
        assert_eq!(
            built, documents,
            "kubectl kustomize equals mcpstack render, in order"
        );
    }
}

/// `validate` refuses the project with `code` at line `line` of stack.yaml.
fn refused(root: &Path, code_name: &str, line: u32) {
    let output = mcpstack(root, &["validate"]);
    let text = stderr(&output);
    assert_eq!(code(&output), 2, "{text}");
    let header = text
        .lines()
        .position(|l| l.starts_with(&format!("error[{code_name}]")))
        .unwrap_or_else(|| panic!("no error[{code_name}]:\n{text}"));
    let location = text.lines().nth(header + 1).unwrap_or_default();
    assert!(
        location.contains(&format!("environments/stack.yaml:{line}:")),
        "{code_name} at {location}:\n{text}"
    );
}

/// Line of stack.yaml naming the proxies file.
const PROXIES_LINE: u32 = 20;

#[test]
fn a_config_map_over_one_mebibyte_is_refused() {
    let dir = project();
    let root = dir.path();
    let file = root.join("environments/files/gateway/proxies.yaml");
    // The literal `mode: strict` and this file exceed 1048576 bytes together by one.
    std::fs::write(&file, "x".repeat(1024 * 1024 + 1 - "strict".len())).expect("write");
    refused(root, "config-map-too-large", PROXIES_LINE);
    // Exactly at the limit it builds.
    std::fs::write(&file, "x".repeat(1024 * 1024 - "strict".len())).expect("write");
    let output = mcpstack(root, &["validate"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[cfg(unix)]
#[test]
fn files_reached_through_links_folders_and_binary_files_are_refused() {
    let dir = project();
    let root = dir.path();
    let environments = root.join("environments");
    let file = environments.join("files/gateway/proxies.yaml");
    let outside = root.join("outside.yaml");
    std::fs::write(&outside, "proxies: []\n").expect("write");

    // A symbolic link as the file.
    std::fs::remove_file(&file).expect("remove");
    std::os::unix::fs::symlink(&outside, &file).expect("link");
    refused(root, "config-file", PROXIES_LINE);

    // A symbolic link as a folder on the way.
    std::fs::remove_dir_all(environments.join("files")).expect("remove");
    std::fs::create_dir_all(root.join("elsewhere/gateway")).expect("mkdir");
    std::fs::write(root.join("elsewhere/gateway/proxies.yaml"), "proxies: []\n").expect("write");
    std::os::unix::fs::symlink(root.join("elsewhere"), environments.join("files")).expect("link");
    refused(root, "config-file", PROXIES_LINE);

    // A folder.
    std::fs::remove_file(environments.join("files")).expect("remove the link");
    std::fs::create_dir_all(environments.join("files/gateway/proxies.yaml")).expect("mkdir");
    refused(root, "config-file", PROXIES_LINE);

    // Text that is not UTF-8.
    std::fs::remove_dir_all(environments.join("files/gateway/proxies.yaml")).expect("rmdir");
    std::fs::write(&file, b"proxies: \xff\n").expect("write");
    refused(root, "config-file", PROXIES_LINE);

    // Nothing was written.
    assert!(!root.join("generated").exists());
}

/// A Secret or ConfigMap one unit alone uses lives in that unit; one several units use
/// stays in the namespace unit, which every unit depends on.
#[test]
fn secrets_and_config_maps_live_in_the_unit_that_alone_uses_them() {
    let production = project_root().join("generated/overlays/production");
    for (unit, file) in [
        ("redis", "externalsecret-redis-credentials.yaml"),
        ("gateway", "externalsecret-gateway-auth.yaml"),
        ("gateway", "configmap-gateway-catalog.yaml"),
        ("postgres", "configmap-postgres-settings.yaml"),
        // Shared: the gateway and the migration Job; fast-time and edge-mcp; the
        // gateway and the worker.
        ("namespace", "externalsecret-gateway-database.yaml"),
        ("namespace", "externalsecret-mcp-upstream.yaml"),
        ("namespace", "configmap-gateway-settings.yaml"),
    ] {
        let path = production.join(unit).join(file);
        assert!(path.is_file(), "{} is missing", path.display());
        let kustomization =
            std::fs::read_to_string(production.join(unit).join("kustomization.yaml"))
                .expect("kustomization");
        assert!(kustomization.contains(file), "{unit} lists {file}");
    }
    let namespace: Vec<String> = std::fs::read_dir(production.join("namespace"))
        .expect("namespace unit")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !namespace
            .iter()
            .any(|f| f.contains("redis-credentials") || f.contains("gateway-auth")),
        "{namespace:?}"
    );
}

/// A ConfigMap the stack does not declare may be created outside it, as every
/// ConfigMap was before `configMaps` existed: a warning, not an error, unless the name
/// is a near miss of a declared one.
#[test]
fn an_undeclared_config_map_is_a_warning_unless_it_is_a_typo() {
    let project = project();
    let root = project.path();
    edit(
        root,
        "stack.yaml",
        "      - configMapRef: gateway-settings\n",
        "      - configMapRef: gateway-settings\n      - configMapRef: platform-wide-defaults\n",
    );
    let output = mcpstack(root, &["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning[unknown-config-map]: ConfigMap `platform-wide-defaults` is not declared"
        ),
        "{}",
        stderr(&output)
    );
    let strict = mcpstack(root, &["--deny-warnings", "check"]);
    assert_eq!(code(&strict), 2, "{}", stderr(&strict));
    edit(
        root,
        "stack.yaml",
        "platform-wide-defaults",
        "gateway-setting",
    );
    let typo = mcpstack(root, &["validate"]);
    assert_eq!(code(&typo), 2, "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("did you mean `gateway-settings`?"),
        "{}",
        stderr(&typo)
    );
}
