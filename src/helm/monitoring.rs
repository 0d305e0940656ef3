//! What Prometheus scrapes, and which metrics each scrape target produces,
//! as data: every alert and dashboard panel of
//! [`super::kube_prometheus_stack`] may only use metrics of a declared
//! target (checked by `tests/helm_releases.rs` with [`metric_names`]).

/// A scrape target: who scrapes it, and the metrics the alerts and panels
/// read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrapeTarget {
    /// What is scraped.
    pub name: &'static str,
    /// The monitor that scrapes it.
    pub scraped_by: &'static str,
    /// The metrics read from it.
    pub metrics: &'static [&'static str],
}

/// The metrics every workload with a metrics endpoint must expose on it
/// (OpenTelemetry HTTP and database client semantic conventions, exported
/// to Prometheus): request count by `status`, request latency histogram,
/// connection pool usage and size.
pub const WORKLOAD_METRICS: &[&str] = &[
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "db_client_connections_usage",
    "db_client_connections_max",
];

/// Every target the platform's alerts and dashboard read. `up` is written
/// by Prometheus itself for every target it scrapes.
pub const TARGETS: [ScrapeTarget; 4] = [
    ScrapeTarget {
        name: "the platform's workloads (`/metrics` on the Service port, job = workload name)",
        scraped_by: "the app chart's ServiceMonitor per workload with a metrics path (templates/servicemonitor.yaml)",
        metrics: WORKLOAD_METRICS,
    },
    ScrapeTarget {
        name: "the kubelets' cAdvisor endpoint",
        scraped_by: "kube-prometheus-stack's kubelet ServiceMonitor (`kubelet.serviceMonitor.cAdvisor`, on by default)",
        metrics: &[
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
        ],
    },
    ScrapeTarget {
        name: "the kubelets' own metrics",
        scraped_by: "kube-prometheus-stack's kubelet ServiceMonitor (`kubelet.enabled`, on by default)",
        metrics: &[
            "kubelet_volume_stats_available_bytes",
            "kubelet_volume_stats_capacity_bytes",
        ],
    },
    ScrapeTarget {
        name: "kube-state-metrics",
        scraped_by: "kube-prometheus-stack's kube-state-metrics ServiceMonitor (`kubeStateMetrics.enabled`, on by default)",
        metrics: &["kube_pod_container_resource_limits"],
    },
];

/// The metric written by Prometheus for every scraped target.
pub const UP: &str = "up";

/// The metric names a PromQL expression reads: identifiers that are not
/// functions (followed by `(`), aggregation operators, keywords, label names
/// (inside `{...}` or the `by (...)` / `without (...)` / `on (...)` /
/// `ignoring (...)` lists), strings, durations or numbers. Sorted,
/// without duplicates.
///
/// ```
/// use infrasynth::helm::monitoring::metric_names;
/// assert_eq!(
///     metric_names("sum by (service, le) (rate(x_bucket{namespace=\"a\"}[5m])) / on (pod) y > 0.5"),
///     ["x_bucket", "y"]
/// );
/// ```
pub fn metric_names(expr: &str) -> Vec<String> {
    const KEYWORDS: [&str; 10] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
    ];
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    // Aggregation operators, which may be followed by `by (...)` before
    // their `(`.
    const AGGREGATIONS: [&str; 14] = [
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    // Depth of `{...}` (label matchers) and `[...]` (ranges).
    let (mut braces, mut brackets) = (0usize, 0usize);
    // After a label-list keyword, the next `(...)` holds label names.
    let mut label_list_pending = false;
    let mut in_label_list = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '[' => brackets += 1,
            ']' => brackets = brackets.saturating_sub(1),
            '(' if label_list_pending => {
                label_list_pending = false;
                in_label_list = true;
            }
            ')' if in_label_list => in_label_list = false,
            _ => {}
        }
        let starts_identifier = c.is_ascii_alphabetic() || c == '_' || c == ':';
        if !starts_identifier {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
        {
            i += 1;
        }
        // An identifier glued to a digit before it is a number's suffix
        // (`5m`, `1e3`): skip.
        if start > 0 && chars[start - 1].is_ascii_digit() {
            continue;
        }
        let word: String = chars[start..i].iter().collect();
        if braces > 0 || brackets > 0 || in_label_list {
            continue;
        }
        if LABEL_LISTS.contains(&word.as_str()) {
            label_list_pending = true;
            continue;
        }
        if KEYWORDS.contains(&word.as_str()) || AGGREGATIONS.contains(&word.as_str()) {
            continue;
        }
        let next = chars[i..].iter().find(|c| !c.is_whitespace());
        if next == Some(&'(') {
            continue;
        }
        names.push(word);
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_metrics_not_functions_labels_or_durations() {
        assert_eq!(
            metric_names(
                "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{namespace=\"a\",status=~\"5..\"}[5m]))) > 0.5"
            ),
            ["http_request_duration_seconds_bucket"]
        );
        assert_eq!(
            metric_names("up{job=\"x\"} == 0 or absent(up{job=\"y\"})"),
            ["up"]
        );
        assert_eq!(
            metric_names("sum by (pod) (a) / sum without (le) (b) > count(c)"),
            ["a", "b", "c"]
        );
        assert_eq!(
            metric_names(
                "predict_linear(a[6h], 24 * 3600) < 0 and b / ignoring (pod) group_left (node) c"
            ),
            ["a", "b", "c"]
        );
    }
}
