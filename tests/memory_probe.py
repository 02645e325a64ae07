"""The peak memory of one process alone, for tests that run a job in a fresh Python.

``ru_maxrss`` will not do: Linux carries a process's peak across fork and exec, so a job
started from a pytest process that has grown to 1 GB reports at least 1 GB, whatever the
job itself used. ``VmHWM`` belongs to the process's own address space, which exec renews.
"""

from __future__ import annotations

from pathlib import Path


def own_peak_mb() -> float:
    """This process's peak resident memory since it last exec'd, in MB."""
    for line in Path("/proc/self/status").read_text("ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError("/proc/self/status has no VmHWM line (not Linux?)")
