"""The baseline for bench/app_latency.py: a minimal Streamlit page that draws one plotly heatmap."""

import zlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st

text = st.text_input("Sentence")
if text:
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    n = max(2, len(text.split()) + 2)
    st.plotly_chart(go.Figure(go.Heatmap(z=rng.random((n, n)))))
