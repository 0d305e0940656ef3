#!/usr/bin/env bash
# Installs the external tools infrasynth's test suite checks output with, into a
# cache folder (nothing system-wide but GNU time and Graphviz from Debian when absent):
#   checkov (policy scan), moto[server] + boto3 (local AWS API for `terraform apply`),
#   gcp-storage-emulator (local Cloud Storage JSON API for the `lookup gcp` preflight),
#   helm-sdkpy + helm-python-sdk + jsonschema under Python 3.12 (helm lint and helm template
#   without a helm binary), Graphviz `dot` (graph --svg).
# terraform and the hashicorp/aws provider mirror (/opt/tf-plugins) come with the machine;
# this script checks for them and fails loudly when they are missing.
# Idempotent: a second run only verifies. Prints the environment the tests read.
set -euo pipefail

cache="${INFRASYNTH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infrasynth}"
py311="${PYTHON:-python3}"
py312="${PYTHON312:-/root/.pyenv/versions/3.12.1/bin/python}"
mkdir -p "$cache"

fail() { echo "install-tools: FAILED: $*" >&2; exit 1; }

command -v terraform >/dev/null || fail "terraform is not on PATH (expected /usr/local/bin/terraform)"
[ -d /opt/tf-plugins/registry.terraform.io/hashicorp/aws ] \
  || fail "the hashicorp/aws provider mirror /opt/tf-plugins is missing"

venv="$cache/venv"
if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/moto_server" ]; then
  echo "install-tools: installing checkov, moto[server], boto3 into $venv"
  "$py311" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check checkov 'moto[server]' boto3
fi
"$venv/bin/checkov" --version >/dev/null || fail "checkov does not run"
# Pinned: tests/lookup_gcp.rs relies on it storing bucket metadata set by PATCH.
if ! "$venv/bin/python" -c 'import gcp_storage_emulator' 2>/dev/null; then
  echo "install-tools: installing gcp-storage-emulator into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'gcp-storage-emulator==2026.7.19'
fi

helmvenv="$cache/helm-venv"
if [ -x "$py312" ]; then
  if ! "$helmvenv/bin/python" -c 'import helm_sdkpy, helm_python, jsonschema, yaml' 2>/dev/null; then
    echo "install-tools: installing helm-sdkpy, helm-python-sdk, jsonschema into $helmvenv"
    "$py312" -m venv "$helmvenv"
    "$helmvenv/bin/pip" install -q --disable-pip-version-check helm-sdkpy helm-python-sdk jsonschema pyyaml
  fi
else
  fail "Python 3.12 is needed for helm-sdkpy (set PYTHON312); not found at $py312"
fi

if ! command -v dot >/dev/null; then
  echo "install-tools: installing Graphviz (graph --svg)"
  (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) || fail "cannot install graphviz"
fi

if [ ! -x /usr/bin/time ]; then
  echo "install-tools: installing GNU time"
  (apt-get update -qq && apt-get install -y -qq time >/dev/null) || fail "cannot install GNU time"
fi

echo "install-tools: ok (tools in $cache)"
