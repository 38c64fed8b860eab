"""Translate: type a sentence, see the translation and its alignment map."""

import numpy as np
import streamlit as st

from attnviz import explain, plots, search, words
from pages.lang import _, ngettext
from pages.layout import chart
from pages.loading import cached_force
from pages.params import url_flag, url_int
from pages.text import download_name, md, pharaoh_file
from pages.widgets import alignment_table, reference_input, sentence_input, sidebar, trace_or_message


def url_hypothesis(count: int) -> int:
    """The beam hypothesis the URL names (1 = the best), as an index; a missing or odd one is the best."""
    kept = _("Showing the best (beam search kept {count} here).").format(count=count)
    return url_int("hyp", 1, 1, count, clamp=False, instead=kept) - 1


bundle, beam = sidebar()
st.title(_("Translate"))
if bundle is None:
    st.stop()

text = sentence_input(bundle)
trace = trace_or_message(bundle, text, beam)
if trace is None:
    st.stop()

hypotheses = trace.hypotheses or (trace,)
# A new sentence, model or beam starts on its best hypothesis; a fresh session (or a return from another
# page, which drops the radio's state) on the one the URL names.
decoded = (trace.model, trace.source, beam)
if st.session_state.get("hyp_of") != decoded:
    if "hyp_of" in st.session_state:
        st.session_state.hyp = 0
    st.session_state.hyp_of = decoded
if "hyp" not in st.session_state:
    st.session_state.hyp = url_hypothesis(len(hypotheses))
choice = 0
if len(hypotheses) > 1:
    st.caption(
        ngettext(
            "Beam search kept {count} hypothesis; pick one to see its map.",
            "Beam search kept {count} hypotheses; pick one to see its map.",
            len(hypotheses),
        ).format(count=len(hypotheses))
    )
    # Set again on every run: the radio's value travels as its option's text, which a language switch
    # rewrites, and Streamlit would then drop the choice.
    kept = st.session_state.get("hyp")
    st.session_state.hyp = kept if kept in range(len(hypotheses)) else 0
    # Written out now, in this run's language (a format_func may be called after the run).
    labels = [
        md(
            _("{translation}  -  score {score:.3f} (log-prob {log_prob:.2f}, {steps} steps)"),
            translation=h.translation or _("(empty)"),
            score=h.normalized_score,
            log_prob=h.score,
            steps=h.num_steps,
        )
        for h in hypotheses
    ]
    choice = st.radio(
        _("Hypothesis"),
        list(range(len(hypotheses))),
        key="hyp",
        format_func=labels.__getitem__,
        label_visibility="collapsed",
    )
if choice:
    st.query_params["hyp"] = str(choice + 1)
else:
    st.query_params.pop("hyp", None)
trace = hypotheses[choice]

st.caption(_("Translation"))
st.code(trace.translation or _("(empty)"), language=None, wrap_lines=True)

mark = False
if trace.weights.shape[1] == 0:
    st.info(_("This model has no attention: the decoder sees only the fixed latent vector."))
else:
    if "argmax" not in st.session_state:
        st.session_state.argmax = url_flag("argmax")
    mark = st.toggle(_("Mark each row's strongest link (argmax)"), key="argmax")
    if mark:
        st.query_params["argmax"] = "1"
    else:
        st.query_params.pop("argmax", None)
    if "words" not in st.session_state:
        st.session_state.words = url_flag("words")
    by_word = st.toggle(
        _("Words instead of pieces"),
        key="words",
        help=_(
            "A word's column adds up the attention its pieces received; its row is the mean of the "
            "rows of the steps that wrote it, so each row still sums to 1."
        ),
    )
    if by_word:
        st.query_params["words"] = "1"
        merged = words.merge(trace, bundle.src.kind, bundle.tgt.kind)
        fig = plots.word_heatmap(trace, merged, mark_argmax=mark)
    else:
        st.query_params.pop("words", None)
        fig = plots.alignment_heatmap(trace, mark_argmax=mark)
    chart(fig, key="heatmap")
    st.caption(_(words.PIECE_KEY))
    alignment_table(trace)

    st.markdown(
        _(
            "**Coverage and focus.** How much attention each source piece received in total, and how "
            "spread out each step's attention was (0 bits = on a single piece)."
        )
    )
    left, right = st.columns(2)
    coverage, entropy = explain.coverage(trace), explain.entropy(trace)
    chart(plots.coverage_chart(trace, coverage), key="coverage", where=left)
    chart(plots.entropy_chart(trace, entropy), key="entropy", where=right)
    with st.expander(_("Show as tables")):
        st.dataframe({_("source piece"): list(trace.source_pieces), _("coverage"): coverage})
        st.dataframe(
            {
                _("step"): list(range(1, trace.num_steps + 1)),
                _("target piece"): list(trace.target_pieces),
                _("entropy (bits)"): entropy,
            }
        )

st.markdown(
    _(
        "**Your translation (forced decoding).** Type the translation you expect: the model is made to "
        "write it, piece by piece, and shows how probable it finds each piece and the attention it uses "
        "to write it."
    )
    if bundle.config.attention != "none"
    else _(
        "**Your translation (forced decoding).** Type the translation you expect: the model is made to "
        "write it, piece by piece, and shows how probable it finds each piece (this model has no "
        "attention: every piece is written from the same fixed latent vector)."
    )
)
reference = reference_input(
    _("Reference translation"),
    help=_(
        "Forced decoding: at each step the decoder is fed the previous piece of this text instead of "
        "its own choice. Press Enter to apply."
    ),
)
if reference.strip():
    try:
        forced = cached_force(str(bundle.path), text, reference)
    except search.InputError as err:
        st.warning(md("{}", err))
    else:
        own, ref_score = trace.score, forced.score
        st.caption(
            md(
                _(
                    "log p(your translation) = {ref_score:.2f} over {ref_steps} pieces (per piece "
                    "{per_piece:.3f}); log p(the model's own) = {own_score:.2f} over {own_steps} pieces. "
                    "{verdict}"
                ),
                ref_score=ref_score,
                ref_steps=forced.num_steps,
                per_piece=float(np.exp(ref_score / forced.num_steps)),
                own_score=own,
                own_steps=trace.num_steps,
                verdict=_("The model finds yours more probable: its search missed it.")
                if ref_score > own
                else _("The model prefers its own translation."),
            )
        )
        chart(plots.reference_chart(forced), key="reference-probs")
        if forced.weights.shape[1]:
            chart(plots.alignment_heatmap(forced, mark_argmax=mark), key="reference-map")
            alignment_table(forced)

c1, c2, c3 = st.columns(3)
c1.download_button(
    _("Trace (JSON)"), trace.to_json(indent=1), download_name(trace, "json"), "application/json"
)
c2.download_button(
    _("Attention (CSV)"), trace.to_frame().to_csv(index=False), download_name(trace, "csv"), "text/csv"
)
c3.download_button(
    _("Alignment (Pharaoh)"),
    pharaoh_file(trace),
    download_name(trace, "pharaoh.txt"),
    "text/plain",
    help=_("The links i-j (source piece i, target piece j, from 0), under comment lines naming the pieces."),
)
