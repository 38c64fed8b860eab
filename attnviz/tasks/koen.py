"""ko-en: Korean -> English sentences from a small grammar and lexicon, generated here with gold links.

Korean is verb-final (SOV) and marks roles with particles, English is SVO with prepositions and articles,
so a model must attend out of order: the object and the place come before the verb in Korean, after it
in English; a time word comes first in Korean and last in English; a question's "did"/"will" comes first
in English and is read off the verb at the end of the Korean sentence.

Gold links, by construction, at the character level (Och & Ney 2003 sure/possible):
- sure: each English content word to its Korean word stem - a noun without its particle, the adjective,
  the whole verb form ("ate" -> "먹었다", "eat" in "will eat" -> "먹을 것이다"), each word of a time
  phrase to the whole Korean time phrase; a preposition (at/to/in) to 에서 or 에; "." or "?" to itself;
- possible: an article (a/an/the) to its noun; an auxiliary (do/does/did/will) to the verb form, where
  tense and mood are written;
- the particles 은/는/이/가/을/를 align to nothing: English marks those roles by word order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeVar

from attnviz.i18n import N_
from attnviz.tasks.base import Corpus, Pair, Task, generated

TENSES = ("present", "past", "future")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Word:
    ko: str
    en: str


@dataclass(frozen=True)
class Noun:
    ko: str
    en: str
    kind: str = "count"  # "count" (a/an/the), "mass" (no indefinite article) or "name" (no article)
    describe: str = ""  # the class of adjectives that fit it (_ADJECTIVES); "" takes none
    plural: bool = False  # we / they: no 3rd-person -s, "do" not "does"


@dataclass(frozen=True)
class Place:
    ko: str
    en: str
    at: str  # the English preposition of a place where something happens (에서): "at" or "in"


@dataclass(frozen=True)
class Time:
    ko: str
    en: str
    tenses: tuple[str, ...]  # the verb tenses it agrees with


@dataclass(frozen=True)
class Verb:
    ko: tuple[str, ...]  # present, past, future statement (-다), then the same three as questions (-니/-까)
    en: tuple[str, ...]  # base, 3rd person singular present, past
    objects: tuple[str, ...] = ()  # the noun groups of its object (_OBJECTS); () for no object
    destination: str | None = None  # a motion verb's preposition for 에 ("to", "at"); None otherwise
    animals: bool = False  # whether an animal may be its subject


def _nouns(text: str, kind: str = "count", describe: str = "") -> tuple[Noun, ...]:
    return tuple(Noun(*item.split(), kind=kind, describe=describe) for item in text.split(", "))


def _words(text: str) -> tuple[Word, ...]:
    return tuple(Word(*item.split()) for item in text.split(", "))


def _verb(line: str) -> Verb:
    """A verb from one line of _VERB_TABLE."""
    ko, en, *rest = line.split("; ")
    words = (rest[0] if rest else "").split()
    motion = words in (["to"], ["at"])
    return Verb(
        tuple(ko.split("|")),
        tuple(en.split("|")),
        objects=() if motion else tuple(words),
        destination=words[0] if motion else None,
        animals=rest[1:] == ["animals"],
    )


_PEOPLE = _nouns(
    "학생 student, 아이 child, 의사 doctor, 소년 boy, 소녀 girl, 남자 man, 여자 woman, 아기 baby, "
    "군인 soldier, 요리사 chef, 농부 farmer, 가수 singer, 화가 painter, 간호사 nurse, 할머니 grandmother, "
    "할아버지 grandfather",
    describe="person",
)
_ANIMALS = _nouns(
    "개 dog, 고양이 cat, 새 bird, 말 horse, 소 cow, 토끼 rabbit, 곰 bear, 호랑이 tiger, 원숭이 monkey, "
    "코끼리 elephant, 오리 duck, 돼지 pig, 쥐 mouse, 여우 fox, 사자 lion, 양 sheep, 닭 chicken, 염소 goat, "
    "늑대 wolf, 거북이 turtle",
    describe="animal",
)
_NAMES = _nouns(
    "민수 Minsu, 지호 Jiho, 서연 Seoyeon, 지민 Jimin, 하나 Hana, 유나 Yuna, 준호 Junho, 민지 Minji, "
    "수진 Sujin, 태민 Taemin",
    kind="name",
)
_PRONOUNS = (
    Noun("그", "he", kind="name"),
    Noun("그녀", "she", kind="name"),
    Noun("우리", "we", kind="name", plural=True),
    Noun("그들", "they", kind="name", plural=True),
)
SUBJECTS = _PEOPLE + _ANIMALS + _NAMES + _PRONOUNS

# The groups a verb's object is drawn from (Verb.objects), so that dogs eat food and people read books.
_OBJECTS: dict[str, tuple[Noun, ...]] = {
    "people": _PEOPLE,
    "animals": _ANIMALS,
    "food": _nouns(
        "사과 apple, 바나나 banana, 오렌지 orange, 달걀 egg, 케이크 cake, 샌드위치 sandwich, 피자 pizza, "
        "쿠키 cookie, 복숭아 peach, 배 pear, 수박 watermelon, 감자 potato, 당근 carrot, 토마토 tomato, "
        "양파 onion",
        describe="food",
    )
    + _nouns(
        "빵 bread, 밥 rice, 김치 kimchi, 고기 meat, 치즈 cheese, 수프 soup, 국수 noodles", "mass", "mass"
    ),
    "drinks": _nouns(
        "물 water, 우유 milk, 커피 coffee, 차 tea, 주스 juice, 맥주 beer, 와인 wine, 콜라 cola",
        "mass",
        "mass",
    ),
    "text": _nouns("책 book, 신문 newspaper, 잡지 magazine, 지도 map", describe="text"),
    "letters": _nouns(
        "편지 letter, 시 poem, 이야기 story, 이메일 email, 소설 novel, 일기 diary", describe="text"
    ),
    "small": _nouns(
        "가방 bag, 우산 umbrella, 시계 watch, 모자 hat, 신발 shoe, 열쇠 key, 연필 pencil, 펜 pen, 꽃 flower, "
        "사진 photo, 반지 ring, 거울 mirror, 지갑 wallet, 전화기 phone, 양말 sock, 상자 box",
        describe="thing",
    ),
    "dishes": _nouns("컵 cup, 접시 plate, 그릇 bowl, 숟가락 spoon, 병 bottle, 냄비 pot", describe="thing"),
    "toys": _nouns("공 ball, 인형 doll, 장난감 toy, 풍선 balloon", describe="thing"),
    "big": _nouns(
        "의자 chair, 책상 desk, 자전거 bike, 자동차 car, 컴퓨터 computer, 침대 bed, 소파 sofa, "
        "냉장고 fridge, 피아노 piano, 텔레비전 television",
        describe="thing",
    ),
    "openable": _nouns(
        "문 door, 창문 window, 상자 box, 가방 bag, 병 bottle, 냉장고 fridge, 지갑 wallet, 우산 umbrella",
        describe="thing",
    ),
}
_OBJECTS["text"] += _OBJECTS["letters"]  # what can be written can be read
_OBJECTS["things"] = _OBJECTS["small"] + _OBJECTS["dishes"] + _OBJECTS["toys"]

_ADJECTIVES: dict[str, tuple[Word, ...]] = {
    "thing": _words(
        "큰 big, 작은 small, 새로운 new, 오래된 old, 빨간 red, 파란 blue, 노란 yellow, 하얀 white, "
        "검은 black, 예쁜 pretty, 비싼 expensive, 싼 cheap, 더러운 dirty, 깨끗한 clean, 무거운 heavy, "
        "가벼운 light"
    ),
    "food": _words(
        "큰 big, 작은 small, 빨간 red, 노란 yellow, 맛있는 delicious, 신선한 fresh, 뜨거운 hot, 차가운 cold, "
        "달콤한 sweet"
    ),
    "mass": _words("맛있는 delicious, 신선한 fresh, 뜨거운 hot, 차가운 cold, 달콤한 sweet"),
    "text": _words(
        "새로운 new, 오래된 old, 긴 long, 짧은 short, 재미있는 interesting, 슬픈 sad, 이상한 strange"
    ),
    "animal": _words(
        "큰 big, 작은 small, 귀여운 cute, 늙은 old, 어린 young, 배고픈 hungry, 하얀 white, 검은 black, "
        "무서운 scary, 아픈 sick"
    ),
    "person": _words(
        "어린 young, 늙은 old, 행복한 happy, 슬픈 sad, 배고픈 hungry, 친절한 kind, 아픈 sick, 바쁜 busy"
    ),
}
_PLACES = tuple(
    Place(*item.split())
    for item in (
        "공원 park at, 학교 school at, 부엌 kitchen in, 정원 garden in, 도서관 library at, 시장 market at, "
        "식당 restaurant at, 카페 cafe at, 가게 shop at, 역 station at, 병원 hospital at, 해변 beach at, "
        "교실 classroom in, 방 room in, 숲 forest in, 마을 village in, 호텔 hotel at, 공항 airport at, "
        "동물원 zoo at, 사무실 office in, 극장 theater at, 농장 farm at"
    ).split(", ")
)
_PAST, _NOW, _LATER, _ANY = ("past",), ("present",), ("future",), TENSES
_TIMES = (
    Time("어제", "yesterday", _PAST),
    Time("어젯밤", "last night", _PAST),
    Time("지난주", "last week", _PAST),
    Time("작년", "last year", _PAST),
    Time("오늘", "today", _ANY),
    Time("매일", "every day", _NOW),
    Time("요즘", "these days", _NOW),
    Time("아침마다", "every morning", _NOW),
    Time("내일", "tomorrow", _LATER),
    Time("다음 주", "next week", _LATER),
    Time("내년", "next year", _LATER),
    Time("오늘 밤", "tonight", _LATER),
)
# One verb a line, every form written out: present|past|future statement|the same three as yes/no questions;
# English base|3rd person singular|past; then "to"/"at" for a motion verb (its preposition for 에) or the
# object groups of a transitive one (_OBJECTS); "animals" where an animal may be its subject.
_VERB_TABLE = """\
간다|갔다|갈 것이다|가니|갔니|갈까; go|goes|went; to; animals
온다|왔다|올 것이다|오니|왔니|올까; come|comes|came; to; animals
걸어간다|걸어갔다|걸어갈 것이다|걸어가니|걸어갔니|걸어갈까; walk|walks|walked; to; animals
뛰어간다|뛰어갔다|뛰어갈 것이다|뛰어가니|뛰어갔니|뛰어갈까; run|runs|ran; to; animals
돌아간다|돌아갔다|돌아갈 것이다|돌아가니|돌아갔니|돌아갈까; return|returns|returned; to; animals
도착한다|도착했다|도착할 것이다|도착하니|도착했니|도착할까; arrive|arrives|arrived; at; animals
잔다|잤다|잘 것이다|자니|잤니|잘까; sleep|sleeps|slept; ; animals
웃는다|웃었다|웃을 것이다|웃니|웃었니|웃을까; laugh|laughs|laughed
운다|울었다|울 것이다|우니|울었니|울까; cry|cries|cried
논다|놀았다|놀 것이다|노니|놀았니|놀까; play|plays|played; ; animals
일한다|일했다|일할 것이다|일하니|일했니|일할까; work|works|worked
공부한다|공부했다|공부할 것이다|공부하니|공부했니|공부할까; study|studies|studied
노래한다|노래했다|노래할 것이다|노래하니|노래했니|노래할까; sing|sings|sang
춤춘다|춤췄다|춤출 것이다|춤추니|춤췄니|춤출까; dance|dances|danced
수영한다|수영했다|수영할 것이다|수영하니|수영했니|수영할까; swim|swims|swam; ; animals
쉰다|쉬었다|쉴 것이다|쉬니|쉬었니|쉴까; rest|rests|rested; ; animals
기다린다|기다렸다|기다릴 것이다|기다리니|기다렸니|기다릴까; wait|waits|waited; ; animals
달린다|달렸다|달릴 것이다|달리니|달렸니|달릴까; run|runs|ran; ; animals
먹는다|먹었다|먹을 것이다|먹니|먹었니|먹을까; eat|eats|ate; food; animals
마신다|마셨다|마실 것이다|마시니|마셨니|마실까; drink|drinks|drank; drinks; animals
요리한다|요리했다|요리할 것이다|요리하니|요리했니|요리할까; cook|cooks|cooked; food
산다|샀다|살 것이다|사니|샀니|살까; buy|buys|bought; food drinks things big text
판다|팔았다|팔 것이다|파니|팔았니|팔까; sell|sells|sold; food drinks things big text
본다|봤다|볼 것이다|보니|봤니|볼까; see|sees|saw; things big animals people; animals
만든다|만들었다|만들 것이다|만드니|만들었니|만들까; make|makes|made; food things big
읽는다|읽었다|읽을 것이다|읽니|읽었니|읽을까; read|reads|read; text
쓴다|썼다|쓸 것이다|쓰니|썼니|쓸까; write|writes|wrote; letters
찾는다|찾았다|찾을 것이다|찾니|찾았니|찾을까; find|finds|found; things text animals; animals
잃어버린다|잃어버렸다|잃어버릴 것이다|잃어버리니|잃어버렸니|잃어버릴까; lose|loses|lost; things text
숨긴다|숨겼다|숨길 것이다|숨기니|숨겼니|숨길까; hide|hides|hid; things food; animals
씻는다|씻었다|씻을 것이다|씻니|씻었니|씻을까; wash|washes|washed; dishes
고친다|고쳤다|고칠 것이다|고치니|고쳤니|고칠까; fix|fixes|fixed; big
그린다|그렸다|그릴 것이다|그리니|그렸니|그릴까; draw|draws|drew; things food animals people
연다|열었다|열 것이다|여니|열었니|열까; open|opens|opened; openable
닫는다|닫았다|닫을 것이다|닫니|닫았니|닫을까; close|closes|closed; openable
좋아한다|좋아했다|좋아할 것이다|좋아하니|좋아했니|좋아할까; like|likes|liked; food drinks animals; animals
던진다|던졌다|던질 것이다|던지니|던졌니|던질까; throw|throws|threw; toys
잡는다|잡았다|잡을 것이다|잡니|잡았니|잡을까; catch|catches|caught; toys animals; animals
빌린다|빌렸다|빌릴 것이다|빌리니|빌렸니|빌릴까; borrow|borrows|borrowed; text things big
받는다|받았다|받을 것이다|받니|받았니|받을까; get|gets|got; things letters food
가져온다|가져왔다|가져올 것이다|가져오니|가져왔니|가져올까; bring|brings|brought; things food text
먹인다|먹였다|먹일 것이다|먹이니|먹였니|먹일까; feed|feeds|fed; animals
민다|밀었다|밀 것이다|미니|밀었니|밀까; push|pushes|pushed; big
당긴다|당겼다|당길 것이다|당기니|당겼니|당길까; pull|pulls|pulled; big
청소한다|청소했다|청소할 것이다|청소하니|청소했니|청소할까; clean|cleans|cleaned; big
"""
_VERBS = tuple(_verb(line) for line in _VERB_TABLE.splitlines())

# The lexicon by Korean word (verbs by their present form), for tests, examples and the unknown-word check.
NOUNS = {n.ko: n for n in SUBJECTS + tuple(n for group in _OBJECTS.values() for n in group)}
ADJECTIVES = {a.ko: a for group in _ADJECTIVES.values() for a in group}
PLACES = {p.ko: p for p in _PLACES}
TIMES = {t.ko: t for t in _TIMES}
VERBS = {v.ko[0]: v for v in _VERBS}

# ---------------------------------------------------------------- particles

# Each role's particle (after a final consonant, after a vowel); 에서 (at) and 에 (to) have one form.
_PARTICLES = {"topic": ("은", "는"), "subject": ("이", "가"), "object": ("을", "를")}


def has_batchim(syllable: str) -> bool:
    """Whether a Hangul syllable ends in a consonant (받침): its code is 0xAC00 + (initial * 21 + vowel) * 28
    + final, and final 0 means none."""
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 19 * 21 * 28:
        raise ValueError(f"{syllable!r} is not a Hangul syllable")
    return code % 28 != 0


def particle(noun: str, role: str) -> str:
    """The particle of `role` ("topic", "subject", "object") after `noun`: 은/이/을 after a final
    consonant, 는/가/를 after a vowel."""
    after_consonant, after_vowel = _PARTICLES[role]
    return after_consonant if has_batchim(noun[-1]) else after_vowel


# ---------------------------------------------------------------- sentences


@dataclass(frozen=True)
class Clause:
    """One sentence of the grammar: [time] subject [place] [adjective] [object] verb, in Korean order."""

    subject: Noun
    verb: Verb
    tense: str = "present"
    question: bool = False
    topic: bool = False  # the subject takes 은/는 (topic) rather than 이/가 (subject); English has one form
    time: Time | None = None
    place: Place | None = None  # where it happens (에서), or a motion verb's destination (에)
    subject_adjective: Word | None = None
    obj: Noun | None = None
    obj_adjective: Word | None = None


class _Line:
    """A sentence written word by word, remembering each word's character span."""

    def __init__(self) -> None:
        self.text = ""

    def add(self, word: str, *, attached: bool = False) -> tuple[int, int]:
        if self.text and not attached:
            self.text += " "
        start = len(self.text)
        self.text += word
        return start, len(self.text)


# An English word, the name of the Korean span it links to, and whether the link is sure.
_EnglishWord = tuple[str, str, bool]


def _article(noun: Noun, definite: bool, following: str) -> str | None:
    """ "the" for a definite noun, "a"/"an" (by the next word's first letter) for a count noun, else none."""
    if noun.kind == "name":
        return None
    if definite:
        return "the"
    if noun.kind == "mass":
        return None
    return "an" if following[0] in "aeiou" else "a"


def _noun_phrase(noun: Noun, adjective: Word | None, *, definite: bool, key: str) -> list[_EnglishWord]:
    words = ([(adjective.en, f"{key}_adjective", True)] if adjective else []) + [(noun.en, key, True)]
    article = _article(noun, definite, words[0][0])
    return ([(article, key, False)] if article else []) + words


def _verb_phrase(clause: Clause) -> list[_EnglishWord]:
    """The English verb; in a question only its base form follows the subject (the auxiliary leads)."""
    base, third, past = clause.verb.en
    if clause.question:
        return [(base, "verb", True)]
    if clause.tense == "future":
        return [("will", "verb", False), (base, "verb", True)]
    if clause.tense == "past":
        return [(past, "verb", True)]
    return [(base if clause.subject.plural else third, "verb", True)]


def _auxiliary(clause: Clause) -> str:
    present = "do" if clause.subject.plural else "does"
    return {"present": present, "past": "did", "future": "will"}[clause.tense]


def _korean(clause: Clause) -> tuple[str, dict[str, tuple[int, int]]]:
    """The Korean sentence and the span of each linkable part, by name."""
    line, at = _Line(), {}
    if clause.time:
        at["time"] = line.add(clause.time.ko)
    if clause.subject_adjective:
        at["subject_adjective"] = line.add(clause.subject_adjective.ko)
    at["subject"] = line.add(clause.subject.ko)
    line.add(particle(clause.subject.ko, "topic" if clause.topic else "subject"), attached=True)
    if clause.place:
        at["place"] = line.add(clause.place.ko)
        at["preposition"] = line.add("에" if clause.verb.destination else "에서", attached=True)
    if clause.obj:
        if clause.obj_adjective:
            at["obj_adjective"] = line.add(clause.obj_adjective.ko)
        at["obj"] = line.add(clause.obj.ko)
        line.add(particle(clause.obj.ko, "object"), attached=True)
    at["verb"] = line.add(clause.verb.ko[TENSES.index(clause.tense) + 3 * clause.question])
    at["end"] = line.add("?" if clause.question else ".", attached=True)
    return line.text, at


def _english(clause: Clause) -> list[_EnglishWord]:
    """English order: [auxiliary] subject verb [object] [preposition place] [time] . or ?"""
    words = [(_auxiliary(clause), "verb", False)] if clause.question else []
    words += _noun_phrase(clause.subject, clause.subject_adjective, definite=True, key="subject")
    words += _verb_phrase(clause)
    if clause.obj:
        words += _noun_phrase(clause.obj, clause.obj_adjective, definite=False, key="obj")
    if clause.place:
        preposition = clause.verb.destination or clause.place.at
        words += [
            (preposition, "preposition", True),
            ("the", "place", False),
            (clause.place.en, "place", True),
        ]
    if clause.time:
        words += [(word, "time", True) for word in clause.time.en.split()]
    first, key, sure = words[0]
    return [
        (first[0].upper() + first[1:], key, sure),
        *words[1:],
        ("?" if clause.question else ".", "end", True),
    ]


def render(clause: Clause) -> Pair:
    """The clause as a Korean -> English pair with its gold links (the scheme in the module docstring)."""
    source, at = _korean(clause)
    line, links = _Line(), []
    for word, key, sure in _english(clause):
        links.append((*at[key], *line.add(word, attached=key == "end"), sure))
    return Pair(source, line.text, tuple(links))


# ---------------------------------------------------------------- the grammar's choices


def verbs_for(subject: Noun) -> tuple[Verb, ...]:
    """The verbs `subject` may take: all of them for people, fewer for animals (no dog reads)."""
    return _VERBS if subject not in _ANIMALS else tuple(v for v in _VERBS if v.animals)


def objects_for(verb: Verb) -> tuple[Noun, ...]:
    """The nouns that fit as the object of `verb`, each once."""
    return tuple(dict.fromkeys(n for group in verb.objects for n in _OBJECTS[group]))


def adjectives_for(noun: Noun) -> tuple[Word, ...]:
    return _ADJECTIVES.get(noun.describe, ())


def times_for(tense: str) -> tuple[Time, ...]:
    """The time words that agree with `tense` ("어제" only with the past, "내일" only the future)."""
    return tuple(t for t in _TIMES if tense in t.tenses)


def _maybe(rng: random.Random, choices: tuple[_T, ...], p: float) -> _T | None:
    """One of `choices` with probability p (None without choices)."""
    return rng.choice(choices) if choices and rng.random() < p else None


def sample(rng: random.Random) -> Clause:
    """One clause of the grammar, every part drawn from the choices above."""
    subject = rng.choice(SUBJECTS)
    verb = rng.choice(verbs_for(subject))
    tense = rng.choice(TENSES)
    obj = rng.choice(objects_for(verb)) if verb.objects else None
    return Clause(
        subject,
        verb,
        tense,
        question=rng.random() < 0.3,
        topic=rng.random() < 0.5,
        time=_maybe(rng, times_for(tense), 0.5),
        place=rng.choice(_PLACES) if verb.destination or rng.random() < 0.4 else None,
        subject_adjective=_maybe(rng, adjectives_for(subject), 0.2),
        obj=obj,
        obj_adjective=_maybe(rng, adjectives_for(obj), 0.4) if obj else None,
    )


def generate_koen(n: int, seed: int) -> list[Pair]:
    """n distinct Korean sentences of the grammar paired with their English translations and gold links."""
    rng = random.Random(seed)
    pairs: dict[str, Pair] = {}  # keyed by source: the same sentence never lands in two splits
    while len(pairs) < n:
        pair = render(sample(rng))
        pairs.setdefault(pair.source, pair)
    return list(pairs.values())


# ---------------------------------------------------------------- words outside the lexicon

_PUNCTUATION = ".,?!"


def _known_words() -> frozenset[str]:
    """Every word the generator writes: a noun bare or with one of its particles, an adjective, a word of a
    verb form or a time phrase."""
    nouns = [*NOUNS, *PLACES]
    with_particles = {noun + particle(noun, role) for noun in nouns for role in _PARTICLES}
    with_particles |= {noun + p for noun in nouns for p in ("에", "에서")}
    phrases = [*ADJECTIVES, *TIMES, *(form for verb in _VERBS for form in verb.ko)]
    return frozenset(nouns) | with_particles | {word for phrase in phrases for word in phrase.split()}


_KNOWN = _known_words()


def unknown_words(text: str) -> tuple[str, ...]:
    """The words of `text` (punctuation stripped) that the generator never writes, each once, in order.

    With one piece per syllable, a word outside the lexicon made of known syllables (선생님) would not be
    read as <unk> but translated silently into something from the lexicon: checks.py warns instead."""
    words = (word.strip(_PUNCTUATION) for word in text.split())
    return tuple(dict.fromkeys(word for word in words if word and word not in _KNOWN))


def load(seed: int, path: str | None, size: int | None) -> Corpus:
    return generated("ko-en", generate_koen, seed, size)


# The picker's examples, each with crossing links: object and place before the verb, time first, questions.
EXAMPLE_CLAUSES = (
    Clause(
        NOUNS["민수"],
        VERBS["먹는다"],
        "past",
        topic=True,
        time=TIMES["어제"],
        place=PLACES["공원"],
        obj=NOUNS["사과"],
        obj_adjective=ADJECTIVES["빨간"],
    ),
    Clause(
        NOUNS["고양이"],
        VERBS["마신다"],
        place=PLACES["부엌"],
        obj=NOUNS["우유"],
        obj_adjective=ADJECTIVES["차가운"],
    ),
    Clause(NOUNS["학생"], VERBS["간다"], "future", time=TIMES["내일"], place=PLACES["도서관"]),
    Clause(
        NOUNS["그녀"],
        VERBS["쓴다"],
        "past",
        question=True,
        topic=True,
        time=TIMES["어제"],
        obj=NOUNS["편지"],
        obj_adjective=ADJECTIVES["긴"],
    ),
    Clause(
        NOUNS["우리"],
        VERBS["읽는다"],
        "future",
        question=True,
        topic=True,
        obj=NOUNS["책"],
        obj_adjective=ADJECTIVES["오래된"],
    ),
)

TASK = Task(
    name="ko-en",
    title=N_("Korean→English"),
    use=N_("translates simple Korean sentences (statements and yes/no questions) into English"),
    data=N_(
        "synthetic Korean -> English sentences from a small grammar and lexicon, generated by attnviz "
        "(attnviz/tasks/koen.py)"
    ),
    load=load,
    # One piece per word, particle attached (사과를): with one piece per syllable the model attended to the
    # spaces between words, not to the words (bench/RESULTS.md), and a map of syllables reads badly.
    source_kind="word",
    target_kind="word",
    metric="exact_match",
    examples=tuple(render(c).source for c in EXAMPLE_CLAUSES),
    defaults={"label_smoothing": 0.0, "model": {"dropout": 0.0}},  # as dates: noise-free and plentiful
    gold="generated: English content words to their Korean stems and prepositions to 에서/에 (sure), "
    "articles and auxiliaries to their noun and verb (possible); particles are unaligned",
    script="Hangul",
    unknown_words=unknown_words,
)
