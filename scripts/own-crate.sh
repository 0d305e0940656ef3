#!/usr/bin/env bash
# Builds and checks examples/own-crate exactly as a user would use their own
# crate: cargo test (the test kit), `cargo run -- synth aws prod-eu` and
# `synth gcp qa`, both stacks into their own directories, `values` and a lint
# of the crate's chart (charts/retail) with them, and terraform validate of the
# AWS output against the offline hashicorp/aws mirror.
# Prints its clean build time when run with --clean.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
crate="$root/examples/own-crate"
cd "$crate"
export CHECKPOINT_DISABLE=1
# The day the example's Kubernetes and PostgreSQL versions are judged on
# (app::support_date): the day they were last chosen, so this check does not
# start failing when a support window closes. A real crate's CI would rather
# leave it unset and hear about it.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1795910400}" # 2026-11-29

if [ "${1:-}" = "--clean" ]; then
  scratch="$(mktemp -d)"
  t0=$(date +%s.%N)
  CARGO_TARGET_DIR="$scratch/target" cargo build --quiet
  echo "own-crate: clean build $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}') s ($(nproc) cores)"
  rm -rf "$scratch"
fi

cargo fmt -- --check
cargo test --quiet 2>&1 | tee /tmp/own-crate-test.log
grep -q "test result: ok" /tmp/own-crate-test.log

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --quiet -- synth aws prod-eu --out "$out"
cargo run --quiet -- synth gcp qa --out "$out"
cargo run --quiet -- synth aws prod-eu --stack experiments --out "$out"
for f in recommender/aws/prod-eu/main.tf.json recommender/gcp/qa/main.tf.json experiments/aws/prod-eu/main.tf.json; do
  [ -s "$out/$f" ] || { echo "own-crate: missing $out/$f" >&2; exit 1; }
done

# Helm values name exactly the platform's own workloads, nothing of the reference app.
helm_dir="$out/recommender/aws/prod-eu/helm"
if grep -rlE 'example\.com|mlops|api-server|model-server|web-ui|mlflow' "$helm_dir"; then
  echo "own-crate: reference-app content in the user's Helm values (files above)" >&2
  exit 1
fi
for w in ingest trainer recommender-api batch-scorer; do
  grep -rq "$w" "$helm_dir" || { echo "own-crate: workload $w missing from Helm values" >&2; exit 1; }
done
# The template's header gives the exact command of this program, this stack.
grep -q -- "values aws prod-eu --stack recommender --outputs" "$helm_dir/retail.values.yaml.hbs" \
  || { echo "own-crate: the values template does not name its stack's command" >&2; exit 1; }

# The user's chart, charts/retail (a copy of charts/workloads), lints with the
# values `values` renders, from outputs named by the templates' placeholders
# (the app's and the StorageClass's, which names the storage key).
python3 - "$helm_dir"/*.values.yaml.hbs >"$out/outputs.json" <<'PY'
import json, re, sys
outputs = {}
text = "".join(open(path).read() for path in sys.argv[1:])
for name, kind in re.findall(r'\{\{output "([a-z0-9_]+)" type="(\w+)"', text):
    value = 5432 if kind == "integer" else name.replace("_", "-")
    if "endpoint" in name:
        value = f"https://{value}.retail.test"
    outputs[name] = {"sensitive": False, "type": "number" if kind == "integer" else kind, "value": value}
print(json.dumps(outputs))
PY
cargo run --quiet -- values aws prod-eu --outputs "$out/outputs.json" --out "$out"
"$root/scripts/helm-lint.sh" --chart "$crate/charts/retail" "$helm_dir/retail.values.yaml"

# A list into a closed pipe ends quietly.
cargo run --quiet -- list | head -1 >/dev/null

# Writing one stack over another's directory is refused.
mv "$out/experiments/aws/prod-eu" "$out/experiments/aws/prod-eu.keep"
mkdir -p "$out/experiments/aws"
cp -r "$out/recommender/aws/prod-eu" "$out/experiments/aws/prod-eu"
if cargo run --quiet -- synth aws prod-eu --stack experiments --out "$out" 2>"$out/refused.log"; then
  echo "own-crate: writing over another stack's directory was not refused" >&2
  exit 1
fi
grep -q "recommender/aws/prod-eu" "$out/refused.log"
rm -rf "$out/experiments/aws/prod-eu"

if ! command -v terraform >/dev/null || [ ! -d /opt/tf-plugins ]; then
  echo "own-crate: terraform or /opt/tf-plugins missing: cannot validate the AWS output" >&2
  exit 1
fi
tfrc="$out/empty.tfrc"; : >"$tfrc"
dir="$out/recommender/aws/prod-eu"
TF_CLI_CONFIG_FILE="$tfrc" terraform -chdir="$dir" init -backend=false -input=false -no-color \
  -plugin-dir=/opt/tf-plugins >/dev/null
TF_CLI_CONFIG_FILE="$tfrc" terraform -chdir="$dir" validate -no-color
echo "own-crate: ok"
