#!/usr/bin/env python3
"""Renders the pinned third-party charts with the values synth wrote.

    render-upstream.py MIRRORS OUT_ROOT

A development-time check (not CI: it needs the charts' sources). MIRRORS holds
bare git clones named <owner>+<repo>/repo (prometheus-community+helm-charts,
grafana-community+helm-charts, cert-manager+cert-manager, envoyproxy+gateway,
kubernetes+autoscaler);
the charts are assembled at the commits src/helm/releases.rs pins (versions
set in Chart.yaml as their release tooling does, kube-prometheus-stack's
dependencies from the same commits) and rendered offline (`helm template`
through helm-python-sdk) with every values file below OUT_ROOT
(`infrasynth synth <cloud> <env> --out OUT_ROOT`), each release as the
helmfile names it. The platform-objects chart is rendered too; placeholders
of values templates are filled with a dummy string.

Prints one line per release and cloud/env: documents rendered, by kind;
exits 1 when a render fails, a document is not a mapping with apiVersion and
kind, a volume claim (a PVC, a Prometheus or Alertmanager storage template)
is not on the platform-encrypted class, or Grafana is not recreated.
"""

import collections
import glob
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

import yaml
from helm_python import Chart

KPS_COMMIT = "ea930baeebeba39f56d6b44e351f23b2a072a600"
CHARTS = {
    # release name -> (mirror, ref, path, version, subcharts [(mirror, ref, path)])
    "kube-prometheus-stack": ("prometheus-community+helm-charts", KPS_COMMIT,
                              "charts/kube-prometheus-stack", "88.5.3", [
                                  ("prometheus-community+helm-charts", KPS_COMMIT, "charts/kube-state-metrics"),
                                  ("prometheus-community+helm-charts", KPS_COMMIT, "charts/prometheus-node-exporter"),
                                  ("prometheus-community+helm-charts", KPS_COMMIT, "charts/prometheus-windows-exporter"),
                                  ("grafana-community+helm-charts", "grafana-12.11.1", "charts/grafana"),
                              ]),
    "cert-manager": ("cert-manager+cert-manager", "v1.21.1", "deploy/charts/cert-manager", "v1.21.1", []),
    "envoy-gateway": ("envoyproxy+gateway", "v1.9.0", "charts/gateway-helm", "v1.9.0", []),
    # AWS only; chart 9.59.0 as of kubernetes/autoscaler b70816209e.
    "cluster-autoscaler": ("kubernetes+autoscaler", "b70816209e", "cluster-autoscaler/charts/cluster-autoscaler", "9.59.0", []),
}


def extract(mirrors, mirror, ref, path, into):
    repo = os.path.join(mirrors, mirror, "repo")
    data = subprocess.check_output(["git", "-C", repo, "archive", "--format=tar", ref, path])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return os.path.join(into, path)


def set_version(chart_dir, version):
    chart_yaml = os.path.join(chart_dir, "Chart.yaml")
    with open(chart_yaml) as f:
        text = f.read()
    text = re.sub(r"^version: .*$", f"version: {version}", text, flags=re.M)
    text = re.sub(r"^appVersion: .*$", f"appVersion: {version}", text, flags=re.M)
    with open(chart_yaml, "w") as f:
        f.write(text)


def assemble(mirrors, tmp):
    charts = {}
    for release, (mirror, ref, path, version, subcharts) in CHARTS.items():
        root = os.path.join(tmp, release)
        chart_dir = extract(mirrors, mirror, ref, path, root)
        if release == "cert-manager":
            set_version(chart_dir, version)
        if release == "envoy-gateway":
            set_version(chart_dir, version)
            with open(os.path.join(chart_dir, "values.tmpl.yaml")) as f:
                text = f.read()
            text = text.replace("${GatewayImage}", f"docker.io/envoyproxy/gateway:{version}")
            text = text.replace("${GatewayImagePullPolicy}", "IfNotPresent")
            with open(os.path.join(chart_dir, "values.yaml"), "w") as f:
                f.write(text)
        for sub_mirror, sub_ref, sub_path in subcharts:
            sub_dir = extract(mirrors, sub_mirror, sub_ref, sub_path, os.path.join(tmp, "sub"))
            os.rename(sub_dir, os.path.join(chart_dir, "charts", os.path.basename(sub_path)))
        charts[release] = chart_dir
    return charts


def load_values(path):
    with open(path) as f:
        text = f.read()
    text = "\n".join(l for l in text.splitlines() if not l.startswith("{{!--"))
    text = re.sub(r"\{\{output \"([a-z_]+)\"[^}]*\}\}", r'"dummy-\1"', text).replace("\\{{", "{{")
    return yaml.safe_load(text) or {}


def check(label, release, document):
    """What the values promise, read from the rendered manifest: every
    volume claim on the platform's encrypted class, Grafana recreated."""
    kind, problems = document["kind"], []
    claims = []
    if kind == "PersistentVolumeClaim":
        claims.append(document["spec"].get("storageClassName"))
    if kind in ("Prometheus", "Alertmanager"):
        storage = document["spec"].get("storage", {}).get("volumeClaimTemplate", {})
        claims.append(storage.get("spec", {}).get("storageClassName"))
    problems += [f"volume claim on class {c!r}" for c in claims if c != "platform-encrypted"]
    if kind == "Deployment" and document["metadata"]["name"].endswith("-grafana"):
        if document["spec"].get("strategy", {}).get("type") != "Recreate":
            problems.append("Grafana is not recreated")
    for problem in problems:
        print(f"{label} {release}: {kind} {document['metadata'].get('name')}: {problem}")
    return len(problems)


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    mirrors, out_root = argv[1], argv[2]
    failed = 0
    totals = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="upstream-") as tmp:
        charts = assemble(mirrors, tmp)
        for helmfile_path in sorted(glob.glob(os.path.join(out_root, "*", "*", "*", "helm", "helmfile.yaml"))):
            helm_dir = os.path.dirname(helmfile_path)
            label = "/".join(helm_dir.split(os.sep)[-4:-1])
            with open(helmfile_path) as f:
                helmfile = yaml.safe_load(f)
            for release in helmfile["releases"]:
                name = release["name"]
                if name in charts:
                    chart_dir = charts[name]
                elif release["chart"].startswith("./"):
                    chart_dir = os.path.join(helm_dir, release["chart"])
                else:
                    continue  # the app chart: linted and rendered by tests/helm.rs
                values_file = os.path.join(helm_dir, release["values"][0])
                if not os.path.exists(values_file):
                    values_file += ".hbs"
                values = load_values(values_file)
                try:
                    with Chart.load(chart_dir) as chart:
                        manifests = chart.render(values=values, name=name, namespace=release["namespace"],
                                                 is_install=True)
                        crds = chart.crds
                        crds = list(crds() if callable(crds) else crds or [])
                except Exception as error:  # a failing template
                    print(f"{label} {name}: FAILED: {error}")
                    failed += 1
                    continue
                kinds = collections.Counter()
                for template, text in sorted(manifests.items()):
                    if template.endswith("NOTES.txt"):
                        continue
                    try:
                        # Split as Helm does (releaseutil.SplitManifests):
                        # `---# comment` separates documents there too.
                        documents = [yaml.safe_load(part) for part in
                                     re.split(r"(?:^|\s*\n)---\s*", text)]
                    except yaml.YAMLError as error:
                        print(f"{label} {name}: {template}: not YAML: {error}")
                        failed += 1
                        continue
                    for document in documents:
                        if not document:
                            continue
                        if not isinstance(document, dict) or "apiVersion" not in document or "kind" not in document:
                            print(f"{label} {name}: {template}: not a manifest")
                            failed += 1
                            continue
                        kinds[document["kind"]] += 1
                        failed += check(label, name, document)
                total = sum(kinds.values())
                totals[name] += total
                summary = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
                print(f"{label} {name}: {total} documents, {len(crds) if crds else 0} CRDs ({summary})")
    print("total documents per release over every cloud/env: "
          + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
