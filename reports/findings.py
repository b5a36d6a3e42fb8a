"""The main finding of each chart in Danish words: the figure's caption, written from the data.

Every number about the kommune's pupils is a ``<span data-cell=… data-of=…>`` like the tables'
cells, so the disclosure audit and the attacker read the captions too; a hidden cell is never
named in words. National figures and måltal are public and carry no cell.
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup, escape

from overgang.numbers import da_pct, da_target
from overgang.settings import series_break_year
from reports.names import Name

# The søgetal series break, from data/reference/series_breaks.csv (the SQL reads the same file).
SERIES_BREAK_YEAR = series_break_year("application_shares")


def genitive(name: str) -> str:
    """Danish genitive of a name: 'Stevns' -> "Stevns'", 'Aarhus' -> "Aarhus'", 'Odense' ->
    'Odenses'. A name ending in s, x or z takes only an apostrophe (Retskrivningsordbogen § 36).
    A Name stays isolated in HTML (reports/names.py)."""
    suffix = "'" if str(name)[-1:].lower() in ("s", "x", "z") else "s"
    # A Name keeps its isolation in HTML and the ending stays outside it: <bdi>Stevns</bdi>'.
    return Markup("{}{}").format(name, suffix) if isinstance(name, Name) else str(name) + suffix


def _shown(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def share_span(cell: str | None, value: float, of: str | None = None) -> Markup:
    """A share of a protected cell as the tables print it, tied to the cell and its denominator;
    a published figure (no cell) as printed, with nothing for the audit to check."""
    if not cell:
        return Markup("<span>{}</span>").format(da_pct(value))
    of = of or cell.rsplit("/", 1)[0] + "/n"
    return Markup('<span data-cell="{}" data-of="{}">{}</span>').format(cell, of, da_pct(value))


def target_text(value) -> str:
    return da_target(value)


def years_text(years: list[int]) -> str:
    """[2018, 2019, 2021] -> '2018, 2019 og 2021'."""
    words = [str(y) for y in years]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " og " + words[-1]


def series_finding(series: list[dict], what: str, year: int) -> Markup:
    """'EUD-andelen steg fra 16,1 % i 2023 til 23,7 % i 2024 …' for one trend chart
    (``series``: the rows of ``render.chart_series``; ``what``: the group's words, e.g.
    "EUD-andelen", from ``reports/groups.py``)."""
    rows = {int(r["year"]): r for r in series}
    now = rows.get(year)
    shown = [y for y, r in sorted(rows.items()) if y <= year and _shown(r["kommune"]) and r["source"]]
    parts: list[Markup | str] = []
    if now is None or not _shown(now["kommune"]):
        parts.append(f"{what} for {year} kan ikke vises af hensyn til elevernes fortrolighed.")
    else:
        before = [y for y in shown if y < year]
        if not before:
            parts.append(
                Markup("{} var {} i {}. Der er ingen tidligere år at sammenligne med.").format(
                    what, share_span(now["cell"], now["kommune"]), year
                )
            )
        else:
            prev = rows[before[-1]]
            a, b = round(float(prev["kommune"]), 1), round(float(now["kommune"]), 1)
            verb = "steg" if b > a else "faldt" if b < a else "var uændret"
            parts.append(
                Markup("{} {} fra {} i {} til {} i {}.").format(
                    what,
                    verb,
                    share_span(prev["cell"], prev["kommune"]),
                    before[-1],
                    share_span(now["cell"], now["kommune"]),
                    year,
                )
                if verb != "var uændret"
                else Markup("{} var {} i både {} og {}.").format(
                    what, share_span(now["cell"], now["kommune"]), before[-1], year
                )
            )
            if before[-1] < SERIES_BREAK_YEAR <= year:
                parts.append(
                    f"De to år ligger på hver sin side af databruddet i {SERIES_BREAK_YEAR} og er ikke fuldt sammenlignelige."
                )
    if now is not None and _shown(now.get("national")):
        parts.append(f"Hele landet: {da_pct(now['national'])}.")
    if now is not None and _shown(now.get("target")):
        parts.append(f"Måltallet for {year} er {target_text(now['target'])}.")
    ahead = [r for y, r in sorted(rows.items()) if y > year and _shown(r.get("target"))]
    if ahead:
        parts.append(f"Kommunens måltal for {int(ahead[0]['year'])} er {target_text(ahead[0]['target'])}.")
    missing = [y for y, r in sorted(rows.items()) if y <= year and r.get("missing")]
    if missing:
        parts.append(f"Der er ingen tal for {years_text(missing)}; diagrammet har et hul der.")
    return Markup(" ").join(parts)


def groups_finding(groups: pd.DataFrame, prefix: str | None, year: int) -> Markup:
    """Which group most pupils chose, and EUD against the country (`prefix`: the protected
    cells' kommune/year, None for a year shown from a published table)."""
    shown = groups[groups["label"].isna() & groups["share"].notna()]
    if shown.empty:
        return Markup(f"Fordelingen for {year} kan ikke vises af hensyn til elevernes fortrolighed.")
    top = shown.sort_values("share", ascending=False).iloc[0]
    # "Most chose X" ranks every group, the hidden ones too: said only when none is hidden
    # (else it bounds a hidden count by a shown one; tests/test_captions_and_national_figures_pin_no_hidden_count.py).
    complete = len(shown) == len(groups)
    parts = []
    if complete:
        parts.append(
            Markup("Flest søgte {} som 1. prioritet i {}: {}.").format(
                Name(top["label_da"][:1].lower() + top["label_da"][1:]),
                year,
                share_span(prefix and f"{prefix}/{top['cell']}", top["share"]),
            )
        )
    eud = shown[shown["group"] == "EUD"]
    if len(eud) and (not complete or top["group"] != "EUD"):
        r = eud.iloc[0]
        parts.append(Markup("EUD: {}").format(share_span(prefix and f"{prefix}/{r['cell']}", r["share"])))
        if _shown(r["national"]):
            parts[-1] += f" mod {da_pct(r['national'])} i hele landet"
        parts[-1] += "."
    if not parts:
        return Markup(f"Nogle af tallene for {year} er skjult af hensyn til elevernes fortrolighed; se tabellen.")
    return Markup(" ").join(parts)


def schools_finding(schools: pd.DataFrame, prefix: str, year: int, national) -> Markup:
    """The spread of the schools' EUD shares: a range across the schools with their own figures at
    one time (not a change), and never ending at a pooled row ("Øvrige skoler (3)"), which is
    several schools."""
    own = schools[schools["row_key"] != "pool"] if "row_key" in schools else schools
    pooled = len(own) < len(schools)
    s = own[own["EUD"].notna() & own["label_EUD"].isna()]
    if s.empty:
        return Markup("")
    low, high = s.sort_values("EUD").iloc[0], s.sort_values("EUD").iloc[-1]
    if len(s) == 1:
        text = Markup("EUD-andelen på {} var {} i {}.").format(
            low["school_name"], share_span(f"{prefix}/{low['cell']}/EUD", low["EUD"]), year
        )
    else:
        text = Markup("Blandt de {} skoler med egne tal lå EUD-andelen i {} mellem {} ({}) og {} ({}).").format(
            len(s),
            year,
            share_span(f"{prefix}/{low['cell']}/EUD", low["EUD"]),
            escape(low["school_name"]),
            share_span(f"{prefix}/{high['cell']}/EUD", high["EUD"]),
            escape(high["school_name"]),
        )
    if pooled:
        text += " Skoler med få elever er slået sammen og indgår ikke i spændet."
    if _shown(national):
        text += f" Hele landet: {da_pct(national)}."
    return text + " Med få elever på en skole er usikkerheden stor (se intervallerne)."


def completion_finding(completion: pd.DataFrame, cell_prefix: str, year: int, kommune_name: str) -> Markup:
    mine = completion[(completion.area == "kommune") & (completion.status == "completed")]
    nat = completion[(completion.area == "Hele landet") & (completion.status == "completed")]
    if mine.empty or not _shown(mine.iloc[0]["share"]):
        return Markup(f"Andelen med fuldført ungdomsuddannelse i {year} kan ikke vises.")
    text = Markup("{} af de 18–25-årige fra {} grundskoler havde i {} fuldført en ungdomsuddannelse").format(
        share_span(f"{cell_prefix}/c/completed", mine.iloc[0]["share"], f"{cell_prefix}/c/total"),
        escape(genitive(kommune_name)),
        year,
    )
    if len(nat) and _shown(nat.iloc[0]["share"]):
        text += f", mod {da_pct(nat.iloc[0]['share'])} i hele landet"
    return text + ". De yngste er endnu i gang, så andelen stiger med alderen."
