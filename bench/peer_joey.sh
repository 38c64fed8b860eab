#!/usr/bin/env bash
# Peer benchmark: train Joey NMT 2.3.0 on our de-en split with de-en-dot's settings and wall-clock
# budget, decode the test split with its best checkpoint, and compare with models/de-en-dot.
#
#   bash bench/peer_joey.sh [BUDGET_SECONDS]     # from the repo root; default: de-en-dot's train_seconds
#
# Environment:
#   JOEY_VENV        Joey's throwaway venv (default /tmp/joey); created and patched here when needed
#   JOEY_WORK        work dir for data, configs, model and outputs (default /tmp/joey-bench)
#   JOEY_THREADS     torch/OpenMP threads for Joey (default: torch's own default, all cores)
#   JOEY_VALID_FREQ  steps between validations (default: one epoch); only for smoke tests
#   JOEY_BEAM        5 (default) also decodes the test split with beam 5; 0 skips it
#
# Run nothing else heavy at the same time: on 2 cores two PyTorch processes slow each other far more
# than 2x. Test-time decoding is outside the budget, as it is for de-en-dot. Joey's code and outputs
# stay in JOEY_VENV and JOEY_WORK; nothing here touches the repository's .venv.
set -euo pipefail

cd "$(dirname "$0")/.."
OURPY=$PWD/.venv/bin/python
PEER=$PWD/bench/peer_joey.py
VENV=${JOEY_VENV:-/tmp/joey}
WORK=${JOEY_WORK:-/tmp/joey-bench}
BEAM=${JOEY_BEAM:-5}
BUDGET=${1:-$("$OURPY" "$PEER" budget)}
JPY=$VENV/bin/python

if [[ -n "${JOEY_THREADS:-}" ]]; then
    export OMP_NUM_THREADS=$JOEY_THREADS MKL_NUM_THREADS=$JOEY_THREADS
fi
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "warning: load average $load - something else is running; the timings will not be comparable" >&2
fi

# ---------------------------------------------------------------- Joey's venv
if ! "$JPY" -c 'import joeynmt, torch' 2>/dev/null; then
    echo "== creating $VENV (torch 2.13.0 CPU, joeynmt 2.3.0)"
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.13.0  # pinned: an unpinned torch pulls a CUDA build
    "$VENV/bin/pip" install --quiet joeynmt==2.3.0
fi
"$JPY" - <<'EOF'
# Check the versions, then patch Joey 2.3.0 in place (idempotent) so that it runs with torch 2.13.
import importlib.metadata as md
import importlib.util
import sys
from pathlib import Path

versions = {name: md.version(name) for name in ("torch", "joeynmt")}
if not versions["torch"].startswith("2.13.0") or versions["joeynmt"] != "2.3.0":
    sys.exit(f"{sys.prefix}: expected torch 2.13.0 and joeynmt 2.3.0, found {versions}")
root = Path(importlib.util.find_spec("joeynmt").submodule_search_locations[0])
PATCHES = [
    # helpers.py imports the importlib_metadata backport, which joeynmt does not declare: use the stdlib.
    ("helpers.py", "\nimport importlib_metadata\n", "\nimport importlib.metadata as importlib_metadata\n"),
    # sentencepiece 0.2.3 has no SetVocabulary. It only restricts segmentation to the pieces in Joey's
    # vocabulary; ours lists every piece of the model (peer_joey.py prepare), so skipping it is a no-op.
    (
        "tokenizers.py",
        "        self.spm.SetVocabulary(vocab._itos)",
        "        if hasattr(self.spm, 'SetVocabulary'):  # bench patch: absent in sentencepiece 0.2.3\n"
        "            self.spm.SetVocabulary(vocab._itos)",
    ),
    # torch removed ReduceLROnPlateau's `verbose` argument (deprecated in 2.2): TypeError at start-up.
    ("builders.py", '            "verbose": False,\n', ""),
    # (torch.load's weights_only=True default since torch 2.6 needs no patch: Joey's checkpoints load.)
]
for name, old, new in PATCHES:
    path = root / name
    text = path.read_text()
    if new and new in text:
        continue  # applied before
    if old in text:
        path.write_text(text.replace(old, new))
        print(f"patched {path}")
    elif new:  # (a deletion applied before leaves nothing to look for)
        sys.exit(f"{path}: neither the original nor the patched text is there; Joey changed?")
EOF

# ---------------------------------------------------------------- data and configs
mkdir -p "$WORK"
rm -rf "$WORK/model" "$WORK/out" "$WORK/stats.json" "$WORK/result.json"
"$OURPY" "$PEER" prepare "$WORK" --threads "${JOEY_THREADS:-default}" \
    ${JOEY_VALID_FREQ:+--valid-freq "$JOEY_VALID_FREQ"}

# ---------------------------------------------------------------- training under the budget
# SIGINT at the deadline: Joey catches KeyboardInterrupt, saves its current state (latest.ckpt, with
# its step and token counters) and exits; best.ckpt is the best validation so far. The default SIGINT
# handler is reinstated because a shell ignores SIGINT in the background jobs it starts.
echo "== training Joey for at most ${BUDGET}s (log: $WORK/model/train.log)"
start=$(date +%s.%N)
set +e
timeout -s INT -k 60 "$BUDGET" "$JPY" -c '
import runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv = ["joeynmt", "train", sys.argv[1], "--skip-test"]
runpy.run_module("joeynmt", run_name="__main__")
' "$WORK/train.yaml" >"$WORK/train.stdout" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "   stopped after ${seconds}s (exit $rc; 124 = the budget ran out)"
if [[ $rc -ne 0 && $rc -ne 124 ]] || [[ ! -e "$WORK/model/best.ckpt" ]]; then
    tail -n 30 "$WORK/train.stdout" >&2
    echo "error: Joey training failed or finished no validation within ${BUDGET}s (no best.ckpt)" >&2
    exit 1
fi
"$JPY" "$PEER" ckpt-stats "$WORK/model/latest.ckpt" >"$WORK/stats.json"

# ---------------------------------------------------------------- test decoding (outside the budget)
mkdir -p "$WORK/out"
beams=(1)
[[ "$BEAM" == 5 ]] && beams+=(5)
for beam in "${beams[@]}"; do
    echo "== decoding the test split with best.ckpt, beam $beam"
    if ! "$JPY" -m joeynmt test "$WORK/test_beam$beam.yaml" -o "$WORK/out/beam$beam" \
        >"$WORK/test_beam$beam.stdout" 2>&1; then
        tail -n 30 "$WORK/test_beam$beam.stdout" >&2
        exit 1
    fi
done

# ---------------------------------------------------------------- scores and the comparison
echo
"$OURPY" "$PEER" report "$WORK" --train-seconds "$seconds" --budget "$BUDGET"
