"""Small helpers for sentences people read: the one place that picks "a" or "an".

Messages are built from words that vary (a series' status, a category's or a
card's name), so the article cannot be typed in: "A active series" and "a
Artist batch" were what that gave. ``a_or_an`` goes by how a word is said,
which for most words is how it starts:

- a vowel letter takes "an" ("an active series", "an Ørsted band"), except
  where it is said with a consonant ("a unique code", "a one-day pass",
  "a European event");
- a silent h takes "an" ("an hour");
- an abbreviation in capitals is said letter by letter, so it takes "an"
  when its first letter's name starts with a vowel sound ("an NTAG213 band",
  "an RFID card", "an SQL error", but "a VIP batch", "a GA band"); a longer
  one in capitals is said as a word ("a MIFARE card").
"""

from __future__ import annotations

_VOWELS = "aeiouæøåäöüéèêáàâíìîóòôúùûœ"
# Letters whose names start with a vowel sound: eff, aitch (in the way most say it: no), el, em,
# en, ar, ess, ex, and the vowels themselves.
# Letters whose names start with a vowel sound: a, e, eff, aitch, i, el, em, en, o, ar, ess, ex.
_VOWEL_SOUND_LETTERS = "aefhilmnorsx"
_CONSONANT_SOUND_STARTS = ("uni", "use", "usu", "uti", "eu", "one", "once")
_SILENT_H_STARTS = ("hour", "honest", "honour", "honor", "heir")


def article(word: str) -> str:
    """"a" or "an" for the word (or phrase) that follows."""
    first = word.split(maxsplit=1)[0] if word.split() else ""
    letters = "".join(ch for ch in first if ch.isalpha())
    if not first:
        return "a"
    capitals = len(letters) - len(letters.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    short = capitals == len(letters) and len(letters) <= 4
    if capitals >= 2 and (short or any(c.isdigit() for c in first)):
        # An abbreviation said letter by letter (NTAG213, RFID, VIP); MIFARE or NASA are said as words.
        return "an" if letters[0].lower() in _VOWEL_SOUND_LETTERS else "a"
    lowered = first.lower()
    if lowered[0].isdigit():
        return "an" if lowered[0] == "8" or lowered.startswith(("11", "18")) else "a"
    if lowered.startswith(_SILENT_H_STARTS):
        return "an"
    if lowered.startswith(_CONSONANT_SOUND_STARTS):
        return "a"
    return "an" if lowered[0] in _VOWELS else "a"


def a_or_an(word: str) -> str:
    """The word with its article: "an active", "a draft"."""
    return f"{article(word)} {word}"


def A_or_An(word: str) -> str:  # the capital says where it goes: a sentence's start
    """The same, at the start of a sentence: "An active", "A draft"."""
    phrase = a_or_an(word)
    return phrase[:1].upper() + phrase[1:]
