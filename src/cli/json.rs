//! `--json` for `list` and `synth`: the same facts as the text, for machines.

use serde_json::{json, Value as Json};

use crate::app::{App, SynthReport};
use crate::core::environment::Cloud;

/// A synth report: `label`, `dir`, `resources`, `data_sources`, `outputs`,
/// `files`, `bytes`, `elapsed_ms`, `state`, `warnings` (text of each).
pub(crate) fn report(report: &SynthReport) -> Json {
    json!({
        "label": report.label,
        "dir": report.dir.display().to_string(),
        "resources": report.counts.resources,
        "data_sources": report.counts.data_sources,
        "outputs": report.counts.outputs,
        "files": report.files,
        "bytes": report.bytes,
        "elapsed_ms": (report.elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        "state": report.state,
        "warnings": report.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// What `list` shows: `stacks` (`name`, `about`, `default`), `clouds`,
/// `environments` (`name`, `tier`, `short_name`, `regions` by cloud).
pub(crate) fn list(app: &App) -> Json {
    let stacks: Vec<Json> = app
        .stacks()
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "name": s.name(), "about": s.about(), "default": i == 0 }))
        .collect();
    let environments: Vec<Json> = app
        .declared_environments()
        .iter()
        .map(|env| {
            let regions: serde_json::Map<String, Json> = Cloud::ALL
                .iter()
                .filter_map(|&c| env.region(c).map(|r| (c.as_str().to_string(), json!(r))))
                .collect();
            json!({
                "name": env.name(),
                "tier": env.tier().as_str(),
                "short_name": env.short_name(),
                "regions": regions,
            })
        })
        .collect();
    json!({
        "stacks": stacks,
        "clouds": Cloud::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "environments": environments,
    })
}
