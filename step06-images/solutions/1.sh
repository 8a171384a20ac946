#!/usr/bin/env bash
# A solution to step06 exercise 1: `step06-images/solutions/1.sh /tmp/sec` adds a filter that
# makes unlink and unlinkat fail with EPERM and lets everything else through.
set -euo pipefail
config=${1:-/tmp/sec}/config.json
jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["unlink", "unlinkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}' \
  "$config" > "$config.new"
mv "$config.new" "$config"
