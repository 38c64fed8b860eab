"""Attention as an alignment against gold and against statistical aligners (issue 17), timed.

For each model named (default: the shipped models whose test split has gold links), on its whole test
split: the attention's links read each way attnviz.align knows (argmax and a 0.3 threshold, of the step
that emits the piece and of the next step), and Thot's eflomal, fast_align and HMM trained on the
training pairs plus the test pairs, each scored as precision / recall / AER against the gold; with the
seconds each took, on the model's pieces and with the pieces merged to words; then what the Alignment
page's slider and the Corpus explorer's table cost. Prints Markdown for bench/RESULTS.md.

    .venv/bin/python bench/alignment.py [NAME ...]

With `--pypi-eflomal` it also runs PyPI's eflomal 2.0.0 (`pip install eflomal==2.0.0`; it seeds its
sampler from /dev/urandom, so attnviz does not use it for metrics.json) three times on the same pairs
and prints the AER of each run's forward links and of the two directions' intersection, to show how
much its results vary.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from attnviz import align, evaluate, explore
from attnviz.checkpoint import load_model

MODELS = Path(__file__).resolve().parent.parent / "models"
WAYS = {
    "attention argmax": align.Extraction(),
    "attention threshold 0.3": align.Extraction("threshold", 0.3),
    "attention argmax, next step": align.Extraction(shift=True),
}


def pypi_eflomal(pairs: list, seed_runs: int = 3) -> list[tuple[list, list]]:
    """PyPI eflomal's (forward, reverse) links of each run, as (t, s) sets."""
    import eflomal

    runs = []
    for _ in range(seed_runs):
        with tempfile.TemporaryDirectory() as folder:
            fwd, rev = Path(folder) / "fwd", Path(folder) / "rev"
            eflomal.Aligner().align(
                [" ".join(align.aligner_words(s)) + "\n" for s, _ in pairs],
                [" ".join(align.aligner_words(t)) + "\n" for _, t in pairs],
                links_filename_fwd=str(fwd),
                links_filename_rev=str(rev),
            )
            read = [
                [frozenset((int(t), int(s)) for s, t in (x.split("-") for x in line.split())) for line in f]
                for f in (fwd.read_text().splitlines(), rev.read_text().splitlines())
            ]
        runs.append((read[0], read[1]))
    return runs


def bench(name: str, with_pypi: bool) -> list[str]:
    bundle = load_model(MODELS / name)
    corpus = evaluate.load_corpus(bundle)
    start = time.perf_counter()
    split = evaluate._gold(
        bundle, corpus.test
    )  # what the Alignment page holds: maps, gold on pieces and words
    forced = time.perf_counter() - start
    rows = []
    for way, how in WAYS.items():
        start = time.perf_counter()
        links = [split.attention(how, i) for i in range(len(split.pairs))]
        scores = split.score(links)
        took = time.perf_counter() - start
        rows.append((way, scores, split.score(links, words=True), f"{forced:.1f} + {took:.2f}"))
    train = [
        (bundle.src.tokenize(p.source).pieces, bundle.tgt.tokenize(p.target).pieces) for p in corpus.train
    ]
    everything = train + [(s.pieces, t.pieces) for s, t in split.encoded]
    for aligner in align.ALIGNERS:
        start = time.perf_counter()
        links = align.statistical(aligner, everything, seed=bundle.train_config.seed)[len(train) :]
        took = f"{time.perf_counter() - start:.1f}"
        rows.append((f"{aligner} (Thot)", split.score(links), split.score(links, words=True), took))
    if with_pypi:
        for k, (fwd, rev) in enumerate(pypi_eflomal(everything)):
            fwd, rev = fwd[len(train) :], rev[len(train) :]
            inter = [a & b for a, b in zip(fwd, rev, strict=True)]
            for kind, links in (("forward", fwd), ("intersection", inter)):
                rows.append(
                    (
                        f"PyPI eflomal run {k + 1}, {kind}",
                        split.score(links),
                        split.score(links, words=True),
                        "",
                    )
                )
    lines = [
        f"### {name}: {len(split.pairs)} test sentences, {len(train)} training pairs for the aligners",
        "",
        "| method | precision | recall | AER | AER, words | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for way, s, w, took in rows:
        lines.append(
            f"| {way} | {s['precision']:.1f} | {s['recall']:.1f} | {s['aer']:.1f} | {w['aer']:.1f} | {took} |"
        )
    # What the page's controls cost: one rescoring of the split per slider move, on pieces and on words.
    slider = []
    for words in (False, True):
        start = time.perf_counter()
        for threshold in (0.2, 0.4, 0.6, 0.8, 1.0):
            split.scores(align.Extraction("threshold", threshold), words=words)
        slider.append((time.perf_counter() - start) / 5)
    start = time.perf_counter()
    explore.rows(bundle, list(corpus.test), split)
    table = time.perf_counter() - start
    lines += [
        "",
        f"One slider move (rescoring the {len(split.pairs)} sentences): {slider[0]:.3f} s on pieces, "
        f"{slider[1]:.3f} s on words. The Corpus explorer's table (greedy decoding of the split, sentence "
        f"scores, coverage): {table:.1f} s.",
    ]
    return lines


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    names = args or ["dates-dot", "ko-en-dot", "grc-en-dot"]
    for name in names:
        print("\n".join(bench(name, "--pypi-eflomal" in sys.argv)))
        print()


if __name__ == "__main__":
    main()
