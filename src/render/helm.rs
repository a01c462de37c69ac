//! Flux objects of a chart: its source (`OCIRepository` for `oci://` charts,
//! `HelmRepository` for `https://` repositories, `source.toolkit.fluxcd.io/v1`) and its
//! `HelmRelease` (`helm.toolkit.fluxcd.io/v2`).

use serde_json::{Map, Value as Json, json};

use crate::lower::is_exact_version;
use crate::model::{Chart, ChartSource};
use crate::render::kubernetes::MANAGER;

/// Media type of a Helm chart's content layer in an OCI artifact.
const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// The chart's source and release, in a fixed order. `namespace` is `None` for bases.
pub fn objects(chart: &Chart, namespace: Option<&str>) -> Vec<Json> {
    vec![source(chart, namespace), release(chart, namespace)]
}

fn metadata(chart: &Chart, namespace: Option<&str>) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), chart.name.clone().into());
    if let Some(namespace) = namespace {
        meta.insert("namespace".into(), namespace.into());
    }
    meta.insert("labels".into(), Json::Object(labels(chart)));
    Json::Object(meta)
}

/// The recommended labels of a chart's Flux objects.
pub fn labels(chart: &Chart) -> Map<String, Json> {
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/name".into(), chart.name.clone().into());
    labels.insert(
        "app.kubernetes.io/instance".into(),
        chart.part_of.clone().into(),
    );
    if let Some(component) = &chart.component {
        labels.insert(
            "app.kubernetes.io/component".into(),
            component.clone().into(),
        );
    }
    labels.insert(
        "app.kubernetes.io/part-of".into(),
        chart.part_of.clone().into(),
    );
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGER.into());
    labels
}

fn object(api_version: &str, kind: &str, metadata: Json, spec: Map<String, Json>) -> Json {
    let mut out = Map::new();
    out.insert("apiVersion".into(), api_version.into());
    out.insert("kind".into(), kind.into());
    out.insert("metadata".into(), metadata);
    out.insert("spec".into(), Json::Object(spec));
    Json::Object(out)
}

fn source(chart: &Chart, namespace: Option<&str>) -> Json {
    let mut spec = Map::new();
    spec.insert("interval".into(), chart.interval.clone().into());
    match &chart.source {
        ChartSource::Oci { url } => {
            spec.insert("url".into(), format!("{url}/{}", chart.chart).into());
            let reference = match is_exact_version(&chart.version) {
                true => json!({ "tag": chart.version }),
                false => json!({ "semver": chart.version }),
            };
            spec.insert("ref".into(), reference);
            spec.insert(
                "layerSelector".into(),
                json!({ "mediaType": HELM_CHART_LAYER, "operation": "copy" }),
            );
            object(
                "source.toolkit.fluxcd.io/v1",
                "OCIRepository",
                metadata(chart, namespace),
                spec,
            )
        }
        ChartSource::Https { url } => {
            spec.insert("url".into(), url.clone().into());
            object(
                "source.toolkit.fluxcd.io/v1",
                "HelmRepository",
                metadata(chart, namespace),
                spec,
            )
        }
    }
}

fn release(chart: &Chart, namespace: Option<&str>) -> Json {
    let mut spec = Map::new();
    spec.insert("interval".into(), chart.interval.clone().into());
    spec.insert("timeout".into(), chart.timeout.clone().into());
    spec.insert("releaseName".into(), chart.name.clone().into());
    if let Some(target) = &chart.target_namespace {
        spec.insert("targetNamespace".into(), target.clone().into());
    }
    match &chart.source {
        ChartSource::Oci { .. } => {
            spec.insert(
                "chartRef".into(),
                json!({ "kind": "OCIRepository", "name": chart.name }),
            );
        }
        ChartSource::Https { .. } => {
            let chart_spec = json!({
                "chart": chart.chart,
                "version": chart.version,
                "sourceRef": { "kind": "HelmRepository", "name": chart.name },
            });
            spec.insert("chart".into(), json!({ "spec": chart_spec }));
        }
    }
    if !chart.release_depends_on.is_empty() {
        let depends: Vec<Json> = chart
            .release_depends_on
            .iter()
            .map(|name| json!({ "name": name }))
            .collect();
        spec.insert("dependsOn".into(), Json::Array(depends));
    }
    spec.insert(
        "install".into(),
        json!({ "remediation": { "retries": chart.install_retries } }),
    );
    spec.insert(
        "upgrade".into(),
        json!({ "cleanupOnFail": true, "remediation": { "retries": chart.upgrade_retries, "remediateLastFailure": true } }),
    );
    if !chart.values.is_empty() {
        spec.insert("values".into(), Json::Object(chart.values.clone()));
    }
    if !chart.values_from.is_empty() {
        let sources: Vec<Json> = chart.values_from.iter().map(values_source).collect();
        spec.insert("valuesFrom".into(), Json::Array(sources));
    }
    if !chart.images.is_empty() {
        let images: Vec<Json> = chart
            .images
            .iter()
            .map(|(name, pin)| image(name, pin))
            .collect();
        spec.insert(
            "postRenderers".into(),
            json!([{ "kustomize": { "images": images } }]),
        );
    }
    object(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        metadata(chart, namespace),
        spec,
    )
}

fn values_source(source: &crate::spec::ValuesFrom) -> Json {
    let mut out = Map::new();
    out.insert("kind".into(), json!(source.kind));
    out.insert("name".into(), source.name.clone().into());
    if let Some(key) = &source.values_key {
        out.insert("valuesKey".into(), key.clone().into());
    }
    if let Some(path) = &source.target_path {
        out.insert("targetPath".into(), path.clone().into());
    }
    if let Some(optional) = source.optional {
        out.insert("optional".into(), optional.into());
    }
    Json::Object(out)
}

fn image(name: &str, pin: &crate::spec::ChartImage) -> Json {
    let mut out = Map::new();
    out.insert("name".into(), name.into());
    if let Some(new_name) = &pin.new_name {
        out.insert("newName".into(), new_name.clone().into());
    }
    if let Some(tag) = &pin.tag {
        out.insert("newTag".into(), tag.clone().into());
    }
    if let Some(digest) = &pin.digest {
        out.insert("digest".into(), digest.clone().into());
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ChartImage;

    fn chart(source: ChartSource, version: &str) -> Chart {
        Chart {
            host: None,
            name: "postgres".into(),
            component: None,
            part_of: "mcp-stack".into(),
            source,
            chart: "postgresql".into(),
            version: version.into(),
            values: Map::new(),
            values_from: Vec::new(),
            depends_on: vec!["vault".into()],
            release_depends_on: Vec::new(),
            target_namespace: None,
            interval: "10m".into(),
            timeout: "5m".into(),
            install_retries: 3,
            upgrade_retries: 3,
            images: vec![(
                "docker.io/bitnami/postgresql".into(),
                ChartImage {
                    digest: Some("sha256:x".into()),
                    ..Default::default()
                },
            )],
        }
    }

    #[test]
    fn oci_charts_are_referenced_through_an_oci_repository() {
        let oci = ChartSource::Oci {
            url: "oci://registry-1.docker.io/bitnamicharts".into(),
        };
        let [source, release] =
            <[Json; 2]>::try_from(objects(&chart(oci.clone(), "16.4.5"), Some("ns")))
                .expect("two objects");
        assert_eq!(source["kind"], "OCIRepository");
        assert_eq!(
            source["spec"]["url"],
            "oci://registry-1.docker.io/bitnamicharts/postgresql"
        );
        assert_eq!(source["spec"]["ref"], json!({"tag": "16.4.5"}));
        assert_eq!(
            release["spec"]["chartRef"],
            json!({"kind": "OCIRepository", "name": "postgres"})
        );
        assert!(release["spec"].get("chart").is_none());
        let [source, _] =
            <[Json; 2]>::try_from(objects(&chart(oci, "16.x"), None)).expect("two objects");
        assert_eq!(source["spec"]["ref"], json!({"semver": "16.x"}));
    }

    #[test]
    fn https_charts_name_their_helm_repository() {
        let https = ChartSource::Https {
            url: "https://charts.example.com".into(),
        };
        let [source, release] =
            <[Json; 2]>::try_from(objects(&chart(https, "1.0.0"), None)).expect("two objects");
        assert_eq!(source["kind"], "HelmRepository");
        assert_eq!(
            release["spec"]["chart"]["spec"]["sourceRef"],
            json!({"kind": "HelmRepository", "name": "postgres"})
        );
        assert_eq!(
            release["spec"]["postRenderers"][0]["kustomize"]["images"][0],
            json!({"name": "docker.io/bitnami/postgresql", "digest": "sha256:x"})
        );
        assert!(
            release["spec"].get("dependsOn").is_none(),
            "only chart dependencies order releases"
        );
    }
}
