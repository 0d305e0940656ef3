//! `platform-objects`: a local chart of one template that renders the
//! Kubernetes objects listed in its values, so objects that need another
//! release's CRDs (ClusterIssuers, the Gateway) or must exist before one
//! (the encrypted StorageClass) are releases of their own, ordered by the
//! helmfile's `needs`.
//!
//! `synth` writes the chart beside the values (`helm/charts/platform-objects/`);
//! each release using it has a values file `objects: [...]`.

use serde::Serialize;
use serde_json::Value as Json;

/// The chart's name.
pub const CHART: &str = "platform-objects";
/// The chart's directory below `helm/`.
pub const CHART_DIR: &str = "charts/platform-objects";
/// The chart's version (changes with its template).
pub const VERSION: &str = "0.1.0";

/// A values document of the chart: the objects, each a whole manifest
/// (`apiVersion`, `kind`, `metadata`, ...). A [`FromOutput`] serialized
/// into an object becomes a placeholder like anywhere else.
///
/// [`FromOutput`]: super::FromOutput
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ObjectsValues {
    /// The manifests, rendered in this order.
    pub objects: Vec<Json>,
}

impl ObjectsValues {
    /// The `(apiVersion, kind)` of every object.
    pub fn kinds(&self) -> Vec<(String, String)> {
        self.objects
            .iter()
            .map(|o| {
                let text = |key: &str| o[key].as_str().unwrap_or_default().to_string();
                (text("apiVersion"), text("kind"))
            })
            .collect()
    }
}

/// The chart's files, as `(path below helm/, text)`.
pub fn chart_files() -> Vec<(String, String)> {
    let chart_yaml = format!(
        "# Written by infrasynth; do not edit.\n\
         apiVersion: v2\n\
         name: {CHART}\n\
         description: Kubernetes objects listed in the values (ClusterIssuers, the Gateway, the encrypted StorageClass), one release per group so each is installed after the CRDs it needs.\n\
         type: application\n\
         version: {VERSION}\n"
    );
    let template = "{{- /* Every object of .Values.objects, as given. */ -}}\n\
         {{- range .Values.objects }}\n\
         ---\n\
         {{ toYaml . }}\n\
         {{- end }}\n";
    vec![
        (format!("{CHART_DIR}/Chart.yaml"), chart_yaml),
        (
            format!("{CHART_DIR}/values.yaml"),
            "objects: []\n".to_string(),
        ),
        (
            format!("{CHART_DIR}/templates/objects.yaml"),
            template.to_string(),
        ),
    ]
}
