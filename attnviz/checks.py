"""Input checks: is this sentence something the model was trained on, and how sure is the model?

An encoder reads an unseen character as the unknown piece <unk>, and a decoder always emits *some*
sentence, fluent or not: these checks say so instead of letting a guess look like a translation.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from attnviz import tasks
from attnviz.bundle import Bundle
from attnviz.i18n import _, ngettext
from attnviz.tokenizer import UNK
from attnviz.trace import Trace

MAX_LISTED = 12  # unknown characters or words named in a message; the rest are counted


@dataclass(frozen=True)
class Message:
    """A sentence for the user, in the active language. `template` is ours (translated, our numbers in
    it); `values` fill its remaining named fields with text from the user or the model, which a page must
    show literally (pages.text.md(template, **values)); `text()` is the plain version."""

    template: str
    values: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.template.format(**self.values)


@dataclass(frozen=True)
class Confidence:
    """The model's own probabilities of the pieces it emitted (trace.log_probs), in two numbers."""

    mean: float  # geometric mean, exp(mean_t log p(y_t)): the per-piece probability of the whole output
    least_step: int  # 0-based step of the least probable emitted piece
    least: float  # its probability
    piece: str  # the piece emitted there


@dataclass(frozen=True)
class Findings:
    """What the checks found about one traced sentence; `warnings` and `notes` say it in English."""

    unknown: tuple[int, ...]  # source positions read as <unk>
    unknown_characters: tuple[str, ...]  # the characters behind them, each once, in order
    unknown_words: tuple[str, ...]  # words outside the task's fixed lexicon (Task.unknown_words), in order
    foreign_scripts: tuple[str, ...]  # scripts of letters outside the task's script, e.g. ("Hangul",)
    off_domain: bool  # the input lacks what every training input has (dates: a digit or a month name)
    folded: bool  # the input's case was folded before encoding (a caseless task)
    confidence: Confidence
    warnings: tuple[Message, ...]
    notes: tuple[Message, ...]


def task_of(bundle: Bundle) -> tasks.Task | None:
    """The model's task, or None where it records none or this installation does not know it."""
    return tasks.find(bundle.train_config.task) if bundle.train_config else None


def normalise(bundle: Bundle, text: str) -> str:
    """`text` as the model's task reads it: case folded where the task is caseless (g2p)."""
    task = task_of(bundle)
    return text.casefold() if task is not None and task.caseless else text


def unknown_pieces(trace: Trace) -> tuple[int, ...]:
    """Positions of the source pieces the tokenizer did not know (id UNK, shown as <unk>)."""
    return tuple(int(i) for i in np.flatnonzero(trace.source_ids == UNK))


def unknown_characters(bundle: Bundle, text: str) -> tuple[str, ...]:
    """What of `text` the model's source tokenizer reads as <unk>, each once, in order: the characters,
    or the whole words where its pieces are words (a word model knows words, not letters)."""
    tokens = bundle.src.tokenize(text)
    found = [text[a:b].strip() for i, (a, b) in zip(tokens.ids, tokens.spans, strict=True) if i == UNK]
    if bundle.src.kind == "word":
        return tuple(dict.fromkeys(span for span in found if span))
    return tuple(dict.fromkeys(c for span in found for c in span if not c.isspace()))


def script(char: str) -> str:
    """The Unicode script of a letter, from its name: "Latin", "Hangul", "Cyrillic", "CJK", ..."""
    word = unicodedata.name(char, "UNKNOWN").split()[0]
    return word if word == "CJK" else word.title()


def foreign_scripts(task: tasks.Task | None, text: str) -> dict[str, int]:
    """Letters of `text` outside the script of the task's training sources: {script: count}."""
    expected = task.script if task is not None else None
    out: dict[str, int] = {}
    if expected is None:
        return out
    for c in text:
        if c.isalpha() and (name := script(c)) != expected:
            out[name] = out.get(name, 0) + 1
    return out


def confidence(trace: Trace) -> Confidence:
    """Geometric-mean probability of the emitted pieces and the least confident step."""
    log_probs = trace.log_probs.astype(np.float64)  # (T,)
    t = int(log_probs.argmin())
    return Confidence(float(np.exp(log_probs.mean())), t, float(np.exp(log_probs[t])), trace.target_pieces[t])


def probability(p: float) -> str:
    """A probability written the way the pages write it: 3 decimals, or 2 significant digits if tiny."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def unknown_words(task: tasks.Task | None, text: str) -> tuple[str, ...]:
    """The words of `text` outside the lexicon of a task that has a fixed one (ko-en), else ()."""
    return task.unknown_words(text) if task is not None and task.unknown_words is not None else ()


class _Later(dict):
    """Fields of a template that are not filled now stay as they are, for Message.values."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, **ours: object) -> str:
    """`template` with our own numbers filled in; the fields for the user's text are left for the page."""
    return template.format_map(_Later(ours))


def _listed(items: tuple[str, ...]) -> str:
    more = len(items) - MAX_LISTED
    listed = ", ".join(f"“{c}”" for c in items[:MAX_LISTED])
    return _("{listed} and {more} more").format(listed=listed, more=more) if more > 0 else listed


def check(bundle: Bundle, trace: Trace, typed: str = "") -> Findings:
    """Everything worth telling the user about `trace` of `bundle`: `typed` is the text as entered."""
    task = task_of(bundle)
    unknown = unknown_pieces(trace)
    chars = unknown_characters(bundle, trace.source) if unknown else ()
    # Words the map already shows as <unk> are named once, in that warning.
    words = tuple(w for w in unknown_words(task, trace.source) if not any(w in c for c in chars))
    scripts = foreign_scripts(task, trace.source)
    domain = task.domain if task is not None else None
    off_domain = domain is not None and not domain[1](trace.source)
    folded = task is not None and task.caseless and typed != typed.casefold()
    sure = confidence(trace)

    warnings = []
    if unknown:
        n, total = len(unknown), len(trace.source_ids)
        if chars:
            template = ngettext(
                "**{n} of {total} pieces is unknown to this model** (outlined in the map): it never saw "
                "{chars} in training and reads each as `<unk>`, so its answer cannot depend on what they "
                "say.",
                "**{n} of {total} pieces are unknown to this model** (outlined in the map): it never saw "
                "{chars} in training and reads each as `<unk>`, so its answer cannot depend on what they "
                "say.",
                n,
            )
        else:
            template = ngettext(
                "**{n} of {total} pieces is unknown to this model** (outlined in the map): it never saw "
                "them in training and reads each as `<unk>`, so its answer cannot depend on what they say.",
                "**{n} of {total} pieces are unknown to this model** (outlined in the map): it never saw "
                "them in training and reads each as `<unk>`, so its answer cannot depend on what they say.",
                n,
            )
        warnings.append(
            Message(_fill(template, n=n, total=total), {"chars": _listed(chars)} if chars else {})
        )
    if words:
        n = len(words)
        template = ngettext(
            "**{n} word is not in this model's vocabulary**: {words} – it was trained on a fixed lexicon and "
            "its answer for it is a guess.",
            "**{n} words are not in this model's vocabulary**: {words} – it was trained on a fixed lexicon "
            "and its answer for them is a guess.",
            n,
        )
        warnings.append(Message(_fill(template, n=n), {"words": _listed(words)}))
    if scripts:
        letters = sum(scripts.values())
        template = ngettext(
            "**This model was trained on {script} script only**; {n} letter here is in {scripts}.",
            "**This model was trained on {script} script only**; {n} letters here are in {scripts}.",
            letters,
        )
        warnings.append(
            Message(_fill(template, script=task.script, n=letters), {"scripts": ", ".join(scripts)})
        )
    if off_domain:
        warnings.append(
            Message(
                _(
                    "**This does not look like {kind}**, the only kind of input this model was trained on: "
                    "its answer is a guess."
                ).format(kind=_(domain[0]))
            )
        )
    notes = []
    if folded:
        notes.append(
            Message(
                _("Read in lowercase: case means nothing to this task, and its training words have none.")
            )
        )
    template = (
        _(
            "The model's confidence (best hypothesis): geometric-mean probability {mean} over its {steps} "
            "pieces; least sure at step {step}, “{piece}” (p = {least})."
        )
        if trace.hypotheses
        else _(
            "The model's confidence: geometric-mean probability {mean} over its {steps} pieces; least sure "
            "at step {step}, “{piece}” (p = {least})."
        )
    )
    ours = {"mean": probability(sure.mean), "steps": trace.num_steps, "step": sure.least_step + 1}
    notes.append(Message(_fill(template, least=probability(sure.least), **ours), {"piece": sure.piece}))
    return Findings(
        unknown, chars, words, tuple(scripts), off_domain, folded, sure, tuple(warnings), tuple(notes)
    )
