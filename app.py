"""attnviz: see attention in a sequence-to-sequence model. Run: streamlit run app.py"""

import streamlit as st

from pages.lang import _
from pages.layout import presentation_switch, presenting

st.set_page_config(
    page_title=_("attnviz - see attention"),
    page_icon="🔎",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting() else "auto",
)

pages = [
    st.Page("pages/translate.py", title=_("Translate"), icon=":material/translate:", default=True),
    st.Page("pages/step.py", title=_("Step through"), icon=":material/steps:", url_path="step"),
    st.Page(
        "pages/lecture.py", title=_("Lecture walk-through"), icon=":material/school:", url_path="lecture"
    ),
    st.Page("pages/compare.py", title=_("Compare"), icon=":material/compare:", url_path="compare"),
    st.Page("pages/alignment.py", title=_("Alignment"), icon=":material/join_inner:", url_path="alignment"),
    st.Page("pages/corpus.py", title=_("Corpus explorer"), icon=":material/table_view:", url_path="corpus"),
    st.Page("pages/bottleneck.py", title=_("Bottleneck"), icon=":material/compress:", url_path="bottleneck"),
    st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:", url_path="train"),
    st.Page("pages/models.py", title=_("Models"), icon=":material/inventory_2:", url_path="models"),
]
page = st.navigation(pages)
st.sidebar.caption(_("A trained GRU encoder-decoder with attention. Every number shown is the model's own."))
presentation_switch()
page.run()
