"""The Danish words for the report's groups: labels from the education groups
(``data/config/education_groups.csv``, read into an ``overgang.groups.GroupScheme``), the
sentence forms from ``templates/group_texts.da.yaml``.

A target group that is one education group (EUD) takes that group's labels; a target group that
adds several up (OEVRIGE) has no row of its own, so its labels are in the wording file, used
only while its members are the ones the wording was written for. Otherwise every word is made
from the members' labels, so a new group never needs code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from overgang.groups import Group, GroupScheme

TEXTS = Path(__file__).resolve().parent / "templates" / "group_texts.da.yaml"


@lru_cache(maxsize=1)
def _texts() -> dict:
    import yaml

    return yaml.safe_load(TEXTS.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class TargetWords:
    code: str
    short: str  # a table's column header, a chart's bar
    label: str  # a table's row
    title: str  # after "Andel der søger"
    what: str  # a caption's subject: "EUD-andelen steg ..."
    note: str | None  # the methods' line on the groups


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def known_group(scheme: GroupScheme, code: str) -> Group:
    """A group the scheme names itself (a target or one of its members): always there."""
    group = scheme.group(code)
    assert group is not None, code
    return group


def target_words(scheme: GroupScheme) -> dict[str, TargetWords]:
    """Target group -> its words, in the scheme's order of target groups."""
    texts = _texts().get("targets") or {}
    out = {}
    for t in scheme.targets:
        members = scheme.members(t)
        own = texts.get(t) or {}
        if "members" in own and tuple(own["members"]) != members:
            own = {}  # written for other members: it would misname the group
        if scheme.is_sum(t):
            rows = [known_group(scheme, m) for m in members]
            short = own.get("short") or "/".join(r.short_label_da for r in rows)
            label = own.get("label") or ", ".join(r.label_da for r in rows)
            note = own.get("note") or f"{short} er {', '.join(_lower_first(r.label_da) for r in rows)}"
        else:
            row = known_group(scheme, t)
            short, label, note = row.short_label_da, row.label_da, own.get("note")
        title = own.get("title") or _lower_first(label)
        out[t] = TargetWords(t, short, label, title, own.get("what") or f"Andelen til {title}", note)
    return out


def uncounted_phrase(scheme: GroupScheme, code: str) -> str:
    """'elever fra 9. klasse ind i 10. klasse' for TIENDE: what a group counted apart applied to."""
    phrase = (_texts().get("uncounted") or {}).get(code)
    return phrase or f"elever til {_lower_first(known_group(scheme, code).label_da)}"


__all__ = ["TargetWords", "target_words", "uncounted_phrase"]
