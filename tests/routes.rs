//! Routes on `tests/fixtures/routes`: three services on one host at different paths
//! (the gateway at `/`, a tools server under `/tools` with the prefix stripped, a chat
//! service taking WebSockets at `/chat`), rendered as Ingresses for ingress-nginx in
//! `qa` and as HTTPRoutes in `staging`. The same host and path twice is refused at both.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{
    KUBECTL, KUBERNETES_VALIDATE, Need, can_run, can_run_part, code, copy_dir, crd_schemas_dir,
    mcpstack, parse_stream, project_root, stderr, stdout,
};
use serde_json::{Value as Json, json};

const HOST_QA: &str = "mcp.qa.example.com";
const HOST_STAGING: &str = "mcp.staging.example.com";
const SERVICES: [&str; 3] = ["chat", "gateway", "tools"];

/// A copy of the fixture stack, after `edit` changed its spec files.
fn copy(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&project_root().join("tests/fixtures/routes"), dir.path());
    edit(dir.path());
    dir
}

fn rendered(root: &Path, env: &str) -> Vec<Json> {
    let output = mcpstack(root, &["render", env]);
    assert_eq!(code(&output), 0, "render fails: {}", stderr(&output));
    parse_stream(&stdout(&output)).expect("rendered YAML")
}

fn of_kind<'a>(objects: &'a [Json], kind: &str) -> Vec<&'a Json> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn named<'a>(objects: &'a [Json], kind: &str, name: &str) -> &'a Json {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} `{name}`"))
}

fn annotation<'a>(object: &'a Json, key: &str) -> Option<&'a str> {
    object["metadata"]["annotations"][key].as_str()
}

#[test]
fn a_shared_host_renders_one_ingress_per_service() {
    let dir = copy(|_| {});
    let objects = rendered(dir.path(), "qa");
    let ingresses = of_kind(&objects, "Ingress");
    assert_eq!(ingresses.len(), 3);
    for ingress in &ingresses {
        let rule = &ingress["spec"]["rules"][0];
        assert_eq!(rule["host"], HOST_QA, "{ingress:#}");
        // One certificate for the host: the gateway's (it serves the shortest path).
        assert_eq!(
            ingress["spec"]["tls"],
            json!([{"hosts": [HOST_QA], "secretName": "gateway-tls"}])
        );
        let issuer = annotation(ingress, "cert-manager.io/cluster-issuer");
        match ingress["metadata"]["name"].as_str() {
            Some("gateway") => assert_eq!(issuer, Some("letsencrypt-staging")),
            _ => assert_eq!(issuer, None, "only the host's Ingress asks cert-manager"),
        }
    }
    let path = |name: &str| {
        named(&objects, "Ingress", name)["spec"]["rules"][0]["http"]["paths"][0].clone()
    };
    assert_eq!(path("gateway")["path"], "/");
    assert_eq!(path("gateway")["pathType"], "Prefix");
    assert_eq!(path("chat")["path"], "/chat");
    assert_eq!(path("chat")["pathType"], "Prefix");
    // The stripped prefix: a regular expression whose second group the pods get.
    assert_eq!(path("tools")["path"], "/tools(/|$)(.*)");
    assert_eq!(path("tools")["pathType"], "ImplementationSpecific");
    let tools = named(&objects, "Ingress", "tools");
    assert_eq!(
        annotation(tools, "nginx.ingress.kubernetes.io/rewrite-target"),
        Some("/$2")
    );
    assert_eq!(
        annotation(tools, "nginx.ingress.kubernetes.io/use-regex"),
        Some("true")
    );
    // WebSockets: long reads and sends, HTTP/1.1; buffering is an sse matter.
    let chat = named(&objects, "Ingress", "chat");
    for (key, value) in [
        ("proxy-http-version", "1.1"),
        ("proxy-read-timeout", "3600"),
        ("proxy-send-timeout", "3600"),
    ] {
        let key = format!("nginx.ingress.kubernetes.io/{key}");
        assert_eq!(annotation(chat, &key), Some(value), "{chat:#}");
    }
    assert_eq!(
        annotation(chat, "nginx.ingress.kubernetes.io/proxy-buffering"),
        None
    );
    assert_eq!(
        annotation(chat, "nginx.ingress.kubernetes.io/rewrite-target"),
        None
    );
}

#[test]
fn a_shared_host_renders_one_http_route_per_service() {
    let dir = copy(|_| {});
    let objects = rendered(dir.path(), "staging");
    assert!(of_kind(&objects, "Ingress").is_empty());
    let routes = of_kind(&objects, "HTTPRoute");
    assert_eq!(routes.len(), 3);
    for route in &routes {
        assert_eq!(route["spec"]["hostnames"], json!([HOST_STAGING]));
        // Streams and sockets are not cut: no request timeout.
        assert_eq!(
            route["spec"]["rules"][0]["timeouts"],
            json!({"request": "0s"})
        );
        assert!(route["metadata"]["annotations"].is_null(), "{route:#}");
    }
    let rule = |name: &str| named(&objects, "HTTPRoute", name)["spec"]["rules"][0].clone();
    assert_eq!(
        rule("gateway")["matches"],
        json!([{"path": {"type": "PathPrefix", "value": "/"}}])
    );
    assert_eq!(
        rule("chat")["matches"],
        json!([{"path": {"type": "PathPrefix", "value": "/chat"}}])
    );
    assert!(rule("chat")["filters"].is_null());
    assert_eq!(
        rule("tools")["matches"],
        json!([{"path": {"type": "PathPrefix", "value": "/tools"}}])
    );
    assert_eq!(
        rule("tools")["filters"],
        json!([{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}])
    );
}

#[test]
fn kustomize_builds_what_render_prints() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    let dir = copy(|_| {});
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 0, "build fails: {}", stderr(&output));
    let kustomize = |path: &Path| {
        let output = Command::new(KUBECTL)
            .arg("kustomize")
            .arg(path)
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "{}", stderr(&output));
        parse_stream(&stdout(&output)).expect("kustomize output")
    };
    for env in ["qa", "staging"] {
        let overlay = dir.path().join("generated/overlays").join(env);
        let objects = rendered(dir.path(), env);
        assert_eq!(kustomize(&overlay), objects, "{env}");
        // Each unit owns its route.
        for service in SERVICES {
            let unit = kustomize(&overlay.join(service));
            for object in &unit {
                assert!(objects.contains(object), "{env}/{service}: {object:#}");
            }
            let kind = match env {
                "qa" => "Ingress",
                _ => "HTTPRoute",
            };
            assert!(
                unit.iter()
                    .any(|o| o["kind"] == kind && o["metadata"]["name"] == service),
                "{env}/{service} holds its {kind}"
            );
        }
    }
}

#[test]
fn routes_conform_to_their_schemas() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let dir = copy(|_| {});
    let ingresses: Vec<Json> = rendered(dir.path(), "qa")
        .into_iter()
        .filter(|o| o["kind"] == "Ingress")
        .collect();
    let text: String = ingresses
        .iter()
        .map(|o| format!("---\n{}\n", serde_json::to_string(o).expect("JSON")))
        .collect();
    fs::write(dir.path().join("ingresses.yaml"), text).expect("write objects");
    let output = Command::new(KUBERNETES_VALIDATE)
        .args(["-k", "1.33.0", "--strict", "ingresses.yaml"])
        .current_dir(dir.path())
        .output()
        .expect("kubernetes-validate runs");
    let out = String::from_utf8_lossy(&output.stdout);
    let passed = out
        .lines()
        .filter(|l| l.starts_with("INFO ") && l.contains(" passed for resource "))
        .count();
    assert!(
        output.status.success() && passed == ingresses.len(),
        "{passed} of {} passed:\n{out}",
        ingresses.len()
    );
    if !can_run_part(
        "the check of HTTPRoutes against their CRD schema",
        &[Need::CrdSchemas],
    ) {
        return;
    }
    let path = crd_schemas_dir().join("gateway.networking.k8s.io/httproute_v1.json");
    let schema: Json = serde_json::from_str(&fs::read_to_string(&path).expect("read the schema"))
        .expect("a JSON schema");
    let validator = jsonschema::draft202012::new(&schema).expect("a CRD schema compiles");
    let routes: Vec<Json> = rendered(dir.path(), "staging")
        .into_iter()
        .filter(|o| o["kind"] == "HTTPRoute")
        .collect();
    assert_eq!(routes.len(), 3);
    for route in &routes {
        let errors: Vec<String> = validator
            .iter_errors(route)
            .map(|e| format!("{}: {e}", e.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{route:#}: {errors:?}");
    }
}

#[test]
fn the_same_host_and_path_twice_is_refused_at_both() {
    let dir = copy(|root| {
        let qa = root.join("environments/qa.yaml");
        let mut text = fs::read_to_string(&qa).expect("qa.yaml");
        // `/tools/` is `/tools` to both controllers.
        text.push_str("      path: /tools/\n");
        fs::write(&qa, text).expect("qa.yaml written");
    });
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.matches("error[duplicate-route]").count(), 2, "{err}");
    assert!(err.contains("--> environments/qa.yaml:15:13"), "{err}");
    assert!(err.contains("--> environments/stack.yaml:27:13"), "{err}");
    assert!(!dir.path().join("generated").exists(), "nothing written");
}

#[test]
fn a_stripped_exact_path_is_refused() {
    let dir = copy(|root| {
        let qa = root.join("environments/qa.yaml");
        let mut text = fs::read_to_string(&qa).expect("qa.yaml");
        text = text.replace(
            "  tools:\n    ingress:\n",
            "  tools:\n    ingress:\n      pathType: Exact\n",
        );
        fs::write(&qa, text).expect("qa.yaml written");
    });
    let output = mcpstack(dir.path(), &["validate"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("error[invalid-value]"), "{err}");
    assert!(err.contains("--> environments/qa.yaml:11:"), "{err}");
    assert!(err.contains("`pathType: Prefix`"), "{err}");
}
