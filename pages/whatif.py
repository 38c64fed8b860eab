"""The Step page's What-if tab: change the attention at a step (or at every step), let the model decode
on, and see its own decoding and the changed one side by side (attnviz.intervene)."""

from __future__ import annotations

import difflib
import html

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import plots, search
from attnviz.bundle import Bundle
from attnviz.intervene import Intervention, InterventionError
from attnviz.trace import Trace
from pages.lang import _
from pages.layout import chart
from pages.params import url_choice, url_int
from pages.text import md

# The choices, as the URL's wi= names them: (Intervention kind, acts at one step, needs a piece).
CHOICES = {
    "force": ("force", True, True),
    "mask_step": ("mask", True, True),
    "mask": ("mask", False, True),
    "edit": ("edit", True, False),
    "uniform": ("uniform", False, False),
    "permute": ("permute", False, False),
    "hard": ("hard", False, False),
}


def choice_name(key: str) -> str:
    return {
        "force": _("force the attention onto one source piece, at one step"),
        "mask_step": _("mask a source piece at one step"),
        "mask": _("mask a source piece at every step"),
        "edit": _("edit a step's weights by hand"),
        "uniform": _("uniform attention at every step"),
        "permute": _("attention permuted across the source at every step"),
        "hard": _("hard attention (all on the argmax) at every step"),
    }[key]


def marked(words: list[str], other: list[str]) -> str:
    """`words` as HTML, each word not matched in `other` marked (difflib's longest matching blocks)."""
    same = set()
    for block in difflib.SequenceMatcher(a=words, b=other, autojunk=False).get_matching_blocks():
        same.update(range(block.a, block.a + block.size))
    return " ".join(
        html.escape(w) if i in same else f"<mark>{html.escape(w)}</mark>" for i, w in enumerate(words)
    )


def _weights_wanted(trace: Trace, step: int) -> tuple[float, ...]:
    """The edit's weights: from the URL (ww=, one per source piece) or the model's own at `step`."""
    S = len(trace.source_pieces)
    raw = st.query_params.get("ww")
    if raw is not None:
        try:
            values = tuple(float(x) for x in raw.split(",")[: S + 1])
            if len(values) == S and all(np.isfinite(values)) and min(values) >= 0 and sum(values) > 0:
                return values
        except ValueError:
            pass
        st.warning(
            md(
                _("The link's ww=“{value}” is not {n} weights; the model's own are used."),
                value=raw[:60],
                n=S,
            )
        )
    return tuple(float(w) for w in trace.weights[step - 1])


def what_if(bundle: Bundle, trace: Trace, text: str, beam: int) -> None:
    """The tab: the controls, the changed decoding beside the model's own, and what was changed."""
    if bundle.config.attention == "none":
        st.info(_("This model has no attention, so there is nothing to change."))
        return
    st.markdown(
        _(
            "Change the attention and let the model decode the rest of the sentence from there: does it "
            "use what it attends to? The scores stay the model's own; the weights you set replace the "
            "softmax's, and the context, the next piece and every later step follow from them."
        )
    )
    state = st.session_state
    T, S = trace.num_steps, len(trace.source_pieces)
    if "whatif_for" not in state:  # a link's choices, once
        state.whatif_kind = url_choice("wi", list(CHOICES), "force")
        state.whatif_step = url_int("wt", 1, 1, T)
        state.whatif_piece = url_int("wp", 1, 1, S)
    elif state.whatif_for != (text, bundle.name, beam):  # another sentence: the choices, within it
        state.whatif_kind = state.get("whatif_kind_kept", "force")
        state.whatif_step = min(state.get("whatif_step_kept", 1), T)
        state.whatif_piece = min(state.get("whatif_piece_kept", 1), S)
    state.whatif_for = (text, bundle.name, beam)
    kind = st.selectbox(_("What to change"), list(CHOICES), key="whatif_kind", format_func=choice_name)
    base, at_step, needs_piece = CHOICES[kind]
    c1, c2 = st.columns(2)
    step = c1.number_input(_("Decoder step"), 1, T, key="whatif_step") if at_step else None
    piece = (
        c2.selectbox(
            _("Source piece"),
            list(range(1, S + 1)),
            key="whatif_piece",
            format_func=lambda i: f"{i}: {trace.source_pieces[i - 1]}",
        )
        if needs_piece
        else None
    )
    # Widget state goes when the tab's widgets are not drawn (another sentence's error, another page).
    state.whatif_kind_kept, state.whatif_step_kept = kind, int(step or state.get("whatif_step_kept") or 1)
    state.whatif_piece_kept = int(piece or state.get("whatif_piece_kept") or 1)
    weights: tuple[float, ...] = ()
    if kind == "edit":
        own = _weights_wanted(trace, int(step))
        frame = pd.DataFrame({_("source piece"): list(trace.source_pieces), _("weight"): own})
        edited = st.data_editor(
            frame,
            key=f"whatif_edit_{text}_{step}",
            disabled=[_("source piece")],
            hide_index=True,
            column_config={_("weight"): st.column_config.NumberColumn(min_value=0.0, format="%.4f")},
        )
        weights = tuple(float(x) if x == x else 0.0 for x in edited[_("weight")])
        st.query_params["ww"] = ",".join(f"{w:.4g}" for w in weights)
    else:
        st.query_params.pop("ww", None)
    st.query_params["wi"] = kind
    for name, value in (("wt", step), ("wp", piece)):
        if value is None:
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = str(value)
    try:
        intervention = Intervention(
            base, step=None if step is None else int(step), piece=piece, weights=weights
        )
        changed = search.translate(bundle, text, beam=beam, intervention=intervention)
    except (InterventionError, search.InputError) as err:
        st.warning(md("{}", err))
        return
    st.caption(md(_("Changed: {what}."), what=describe(intervention)))
    left, right = st.columns(2)
    own_words, new_words = trace.translation.split(), changed.translation.split()
    left.markdown(_("**The model's own decoding**"))
    left.html(f"<div class='whatif-own'>{marked(own_words, new_words) or html.escape(_('(empty)'))}</div>")
    right.markdown(_("**With the attention changed**"))
    right.html(
        f"<div class='whatif-changed'>{marked(new_words, own_words) or html.escape(_('(empty)'))}</div>"
    )
    st.caption(_("Marked: words the other decoding does not have in the same order."))
    chart(plots.alignment_heatmap(trace, compact=True), key="whatif-own", where=left)
    chart(plots.alignment_heatmap(changed, compact=True), key="whatif-changed", where=right)
    if step is not None and int(step) <= changed.num_steps:
        t = int(step) - 1
        st.markdown(_("**Step {t}: the weights the model computed and the weights used**").format(t=t + 1))
        st.dataframe(
            pd.DataFrame(
                {
                    _("source piece"): list(changed.source_pieces),
                    _("the model's weight"): changed.own_weights()[t],
                    _("weight used"): changed.weights[t],
                }
            ),
            hide_index=True,
            column_config={
                name: st.column_config.NumberColumn(format="%.4f")
                for name in (_("the model's weight"), _("weight used"))
            },
        )
    steps = pd.DataFrame(
        {
            _("step"): list(range(1, max(trace.num_steps, changed.num_steps) + 1)),
            _("own piece"): _padded(trace.target_pieces, max(trace.num_steps, changed.num_steps)),
            _("changed piece"): _padded(changed.target_pieces, max(trace.num_steps, changed.num_steps)),
        }
    )
    with st.expander(_("Every step, side by side")):
        st.dataframe(steps, hide_index=True)
    st.download_button(
        _("Download the changed trace (JSON)"),
        changed.to_json(indent=1),
        file_name="trace_what_if.json",
        mime="application/json",
        key="whatif_json",
    )


def _padded(pieces: tuple[str, ...], n: int) -> list[str]:
    return [*pieces, *[""] * (n - len(pieces))]


def describe(intervention: Intervention) -> str:
    """The intervention in the interface's language."""
    where = _("at every step") if intervention.step is None else _("at step {t}").format(t=intervention.step)
    what = {
        "mask": _("source piece {i} masked").format(i=intervention.piece),
        "force": _("attention forced onto source piece {i}").format(i=intervention.piece),
        "edit": _("attention edited by hand"),
        "uniform": _("uniform attention"),
        "permute": _("attention permuted across the source"),
        "hard": _("hard (argmax) attention"),
    }[intervention.kind]
    return f"{what} {where}"
