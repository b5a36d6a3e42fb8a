"""The education groups as the report's table of counts uses them: which groups are counted, which
måltal (target) groups they add up to, and which are counted apart (10. klasse).

The groups come from ``data/config/education_groups.csv`` (the warehouse's table
``education_groups``). From its rows:

- **detail groups**: the groups with ``in_denominator`` true, in ``sort_order``; each is a cell
  ``g/<group>``, and together they are the leavers ``g/n``;
- **target groups**: the detail groups' distinct ``target_group``, in order of first appearance.
  A target group that is the name of its one detail group (EUD -> EUD) is that group's cell; any
  other target group is a sum cell ``g/<target>`` of its members (OEVRIGE = FGU + STU + OEVRIGT);
- **groups counted apart**: ``in_denominator`` false (TIENDE), a cell ``t/<group>`` each.

A file that cannot be read this way (a counted group with no target group, a target group named
like another group) is refused with a message naming the file and the group: a cube built from it
would leave pupils out of its sums, or give one cell two meanings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SOURCE = "data/config/education_groups.csv"
# Cell names are "<row>/<group>": a group name may hold neither separator, and "n" is the total.
RESERVED = {"n"}


class GroupSchemeError(ValueError):
    """The education groups cannot make a table of counts whose sums hold every counted pupil."""


@dataclass(frozen=True)
class Group:
    code: str
    label_da: str
    short_label_da: str
    target: str | None
    counted: bool


@dataclass(frozen=True)
class GroupScheme:
    """The groups of the table of counts, in their sort order (see the module's docstring)."""

    groups: tuple[Group, ...]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[object]], source: str = SOURCE) -> GroupScheme:
        """rows: (group, label_da, short_label_da, target_group, in_denominator), in sort order."""
        groups = []
        for code, label, short, target, counted in rows:
            target = str(target).strip() if target is not None and str(target).strip() not in ("", "nan") else None
            counted = counted if isinstance(counted, bool) else str(counted).strip().lower() == "true"
            groups.append(Group(str(code), str(label), str(short), target, bool(counted)))
        scheme = cls(tuple(groups))
        scheme.check(source)
        return scheme

    @property
    def detail(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.groups if g.counted)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.target for g in self.groups if g.counted and g.target))

    @property
    def uncounted(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.groups if not g.counted)

    def members(self, target: str) -> tuple[str, ...]:
        return tuple(g.code for g in self.groups if g.counted and g.target == target)

    def is_sum(self, target: str) -> bool:
        """Whether the target group is a cell of its own (a sum), not one detail group's cell."""
        return self.members(target) != (target,)

    @property
    def sums(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(target, its members) for every target group that is a sum cell."""
        return tuple((t, self.members(t)) for t in self.targets if self.is_sum(t))

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)

    def check(self, source: str = SOURCE) -> None:
        """Refuse groups that cannot make a table of counts, naming the file and the group."""
        codes = [g.code for g in self.groups]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise GroupSchemeError(f"{source}: the group {twice[0]} is listed twice.")
        for g in self.groups:
            for name, what in ((g.code, "group"), (g.target, "target_group")):
                if name is not None and (not name or "/" in name or ":" in name or name in RESERVED):
                    raise GroupSchemeError(
                        f"{source}: the {what} {name!r} of the group {g.code} cannot name a cell of the report's "
                        "table of counts (no '/' or ':', not empty, not 'n')."
                    )
        if not self.detail:
            raise GroupSchemeError(f"{source}: no group counts in the søgetal (in_denominator true): no leavers.")
        if "EUD" not in self.targets:
            raise GroupSchemeError(
                f"{source}: no group has the target_group EUD: the report is about the share applying to an EUD "
                "(its måltal, and the action plan below 10 %). Give the vocational groups the target_group EUD."
            )
        for g in self.groups:
            if g.counted and g.target is None:
                raise GroupSchemeError(
                    f"{source}: the group {g.code} counts in the søgetal (in_denominator true) but has no target_group: "
                    "its pupils would be leavers in no måltal group. Give it one (e.g. OEVRIGE), or set "
                    "in_denominator to false. Nothing is published until it has one."
                )
            if not g.counted and g.target is not None:
                raise GroupSchemeError(
                    f"{source}: the group {g.code} is outside the søgetal (in_denominator false) but names the "
                    f"target_group {g.target}: a group counted apart counts towards no måltal group. Leave its "
                    "target_group empty, or set in_denominator to true."
                )
        for t in self.targets:
            named = self.group(t)
            if named is None:
                continue
            members = self.members(t)
            if not named.counted or members != (t,):
                others = [m for m in members if m != t]
                raise GroupSchemeError(
                    f"{source}: the target_group {t} of the group{'s' if len(others) > 1 else ''} "
                    f"{', '.join(others) or t} is also the name of the group {t}"
                    + (" (outside the søgetal)" if not named.counted else f" (whose target_group is {named.target})")
                    + ": a target group named like a group must hold that group alone, else one cell of the "
                    "report would mean two things. Name the target group apart (e.g. OEVRIGE beside OEVRIGT)."
                )


__all__ = ["SOURCE", "Group", "GroupScheme", "GroupSchemeError"]
