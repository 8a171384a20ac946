#!/bin/sh
# EscapeTest's watcher, the container's own process: while the test runs "exec", it looks at
# every process in the container's PID namespace that is not running the container's busybox
# (so: a runtime helper before it execs) and reports what of the host it reaches. It never
# writes to a file it did not create: a write test is an O_RDWR open without O_TRUNC.
#   SEEN pid exe=… cmdline=…    ENVIRON pid …    a runtime process and what it shows
#   ROOT / CWD pid …            /proc/pid/root or …/cwd leads to the host's marker file
#   MOUNTINFO pid …             its mount table is the host's (lists the test's host-only tmpfs)
#   WRITABLE pid path           its exe or an fd (not stdio) opened for writing
# $MARKER: an absolute host path that exists only on the host.
report() { echo "$*" >> /report; }
report READY
while [ ! -e /stop ]; do
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$(readlink "$d/exe" 2>/dev/null)" = /bin/busybox ] && continue
    cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null) || continue
    [ -n "$cmd" ] || continue   # exiting
    report "SEEN $p exe=$(readlink "$d/exe" 2>&1) cmdline=$cmd"
    env=$(tr '\0' ' ' < "$d/environ" 2>/dev/null) && report "ENVIRON $p $env"
    [ -e "$d/root$MARKER" ] && report "ROOT $p reaches $MARKER"
    [ -e "$d/cwd/../../../../../../../../../../../..$MARKER" ] \
      && report "CWD $p reaches $MARKER from $(readlink "$d/cwd")"
    grep -q escape-hostmark "$d/mountinfo" 2>/dev/null && report "MOUNTINFO $p lists the host's mounts"
    for f in "$d/exe" "$d"/fd/*; do
      case $f in */fd/0|*/fd/1|*/fd/2) continue ;; esac
      t=$(readlink "$f" 2>/dev/null) || continue
      # Only files: not pipes, sockets, /dev/null or runc's sealed memfd copy of itself.
      case $t in /memfd:*|/dev/null) continue ;; /*) ;; *) continue ;; esac
      # A FIFO is not a file to write, and opening exec.fifo would start the container.
      [ -p "$f" ] || [ -S "$f" ] && continue
      # The container's own file (the helper reads /etc/passwd once it is inside): not the host's.
      [ -e "$t" ] && [ "$(stat -L -c %d:%i "$f" 2>/dev/null)" = "$(stat -c %d:%i "$t")" ] && continue
      ( exec 3<>"$f" ) 2>/dev/null && report "WRITABLE $p $t"
    done
  done
done
report DONE
