#!/usr/bin/env bash
# Lints a chart with rendered values files (see helm-lint.py).
#   scripts/helm-lint.sh [--chart DIR] [--render DIR] [VALUES_FILE...]
# --chart: the chart (default: stacks/mlops/chart, whose default values files
# are every out/*/*/*/helm/mlops.values.yaml); --render DIR: also render the
# chart's manifests per values file into DIR/<values file name>.manifests.json.
# HELM_LINT_PYTHON picks the interpreter (helm-sdkpy needs Python 3.12).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/stacks/mlops/chart"
render=()
while [ $# -gt 0 ]; do
  case "$1" in
    --chart) chart="$2"; shift 2 ;;
    --render) render=(--render "$2"); shift 2 ;;
    *) break ;;
  esac
done
# Default: the venv scripts/install-tools.sh makes, then pyenv's 3.12.
cache="${INFRASYNTH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infrasynth}"
python="${HELM_LINT_PYTHON:-$cache/helm-venv/bin/python}"
[ -x "$python" ] || python="/root/.pyenv/versions/3.12.1/bin/python"
if [ ! -x "$python" ]; then
  python="$(command -v python3.12 || true)"
fi
if [ -z "$python" ]; then
  echo "========================================================================"
  echo "SKIPPED: helm lint not run: no Python 3.12 (set HELM_LINT_PYTHON)"
  echo "========================================================================"
  [ -n "${CI:-}" ] && exit 1
  exit 0
fi
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  files=("$root"/out/*/*/*/helm/mlops.values.yaml)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "no values files to lint; run: infrasynth synth <cloud> <env> && infrasynth values <cloud> <env> --outputs FILE" >&2
  exit 2
fi
exec "$python" "$root/scripts/helm-lint.py" "${render[@]}" "$chart" "${files[@]}"
