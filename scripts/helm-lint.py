#!/usr/bin/env python3
"""Lints a chart with rendered values files.

    helm-lint.py [--render DIR] CHART_DIR VALUES_FILE...

For each values file: deep-merges it over the chart's values.yaml (as
`helm -f` does), validates the result against the chart's values.schema.json
(jsonschema, every error listed), then runs `helm lint` (through helm-sdkpy,
the Helm Go library; there is no helm binary) on a copy of the chart whose
values.yaml is the merged document.

With --render DIR it also renders the chart's manifests with the merged values
(`helm template`, offline, through helm-python-sdk: helm-sdkpy cannot render
without a cluster) as release `<global.project>` in namespace
`<global.project>`, and writes them to DIR/<values file name>.manifests.json:
a JSON list of every rendered document.

Exit codes: 0 clean (or tools missing outside CI), 1 a problem found, 2 usage.
When helm-sdkpy, jsonschema or PyYAML (or, with --render, helm-python-sdk) is
missing it prints a loud SKIPPED line and exits 0, or 1 when the CI environment
variable is set.
"""

import asyncio
import json
import os
import shutil
import sys
import tempfile

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def skip(reason):
    line = "=" * 72
    print(f"{line}\nSKIPPED: helm lint not run: {reason}\n"
          f"install: scripts/install-tools.sh (python3.12 -m pip install helm-sdkpy "
          f"helm-python-sdk jsonschema pyyaml)\n{line}")
    sys.exit(1 if os.environ.get("CI") else 0)


try:
    import yaml
    import jsonschema
    from helm_sdkpy import Configuration, Lint
except ImportError as error:  # the tools are optional outside CI
    skip(str(error))


def merge(base, override):
    """Helm's coalescing: maps merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def check_schema(schema, values, label):
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    for error in errors:
        path = ".".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"{label}: schema: {path}: {error.message}")
    return not errors


def lint(chart_dir, values, label):
    with tempfile.TemporaryDirectory(prefix="helm-lint-") as tmp:
        copy = os.path.join(tmp, os.path.basename(os.path.abspath(chart_dir)))
        shutil.copytree(chart_dir, copy)
        with open(os.path.join(copy, "values.yaml"), "w") as f:
            yaml.safe_dump(values, f, sort_keys=True)
        result = asyncio.run(Lint(Configuration()).run(copy))
    ok = True
    for message in result.get("Messages") or []:
        severity = SEVERITY.get(message.get("Severity"), "?")
        if severity in ("WARNING", "ERROR"):
            ok = ok and severity != "ERROR"
            detail = message.get("Err") or ""
            print(f"{label}: helm lint {severity}: {message.get('Path')} {detail}")
    if result.get("Errors"):
        ok = False
    return ok


def render(chart_dir, values, path, out_dir):
    """`helm template` of the chart with `values`, as a JSON list of documents."""
    from helm_python import Chart

    project = values.get("global", {}).get("project", "release")
    with Chart.load(chart_dir) as chart:
        manifests = chart.render(values=values, name=project, namespace=project)
    documents = []
    for template in sorted(manifests):
        documents.extend(d for d in yaml.safe_load_all(manifests[template]) if d)
    out = os.path.join(out_dir, os.path.basename(path) + ".manifests.json")
    with open(out, "w") as f:
        json.dump(documents, f, indent=1, sort_keys=True)
    return len(documents)


def main(argv):
    render_dir = None
    if len(argv) > 2 and argv[1] == "--render":
        render_dir, argv = argv[2], argv[:1] + argv[3:]
        try:
            import helm_python  # noqa: F401
        except ImportError as error:
            skip(f"--render needs helm-python-sdk: {error}")
        os.makedirs(render_dir, exist_ok=True)
    if len(argv) < 3:
        print(__doc__)
        return 2
    chart_dir, files = argv[1], argv[2:]
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        defaults = yaml.safe_load(f) or {}
    with open(os.path.join(chart_dir, "values.schema.json")) as f:
        schema = json.load(f)
    failed = 0
    for path in files:
        with open(path) as f:
            text = f.read()
        if "{{output" in text or "__infrasynth_output_" in text:
            print(f"{path}: unresolved placeholder; render it with `infrasynth values` first")
            failed += 1
            continue
        values = merge(defaults, yaml.safe_load(text) or {})
        schema_ok = check_schema(schema, values, path)
        lint_ok = lint(chart_dir, values, path)
        rendered = ""
        if render_dir and schema_ok and lint_ok:
            try:
                rendered = f", rendered {render(chart_dir, values, path, render_dir)} documents"
            except Exception as error:  # a template that fails (`fail`, bad YAML)
                print(f"{path}: helm template: {error}")
                lint_ok = False
        status = "ok" if schema_ok and lint_ok else "FAILED"
        print(f"helm lint {chart_dir} -f {path}: schema {'ok' if schema_ok else 'FAILED'}, "
              f"lint {'ok' if lint_ok else 'FAILED'}{rendered} -> {status}")
        failed += 0 if schema_ok and lint_ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
