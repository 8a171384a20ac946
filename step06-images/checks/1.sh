#!/usr/bin/env bash
# Exercise: a seccomp filter that stops the container from removing files
# Runs a probe in a copy of BUNDLE's config.json (default /tmp/sec): the same rootfs and
# filter, with the probe as the process and no terminal. Prints "done" or "not yet: HINT".
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundle=$(realpath "${1:-/tmp/sec}")
"$top/bin/install-packages" jq
not_yet() { echo "not yet: $*"; exit 1; }

[ -f "$bundle/config.json" ] || not_yet "no $bundle/config.json; make a bundle first (see Try it: bin/jrunc spec --bundle $bundle)"
config=$bundle/config.json
jq -e '.linux.seccomp' "$config" >/dev/null ||
  not_yet "$config has no linux.seccomp. Hint: add a filter whose syscalls[] name the system calls rm uses, with action SCMP_ACT_ERRNO"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$(jq -r '.root.path' "$config")
case "$rootfs" in /*) ;; *) rootfs=$bundle/$rootfs ;; esac
probe='touch /dev/shm/victim || exit 10; rm /dev/shm/victim; [ -e /dev/shm/victim ] && echo kept || echo removed'
jq --arg root "$rootfs" --arg probe "$probe" \
  '.root.path = $root | .process.terminal = false | .process.args = ["sh", "-c", $probe]' \
  "$config" > "$work/config.json"
status=0
out=$("$top/bin/jrunc" --root "$work/state" run --bundle "$work" check-1 2>&1) || status=$?

case "$out" in
  *kept*) echo "$out" | grep -q 'Operation not permitted' &&
            { echo "done: rm fails with 'Operation not permitted' and the file stays"; exit 0; }
          echo "done: rm fails and the file stays ($(echo "$out" | head -n 1))"; exit 0 ;;
  *removed*) not_yet "rm still removed the file. Hint: which call does busybox rm make? strace -f -e trace=%file shows it; newer programs call unlinkat, older ones unlink" ;;
esac
if [ "$status" -eq 10 ]; then
  not_yet "touch failed, so the filter blocks creating files too: block only what removes a file"
fi
not_yet "the container did not get as far as rm (exit status $status): ${out:-no output}. Hint: a defaultAction other than SCMP_ACT_ALLOW also blocks what sh needs"
