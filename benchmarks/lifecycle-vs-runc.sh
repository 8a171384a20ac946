#!/usr/bin/env bash
# The calls an engine makes on a live container (state, list, ps, features) and a whole
# create/start/kill/delete cycle: jrunc vs runc on the same busybox bundle, one hyperfine run
# per call. Prints each call's time and the ratio jrunc / runc.
# Needs root. A benchmark, not a test: numbers depend on the machine and its load.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,5p' "$0"; echo "Usage: sudo [RUNS=10] benchmarks/lifecycle-vs-runc.sh"; exit 0 ;; esac

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-10}
work=$(mktemp -d /tmp/jrunc-bench.XXXXXX)
jrunc=("$top/bin/jrunc" --root "$work/jrunc-state")
runc=(runc --root "$work/runc-state")
cleanup() {
  for tool in jrunc runc; do
    declare -n argv=$tool
    "${argv[@]}" delete --force "bench-$tool" >/dev/null 2>&1 || true
    "${argv[@]}" delete --force "cycle-$tool" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

source "$top/benchmarks/bundle.sh"
bundle=$work/bundle
bench_bundle "$bundle" /bin/sleep 600

for tool in jrunc runc; do
  declare -n argv=$tool
  "${argv[@]}" run --detach --bundle "$bundle" "bench-$tool" </dev/null >/dev/null 2>&1
done

args=(--warmup 2 --runs "$runs" -N --export-json "$work/calls.json")
for call in "state bench-@" "list" "ps bench-@" "features"; do
  for tool in runc jrunc; do
    declare -n argv=$tool
    args+=(--command-name "$tool ${call//@/$tool}" "${argv[*]} ${call//@/$tool}")
  done
done
# create + start + kill + delete of one container, in one shell line per run.
for tool in runc jrunc; do
  declare -n argv=$tool
  a="${argv[*]}"
  args+=(--command-name "$tool create+start+kill+delete"
    "sh -c '$a create --bundle $bundle cycle-$tool </dev/null >/dev/null && $a start cycle-$tool && $a kill cycle-$tool KILL; $a delete --force cycle-$tool'")
done
hyperfine "${args[@]}" >/dev/null

python3 - "$work/calls.json" <<'PY'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
for name, mean in results.items():
    if name.startswith("jrunc "):
        base = results["runc " + name[6:].replace("bench-jrunc", "bench-runc")]
        print(f"{name[6:].replace('bench-jrunc', 'ID'):28} jrunc {mean * 1000:7.1f} ms   runc {base * 1000:6.1f} ms   {mean / base:5.1f} x runc")
PY
