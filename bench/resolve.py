"""Identity-resolution benchmark on the demo's profile sources.

Generates a demo project (cached in bench/data/), keeps only its two profile sources (CRM and
member system), ingests and cleans them, then times the resolve stage alone in a fresh process
(peak memory sampled from /proc) and scores it against the demo truth.

Usage: python bench/resolve.py [--customers 700000]   (about 1M profile records)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from measure import run_child_peak, write_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- resolve-benchmark:start -->", "<!-- resolve-benchmark:end -->"

RESOLVE = """
import json, sys, time
from persona import Project
project = Project.open(sys.argv[1], memory_limit="6GB")
started = time.perf_counter()
report = project.resolve()
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "customers": report.customers,
                  "records": report.records, "matched_pairs": report.matched_pairs}))
"""


def prepare(customers: int) -> Path:
    """A demo project with only its profile sources, ingested and cleaned."""
    from persona import Project
    from persona.demo import generate_demo

    project_dir = DATA / f"resolve_{customers}"
    if not (project_dir / ".persona" / "store.duckdb").exists():
        shutil.rmtree(project_dir, ignore_errors=True)
        generate_demo(project_dir, customers=customers, seed=7, lang="zh")
        config = (project_dir / "persona.yaml").read_text(encoding="utf-8")
        kept = re.split(r"\n(?=  - name: )", config)
        profiles = [part for part in kept if "kind: profiles" in part or "sources:" in part]
        (project_dir / "persona.yaml").write_text("\n".join(profiles) + "\n", encoding="utf-8")
        with Project.open(project_dir) as project:
            project.ingest()
            project.clean()
    return project_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=700_000)
    args = parser.parse_args()
    project_dir = prepare(args.customers)
    wall, peak, out = run_child_peak([sys.executable, "-c", RESOLVE, str(project_dir)])
    result = json.loads(out.strip().splitlines()[-1])
    scores = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "persona",
                "identity",
                "evaluate",
                "--json",
                "-p",
                str(project_dir),
                "--truth",
                str(project_dir / "truth" / "identity.csv"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    lines = [
        START,
        f"{result['records']:,} profile records ({args.customers:,} demo customers, CRM and "
        f"member system): resolve stage **{result['seconds']:.0f} s** "
        f"(process {wall:.0f} s), peak memory **{peak:.2f} GB** (targets: 5 minutes, 8 GB). "
        f"{result['customers']:,} customers, {result['matched_pairs']:,} probable-match pairs. "
        f"Against the demo truth: precision {scores['precision']:.4f}, recall "
        f"{scores['recall']:.4f}, pairwise F1 **{scores['f1']:.4f}**.",
        END,
    ]
    write_section(DOC, lines, "\n## Identity resolution: about 1M profile records\n\n")


if __name__ == "__main__":
    main()
