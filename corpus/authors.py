"""Author names: one entry per person, without labels, job titles, outlets or prose.

Pages declare their authors loosely: a byline label before the name ("Текст: …",
"By …"), a job title or the outlet's web address beside it ("AP Auto Writer",
"Cleveland.com"), an affiliation after a full stop ("Finian Cunningham. Sputnik
International"), or a sentence that is no byline at all. The rules here read the
shape of an entry (capitalisation, a web address, a role noun, a full stop after
a name), never a site's name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corpus.metadata import StructuredData

# A byline word before the name ("By", "Von", "Autor"); capitalised only, so "von der Leyen" stays.
_BYLINE_WORD = re.compile(
    r"^(?:.{0,30}\s)?(?:By|by|Von|Par|Por|Door|Autor|Autorin|Author|Reporter):?\s+(?=\w)"
)
# A label that says what the person did, at the start only: "Text: Jane Doe", "Текст Венера Ерофеева".
_LABEL = re.compile(
    r"^(?:Text|Texte|Texto|Testo|Tekst|Teksti|Words|Reporting by|Written by|Текст|Автор|Авторы)\s*:?\s+(?=\w)"
    r"|^[^\W\d_]+:\s+(?=\w)"
)
_LIST = re.compile(r"\s*[,&;]\s*")
_CONJUNCTION = re.compile(r"\s+(?:and|und|og|och|y|et|e|en|i|и)\s+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\S)@\w+")  # a social media handle beside the name
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
# A full stop closing a name of two words or more (not an initial, not "Dr."), then more text.
_AFFILIATION = re.compile(r"^((?:\S+\s+)+?\S*[^\W\d_]{2})\.\s+(?=\S)")
_TLDS = (
    "de",
    "com",
    "ch",
    "at",
    "fr",
    "es",
    "it",
    "co",
    "uk",
    "net",
    "org",
    "tv",
    "jp",
    "no",
    "tr",
    "lt",
)
_HOST_NAME = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.IGNORECASE)
# Nouns of a job title in a few languages, with their plural and feminine endings.
_ROLE = re.compile(
    r"^(?:writer|reporter|correspondent|editor|columnist|contributor|journalist|photographer|producer"
    r"|analyst|staff|intern|redakteur|korrespondent|mitarbeiter|periodista|corresponsal|redactor|enviad[oa]"
    r"|journaliste|correspondante?|rédacteur|rédactrice|envoyée?|giornalista|corrispondente|inviat[oa]"
    r"|redattore|redattrice|jornalista|repórter|корреспондент|журналист|редактор|обозреватель|muhabir"
    r"|dziennikar(?:z|ka)|redaktør|skribent)(?:s|es|in|innen|a|as|ка|ки|ы)?$"
)
_NAME_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "di",
    "du",
    "del",
    "la",
    "le",
    "bin",
    "al",
    "el",
    "y",
    "e",
    "zu",
}
_MAX_NAME_WORDS = 5
_NOT_IN_NAMES = re.compile(r"[\d:]")


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def looks_like_full_name(name: str) -> bool:
    """Two words or more ("Jemima Kelly"), or two ideographs or more, not an agency code or initials."""
    if any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in name):
        return len(name.strip()) >= 2
    return len(name.split()) >= 2


def _capitalised(word: str) -> bool:
    """A word a name can hold: capitalised, caseless (中文), or short ("de", "für", "of")."""
    return not word[:1].islower() or len(word) <= 3 or word.casefold() in _NAME_PARTICLES


def is_person_name(name: str) -> bool:
    """A full name of a few capitalised words ("Lê Phương", "Ursula von der Leyen"), not a phrase."""
    words = name.split()
    if not looks_like_full_name(name) or len(words) > _MAX_NAME_WORDS or _NOT_IN_NAMES.search(name):
        return False
    return all(
        word[:1].isupper() or word.casefold() in _NAME_PARTICLES or not word[:1].isalpha()
        for word in words
    )


def is_role(name: str) -> bool:
    """A job title ("AP Auto Writer", "Guardian staff reporter") rather than a name."""
    return any(_ROLE.match(word.casefold()) for word in re.findall(r"[^\W\d_]+", name))


def is_host_name(name: str) -> bool:
    """A web address ("Cleveland.com", "lrt.lt"): the outlet, not a writer."""
    return bool(_HOST_NAME.match(name.strip()))


def _casing(part: str) -> str:
    words = part.split()
    if all(map(_capitalised, words)):
        return "name"
    return "lower" if all(word.islower() for word in words) else "mixed"


def without_byline_word(name: str) -> str:
    """``name`` without a leading byline word or label: "Autor Monika Bolliger" -> "Monika Bolliger"."""
    name = _BYLINE_WORD.sub("", name).strip()
    return _LABEL.sub("", name).strip()


def _leading_name(part: str) -> str | None:
    """The capitalised words a part starts with, when they are two or more ("José Miguel Wilson ...")."""
    words = part.split()
    count = next((i for i, word in enumerate(words) if not word[:1].isupper()), len(words))
    return " ".join(words[:count]) if count >= 2 else None


def _joined(text: str) -> list[str]:
    """The names ``text`` joins with "and" (or its kin); none when the words joined are a sentence's:
    "The Russian and Syrian defense ministries" joins two adjectives, not two people."""
    parts = [part.strip(" .") for part in _CONJUNCTION.split(text)]
    casings = {_casing(part) for part in parts if part}
    if len(parts) == 1 or casings <= {"name"} or casings <= {"lower"}:
        return parts
    names = [part if _casing(part) == "name" else _leading_name(part) for part in parts]
    return [name for name in names if name] if all(names) else []


def _split_one(name: str) -> list[str]:
    """The names one declared string holds."""
    name = without_byline_word(_PARENTHESIS.sub("", name))
    if found := _AFFILIATION.match(name):
        name = found.group(1)  # what follows the full stop is where the person works
    return [joined for part in _LIST.split(name) for joined in _joined(without_byline_word(part))]


def split_authors(names: list[str]) -> list[str]:
    """One entry per person: lists written out in one string split, labels, e-mails and notes dropped."""
    result: list[str] = []
    for name in names:
        # One space between words: runs of spaces make the splitting regexes quadratic.
        for part in _split_one(_HANDLE.sub("", " ".join(name.split()))):
            if part and "@" not in part and part not in result:
                result.append(part)
    return result


def _is_affiliation(name: str) -> bool:
    """A job title, a web address or a description ("Professor at the University of ...")."""
    words = name.split()
    description = len(words) > _MAX_NAME_WORDS and not all(map(_capitalised, words))
    return is_role(name) or is_host_name(name) or description


def without_affiliations(names: list[str]) -> list[str]:
    """The people, without the job titles, web addresses and descriptions written beside them;
    ``names`` unchanged when it names no person (a role or an outlet is all there is)."""
    if not any(is_person_name(name) and not _is_affiliation(name) for name in names):
        return names
    return [name for name in names if not _is_affiliation(name)]


def _publisher_keys(data: StructuredData, host: str) -> set[str]:
    """The names the publisher goes by: declared site and publisher names, and the host's."""
    label = host.casefold().removeprefix("www.").split(".")[0]
    keys = {_key(label), _key(host.removeprefix("www."))} | {_key(label) + tld for tld in _TLDS}
    return {key for key in keys | {_key(name) for name in data.publishers if name} if key}


def is_publisher(name: str, data: StructuredData, host: str) -> bool:
    """Whether ``name`` is the publisher under one of its names ("n-tv NACHRICHTEN" on n-tv.de),
    or its initials ("Deutsche Welle" on dw.com)."""
    keys = _publisher_keys(data, host)
    words = name.split()
    initials = "".join(word[0] for word in words if word[0].isupper())
    return (
        _key(name) in keys
        or bool(words)
        and _key(words[0]) in keys
        or len(initials) >= 2
        and _key(initials) in keys
    )
