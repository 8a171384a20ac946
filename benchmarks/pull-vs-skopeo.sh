#!/usr/bin/env bash
# Pull + unpack of a multi-layer image from a local registry: jrunc vs skopeo copy + umoci unpack.
# Builds a 4-layer image of 64 MiB of random data (incompressible, so both sides move the same
# bytes), serves it with Debian's docker-registry on 127.0.0.1, then times both tools with one
# hyperfine run each, from a cold (empty) store. Prints the ratio jrunc / (skopeo + umoci).
# Needs root (both unpackers keep file owners). Usage: benchmarks/pull-vs-skopeo.sh
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,6p' "$0"; exit 0 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin/install-packages docker-registry skopeo umoci hyperfine

work=$(mktemp -d /tmp/jrunc-bench-XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "== building a 4-layer, 64 MiB image with umoci"
umoci init --layout "$work/src" >/dev/null
umoci new --image "$work/src:big" >/dev/null
for i in 1 2 3 4; do
  umoci unpack --image "$work/src:big" "$work/bundle" >/dev/null
  mkdir -p "$work/bundle/rootfs/data"
  head -c 16M /dev/urandom > "$work/bundle/rootfs/data/layer$i"
  umoci repack --image "$work/src:big" "$work/bundle" >/dev/null
  rm -rf "$work/bundle"
done

echo "== starting docker-registry on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
skopeo copy --quiet --dest-tls-verify=false "oci:$work/src:big" "docker://127.0.0.1:$port/bench/big:1"
ref="127.0.0.1:$port/bench/big:1"

echo "== building bin/jrunc's jar and class-data archive (java on a jar: no jbang start-up)"
bin/jrunc --help >/dev/null
jrunc="$top/bin/jrunc"

hyperfine --runs 1 --export-json "$work/result.json" \
  --prepare "rm -rf $work/store $work/oci $work/unpacked" \
  -n jrunc "$jrunc pull -q --store $work/store $ref" \
  -n skopeo+umoci "skopeo copy --quiet --src-tls-verify=false docker://$ref oci:$work/oci:big && umoci unpack --image $work/oci:big $work/unpacked"

python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"jrunc {r['jrunc']:.2f} s, skopeo+umoci {r['skopeo+umoci']:.2f} s, "
      f"ratio jrunc/(skopeo+umoci) = {r['jrunc'] / r['skopeo+umoci']:.2f}")
PY
