"""The bottleneck: test BLEU by source length of a model without attention and its sibling with attention.

Without attention the decoder sees the source only through one fixed vector, so its share of the attention
model's BLEU should fall as sentences grow (Bahdanau et al. 2015, fig. 2). Pure functions: the models'
metrics.json (and Bundles, to find the pair) in, pandas tables and small dataclasses out.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from attnviz.bundle import Bundle

MIN_N = 20  # test sentences a bucket needs before its BLEU means much
PREFERRED = "dot"  # the attention function the sibling should have where several do: the lecture's
BUCKET_COLUMNS = ["model", "bucket", "bleu", "n", "ci_low", "ci_high"]
COST_COLUMNS = [
    "bucket",
    "n",
    "with_bleu",
    "with_low",
    "with_high",
    "without_bleu",
    "without_low",
    "without_high",
    "gap",
    "kept",
]


def buckets(metrics_by_model: Mapping[str, Mapping[str, Any]], task: str | None = None) -> pd.DataFrame:
    """Greedy test BLEU by source-length bucket, read from each model's metrics.json.

    One row per model and bucket (columns BUCKET_COLUMNS; ci_low and ci_high the bucket's 95% bootstrap
    interval, NaN where metrics.json has none; bleu NaN for an empty bucket), in the order of the models
    and of their buckets. Only models of `task`, where one is named; models without buckets give no row.
    """
    rows = []
    for model, metrics in metrics_by_model.items():
        if task is not None and metrics.get("task") != task:
            continue
        for bucket, values in metrics.get("greedy", {}).get("by_length", {}).items():
            low, high = values.get("bleu_ci") or (None, None)
            rows.append((model, bucket, values["bleu"], values["n"], low, high))
    return pd.DataFrame(rows, columns=BUCKET_COLUMNS).astype(
        {"bleu": float, "ci_low": float, "ci_high": float}
    )


@dataclass(frozen=True)
class Pair:
    """A model without attention and its sibling: trained the same way apart from the attention function."""

    baseline: str  # the model without attention
    sibling: str  # the model with attention
    attention: str  # the sibling's attention function ("dot", ...)
    task: str


def _training_apart_from_attention(bundle: Bundle) -> dict[str, Any] | None:
    """The model's training config as a dict, without the attention function; None where none was saved."""
    if bundle.train_config is None:
        return None
    settings = dataclasses.asdict(bundle.train_config)
    settings["model"].pop("attention", None)
    return settings


def pair(bundles: Mapping[str, Bundle]) -> Pair | None:
    """The first model without attention that has a sibling (same task, same training config but for the
    attention function), and that sibling: one with PREFERRED attention where there is one, else the first.

    None where no model without attention has a sibling. Models are taken in the order given.
    """
    training = {name: _training_apart_from_attention(bundle) for name, bundle in bundles.items()}
    for baseline, bundle in bundles.items():
        settings = training[baseline]
        if bundle.config.attention != "none" or settings is None:
            continue
        siblings = [
            name
            for name, other in bundles.items()
            if other.config.attention != "none" and training[name] == settings
        ]
        if siblings:
            sibling = min(siblings, key=lambda name: bundles[name].config.attention != PREFERRED)
            attention = bundles[sibling].config.attention
            return Pair(baseline, sibling, attention, bundle.train_config.task)
    return None


@dataclass(frozen=True)
class Cost:
    """What the bottleneck costs, bucket by bucket: the numbers and what they show."""

    table: pd.DataFrame  # one row per bucket both models have, with MIN_N or more sentences: COST_COLUMNS
    falls: bool  # the share kept without attention falls from each bucket to the next (longer) one
    compared: tuple[str, ...]  # the buckets in the table where both models have an interval
    apart: tuple[str, ...]  # of those, where the baseline's interval lies wholly below the sibling's


def cost(table: pd.DataFrame, found: Pair) -> Cost:
    """The pair's BLEU side by side from the buckets table (see `buckets`), in the sibling's bucket order.

    with_* are the sibling's numbers, without_* the baseline's; n the sibling's sentences; gap the BLEU
    the baseline loses; kept the share of the sibling's BLEU it keeps. A bucket is left out where it has
    fewer than MIN_N sentences or the sibling's BLEU is 0 or missing (no share to take).
    """
    sibling = table[table.model == found.sibling].set_index("bucket")
    baseline = table[table.model == found.baseline].set_index("bucket")
    rows = []
    for bucket, with_ in sibling.iterrows():
        if bucket not in baseline.index:  # buckets are each model's own: compare only shared ones
            continue
        without = baseline.loc[bucket]
        if with_.n < MIN_N or not with_.bleu > 0 or pd.isna(without.bleu):  # (NaN > 0 is False)
            continue
        rows.append(
            (bucket, with_.n, with_.bleu, with_.ci_low, with_.ci_high)
            + (without.bleu, without.ci_low, without.ci_high)
            + (with_.bleu - without.bleu, without.bleu / with_.bleu)
        )
    shown = pd.DataFrame(rows, columns=COST_COLUMNS)
    both = shown.dropna(subset=["with_low", "without_low"])
    return Cost(
        table=shown,
        falls=all(a > b for a, b in itertools.pairwise(shown.kept)),
        compared=tuple(both.bucket),
        apart=tuple(both.bucket[both.without_high < both.with_low]),
    )
