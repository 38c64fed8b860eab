"""The Train page under AppTest: start a tiny job, watch it, cancel it, find the model in the picker."""

import os
import shutil
import signal
import time

from streamlit.testing.v1 import AppTest

from attnviz import jobs
from attnviz.bundle import Bundle
from attnviz.checkpoint import save_model
from attnviz.config import resolve
from attnviz.tasks import Pair
from pages.loading import ROOT, USER_MODELS


def train_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page("pages/train.py")
    return at.run()


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in at.get(kind) if w.key == key)


def rerun_until(at: AppTest, done, timeout: float = 180.0) -> AppTest:
    end = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < end, "the page never reached the expected state"
        time.sleep(0.5)
        at.run()
    return at


def progress_text(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def name_box(at: AppTest):
    return next(w for w in at.text_input if w.label == "Save the model as")


def set_tiny(at: AppTest, name: str, epochs: int) -> AppTest:
    widget(at, "select_slider", "size").set_value("tiny")
    widget(at, "number_input", "epochs").set_value(epochs)
    name_box(at).set_value(name)
    return at.run()


def test_train_a_tiny_model_and_find_it_in_the_picker():
    at = train_page()
    assert not at.exception
    probe = widget(at, "text_input", "probe-dates").value
    assert probe, "the probe defaults to a dev sentence"
    assert any("reference" in c.value for c in at.caption)
    set_tiny(at, "page-tiny", epochs=1)
    start = next(b for b in at.button if b.label == "Start training")
    start.click().run()
    assert not at.exception
    assert at.query_params["job"], "the job id goes into the URL, so a refresh re-attaches"
    rerun_until(at, lambda a: any("Saved as" in s.value for s in a.success))
    assert not at.exception
    # The history holds the untrained model and the first epoch; the chart shows the loss.
    snapshot = widget(at, "select_slider", next(w.key for w in at.select_slider if w.key.startswith("snap-")))
    assert snapshot.options[0] == "epoch 0" and snapshot.options[-1] == "epoch 1"
    assert [e.value for e in at.exception] == []
    # Every page's model picker now lists it.
    at.switch_page("pages/translate.py")
    at.run()
    picker = at.sidebar.selectbox[0]
    assert any(o.split()[0] == "page-tiny" for o in picker.options)  # the name, maybe a description


def test_a_second_session_watches_but_cannot_cancel_and_the_owner_cancels():
    owner = train_page()
    set_tiny(owner, "page-cancel", epochs=60)
    next(b for b in owner.button if b.label == "Start training").click().run()
    job_id = owner.query_params["job"]
    owner.switch_page("pages/translate.py").run()  # away and back: still the owner
    owner.switch_page("pages/train.py").run()
    assert [b for b in owner.button if b.label == "Cancel"]
    other = train_page()
    assert any("for someone" in i.value for i in other.info)
    assert not [b for b in other.button if b.label == "Cancel"]
    assert not [b for b in other.button if b.label == "Start training"], "one job at a time"
    # A refresh of the owner's tab (a new session with the same URL) re-attaches with the Cancel button.
    refreshed = train_page(job=job_id)
    assert refreshed.get("progress"), "the owner sees the progress bar"
    # Cancel once training runs (a Cancel while the data is prepared ends the run with nothing to keep).
    rerun_until(refreshed, lambda a: "batch" in progress_text(a))
    cancel = next(b for b in refreshed.button if b.label == "Cancel")
    cancel.click().run()
    rerun_until(refreshed, lambda a: any("Saved as" in s.value for s in a.success))
    assert any("cancelled" in s.value for s in refreshed.success)


def test_a_bad_name_disables_start():
    at = train_page()
    name_box(at).set_value("../etc").run()
    assert any("lowercase" in w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Start training").disabled
    name_box(at).set_value("dates-dot").run()
    assert any("exists already" in w.value for w in at.warning)


def newest_caption(at: AppTest) -> int | None:
    """While following a running job: the number of snapshots, from "Snapshot N: the newest."."""
    found = [c.value for c in at.caption if c.value.startswith("Snapshot ") and "the newest" in c.value]
    return int(found[0].split()[1].rstrip(":")) if found else None


def test_looking_back_freezes_the_history_and_following_again_catches_up():
    at = train_page()
    set_tiny(at, "page-follow", epochs=60)
    next(b for b in at.button if b.label == "Start training").click().run()
    rerun_until(at, lambda a: (newest_caption(a) or 0) >= 3)
    assert not [s for s in at.select_slider if s.label == "Snapshot"], "following: no slider to fight"
    next(t for t in at.toggle if t.label == "Follow the newest").set_value(False).run()
    slider = next(s for s in at.select_slider if s.label == "Snapshot")
    frozen = len(slider.options)
    assert frozen >= 3 and slider.value == frozen - 1
    slider.set_value(0).run()  # look back at the untrained model
    rerun_until(at, lambda a: any("newer snapshot" in c.value for c in a.caption))
    slider = next(s for s in at.select_slider if s.label == "Snapshot")
    assert len(slider.options) == frozen and slider.value == 0, "the list and the choice stay put"
    next(t for t in at.toggle if t.label == "Follow the newest").set_value(True).run()
    assert (newest_caption(at) or 0) > frozen or not at.get("progress")
    for cancel in [b for b in at.button if b.label == "Cancel"]:
        cancel.click().run()
    rerun_until(at, lambda a: any("Saved as" in s.value for s in a.success))


def plain(text: str) -> str:
    """A message as the user reads it: md() escapes the punctuation of the values it quotes."""
    return text.replace("\\", "").replace("\u2060", "")


def test_a_run_killed_before_its_first_checkpoint_says_so_at_its_url():
    cfg = resolve("dates", attention="dot", size="tiny", data_size=20_000, epochs=1)
    job = jobs.Runner(USER_MODELS, threads=1).start(cfg, name="page-gone", probe=Pair("3 may 2020", ""))
    os.kill(job.pid, signal.SIGKILL)  # long before its first checkpoint
    end = time.monotonic() + 30
    while job.refresh().running:
        assert time.monotonic() < end
        time.sleep(0.1)
    at = train_page(job=job.id)
    assert not at.exception
    assert any(jobs.NOTHING_KEPT in plain(e.value) for e in at.error), [e.value for e in at.error]


def test_the_default_name_skips_a_waiting_run_and_discard_says_what_it_did(tiny_bundle):
    at = train_page()
    default = name_box(at).value
    staged = USER_MODELS / jobs.STAGING / default
    tiny = tiny_bundle("dot")
    save_model(staged, Bundle(default, tiny.model, tiny.src, tiny.tgt))  # as a killed run leaves it
    try:
        at = train_page()
        assert any("was interrupted" in plain(w.value) for w in at.warning)
        assert name_box(at).value not in (default, ""), "the default skips the waiting run's name"
        assert not next(b for b in at.button if b.label == "Start training").disabled
        widget(at, "button", f"discard-{default}").click().run()
        assert not at.exception
        assert any(f"Discarded '{default}'" in plain(s.value) for s in at.success)
        assert not staged.exists() and not any("was interrupted" in plain(w.value) for w in at.warning)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def test_the_train_page_speaks_korean():
    """lang=ko: the title, the form's labels and buttons in Korean; the options' values stay the same."""
    at = train_page(lang="ko")
    assert not at.exception
    assert at.title[0].value == "모델 학습하기"
    source = at.radio(key="data_source")
    assert source.label == "데이터" and source.options == ["내장 작업", "코퍼스 업로드"]
    assert source.value == "Built-in task", "the value is the option, only what is shown is translated"
    assert at.selectbox(key="task").label == "작업"
    assert at.number_input(key="epochs").label == "최대 에폭(epoch) 수"
    assert any(w.label == "저장할 모델 이름" for w in at.text_input)
    assert any(b.label == "학습 시작" for b in at.button)
    assert any("dot: 점수 = s·h" in o for o in at.selectbox(key="attention").options)


def test_the_bottleneck_page_speaks_korean():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(lang="ko", model="de-en-dot")
    at.run()
    at.switch_page("pages/bottleneck.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "어텐션은 왜 필요할까요? 병목(bottleneck)"
    assert at.toggle(key="paired").label.startswith("차이의 대응 검정")
    assert at.text_input(key="bottleneck_sentence").label == "문장"
    table = next(d.value for d in at.dataframe if "차이" in d.value.columns)
    assert {"원문 길이", "문장 수", "어텐션 없음"} <= set(table.columns)
