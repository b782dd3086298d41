"""The Reproduction section: Dive into Deep Learning's LeNet table beside our seeds, with
its figure, and the throughput of our runs on the hardware named."""

from __future__ import annotations

from collections.abc import Mapping

from bnstudy.report.inputs import ReportInputs
from bnstudy.report.outline import FigureIndex, family_anchor
from bnstudy.report.published import LITERATURE
from bnstudy.report.reproduction import FIGURE, REPRODUCED, reproduction
from bnstudy.report.sections.results import figure_entry
from bnstudy.report.sections.shared import Shared


def reproduction_section(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> dict:
    """Each published number beside our seeds at its setting; the figure of both; our
    throughput and the hardware it was measured on."""
    ran = REPRODUCED in shared.runs
    numbers = reproduction(inputs.summaries.get(REPRODUCED) if ran else None, inputs.datasets)
    path = inputs.figures.get(REPRODUCED, {}).get(FIGURE) if ran else None
    figure = figure_entry(REPRODUCED, FIGURE, path, inputs, shared, figures) if path else None
    device = inputs.config.get("device", "cpu") if isinstance(inputs.config, Mapping) else "cpu"
    return {
        **numbers,
        "anchor": family_anchor(REPRODUCED),
        "figure": figure,
        "d2l": LITERATURE["d2l"],
        "refs": shared.refs,
        "hardware": str(inputs.provenance.get("hardware", "unknown")),
        "device": str(device),
    }
