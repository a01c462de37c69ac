//! `mcpstack render ENV` prints its objects in the order `kubectl kustomize` does
//! (Kustomize v5's legacy sort order): for the example stack, and for random sets of
//! objects of the kinds mcpstack renders and of kinds it does not, sorted by
//! `render::sort_like_kustomize`.

mod common;

use serde_json::{Value as Json, json};

use common::{Need, can_run, code, environments, kustomize, mcpstack, parse_stream, project_root};

/// apiVersion, kind, namespace and name of each object, in stream order.
fn ids(objects: &[Json]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            let field = |v: &Json| v.as_str().unwrap_or_default().to_owned();
            format!(
                "{} {} {}/{}",
                field(&o["apiVersion"]),
                field(&o["kind"]),
                field(&o["metadata"]["namespace"]),
                field(&o["metadata"]["name"])
            )
        })
        .collect()
}

#[test]
fn render_lists_objects_in_kustomize_order() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    let root = project_root();
    for env in environments() {
        let rendered = mcpstack(&root, &["render", &env]);
        assert_eq!(code(&rendered), 0, "render {env}");
        let rendered = parse_stream(&String::from_utf8_lossy(&rendered.stdout)).expect("render");
        let built = kustomize(&root.join("generated/overlays").join(&env)).expect("kustomize");
        let built = parse_stream(&built).expect("kustomize output");
        assert_eq!(ids(&built), ids(&rendered), "order of the objects of {env}");
    }
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).expect("length");
        &items[usize::try_from(self.next() % len).expect("index")]
    }
}

/// (apiVersion, kind, cluster-scoped): ranked kinds, kinds of the same name in two
/// groups, core-group kinds kustomize does not rank, webhook configurations (last).
const KINDS: [(&str, &str, bool); 24] = [
    ("v1", "Namespace", true),
    ("v1", "ServiceAccount", false),
    ("v1", "Service", false),
    ("v1", "ConfigMap", false),
    ("v1", "PersistentVolumeClaim", false),
    ("v1", "Widget", false),
    ("v1", "Endpoints", false),
    ("apps/v1", "Deployment", false),
    ("example.com/v1", "Deployment", false),
    ("apps/v1", "StatefulSet", false),
    ("policy/v1", "PodDisruptionBudget", false),
    ("rbac.authorization.k8s.io/v1", "Role", false),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", true),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", false),
    ("networking.k8s.io/v1", "Ingress", false),
    ("networking.k8s.io/v1", "NetworkPolicy", false),
    ("autoscaling/v2", "HorizontalPodAutoscaler", false),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease", false),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository", false),
    ("external-secrets.io/v1", "SecretStore", false),
    ("monitoring.coreos.com/v1", "ServiceMonitor", false),
    ("gateway.networking.k8s.io/v1", "HTTPRoute", false),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        true,
    ),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        true,
    ),
];

/// Name parts chosen so that one name is often a prefix of another (`gateway`,
/// `gateway-auth`) and separators sort before and after letters.
const PARTS: [&str; 8] = ["gateway", "auth", "a", "b0", "edge-mcp", "z", "9", "x.y"];
const NAMESPACES: [&str; 4] = ["mcp-staging", "mcp-a", "a-b", "mcp"];

fn random_objects(rng: &mut Rng, count: usize) -> Vec<Json> {
    let mut seen = std::collections::BTreeSet::new();
    let mut objects = Vec::new();
    while objects.len() < count {
        let (api_version, kind, cluster) = *rng.pick(&KINDS);
        let mut name = (*rng.pick(&PARTS)).to_owned();
        for _ in 0..rng.next() % 3 {
            name = format!("{name}-{}", rng.pick(&PARTS));
        }
        let namespace = if cluster || rng.next().is_multiple_of(8) {
            None
        } else {
            Some(*rng.pick(&NAMESPACES))
        };
        if !seen.insert((api_version, kind, namespace, name.clone())) {
            continue;
        }
        let mut metadata = json!({ "name": name });
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        objects.push(json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata }));
    }
    objects
}

#[test]
fn kustomize_order_matches_kubectl_on_random_objects() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    for seed in 1..=12_u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let objects = random_objects(&mut rng, 60);
        let dir = tempfile::tempdir().expect("temporary folder");
        let stream: String = objects
            .iter()
            .map(|o| format!("---\n{}\n", serde_json::to_string(o).expect("JSON")))
            .collect();
        std::fs::write(dir.path().join("objects.yaml"), stream).expect("write objects");
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [objects.yaml]\n",
        )
        .expect("write kustomization");
        let built = kustomize(dir.path()).expect("kustomize");
        let built = parse_stream(&built).expect("kustomize output");
        let mut sorted = objects.clone();
        mcpstack::render::sort_like_kustomize(&mut sorted);
        assert_eq!(ids(&built), ids(&sorted), "seed {seed}");
    }
}
