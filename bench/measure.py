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


def write_section(doc: Path, lines: list[str], section: str = "") -> None:
    """Put a benchmark's result into docs/benchmarks.md and print it.

    Args:
        doc: The benchmarks document (made with a title when missing).
        lines: The result, its first and last lines the section's start and end markers.
        section: The heading and description added before the markers the first time.
    """
    start, end = lines[0], lines[-1]
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if start not in text:
        text = text.rstrip("\n") + "\n" + section + start + "\n" + end + "\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    doc.write_text(head + "\n".join(lines) + tail, encoding="utf-8")
    print("\n".join(lines[1:-1]))
