"""Report render time (HTML + PDF) on a finished study.

    .venv/bin/python benchmarks/bench_render.py [--workdir DIR]   (default: this checkout)
    → results/benchmarks/render.json

Forces the render_report job alone and reads its time from Snakemake's
benchmark file; run it after the study (for example in the workdir that
bench_study.py printed).
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
from pathlib import Path

from _common import ROOT, snakemake, write_result


def pdf_pages(pdf: Path) -> int | None:
    """The PDF's page count from poppler's pdfinfo (None where it is missing)."""
    if not shutil.which("pdfinfo"):
        return None
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", default=str(ROOT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    job, wall = [], []
    for _ in range(args.repeat):
        w, _ = snakemake(
            workdir,
            "--forcerun",
            "render_report",
            "--allowed-rules",
            "render_report",
            "results/report/report.html",
        )
        wall.append(w)
        with (workdir / "results/benchmarks/render_report.tsv").open() as fh:
            job.append(float(list(csv.DictReader(fh, delimiter="\t"))[-1]["s"]))
    html = workdir / "results/report/report.html"
    pdf = workdir / "results/report/report.pdf"
    write_result(
        "render",
        {
            "render_job_s": round(min(job), 2),
            "render_job_s_all": [round(x, 2) for x in job],
            "snakemake_wall_s": round(min(wall), 2),
            "pdf_pages": pdf_pages(pdf),
            "html_bytes": html.stat().st_size,
            "pdf_bytes": pdf.stat().st_size,
            "workdir": str(workdir),
        },
    )


if __name__ == "__main__":
    main()
