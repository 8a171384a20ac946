#!/bin/sh
# EscapeTest's privileged sidecar: it shares the PID namespace of a created (not yet started)
# container, whose waiting init is PID 1 here. It tries the init's exe and fds for writing
# (O_RDWR without O_TRUNC: it never writes), keeps them open read-only, waits until the test
# has started that container (/go), then tries the kept fds for writing again.
#   INIT cmdline / INITENV environ     what the waiting init shows
#   WRITABLE path / KEPT fd path       now; WRITABLE-LATER path / REFUSED path why   after start
report() { echo "$*" >> /report; }
report "INIT $(tr '\0' ' ' < /proc/1/cmdline)"
report "INITENV $(tr '\0' ' ' < /proc/1/environ 2>&1)"
n=10
for f in /proc/1/exe /proc/1/fd/*; do
  case $f in */fd/0|*/fd/1|*/fd/2) continue ;; esac
  t=$(readlink "$f" 2>/dev/null) || continue
  case $t in /memfd:*|/dev/null) continue ;; /*) ;; *) continue ;; esac
  # A FIFO is not a file to write, and opening exec.fifo would start the container.
  [ -p "$f" ] || [ -S "$f" ] && continue
  ( exec 3<>"$f" ) 2>/dev/null && report "WRITABLE $t"
  if eval "exec $n<\"\$f\"" 2>/dev/null; then report "KEPT $n $t"; n=$((n + 1)); fi
done
report READY
while [ ! -e /go ]; do sleep 0.1; done
k=10
while [ $k -lt $n ]; do
  t=$(readlink /proc/self/fd/$k)
  i=0
  while [ $i -lt 50 ]; do   # while the started container's JVMs still run it: Text file busy
    if err=$( (exec 3<>/proc/self/fd/$k) 2>&1 ); then report "WRITABLE-LATER $t"; break; fi
    case $err in *busy*) sleep 0.2 ;; *) report "REFUSED $t ${err##*: }"; break ;; esac
    i=$((i + 1))
  done
  [ $i -lt 50 ] || report "REFUSED $t still busy"
  k=$((k + 1))
done
report DONE
