#!/usr/bin/env bash
# Synth benchmark: infrasynth vs CDK for Terraform on the same stack.
#
#   benches/run.sh            full run: N = 1 10 100 250 (41 ... 10,250 resources),
#                             cdktf side by side, the reference stack
#                             (stacks/mlops.rs) per cloud, compile times; writes
#                             the markdown tables to target/bench/report.md
#   benches/run.sh --quick    CI mode: N = 1 10, no cdktf, no compile times; also
#                             checks the N=1 output with `terraform validate` (when
#                             terraform is installed) and that two runs are
#                             byte-identical
#
# Options: --copies "1 10"  --reps R (runs per N for ours; median reported)
#          --cdktf-reps R   --no-cdktf   --no-compile
#
# One line per N: our process wall time (fork to exit, median), peak RSS, output
# bytes and the in-process split build/validate/serialize/write; then cdktf's
# wall time and RSS (../shared/bench/cdktf/synth.sh, `node app.js`) and the ratio.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

quick=0; copies=""; reps=""; cdktf_reps=""; with_cdktf=1; with_compile=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --copies) copies="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --cdktf-reps) cdktf_reps="$2"; shift ;;
    --no-cdktf) with_cdktf=0 ;;
    --no-compile) with_compile=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  copies="${copies:-1 10}"; reps="${reps:-5}"; with_cdktf=0; with_compile=0
else
  copies="${copies:-1 10 100 250}"; reps="${reps:-11}"; cdktf_reps="${cdktf_reps:-3}"
fi

out="$root/target/bench"
mkdir -p "$out"
report="$out/report.md"
scale="$root/target/release/examples/scale"

log() { printf '%s\n' "$*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
field() { # field KEY "k=v k=v ..."
  local key="$1"; shift
  tr ' ' '\n' <<<"$*" | awk -F= -v k="$key" '$1==k {print $2; exit}'
}

log "building the scale example (release)..."
cargo build --release --quiet --features mimalloc --example scale

# --- cdktf baseline ---------------------------------------------------------
cdktf_synth=""
if [ "$with_cdktf" = 1 ]; then
  if ! [ -x /usr/bin/time ]; then
    log "installing GNU time (cdktf's synth.sh uses /usr/bin/time)..."
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
  fi
  shared="${CDKTF_DIR:-$root/../shared/bench/cdktf}"
  if ! [ -f "$shared/synth.sh" ]; then
    log "cdktf baseline not found at $shared; skipping it (set CDKTF_DIR)"; with_cdktf=0
  elif [ -d "$shared/node_modules/cdktf" ] || [ -w "$shared" ]; then
    cdktf_synth="$shared/synth.sh"
  else
    # The shared folder is read-only: run the same files from a writable copy,
    # where synth.sh's first-use `npm ci` can install the pinned packages.
    copy="$root/target/cdktf-baseline"
    mkdir -p "$copy"
    for f in app.js cdktf.json package.json package-lock.json synth.sh; do
      if ! cmp -s "$shared/$f" "$copy/$f"; then cp "$shared/$f" "$copy/$f"; chmod u+w "$copy/$f"; fi
    done
    cdktf_synth="$copy/synth.sh"
  fi
fi

# --- per-N runs ---------------------------------------------------------------
context="$(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average $(cut -d' ' -f1-3 /proc/loadavg), reps: ours $reps, cdktf ${cdktf_reps:-0}"
echo "context: $context"
printf 'Run: %s.\n\n' "$context" >"$report"
printf '| N | resources | ours wall (ms) | ours CPU (ms) | ours peak RSS (MB) | ours bytes | build / validate / serialize / write (ms) | cdktf wall (ms) | cdktf CPU (ms) | cdktf peak RSS (MB) | cdktf bytes | speedup (wall) | speedup (CPU) |\n' >>"$report"
printf '|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n' >>"$report"

declare -A synth_us
for n in $copies; do
  dir="$out/ours-$n"
  line="$(python3 "$root/benches/measure.py" "$reps" "$scale" --copies "$n" --out "$dir")"
  wall="$(field wall_ms "$line")"; rss_kb="$(field peak_rss_kb "$line")"; bytes="$(field bytes "$line")"
  resources="$(field resources "$line")"
  b="$(field build_ms "$line")"; v="$(field validate_ms "$line")"; s="$(field serialize_ms "$line")"; w="$(field write_ms "$line")"
  y="$(field synth_ms "$line")"; cpu="$(field cpu_ms "$line")"
  # Linearity is judged on the CPU-bound phases; the write's fsync is mostly a
  # fixed cost of the disk.
  synth_us[$n]="$(awk -v b="$b" -v y="$y" -v r="$resources" 'BEGIN {printf "%.2f", (b+y)*1000/r}')"
  rss_mb="$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k/1024}')"
  ours="ours wall_ms=$wall (min $(field wall_min_ms "$line"), max $(field wall_max_ms "$line")) cpu_ms=$cpu rss_mb=$rss_mb bytes=$bytes build_ms=$b validate_ms=$v serialize_ms=$s write_ms=$w"
  cdk_cols="| - | - | - | - | - | - |"
  cdk=""
  if [ "$with_cdktf" = 1 ]; then
    walls=(); rsss=(); cpus=()
    for _ in $(seq "$cdktf_reps"); do
      rm -rf "$out/cdktf-$n"
      # GNU time around synth.sh adds the CPU time of node (its reaped child).
      r="$(/usr/bin/time -f '%U %S' -o "$out/cdktf-cpu.txt" "$cdktf_synth" "$n" "$out/cdktf-$n")"
      walls+=("$(field wall_s "$r")"); rsss+=("$(field maxrss_kb "$r")")
      cpus+=("$(awk '{printf "%.0f", ($1+$2)*1000}' "$out/cdktf-cpu.txt")")
    done
    cw="$(printf '%s\n' "${walls[@]}" | median)"; cr="$(printf '%s\n' "${rsss[@]}" | median)"
    cc="$(printf '%s\n' "${cpus[@]}" | median)"
    cpu_ratio="$(awk -v c="$cc" -v o="$cpu" 'BEGIN {printf "%.0f", c/o}')"
    cbytes="$(stat -c %s "$out/cdktf-$n/stacks/bench/cdk.tf.json" 2>/dev/null || echo 0)"
    cw_ms="$(awk -v s="$cw" 'BEGIN {printf "%.0f", s*1000}')"
    cr_mb="$(awk -v k="$cr" 'BEGIN {printf "%.1f", k/1024}')"
    ratio="$(awk -v c="$cw_ms" -v o="$wall" 'BEGIN {printf "%.0f", c/o}')"
    cdk=" | cdktf wall_ms=$cw_ms cpu_ms=$cc rss_mb=$cr_mb bytes=$cbytes | speedup wall ${ratio}x, cpu ${cpu_ratio}x"
    cdk_cols="| $cw_ms | $cc | $cr_mb | $cbytes | ${ratio}x | ${cpu_ratio}x |"
  fi
  echo "N=$n resources=$resources | $ours$cdk"
  printf '| %s | %s | %s | %s | %s | %s | %s / %s / %s / %s %s\n' "$n" "$resources" "$wall" "$cpu" "$rss_mb" "$bytes" "$b" "$v" "$s" "$w" "$cdk_cols" >>"$report"
done

# What the allocator could buy (not the default): the same run with glibc's
# malloc backing its heap with transparent huge pages. Most of the build phase
# at 10,000 resources is first-touch page faults of fresh heap memory.
if [ "$quick" = 0 ]; then
  n="${copies##* }"
  line="$(GLIBC_TUNABLES=glibc.malloc.hugetlb=1 python3 "$root/benches/measure.py" "$reps" "$scale" --copies "$n" --out "$out/ours-thp-$n")"
  echo "N=$n with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (not the default) | ours wall_ms=$(field wall_ms "$line") cpu_ms=$(field cpu_ms "$line") rss_mb=$(awk -v k="$(field peak_rss_kb "$line")" 'BEGIN {printf "%.1f", k/1024}') build_ms=$(field build_ms "$line") validate_ms=$(field validate_ms "$line") serialize_ms=$(field serialize_ms "$line") write_ms=$(field write_ms "$line")"
  printf '\nSame N=%s run with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (heap on transparent huge pages; not the default): wall %s ms, CPU %s ms, build / validate / serialize / write %s / %s / %s / %s ms.\n' \
    "$n" "$(field wall_ms "$line")" "$(field cpu_ms "$line")" "$(field build_ms "$line")" "$(field validate_ms "$line")" "$(field serialize_ms "$line")" "$(field write_ms "$line")" >>"$report"
fi

# Linearity: build + validate + serialize time per resource at the largest N vs N=10.
first=""; last=""
for n in $copies; do
  if [ "$n" -ge 10 ] && [ -z "$first" ]; then first="$n"; fi
  last="$n"
done
if [ -n "$first" ] && [ "$first" != "$last" ]; then
  growth="$(awk -v a="${synth_us[$first]}" -v b="${synth_us[$last]}" 'BEGIN {printf "%.2f", b/a}')"
  echo "linearity: build+validate+serialize per resource N=$first ${synth_us[$first]} us, N=$last ${synth_us[$last]} us, ratio ${growth} (goal <= 1.5)"
  printf '\nLinearity: build + validate + serialize time per resource %s us at N=%s, %s us at N=%s (ratio %s).\n' \
    "${synth_us[$first]}" "$first" "${synth_us[$last]}" "$last" "$growth" >>"$report"
fi

# --- the real reference stack per cloud ----------------------------------------
# `infrasynth synth <cloud> production` on stacks/mlops.rs, release build, as a
# user runs it (wall includes the CLI's atomic write).
if [ "$quick" = 0 ]; then
  cargo build --release --quiet --features mimalloc --bin infrasynth
  printf '\n| reference stack (`stacks/mlops.rs`, production) | resources | wall (ms) | peak RSS (MB) | bytes |\n|---|---:|---:|---:|---:|\n' >>"$report"
  for cloud in aws gcp azure; do
    dir="$out/reference"
    set +e
    first="$("$root/target/release/infrasynth" synth "$cloud" production --out "$dir" 2>&1)"
    status=$?
    set -e
    if [ "$status" != 0 ]; then
      why="$(grep -m1 -o 'not supported yet' <<<"$first" || echo "exit status $status")"
      echo "reference mlops/$cloud/production: synth failed ($why)"
      printf '| %s | - | - | - | synth failed: %s |\n' "$cloud" "$why" >>"$report"
      continue
    fi
    line="$(python3 "$root/benches/measure.py" "$reps" "$root/target/release/infrasynth" synth "$cloud" production --out "$dir")"
    resources="$(grep -o '[0-9]* resources' <<<"$first" | head -1 | cut -d' ' -f1)"
    bytes="$(stat -c %s "$dir/mlops/$cloud/production/main.tf.json")"
    rss_mb="-"
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -f %M -o "$out/time.txt" "$root/target/release/infrasynth" synth "$cloud" production --out "$dir" >/dev/null
      rss_mb="$(awk '{printf "%.1f", $1/1024}' "$out/time.txt")"
    fi
    echo "reference mlops/$cloud/production: resources=$resources wall_ms=$(field wall_ms "$line") rss_mb=$rss_mb bytes=$bytes"
    printf '| %s | %s | %s | %s | %s |\n' "$cloud" "$resources" "$(field wall_ms "$line")" "$rss_mb" "$bytes" >>"$report"
  done
fi

# --- checks (quick mode) ------------------------------------------------------
if [ "$quick" = 1 ]; then
  "$scale" --copies 10 --out "$out/repeat" >/dev/null
  cmp "$out/repeat/main.tf.json" "$out/ours-10/main.tf.json"
  echo "determinism: two runs at N=10 wrote identical bytes"
  if command -v terraform >/dev/null && [ -d /opt/tf-plugins ]; then
    tfrc="$out/empty.tfrc"; : >"$tfrc"
    ( cd "$out/ours-1" && export TF_CLI_CONFIG_FILE="$tfrc" CHECKPOINT_DISABLE=1 \
      && terraform init -backend=false -plugin-dir=/opt/tf-plugins -input=false -no-color >/dev/null \
      && terraform validate -no-color )
  else
    echo "terraform validate: skipped (terraform or /opt/tf-plugins not available)"
  fi
fi

# --- compile times ------------------------------------------------------------
if [ "$with_compile" = 1 ]; then
  scratch="$(mktemp -d)"
  stack_file="$root/stacks/mlops.rs"
  cp "$stack_file" "$scratch/mlops.rs.orig"
  trap 'cp "$scratch/mlops.rs.orig" "$stack_file"; rm -rf "$scratch"' EXIT
  log "clean build of the default features in a fresh target dir..."
  t0=$(date +%s.%N)
  CARGO_TARGET_DIR="$scratch/target" cargo build --quiet
  clean_s="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}')"
  rm -rf "$scratch/target"
  cargo build --quiet  # warm the normal target dir first
  echo "// benchmark: a one-line edit" >>"$stack_file"
  t0=$(date +%s.%N)
  cargo build --quiet
  t1=$(date +%s.%N)
  set +e
  "$root/target/debug/infrasynth" synth aws dev --out "$scratch/out" >"$scratch/synth.log" 2>&1
  synth_status=$?
  set -e
  t2=$(date +%s.%N)
  cp "$scratch/mlops.rs.orig" "$stack_file"
  rebuild_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b-a}')"
  synth_s="$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.2f", b-a}')"
  total_s="$(awk -v a="$t0" -v b="$t2" 'BEGIN {printf "%.1f", b-a}')"
  note=""; [ "$synth_status" = 0 ] || note=" (synth exit status $synth_status: $(tail -1 "$scratch/synth.log"))"
  echo "compile: clean build (default features, debug) ${clean_s} s (goal <= 90); one-line edit of stacks/mlops.rs: rebuild ${rebuild_s} s + synth ${synth_s} s = ${total_s} s (goal <= 5)$note"
  printf '\nCompile: clean `cargo build` (default features) %s s; after a one-line edit of `stacks/mlops.rs`: rebuild %s s + `infrasynth synth aws dev` %s s = %s s%s.\n' \
    "$clean_s" "$rebuild_s" "$synth_s" "$total_s" "$note" >>"$report"
fi

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "table written to $report"
