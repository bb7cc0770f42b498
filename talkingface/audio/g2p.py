"""Transcript text → words PocketSphinx knows, with a fallback pronunciation for the rest.

Forced alignment only accepts words in the pronouncing dictionary. Real transcripts contain
numbers, archaic forms ("feed'st", "buriest") and names. We normalise the text, try the
dictionary, then morphology on a dictionary stem, and only then crude letter-to-sound rules:
alignment is forgiving of an imperfect pronunciation, but not of a missing word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Look up a word in the decoder's dictionary: pronunciation ("F R AH M") or None.
Lookup = Callable[[str], "str | None"]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]  # noqa: E501
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> list[str]:
    """0 ≤ n < 10**9 spelled out in English ("1905" → nineteen hundred five is not attempted)."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return number_words(head) + [name] + (number_words(rest) if rest else [])
    raise AssertionError("unreachable")


def normalize_text(text: str) -> list[str]:
    """Lower-case words: digits spelled out, '&' → and, hyphens split, other punctuation dropped."""
    text = text.lower().replace("&", " and ").replace("’", "'").replace("‘", "'")
    words: list[str] = []
    for token in re.findall(r"[0-9]+|[a-z]+(?:'[a-z]+)*", text):
        if token.isdigit():
            words.extend(number_words(int(token)) if len(token) < 10 else [_ONES[int(d)] for d in token])
        else:
            words.append(token)
    return words


# Letter-to-sound rules, longest grapheme first. Crude on purpose (English spelling is not
# rule-governed), but every output phone is valid and vowels/consonants land in the right slots.
_GRAPHEMES: tuple[tuple[str, str], ...] = (
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("ough", "AO"), ("augh", "AO"), ("tion", "SH AH N"),
    ("sion", "ZH AH N"), ("ture", "CH ER"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"),
    ("wh", "W"), ("ck", "K"), ("ng", "NG"), ("qu", "K W"), ("ee", "IY"), ("ea", "IY"), ("oo", "UW"),
    ("ou", "AW"), ("ow", "OW"), ("ai", "EY"), ("ay", "EY"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"),
    ("aw", "AO"), ("ie", "IY"), ("ei", "EY"), ("ey", "IY"), ("ue", "UW"), ("ew", "UW"), ("er", "ER"),
    ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"), ("kn", "N"), ("wr", "R"), ("gh", "G"),
    ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"), ("h", "HH"),
    ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"), ("o", "AA"), ("p", "P"),
    ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"), ("v", "V"), ("w", "W"), ("x", "K S"),
    ("y", "IY"), ("z", "Z"),
)  # fmt: skip


def letter_to_sound(word: str) -> str:
    """A rough ARPAbet pronunciation for any alphabetic word (last resort)."""
    word = re.sub(r"[^a-z]", "", word.lower())
    word = re.sub(r"([b-df-hj-np-tv-z])\1", r"\1", word)  # doubled consonants sound once
    if len(word) > 2 and word.endswith("e") and word[-2] not in "aeiouy":
        word = word[:-1]  # silent final e
    phones: list[str] = []
    i = 0
    while i < len(word):
        for graph, sound in _GRAPHEMES:
            if word.startswith(graph, i):
                if graph == "c" and word[i + 1 : i + 2] in ("e", "i", "y"):
                    sound = "S"
                elif graph == "y" and i == 0:
                    sound = "Y"
                phones.extend(sound.split())
                i += len(graph)
                break
        else:  # pragma: no cover - every lower-case letter has a rule
            i += 1
    return " ".join(phones) or "AH"


def _with_suffix(stem_pron: str, suffix: str) -> str:
    last = stem_pron.split()[-1]
    if suffix in ("s", "'s"):
        tail = (
            "IH Z"
            if last in ("S", "Z", "SH", "ZH", "CH", "JH")
            else "S"
            if last in ("P", "T", "K", "F", "TH")
            else "Z"
        )
    elif suffix in ("'st", "st"):
        tail = "S T"
    elif suffix == "est":
        tail = "IH S T"
    elif suffix == "er":
        tail = "ER"
    elif suffix in ("ing", "in'"):
        tail = "IH NG"
    elif suffix in ("ed", "'d"):
        tail = (
            "IH D" if last in ("T", "D") else "T" if last in ("P", "K", "F", "S", "SH", "CH", "TH") else "D"
        )
    elif suffix == "ly":
        tail = "L IY"
    elif suffix == "eth":
        tail = "IH TH"
    else:
        tail = "AH"
    return f"{stem_pron} {tail}"


_SUFFIXES = ("'s", "'st", "'d", "in'", "est", "eth", "ing", "ed", "er", "ly", "st", "s")


def pronounce(word: str, lookup: Lookup) -> tuple[str, str]:
    """(pronunciation, how) for one normalised word; ``how`` is dict, morphology or rules."""
    if pron := lookup(word):
        return pron, "dict"
    for suffix in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < 2:
            continue
        base = word[: -len(suffix)]
        candidates = [base, base + "e"]
        if base.endswith("i"):
            candidates.append(base[:-1] + "y")  # buri-est → bury
        if len(base) > 2 and base[-1] == base[-2]:
            candidates.append(base[:-1])  # stopp-ed → stop
        for stem in candidates:
            if pron := lookup(stem):
                return _with_suffix(pron, suffix), "morphology"
    return letter_to_sound(word), "rules"
