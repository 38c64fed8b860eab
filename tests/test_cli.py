"""The command line: train, evaluate, translate; user errors end in one line and exit status 2."""

import io
import json
import subprocess
import sys
import time

import numpy as np
import pytest

from attnviz import cli, search
from attnviz.checkpoint import load_model
from attnviz.cli import UserError, input_lines, main, translate_lines
from attnviz.search import MAX_INPUT_CHARS
from attnviz.trace import Trace
from pages.loading import ROOT


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


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--lr", "-1"], "lr must be positive"), (["--recipe", "de-en-bahdanau"], "no recipe 'de-en-bahdanau'")],
)
def test_train_refuses_a_bad_setting_before_any_work(monkeypatch, capsys, tmp_path, flags, named):
    started = []
    monkeypatch.setattr(cli, "train", lambda *a, **k: started.append(a))
    code, _, err = run(capsys, "train", *flags, "--out", str(tmp_path / "m"))
    assert code == 2 and named in err and started == []


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
    for path, message in [(binary, "binary"), (tmp_path / "missing", "No such file")]:
        code, out, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    # A line that is not UTF-8 is one bad line, not a bad file (see test_a_bad_line_...).
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok\nGr\xfc\xdfe\n".encode("latin-1"))
    code, out, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(latin1))
    assert code == 1 and "line 2: not UTF-8" in err and out.split("\n")[1] == ""


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


def _copy_of_shipped(tmp_path, name: str = "dates-dot"):
    """A shipped model copied to tmp_path, to be damaged there."""
    import shutil

    return shutil.copytree(ROOT / "models" / name, tmp_path / name)


def test_absurd_sizes_in_config_give_one_line_and_exit_2(tmp_path, capsys):
    path = _copy_of_shipped(tmp_path)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    config["model"]["hidden"] = 10**7
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    code, out, err = run(capsys, "translate", "-m", str(path), "x")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "hidden=10000000 is more than 8,192" in err and "Traceback" not in err


def test_damaged_weights_give_one_line_naming_the_damage_and_exit_2(tmp_path, capsys):
    path = _copy_of_shipped(tmp_path)
    weights = bytearray((path / "model.safetensors").read_bytes())
    weights[-100:] = bytes(b ^ 0xFF for b in weights[-100:])  # tensor data: the header still parses
    (path / "model.safetensors").write_bytes(bytes(weights))
    code, out, err = run(capsys, "translate", "-m", str(path), "26 nov 2026")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "damaged: the weights do not match their checksum" in err


# --- --input streams: bounded lines, output as it goes, bad lines named (issue 13, item 5) -------------


def cli_process(*argv, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "attnviz.cli", *argv],
        stdin=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=20,  # /dev/zero used to be read until MemoryError
    )


def test_dev_zero_as_file_or_stdin_is_refused_at_once(model_dir):
    with open("/dev/zero", "rb") as zero:
        for argv, stdin in [(["--input", "/dev/zero"], None), (["--input", "-"], zero)]:
            proc = cli_process("translate", "-m", str(model_dir), *argv, stdin=stdin)
            assert proc.returncode == 2 and proc.stdout == "", proc.stderr
            assert "binary" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


class Endless(io.RawIOBase):
    """A pipe that never ends and never breaks its line (think `yes | tr -d '\\n'`), counting its bytes."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"a" * len(buffer)
        self.given += len(buffer)
        return len(buffer)


def test_an_endless_line_stops_with_a_message_after_a_bounded_read():
    stream = Endless()
    with pytest.raises(UserError, match="line 1 is over 1 MB long"):
        list(input_lines(io.BufferedReader(stream), "-"))
    assert stream.given < 2 * cli.MAX_SKIP_BYTES


def test_a_file_over_the_limit_is_refused_by_its_size_before_it_is_read(model_dir, tmp_path, capsys):
    sparse = tmp_path / "sparse.txt"
    with open(sparse, "wb") as f:
        f.truncate(1_000_000_000)  # 1 GB on paper, no blocks on disk
    start = time.monotonic()
    code, out, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(sparse))
    assert code == 2 and out == "" and "1,000 MB; the limit is 50 MB" in err
    assert time.monotonic() - start < 5


def test_a_utf16_input_file_is_named_as_such(model_dir, tmp_path, capsys):
    path = tmp_path / "utf16.txt"
    path.write_text("abc\nxyz\n", encoding="utf-16")
    code, _, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
    assert code == 2 and "looks like UTF-16 text: save it as UTF-8" in err


def test_a_bad_line_is_named_and_the_rest_still_translates(model_dir, tmp_path, capsys):
    path = tmp_path / "mixed.txt"
    lines = [b"abc", b"x" * (MAX_INPUT_CHARS + 1), b"Gr\xfc\xdfe", b"", b"y" * 100_000, b"a\x01b", b"hello"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
    assert code == 1
    got = out.removesuffix("\n").split("\n")
    assert len(got) == len(lines) and got[1] == got[2] == got[3] == got[4] == got[5] == ""
    bundle = load_model(model_dir)
    assert got[0] == search.translate(bundle, "abc").translation
    assert got[6] == search.translate(bundle, "hello").translation
    said = err.strip().splitlines()
    assert [line.split(": ")[2] for line in said[:-1]] == ["line 2", "line 3", "line 5", "line 6"]
    assert "limit" in said[0] and "not UTF-8" in said[1] and "control character" in said[3]
    assert said[-1].endswith(
        "4 of 7 lines could not be translated (lines 2, 3, 5, 6); the output has an empty line for each"
    )


@pytest.mark.parametrize("beam", ["0", "-1", str(10**9)])
def test_a_beam_out_of_range_is_refused_in_one_line(model_dir, capsys, beam):
    code, out, err = run(capsys, "translate", "-m", str(model_dir), "abc", "--beam", beam)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"attnviz translate: error: --beam must be from 1 (greedy) to {cli.MAX_BEAM}, not {beam}"
    ]
    code, _, err = run(capsys, "evaluate", "-m", str(model_dir), "--beam", f"1,{beam}")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--beam" in err


def test_evaluate_beam_must_be_numbers(model_dir, capsys):
    code, _, err = run(capsys, "evaluate", "-m", str(model_dir), "--beam", "1,five")
    assert code == 2 and "comma-separated beam sizes" in err and len(err.strip().splitlines()) == 1


def test_each_chunk_is_written_before_the_next_lines_are_read(model_dir, monkeypatch):
    monkeypatch.setattr(cli, "CHUNK_LINES", 2)
    out = io.StringIO()
    written_when_read = []

    def lines():
        for number in range(1, 7):
            written_when_read.append(out.getvalue().count("\n"))
            yield number, "abc" if number % 3 else "", ""

    read, failed = translate_lines(load_model(model_dir), lines(), 1, "test", out)
    assert (read, failed) == (6, [])
    assert written_when_read == [0, 0, 2, 2, 4, 4]  # lines 3 and 5 are read after 2 and 4 are written
    assert out.getvalue().split("\n")[2] == ""


def test_many_lines_stream_through_with_one_output_line_each(model_dir, tmp_path, capsys):
    path = tmp_path / "many.txt"
    path.write_text("".join("abc\n" if i % 5 else "\n" for i in range(5_000)), encoding="utf-8")
    code, out, _ = run(capsys, "translate", "-m", str(model_dir), "--input", str(path))
    got = out.removesuffix("\n").split("\n")
    assert code == 0 and len(got) == 5_000
    assert {line for i, line in enumerate(got) if i % 5 == 0} == {""}
    assert {line for i, line in enumerate(got) if i % 5} == {
        search.translate(load_model(model_dir), "abc").translation
    }


def test_translate_force_shows_the_forced_weights_and_their_context(capsys):
    assert main(["translate", "-m", "dates-dot", "--json", "--force", "2:3", "26 nov 2026"]) == 0
    trace = Trace.from_json(capsys.readouterr().out)
    assert trace.intervention["kind"] == "force" and trace.intervention["step"] == 2
    np.testing.assert_array_equal(trace.weights[1], np.eye(len(trace.source_pieces))[2])
    np.testing.assert_allclose(trace.context[1], trace.encoder_states[2], atol=1e-6)


def test_translate_mask_says_what_was_changed(capsys):
    assert main(["translate", "-m", "dates-dot", "--mask", "1", "26 nov 2026"]) == 0
    out, err = capsys.readouterr()
    assert "source piece 1 masked at every step" in err and out.count("\n") == 2


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--force", "2"], "--force takes STEP:PIECE"),
        (["--force", "a:b"], "--force takes STEP:PIECE"),
        (["--force", "1:99"], "no source piece 99"),
        (["--force", "0:1"], "step must be"),
        (["--mask", "0"], "needs a source piece"),
        (["--mask", "1", "--attention-as", "uniform"], "give one of"),
        (["--mask", "1", "--reference", "2026-11-26"], "give a sentence"),
    ],
)
def test_a_bad_what_if_is_refused_with_a_reason(capsys, extra, said):
    assert main(["translate", "-m", "dates-dot", *extra, "26 nov 2026"]) == 2
    assert said in capsys.readouterr().err
