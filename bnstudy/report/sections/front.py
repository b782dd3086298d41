"""The report's opening and its references: the abstract, the introduction (with the
literature's numbers), the Setup (datasets with sample images, models, grids, software,
hardware, compute) and the reference list, numbered in the order the text cites it."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bnstudy.claims.verdict import CONTRADICTED, INCONCLUSIVE, NOT_RUN, SUPPORTED
from bnstudy.report.budget import trains_on_validation
from bnstudy.report.fmt import display_path, fmt, fmt_param, fmt_seeds
from bnstudy.report.inputs import ReportInputs
from bnstudy.report.numbers import FamilyRuns
from bnstudy.report.outline import FigureIndex
from bnstudy.report.prose import (
    DATASET_TEXT,
    DEFAULT_MODEL_PARAMS,
    FASHION_MNIST_REF,
    IMAGE_SOURCE_TEXT,
    INTEGRITY_TEXT,
    LITERATURE,
    META_IN_TEXT,
    MODEL_PARAMS,
    MODEL_TEXT,
    REFERENCES,
    SOURCE_NOT_RECORDED,
    VALIDATION_TEXT,
    param_name,
)
from bnstudy.report.sections.advice import strongest
from bnstudy.report.sections.shared import Shared
from bnstudy.summary import ordered_values
from bnstudy.vocab import IMAGE_SOURCE_NAMES


def cited(datasets: Mapping[str, Mapping]) -> list[dict]:
    """The references the text cites, in order (Fashion-MNIST only when it was used)."""
    fashion = str((datasets.get("images") or {}).get("source", "")) == "fashion_mnist"
    return [r for r in REFERENCES if r["key"] != FASHION_MNIST_REF or fashion]


def citation_labels(references: list[dict]) -> dict[str, str]:
    """Reference key -> its label in the text, "[1]", "[2]", … in citation order."""
    return {r["key"]: f"[{i}]" for i, r in enumerate(references, start=1)}


def data_used(datasets: Mapping[str, Mapping], used: list[str]) -> str:
    """Which data the runs used, in a few words: "poly2, linear and Fashion-MNIST images"."""
    names = []
    for ds in used:
        source = str((datasets.get(ds) or {}).get("source", ""))
        names.append(f"{IMAGE_SOURCE_NAMES[source]} images" if source in IMAGE_SOURCE_NAMES else ds)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def abstract(inputs: ReportInputs, shared: Shared) -> dict:
    """The abstract: how many claims, configurations and runs; the verdicts' counts (the
    tuned reading's where there is one); the largest decided effects."""
    verdicts = [c["final"]["verdict"] for c in shared.claims]
    runs = [shared.runs[f].summary for f in shared.families]
    used = list(dict.fromkeys(str(d) for s in runs for d in s.get("dataset", [])))
    return {
        "n_claims": str(len(inputs.claims)),
        "supported": verdicts.count(SUPPORTED),
        "contradicted": verdicts.count(CONTRADICTED),
        "inconclusive": verdicts.count(INCONCLUSIVE),
        "not_run": verdicts.count(NOT_RUN),
        "n_tuned": str(sum(c["tuned"] is not None for c in shared.claims)),
        "n_disagree": str(sum(c["disagree"] for c in shared.claims)),
        "strongest": strongest(shared.claims),
        "n_families": str(len(shared.families)),
        "n_configs": str(sum(s["config_id"].nunique() for s in runs)),
        "n_runs": str(sum(len(s) for s in runs)),
        "seeds": shared.seeds,
        "compute": shared.compute,
        "data": data_used(inputs.datasets, used) if used else "",
    }


def introduction(inputs: ReportInputs, shared: Shared) -> dict:
    """The introduction: BN, the literature's single-run numbers, what this study does."""
    return {
        "n_claims": str(len(inputs.claims)),
        "seeds": shared.seeds,
        "refs": shared.refs,
        "literature": LITERATURE,
    }


# --------------------------------------------------------------------------- setup


def sizes_text(meta: Mapping) -> str:
    """A dataset's splits in words: "55,000 training, 5,000 validation and 10,000 test
    samples of shape 1×28×28"."""
    shape = "×".join(str(int(d)) for d in meta.get("input_shape") or [])
    n_val = int(meta.get("n_val") or 0)
    parts = f"{int(meta['n_train']):,} training"
    parts += f", {n_val:,} validation and " if n_val else " and "
    parts += f"{int(meta['n_test']):,} test samples"
    return parts + (f" of shape {shape}" if shape else "") + "."


def dataset_text(ds: str, meta: Mapping) -> str:
    """What a dataset is, where it was read from, its splits and its classes, in words."""
    text = DATASET_TEXT.get(ds, "")
    source = meta.get("source")
    if source is not None:
        text = IMAGE_SOURCE_TEXT.get(str(source), f"Source: {source}.")
        if meta.get("folder"):
            text += f" Read from {meta['folder']}."
        if "verified" in meta:
            text += " " + INTEGRITY_TEXT[bool(meta["verified"])]
    elif ds == "images":
        text += SOURCE_NOT_RECORDED
    if "n_train" in meta and "n_test" in meta:
        text += " " + sizes_text(meta)
        if int(meta.get("n_val") or 0):
            text += " " + VALIDATION_TEXT
    if meta.get("class_names"):
        text += f" Classes: {', '.join(str(c) for c in meta['class_names'])}."
    return text


def dataset_settings(ds: str, meta: Mapping, config: Mapping) -> list[tuple[str, str]]:
    """A dataset's settings: from its meta, else from its block of the config."""
    if meta:
        return [
            (str(k).replace("_", " "), fmt(v) if isinstance(v, float) else fmt_param(v))
            for k, v in meta.items()
            if k not in META_IN_TEXT and not isinstance(v, Mapping | list | tuple)
        ]
    block = (config.get("datasets") or {}).get(ds) if isinstance(config, Mapping) else None
    block = block if isinstance(block, Mapping) else {}
    return [(str(k), fmt_param(v)) for k, v in block.items() if not isinstance(v, Mapping | list)]


def sample_figure(ds: str, meta: Mapping, path: str, figures: FigureIndex, shared: Shared) -> dict:
    """The figure of a dataset's sample images."""
    source = meta.get("source")
    origin = IMAGE_SOURCE_NAMES.get(str(source), str(source)) if source else "source not recorded"
    return figures.add(
        f"samples-{ds}",
        path,
        f"The first training images of each class of {ds} ({origin}), after "
        "standardization, on one grey scale.",
        {
            "command": f"{shared.prefix} --force {display_path(path)}",
            "inputs": [f"results/data/{ds}.pt"],
            "code": f"bnstudy/figures/samples.py at revision {shared.revision}",
        },
    )


def trains_on_all(summary: pd.DataFrame) -> bool:
    """Whether a family trained on its validation split too (``validation: false``)."""
    return "validation" in summary and any(
        trains_on_validation(r) for r in summary[["validation"]].to_dict("records")
    )


def datasets(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> list[dict]:
    """Each dataset the families used: what it is, its settings, who used it, samples."""
    used_by: dict[str, list[str]] = {}
    for fam, r in shared.runs.items():
        for ds in ordered_values(r.summary, "dataset") if "dataset" in r.summary else []:
            used_by.setdefault(str(ds), []).append(fam)
    entries = []
    for ds, fams in used_by.items():
        meta = dict(inputs.datasets.get(ds) or {})
        text = dataset_text(ds, meta)
        if ds == "images" and FASHION_MNIST_REF in shared.refs:
            text += f" {shared.refs[FASHION_MNIST_REF]}"
        path = inputs.samples.get(ds)
        entries.append(
            {
                "id": ds,
                "text": text,
                "families": fams,
                "on_all": [f for f in fams if trains_on_all(shared.runs[f].summary)],
                "params": dataset_settings(ds, meta, inputs.config),
                "samples": sample_figure(ds, meta, path, figures, shared) if path else None,
            }
        )
    return entries


def model_params(model: str, runs: pd.DataFrame) -> list[tuple[str, str]]:
    """The architecture settings the runs of one model used, e.g. ("depth", "1, 2, 3, 4")."""
    return [
        (param_name(c), ", ".join(fmt_param(v) for v in ordered_values(runs, c)))
        for c in MODEL_PARAMS.get(model, DEFAULT_MODEL_PARAMS)
        if c in runs
    ]


def models(runs: dict[str, FamilyRuns]) -> list[dict]:
    """Each model the families trained: what it is, who used it, its settings in the runs."""
    used: dict[str, dict] = {}
    for fam, r in runs.items():
        summary = r.summary
        for model in ordered_values(summary, "model") if "model" in summary else []:
            entry = used.setdefault(str(model), {"families": [], "parts": []})
            entry["families"].append(fam)
            entry["parts"].append(summary[summary["model"] == model])
    return [
        {
            "id": m,
            "text": MODEL_TEXT.get(m, ""),
            "families": info["families"],
            "params": model_params(m, pd.concat(info["parts"], ignore_index=True)),
        }
        for m, info in used.items()
    ]


def setup(inputs: ReportInputs, shared: Shared, figures: FigureIndex) -> dict:
    """The Setup section (its sample-image figures are the report's first)."""
    prov = inputs.provenance
    return {
        "datasets": datasets(inputs, shared, figures),
        "models": models(shared.runs),
        "grids": list(shared.grids.values()),
        "seeds": shared.seeds,
        "seed_list": fmt_seeds(s for r in shared.runs.values() for s in r.summary["seed"]),
        "versions": [(k, str(v)) for k, v in (prov.get("versions") or {}).items()],
        "hardware": str(prov.get("hardware", "unknown")),
        "compute": shared.compute,
        "jobs": shared.jobs,
    }


def references(inputs: ReportInputs, shared: Shared) -> dict:
    """The reference list, labelled as the text cites it."""
    return {"items": [{**r, "label": shared.refs[r["key"]]} for r in cited(inputs.datasets)]}
