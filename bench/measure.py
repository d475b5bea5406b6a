"""Measuring a benchmark run: wall time and peak memory of a child process."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def run_child_peak(command: list[str]) -> tuple[float, float, str]:
    """Run a command, sampling its peak RSS (VmHWM) from /proc; return (seconds, GB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    out = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"{command} failed with {process.returncode}")
    return time.perf_counter() - started, peak / 1024 / 1024, out
