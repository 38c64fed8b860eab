"""Everyday sentences through the shipped de-en models: does a user's own sentence come out recognisably
right? (issue 3: "Everyday sentences typed by a user should come out recognisably right.")

Prints a Markdown table: each sentence, a human reference, and each model's greedy and beam-5 output.
The sentences are ours (not from the Ding file), short and common; judge the table by eye.

    .venv/bin/python bench/everyday.py [MODEL ...]     # default: every de-en model in models/
"""

from __future__ import annotations

import sys
from pathlib import Path

from attnviz.checkpoint import load_model
from attnviz.search import translate

MODELS = Path(__file__).resolve().parent.parent / "models"

SENTENCES = [
    ("Ich habe Hunger.", "I am hungry."),
    ("Wo ist der Bahnhof?", "Where is the station?"),
    ("Das Wetter ist heute schön.", "The weather is nice today."),
    ("Ich liebe dich.", "I love you."),
    ("Kannst du mir helfen?", "Can you help me?"),
    ("Er wohnt in Berlin.", "He lives in Berlin."),
    ("Wie spät ist es?", "What time is it?"),
    ("Das Buch liegt auf dem Tisch.", "The book is on the table."),
    ("Ich trinke gern Kaffee.", "I like drinking coffee."),
    ("Morgen fahren wir nach Hause.", "Tomorrow we are going home."),
]


def main(names: list[str]) -> None:
    names = names or sorted(p.name for p in MODELS.glob("de-en-*"))
    bundles = {name: load_model(MODELS / name) for name in names}
    print("| German | reference | " + " | ".join(f"{n} greedy / beam 5" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    exact = dict.fromkeys(names, 0)
    for source, reference in SENTENCES:
        cells = []
        for name, bundle in bundles.items():
            greedy = translate(bundle, source).translation
            beam = translate(bundle, source, beam=5).translation
            exact[name] += greedy == reference
            cells.append(greedy if greedy == beam else f"{greedy} / {beam}")
        print(f"| {source} | {reference} | " + " | ".join(cells) + " |")
    print()
    counts = ", ".join(f"{name} {k}/{len(SENTENCES)}" for name, k in exact.items())
    print(f"Greedy output equal to the reference: {counts}")


if __name__ == "__main__":
    main(sys.argv[1:])
