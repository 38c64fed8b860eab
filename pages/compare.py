"""Compare: one sentence through two to four models side by side."""

import streamlit as st

from pages.lang import _
from pages.loading import available_models, model_summary
from pages.text import md
from pages.widgets import model_column, reference_input, sentence_input, sidebar

MAX_MODELS = 4  # four maps side by side are as narrow as still reads


def models_from_url(same_task: list[str]) -> list[str]:
    """The models the link names (?cmp=a&cmp=b), those of the sidebar's task, in its order; names that are
    not such a model are said and left out. No names in the link: the first four of the task."""
    wanted = st.query_params.get_all("cmp")
    if not wanted:
        return same_task[:MAX_MODELS]
    kept = [n for n in dict.fromkeys(wanted) if n in same_task]
    dropped = [n for n in wanted if n not in same_task]
    if dropped:
        st.warning(
            md(
                _("Not a model of this task here, left out: {names}."),
                names=", ".join(f"“{n}”" for n in dropped),
            )
        )
    if len(kept) > MAX_MODELS:
        st.warning(
            md(
                _("The link names {count} models; the first {shown} are shown."),
                count=len(kept),
                shown=MAX_MODELS,
            )
        )
    return kept[:MAX_MODELS]


bundle, beam = sidebar()
st.title(_("Compare models"))
if bundle is None:
    st.stop()

models = available_models()
task = bundle.train_config.task if bundle.train_config else ""
same_task = [n for n, p in models.items() if model_summary(str(p))["task"] == task]
# Widget state is dropped while another page shows, so plain keys carry the choices (as for the sentence).
if "compare_chosen" not in st.session_state:  # a fresh session: what the link says
    st.session_state.compare_chosen = models_from_url(same_task)
elif not set(st.session_state.compare_chosen) <= set(same_task):  # the sidebar moved to another task
    st.session_state.compare_chosen = same_task[:MAX_MODELS]
st.session_state.compare_models = st.session_state.compare_chosen
chosen = st.multiselect(
    _("Models (same task as the sidebar's)"),
    same_task,
    key="compare_models",
    on_change=lambda: st.session_state.update(compare_chosen=st.session_state.compare_models),
    max_selections=MAX_MODELS,
    help=_("Models that differ only in their attention function share data, tokenizer and size."),
)
st.query_params["cmp"] = chosen
text = sentence_input(bundle)
reference = reference_input(_("Reference translation (optional): gives BLEU and chrF per model"))
if not text.strip():
    st.info(_("Type a sentence above (or pick an example) and press Enter."))
    st.stop()
if len(chosen) < 1:
    st.info(_("Pick at least one model."))
    st.stop()

st.caption(
    _(
        "Each map: source pieces along the top, target pieces down the side; colour is the attention "
        "weight, from 0 (darkest) to 1 (lightest), on the same scale in every map. Hover a cell for its "
        "exact weight."
    )
)
per_row = 2 if len(chosen) > 2 else len(chosen)  # four maps in one row are too narrow to read
columns = [c for _ in range(0, len(chosen), per_row) for c in st.columns(per_row, gap="large")]
for column, name in zip(columns, chosen, strict=False):
    with column:
        st.subheader(md("{}", name))
        model_column(models[name], text, beam, reference)
