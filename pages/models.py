"""Models: every installed model at a glance, then each model's card - task, data, size, attention
function, training, metrics."""

import re

import pandas as pd
import streamlit as st

from attnviz import tasks
from attnviz.evaluate import model_card
from attnviz.i18n import active
from pages.lang import _
from pages.loading import available_models, load_all
from pages.text import md
from pages.widgets import sidebar

sidebar()
st.title(_("Models"))
paths = available_models()
models = load_all(paths)


def overview_row(name: str) -> dict:
    """One line of the overview: numbers read from the model's files (metrics.json for the scores)."""
    bundle = models[name]
    greedy, beam = bundle.metrics.get("greedy", {}), bundle.metrics.get("beam5", {})
    task = bundle.metrics.get("task") or (bundle.train_config.task if bundle.train_config else "?")
    known = {t.name: t for t in tasks.all_tasks()}
    score = known[task].metric if task in known else "bleu"  # the metric the model was trained towards
    return {
        _("model"): name,
        _("task"): task,
        _("attention"): bundle.config.attention,
        _("parameters"): bundle.model.parameter_count(),
        _("test score"): {"bleu": "BLEU", "exact_match": _("exact match %")}[score],
        _("greedy"): greedy.get(score),
        _("beam 5"): beam.get(score),
        _("training minutes"): (bundle.info.get("train_seconds") or 0) / 60 or None,
    }


if models:
    st.dataframe(
        pd.DataFrame([overview_row(n) for n in models]),
        hide_index=True,
        column_config={
            _("parameters"): st.column_config.NumberColumn(format="localized"),
            _("greedy"): st.column_config.NumberColumn(format="%.2f"),
            _("beam 5"): st.column_config.NumberColumn(format="%.2f"),
            _("training minutes"): st.column_config.NumberColumn(format="%.1f"),
        },
    )
    st.caption(_("Test scores are read from each model's metrics.json, written by `attnviz evaluate`."))
for name, bundle in models.items():
    with st.expander(md("{}", name), expanded=name == st.session_state.get("model")):
        card = paths[name] / "README.md"
        try:
            text = card.read_text(encoding="utf-8") if card.is_file() else None
        except (OSError, UnicodeDecodeError) as err:
            st.warning(md(_("The model card README.md could not be read: {error}"), error=err))
            text = ""
        if text and active() != "en" and bundle.metrics:
            # The card in the reader's language: written again from the same metrics.json and files,
            # as `attnviz evaluate` wrote README.md in English.
            text = model_card(bundle, bundle.metrics)
        if text:
            # Inside its expander (which names the model) the card's own title goes, and its sections
            # become small headings instead of page-sized ones.
            lines = text.splitlines()
            if lines and lines[0].startswith("# "):
                text = "\n".join(lines[1:])
            st.markdown(re.sub(r"^(#{1,3}) ", lambda m: "#" * (len(m[1]) + 2) + " ", text, flags=re.M))
        elif text is None:
            st.info(
                _("No model card: run `attnviz evaluate --model DIR` to write metrics.json and the card.")
            )
        st.caption("metrics.json")
        st.json(bundle.metrics or {}, expanded=False)
