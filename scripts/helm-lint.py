#!/usr/bin/env python3
"""Lints the mlops chart with rendered values files.

    helm-lint.py CHART_DIR VALUES_FILE...

For each values file: deep-merges it over the chart's values.yaml (as
`helm -f` does), validates the result against the chart's values.schema.json
(jsonschema, every error listed), then runs `helm lint` (through helm-sdkpy,
the Helm Go library; there is no helm binary) on a copy of the chart whose
values.yaml is the merged document.

Exit codes: 0 clean (or tools missing outside CI), 1 a problem found, 2 usage.
When helm-sdkpy, jsonschema or PyYAML is missing it prints a loud SKIPPED line
and exits 0, or 1 when the CI environment variable is set.
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
          f"install: python3.12 -m pip install helm-sdkpy jsonschema pyyaml\n{line}")
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


def main(argv):
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
        status = "ok" if schema_ok and lint_ok else "FAILED"
        print(f"helm lint {chart_dir} -f {path}: schema {'ok' if schema_ok else 'FAILED'}, "
              f"lint {'ok' if lint_ok else 'FAILED'} -> {status}")
        failed += 0 if schema_ok and lint_ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
