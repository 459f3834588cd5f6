"""Labels: every code a service speaks, with its Chinese and English label (DOMAIN.md "Labels (v2)").

Codes stay the wire's stable identifiers; labels are served beside them (the gateway's ``GET /labels``).
Each service owns the labels of its codes in its ``labels.py``: one :func:`family` per kind of code, built
from the tuple of codes its rules decide with, so that a code added to the rules without a label (or a
label left for a code that is gone) stops the service from importing at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Entry = dict[str, str]


def family(codes: Sequence[str], labels: Mapping[str, Sequence[str]]) -> dict[str, Entry]:
    """One kind of code labelled: ``labels`` maps each code to ``(zh, en)`` or ``(zh, en, text)``,
    ``text`` the policy's own sentence (the situations'). In the order of ``codes``."""
    missing = [code for code in codes if code not in labels]
    extra = [code for code in labels if code not in codes]
    if missing or extra:
        raise ValueError(f"labels do not match the codes: missing {missing}, unknown {extra}")
    entries = {}
    for code in codes:
        zh, en, *text = labels[code]
        if not zh.strip() or not en.strip():
            raise ValueError(f"{code}: a label in each language")
        entries[code] = {"zh": zh, "en": en, **({"text": text[0]} if text else {})}
    return entries


def catalogue(*families: Mapping[str, Mapping[str, Entry]]) -> dict[str, dict[str, Entry]]:
    """The services' families in one catalogue. A family several services speak (``work_section``)
    is the union of theirs; a code labelled twice must be labelled alike."""
    merged: dict[str, dict[str, Entry]] = {}
    for labels in families:
        for name, entries in labels.items():
            into = merged.setdefault(name, {})
            for code, entry in entries.items():
                if code in into and into[code] != entry:
                    raise ValueError(f"{name}.{code} is labelled twice, differently")
                into[code] = dict(entry)
    return merged


def codes_of(labels: Mapping[str, Mapping[str, Entry]]) -> set[str]:
    return {code for entries in labels.values() for code in entries}


def label(labels: Mapping[str, Mapping[str, Entry]], name: str, code: str, language: str = "zh") -> str:
    """A code's label in a language (the code itself when it has none: never an empty cell)."""
    return (labels.get(name, {}).get(code) or {}).get(language, code)


def unlabelled(choices: Iterable[str], labels: Mapping[str, Mapping[str, Entry]]) -> list[str]:
    known = codes_of(labels)
    return sorted(set(choices) - known)
