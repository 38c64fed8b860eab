"""The command line: train, evaluate, translate; user errors end in one line and exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from attnviz import search
from attnviz.checkpoint import load_model
from attnviz.cli import main
from attnviz.search import MAX_INPUT_CHARS
from attnviz.trace import Trace
from pages.common import ROOT


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "rev"
    args = ["train", "--task", "reverse", "--size", "tiny", "--epochs", "2", "--data-size", "600"]
    assert main([*args, "--out", str(out)]) == 0
    return out


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_wrote_a_model_directory(model_dir):
    names = {p.name for p in model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "source.spm", "target.spm", "train_log.json"} <= names
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["attention"] == "dot" and config["train"]["task"] == "reverse"
    # The synthetic tasks' own defaults: no dropout, no label smoothing (they only blur attention there).
    assert config["model"]["dropout"] == 0.0 and config["train"]["label_smoothing"] == 0.0


def test_translate_prints_translation_and_pharaoh(model_dir, capsys):
    code, out, _ = run(capsys, "translate", "-m", str(model_dir), "abcd")
    assert code == 0
    translation, links = out.splitlines()
    for link in links.split():
        i, j = map(int, link.split("-"))
        assert 0 <= i < 4 and 0 <= j < len(translation)


def test_translate_json_is_a_trace_with_the_invariants(model_dir, capsys):
    code, out, _ = run(capsys, "translate", "-m", str(model_dir), "--json", "hello")
    assert code == 0
    trace = Trace.from_json(out)
    np.testing.assert_allclose(trace.weights.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(trace.context, trace.weights @ trace.encoder_states, atol=1e-5)
    assert (trace.topk_ids[:, 0] == trace.target_ids).all()
    assert trace.source_pieces == tuple("hello")


def test_translate_input_file_keeps_lines_aligned(model_dir, tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_text("abc\n\nxyz\nhello\n", encoding="utf-8")
    code, out, _ = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
    assert code == 0
    lines = out.removesuffix("\n").split("\n")
    assert len(lines) == 4 and lines[1] == ""
    for i, sentence in [(0, "abc"), (2, "xyz"), (3, "hello")]:
        code, single, _ = run(capsys, "translate", "-m", str(model_dir), sentence)
        assert single.split("\n")[0] == lines[i]  # batched equals one at a time


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["   "], "empty"),
        (["x" * (MAX_INPUT_CHARS + 1)], "limit"),
        (["a\x00b"], "binary"),
    ],
)
def test_bad_sentences_give_one_line_and_exit_2(model_dir, capsys, argv_tail, message):
    code, out, err = run(capsys, "translate", "-m", str(model_dir), *argv_tail)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_bad_input_files(model_dir, tmp_path, capsys):
    binary = tmp_path / "bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok\nGr\xfc\xdfe\n".encode("latin-1"))
    for path, message in [(binary, "binary"), (latin1, "line 2"), (tmp_path / "missing", "No such file")]:
        code, out, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unknown_model_names_the_shipped_ones(capsys):
    code, _, err = run(capsys, "translate", "-m", "no-such-model", "hi")
    assert code == 2 and "no model 'no-such-model'" in err and "shipped models" in err


def test_evaluate_writes_metrics_json(model_dir, capsys):
    code, out, _ = run(capsys, "evaluate", "-m", str(model_dir), "--beam", "1,3")
    assert code == 0
    written = json.loads((model_dir / "metrics.json").read_text())
    assert written == json.loads(out)
    assert {"greedy", "beam3", "alignment"} <= set(written)
    code, out2, _ = run(capsys, "evaluate", "-m", str(model_dir), "--beam", "1,3")
    assert json.loads(out2) == written  # reproducible


def test_console_script_errors_without_traceback(model_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "attnviz.cli", "translate", "-m", str(model_dir), ""],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "empty" in proc.stderr


def test_translate_with_a_reference_prints_each_piece_s_probability(capsys):
    bundle = load_model(ROOT / "models" / "dates-dot")
    assert main(["translate", "-m", "dates-dot", "26 nov 2026", "--reference", "2026-11-25"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    forced = search.force(bundle, "26 nov 2026", "2026-11-25")
    rows = [line.split("\t") for line in lines[:-1]]
    assert [p for p, _ in rows] == list(forced.target_pieces)
    np.testing.assert_allclose([float(q) for _, q in rows], np.exp(forced.log_probs), atol=1e-4)
    assert float(rows[-2][1]) < 0.01  # the model is sure the day is 26, not 25
    assert lines[-1] == forced.pharaoh()


def test_translate_json_with_a_reference_is_the_forced_trace(capsys):
    assert main(["translate", "-m", "dates-dot", "26 nov 2026", "--reference", "2026-11-25", "--json"]) == 0
    trace = Trace.from_json(capsys.readouterr().out)
    assert trace.translation == "2026-11-25"


def test_a_reference_with_beam_is_refused(capsys):
    assert main(["translate", "-m", "dates-dot", "26 nov 2026", "--reference", "x", "--beam", "5"]) == 2
    assert "--reference" in capsys.readouterr().err
