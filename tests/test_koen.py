"""ko-en: the generated Korean -> English sentences, their particles, agreement, articles and gold links."""

import random

import pytest

from attnviz import tasks
from attnviz.tasks import Pair, koen
from attnviz.tasks.koen import ADJECTIVES, NOUNS, PLACES, TIMES, VERBS, Clause, render

PARTICLES = {"은", "는", "이", "가", "을", "를"}


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return koen.generate_koen(2000, seed=0)


@pytest.fixture(scope="module")
def clauses() -> list[Clause]:
    rng = random.Random(0)
    return [koen.sample(rng) for _ in range(2000)]


def drawn(pair: Pair) -> list[tuple[str, str, bool]]:
    """Each link as (Korean text, English text, sure)."""
    return [(pair.source[s0:s1], pair.target[t0:t1], sure) for s0, s1, t0, t1, sure in pair.links]


def crosses(pair: Pair) -> bool:
    """Whether two sure links cross: one's Korean comes first and its English second."""
    sure = [(s0, t0) for s0, _, t0, _, is_sure in pair.links if is_sure]
    return any(a[0] < b[0] and a[1] > b[1] for a in sure for b in sure)


def test_generation_is_seeded_distinct_and_a_function_of_the_source(pairs):
    assert pairs == koen.generate_koen(2000, seed=0)
    assert pairs != koen.generate_koen(2000, seed=1)
    assert len({p.source for p in pairs}) == 2000
    # A sentence generated under another seed has the same translation: exact match can reach 100%.
    translation = {p.source: p.target for p in pairs}
    shared = [p for p in koen.generate_koen(20_000, seed=1) if p.source in translation]
    assert shared and all(translation[p.source] == p.target for p in shared)


def test_every_source_word_is_in_the_lexicon(pairs):
    assert [p.source for p in pairs if koen.unknown_words(p.source)] == []
    # Outside it: an unseen noun, a particle the wrong batchim would take, a verb's dictionary form.
    assert koen.unknown_words("선생님이 개을 먹다. 개가 먹다?") == ("선생님이", "개을", "먹다")
    assert koen.unknown_words("오늘 밤, 곰은 책을 읽을 것이다!") == ()


@pytest.mark.parametrize(
    ("noun", "role", "particle"),
    [
        ("곰", "object", "을"),
        ("개", "object", "를"),
        ("닭", "subject", "이"),  # a double final consonant
        ("사과", "subject", "가"),
        ("서연", "topic", "은"),
        ("민수", "topic", "는"),
    ],
)
def test_particles_follow_the_final_consonant(noun, role, particle):
    assert koen.particle(noun, role) == particle


def test_batchim_is_read_from_the_unicode_syllable():
    assert [koen.has_batchim(c) for c in "가각갛힣히"] == [False, True, True, True, False]
    with pytest.raises(ValueError, match="not a Hangul syllable"):
        koen.has_batchim("a")


def test_each_noun_in_a_sentence_carries_its_own_particle(clauses):
    for clause in clauses:
        source = render(clause).source
        role = "topic" if clause.topic else "subject"
        assert f"{clause.subject.ko}{koen.particle(clause.subject.ko, role)} " in source, source
        if clause.obj:
            assert f" {clause.obj.ko}{koen.particle(clause.obj.ko, 'object')} " in source, source


def test_time_words_agree_with_the_tense(clauses, pairs):
    timed = [c for c in clauses if c.time]
    assert len(timed) > 500 and all(c.tense in c.time.tenses for c in timed)
    assert {c.tense for c in timed if c.time.ko == "오늘"} == set(koen.TENSES)
    for p in pairs:
        if p.source.startswith("어제 "):
            assert "will" not in p.target.split() and p.target.endswith(("yesterday.", "yesterday?")), p
        if p.source.startswith("내일 "):
            assert "will" in p.target.lower().split(), p


def test_articles_fit_the_next_word_and_mass_nouns_take_none(pairs):
    for p in pairs:
        words = p.target.lower().split()
        for article, following in zip(words, words[1:], strict=False):
            if article in ("a", "an"):
                assert (article == "an") == (following[0] in "aeiou"), p
    assert render(koen.EXAMPLE_CLAUSES[4]).target == "Will we read an old book?"
    assert render(koen.EXAMPLE_CLAUSES[1]).target == "The cat drinks cold milk in the kitchen."


def test_the_present_takes_third_person_s_and_questions_take_do_or_does(clauses):
    apple = NOUNS["사과"]
    assert render(Clause(NOUNS["우리"], VERBS["먹는다"], obj=apple)).target == "We eat an apple."
    assert render(Clause(NOUNS["그녀"], VERBS["먹는다"], obj=apple)).target == "She eats an apple."
    assert render(Clause(NOUNS["그들"], VERBS["먹는다"], question=True)).target == "Do they eat?"
    assert render(Clause(NOUNS["개"], VERBS["먹는다"], question=True)).target == "Does the dog eat?"
    for clause in clauses:
        if clause.tense == "present" and not clause.question:
            base, third, _ = clause.verb.en
            words = render(clause).target.rstrip(".").split()
            assert (base if clause.subject.plural else third) in words


def test_gold_links_are_exact_on_a_hand_written_pair():
    p = render(koen.EXAMPLE_CLAUSES[0])
    assert (p.source, p.target) == (
        "어제 민수는 공원에서 빨간 사과를 먹었다.",
        "Minsu ate a red apple at the park yesterday.",
    )
    assert sorted(p.links) == sorted(
        [
            (3, 5, 0, 5, True),  # 민수 - Minsu (not 는)
            (19, 22, 6, 9, True),  # 먹었다 - ate
            (15, 17, 10, 11, False),  # 사과 - a
            (12, 14, 12, 15, True),  # 빨간 - red
            (15, 17, 16, 21, True),  # 사과 - apple (not 를)
            (9, 11, 22, 24, True),  # 에서 - at
            (7, 9, 25, 28, False),  # 공원 - the
            (7, 9, 29, 33, True),  # 공원 - park
            (0, 2, 34, 43, True),  # 어제 - yesterday
            (22, 23, 43, 44, True),  # . - .
        ]
    )


def test_gold_links_of_a_question_and_of_the_future():
    question = render(koen.EXAMPLE_CLAUSES[3])
    assert (question.source, question.target) == (
        "어제 그녀는 긴 편지를 썼니?",
        "Did she write a long letter yesterday?",
    )
    assert drawn(question) == [
        ("썼니", "Did", False),
        ("그녀", "she", True),
        ("썼니", "write", True),
        ("편지", "a", False),
        ("긴", "long", True),
        ("편지", "letter", True),
        ("어제", "yesterday", True),
        ("?", "?", True),
    ]
    future = render(koen.EXAMPLE_CLAUSES[2])
    assert future.target == "The student will go to the library tomorrow."
    assert drawn(future) == [
        ("학생", "The", False),
        ("학생", "student", True),
        ("갈 것이다", "will", False),
        ("갈 것이다", "go", True),
        ("에", "to", True),
        ("도서관", "the", False),
        ("도서관", "library", True),
        ("내일", "tomorrow", True),
        (".", ".", True),
    ]


def test_gold_links_cover_every_english_word_and_never_a_particle(pairs):
    stems = {
        *NOUNS,
        *ADJECTIVES,
        *PLACES,
        *TIMES,
        *(f for v in VERBS.values() for f in v.ko),
        "에",
        "에서",
        ".",
        "?",
    }
    for p in pairs:
        surely = {t0 for _, _, t0, _, sure in p.links if sure}
        starts = [i for i, c in enumerate(p.target) if c != " " and (i == 0 or p.target[i - 1] == " ")]
        for start in starts:
            word = p.target[start:].split()[0].lower().rstrip(".?")
            assert start in surely or word in ("a", "an", "the", "do", "does", "did", "will"), (word, p)
        for korean, english, _ in drawn(p):
            assert korean in stems and korean not in PARTICLES, (korean, english, p)


def test_most_pairs_have_crossing_sure_links(pairs):
    assert sum(map(crosses, pairs)) / len(pairs) > 0.85


def test_the_examples_are_sentences_the_grammar_can_draw():
    assert koen.TASK.examples == tuple(render(c).source for c in koen.EXAMPLE_CLAUSES)
    for clause in koen.EXAMPLE_CLAUSES:
        assert clause.verb in koen.verbs_for(clause.subject)
        assert clause.obj in koen.objects_for(clause.verb) if clause.verb.objects else clause.obj is None
        assert clause.obj_adjective is None or clause.obj_adjective in koen.adjectives_for(clause.obj)
        assert clause.subject_adjective is None or clause.subject_adjective in koen.adjectives_for(
            clause.subject
        )
        assert clause.time is None or clause.time in koen.times_for(clause.tense)
        assert clause.place is not None or clause.verb.destination is None
        assert crosses(render(clause)) and koen.unknown_words(render(clause).source) == ()


def test_a_korean_word_has_one_entry_in_the_lexicon():
    for group in (*koen._OBJECTS.values(), koen.SUBJECTS):
        assert all(NOUNS[n.ko] == n for n in group)
    assert all(ADJECTIVES[a.ko] == a for group in koen._ADJECTIVES.values() for a in group)
    assert len(VERBS) == 45 and all(len(v.ko) == 6 and len(v.en) == 3 for v in VERBS.values())


def test_load_splits_like_dates_and_the_registry_finds_it():
    corpus = tasks.load_task("ko-en", seed=3, size=1000)
    assert (len(corpus.train), len(corpus.dev), len(corpus.test)) == (850, 50, 100)
    assert corpus.task == "ko-en" and all(p.links for p in corpus.test)
    assert corpus == tasks.load_task("ko-en", seed=3, size=1000)
    task = tasks.get("ko-en")
    assert task is koen.TASK and task in tasks.built_in()
    assert (task.title, task.source_kind, task.target_kind, task.metric) == (
        "Korean→English",
        "word",
        "word",
        "exact_match",
    )
    assert task.script == "Hangul" and task.unknown_words is koen.unknown_words
