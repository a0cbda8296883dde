#!/usr/bin/python3
"""measure.py LABEL TIMEOUT CMD...: run CMD, print one tab-separated line:
LABEL, wall seconds, CPU seconds (user+sys of all descendants), peak RSS MiB (largest process),
exit status ('timeout' when killed after TIMEOUT seconds)."""
import os, resource, subprocess, sys, time

label, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
t0 = time.monotonic()
try:
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    status = str(p.returncode)
except subprocess.TimeoutExpired:
    status = 'timeout'
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print('%s\t%.2f\t%.2f\t%.0f\t%s' % (label, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, status), flush=True)
