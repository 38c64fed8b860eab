"""The one-screen step figure (attnviz/stepfig.py): every number it draws is the Trace's own, for dot,
concat and no attention; the animation has one frame per step; and the Step page shows it in English and
Korean, its view kept in the URL."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import shipped

from attnviz import search, stepfig
from pages.loading import ROOT


def by_meta(fig, meta: str):
    found = [d for d in fig.data if d.meta == meta]
    assert len(found) == 1, meta
    return found[0]


@pytest.fixture(params=["dot", "concat", "none"])
def trace(request, tiny_bundle):
    return search.translate(tiny_bundle(request.param), "hello world")


def test_every_drawn_number_is_the_trace_s(trace) -> None:
    D = stepfig.shown_dims(trace)
    assert D == min(stepfig.DIMS, trace.encoder_states.shape[1])
    for t in range(trace.num_steps):
        fig = stepfig.step_figure(trace, t)
        np.testing.assert_array_equal(np.asarray(by_meta(fig, "encoder").z), trace.encoder_states[:, :D].T)
        vectors = np.asarray(by_meta(fig, "vectors").z, dtype=float)
        np.testing.assert_array_equal(vectors[:D, 0], trace.hidden[t][:D])
        np.testing.assert_array_equal(vectors[:D, 1], trace.context[t][:D])
        np.testing.assert_array_equal(
            vectors[:, 2], np.concatenate([trace.context[t][:D], trace.hidden[t][:D]])
        )
        np.testing.assert_array_equal(vectors[:D, 3], trace.attentional[t][:D])
        assert np.isnan(vectors[D:, [0, 1, 3]]).all()
        topk = by_meta(fig, "topk")
        np.testing.assert_array_equal(np.asarray(topk.x), trace.topk_probs[t])
        assert list(fig.layout.yaxis5.ticktext) == list(stepfig.escape(trace.topk_pieces[t]))
        if trace.attention == "none":
            assert {d.meta for d in fig.data} == {"encoder", "vectors", "topk"}
            # the context is the fixed latent vector s_0, and the figure says so
            np.testing.assert_allclose(trace.context[t], trace.latent, atol=1e-6)
            assert any("s<sub>0</sub>" in a.text for a in fig.layout.annotations)
            continue
        np.testing.assert_array_equal(np.asarray(by_meta(fig, "scores").y), trace.scores[t])
        weights = np.asarray(by_meta(fig, "weights").y)
        np.testing.assert_array_equal(weights, trace.weights[t])
        # what the figure calls the context is the weighted sum of the boxes it draws
        np.testing.assert_allclose(weights @ trace.encoder_states, trace.context[t], atol=1e-5)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("dot", "s<sub>2</sub>·h<sub>i</sub>"),
        ("general", "s<sub>2</sub>·(W h<sub>i</sub>)"),
        ("scaled_dot", "s<sub>2</sub>·h<sub>i</sub> / √16"),
        ("concat", "v·tanh(W<sub>s</sub> s<sub>2</sub> + W<sub>h</sub> h<sub>i</sub> + b)"),
    ],
)
def test_the_score_title_says_what_the_score_is(kind: str, label: str, tiny_bundle) -> None:
    trace = search.translate(tiny_bundle(kind), "hello world")
    texts = [a.text for a in stepfig.step_figure(trace, 1).layout.annotations]
    assert any(text.endswith("= " + label) for text in texts), texts


def test_the_animation_has_one_frame_per_step_with_that_step_s_numbers(tiny_bundle) -> None:
    trace = search.translate(tiny_bundle("dot"), "hello world")
    fig = stepfig.animated_figure(trace, start=1)
    assert [f.name for f in fig.frames] == [str(k + 1) for k in range(trace.num_steps)]
    assert fig.layout.sliders[0].active == 1
    for k, frame in enumerate(fig.frames):
        weights = next(d for d in frame.data if d.meta == "weights")
        np.testing.assert_array_equal(np.asarray(weights.y), trace.weights[k])
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert len(labels) == len(stepfig.SPEEDS) + 1 and "Pause" in labels[-1]
    plays = [b.args[1] for b in fig.layout.updatemenus[0].buttons[:-1]]
    # Each play button plays on from the step shown, at its own speed (pages/player.py relies on it).
    assert [p["frame"]["duration"] for p in plays] == [int(s * 1000) for s in stepfig.SPEEDS]
    assert all(p["fromcurrent"] for p in plays)


def test_a_long_sentence_shows_only_labels_that_fit(tiny_bundle) -> None:
    trace = search.translate(tiny_bundle("dot"), "the cat sat and the dog sat on the good mat")
    axis = stepfig.step_figure(trace, 0).layout.xaxis3
    assert len(trace.source_pieces) > 30
    pitch = stepfig.UPRIGHT if axis.tickangle else max(map(stepfig.text_width, trace.source_pieces)) + 8
    assert len(axis.tickvals) < len(trace.source_pieces)
    assert (len(axis.tickvals) - 1) * pitch <= stepfig.SOURCE_WIDTH
    assert "hover names every one" in axis.title.text


def step_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.switch_page("pages/step.py")
    return at.run()


def test_the_step_page_shows_one_screen_from_the_link_in_english_and_korean() -> None:
    at = step_page(model="dates-dot", s="26 nov 2026", step="3", view="one")
    assert not at.exception
    assert at.toggle(key="onescreen").value
    (chart,) = [c for c in at.get("plotly_chart") if "stepfig" in c.proto.id]
    spec = json.loads(chart.proto.spec)  # the animated figure: every step a frame, opened at step 3
    assert len(spec["frames"]) == search.translate(shipped("dates-dot"), "26 nov 2026").num_steps
    assert spec["layout"]["title"]["text"].startswith("Step 3 of")
    assert spec["layout"]["sliders"][0]["active"] == 2
    assert at.query_params["step"] == "3" and at.query_params["speed"] == "1"
    assert not any(m.value.startswith("**2. Scores**") for m in at.markdown)  # the long view is off
    at.toggle(key="onescreen").set_value(False).run()
    assert "view" not in at.query_params
    assert any(m.value.startswith("**2. Scores**") for m in at.markdown)
    ko = step_page(model="dates-dot", s="26 nov 2026", step="3", view="one", lang="ko")
    assert not ko.exception
    assert ko.toggle(key="onescreen").label == "한 화면"
    assert any("처음 8차원" in c.value for c in ko.caption)
