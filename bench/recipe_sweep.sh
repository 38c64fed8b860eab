#!/bin/bash
# Early epochs of de-en-dot recipe variants side by side: 14 one-thread processes of bench/seed_spread.py,
# each stopped after LIMIT seconds; prints each one's per-epoch log. Needs about 16 cores; session 5 ran it
# on a borrowed 16-core machine (bench/RESULTS.md), with the Ding file copied in because it had no Debian:
#     bash bench/recipe_sweep.sh 510 /path/to/de-en
# Early dev loss and BLEU are a screen, not a result: a setting that wins here still needs full runs.
set -u
cd "$(dirname "$0")/.."
LIMIT=${1:-500}
DATA=${2:-/usr/share/trans/de-en}
LOGS=${OUT:-/tmp/recipe_sweep}
mkdir -p "$LOGS"
T=tie_output=true
run() {
    local name=$1
    shift
    OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 timeout "$LIMIT" python3 bench/seed_spread.py --data "$DATA" \
        --threads 1 "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" &
}
run A-base
run B-tie --model-set $T
run C-tie-wd1 --model-set $T --set word_dropout=0.1
run D-tie-wd2 --model-set $T --set word_dropout=0.2
run E-tie-do4 --model-set $T --model-set dropout=0.4
run F-tie-lr1 --model-set $T --set lr=0.001
run G-tie-b32 --model-set $T --set batch_size=32
run H-tie-ls2 --model-set $T --set label_smoothing=0.2
run I-tie-v4k --model-set $T --set src_vocab=4000 --set tgt_vocab=4000
run J-tie-320 --model-set $T --model-set emb=320 --model-set hidden=320
run K-base-s2 --seed 2
run L-tie-s2 --seed 2 --model-set $T
run M-base-s3 --seed 3
run N-tie-s3 --seed 3 --model-set $T
wait
for f in "$LOGS"/*.err; do
    echo "== $(basename "$f" .err)"
    grep '^epoch' "$f"
done
