"""A differencing attacker, written apart from the code that chose what to hide.

It reads only what a reader gets: the council reports' HTML (every table cell and the plotly
JSON of every chart) and the publication set (Parquet). From them it collects, per cell of a
kommune and year, what is shown (a count, a share with one decimal, a point in a chart) or
the mark in its place, and the sums any reader knows from the tables' meaning:

- the groups add up to the leavers (EUD + GYM + FGU + STU + øvrigt = i alt; 100 %),
- Øvrige = FGU + STU + øvrigt (trend and comparison show Øvrige, the group table its parts),
- each row of a split adds up to its pupils; 9th + 10th grade, boys + girls and the schools
  (with "Øvrige skoler") each add up to the kommune,
- the completion statuses add up to the total.

A share s of a row whose pupils n are shown anywhere gives 100*x/n in [s - 0.05, s + 0.05]
(integer x). Marks give bounds: "<5" 0-4, "x" 5 or more, "<20" 0-19. Then for every hidden
cell it finds the smallest and largest integer value with scipy's MILP (HiGHS), leaving out a
solve only where a whole solution already found proves its answer (Fitting).
"""

from __future__ import annotations

import html as htmllib
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

# Only elements that name a cell: a wrapper (a table's scroll box is a <div>) must not swallow
# the cells inside it.
TD = re.compile(r"<(td|th|span|div|dd)\b([^>]*\bdata-cell=\"[^\"]*\"[^>]*)>(.*?)</\1>", re.S)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
DETAIL = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]
TARGET = ["EUD", "GYM", "OEVRIGE"]
MARKS = {"<5": (0, 4), "x": (5, math.inf), "<20": (0, 19)}


class Fitting:
    """Whole integer solutions known to fit a system lb <= a @ x <= ub, lo <= x <= hi (each
    checked here in integers, not taken on the solver's word), and for each variable whether one
    of them puts it at its own bound. Such a bound is that variable's exact end (no value beyond
    its bound fits), so the solve for that end can be left out: the ends are exact as if solved.
    The attackers of tests/ give it every optimum scipy returns; a third to a half of their
    solves go."""

    def __init__(self, a, lb, ub, lo, hi) -> None:
        a = np.asarray(a, dtype=float).reshape(len(a), len(lo))
        self.a = np.rint(a).astype(np.int64)
        assert np.array_equal(self.a, a), "the sums' coefficients are whole numbers"
        self.lb, self.ub = np.asarray(lb, dtype=float), np.asarray(ub, dtype=float)
        self.lo, self.hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        self.at_lo = np.zeros(len(self.lo), dtype=bool)
        self.at_hi = np.zeros(len(self.lo), dtype=bool)

    def add(self, x) -> None:
        """Keep `x` (an optimum scipy returned) if it is a whole solution that fits."""
        if x is None:
            return
        whole = np.rint(x)
        if np.any(np.abs(x - whole) > 1e-6) or np.any(whole < self.lo) or np.any(whole > self.hi):
            return
        sums = self.a @ whole.astype(np.int64)
        if np.all(sums >= self.lb) and np.all(sums <= self.ub):
            self.at_lo |= whole == self.lo
            self.at_hi |= whole == self.hi

    def end(self, i: int, sign: int) -> int | None:
        """The exact smallest (sign 1) or largest (sign -1) value of variable `i`, when a kept
        solution proves it; None when it must be solved for."""
        if sign == 1 and self.at_lo[i]:
            return int(self.lo[i])
        if sign == -1 and self.at_hi[i]:
            return int(self.hi[i])
        return None


def _number(text: str) -> float:
    return float(text.replace("%", "").replace(".", "").replace(",", ".").strip())


@dataclass
class Knowledge:
    counts: dict = field(default_factory=dict)  # cell -> exact value seen
    shares: dict = field(default_factory=lambda: defaultdict(set))  # cell -> {(share, denominator cell)}
    marks: dict = field(default_factory=lambda: defaultdict(set))  # cell -> {mark}
    cells: set = field(default_factory=set)
    findings: list = field(default_factory=list)  # plain leaks found while reading

    def count(self, cell, value, where):
        if cell in self.counts and self.counts[cell] != value:
            self.findings.append(f"{cell}: {self.counts[cell]} and {value} ({where})")
        self.counts[cell] = value
        self.cells.add(cell)

    def mark(self, cell, mark):
        self.marks[cell].add(mark)
        self.cells.add(cell)

    def share(self, cell, value, of):
        self.shares[cell].add((value, of))
        self.cells.update({cell, of})

    # -- reading -------------------------------------------------------------------------
    def read_html(self, page: str, where: str = "") -> None:
        body = page.split("</head>", 1)[1]
        for _tag, attrs, inner in TD.findall(body):
            a = dict(ATTR.findall(attrs))
            if "data-cell" not in a:
                continue
            text = htmllib.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
            cell = a["data-cell"]
            if text in MARKS:
                self.mark(cell, text)
            elif "data-of" in a:
                self.share(cell, _number(text), a["data-of"])
            else:
                self.count(cell, int(_number(text)), where)
        for m in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', body):
            traces, _ = json.JSONDecoder().raw_decode(body, m.end())
            for trace in traces:
                for key in ("x", "y"):
                    for v in trace.get(key) or []:
                        if isinstance(v, float) and abs(v * 10 - round(v * 10)) > 1e-6:
                            self.findings.append(f"{where} {m.group(1)}: unrounded number {v!r} in chart data")
                ids = trace.get("customdata") or []
                values = (
                    trace.get("x")
                    if m.group(1) == "chart-schools" or trace.get("orientation") == "h"
                    else trace.get("y")
                )
                for cell, v in zip(ids, values or []):
                    if cell and v is not None:
                        self.share(cell, float(v), cell.rsplit("/", 1)[0] + "/n")

    def read_publication(self, folder: Path) -> None:
        for name in ("soegetal", "soegetal_split"):
            frame = pd.read_parquet(folder / "parquet" / f"{name}.parquet")
            for r in frame.itertuples():
                group = r.education_group
                if name == "soegetal":
                    row = "t" if group == "TIENDE" else "g"
                else:
                    row = f"{r.part}:{r.row_key}"
                cell = f"{r.kommune_code}/{r.year}/{row}/{group}"
                if isinstance(r.mark, str):
                    self.mark(cell, r.mark)
                    continue
                if not pd.isna(r.applicants):
                    self.count(cell, int(r.applicants), "publication set")
                if not pd.isna(r.share_pct):
                    self.share(cell, float(r.share_pct), f"{r.kommune_code}/{r.year}/{row}/n")

    # -- solving -------------------------------------------------------------------------
    def sums(self) -> list[tuple[str, list[str]]]:
        """The relations a reader knows, for every kommune and year seen."""
        out = []
        prefixes = {c.rsplit("/", 2)[0] for c in self.cells}
        for p in prefixes:
            if p.split("/")[1].startswith("c"):
                out.append(
                    (
                        f"{p}/c/total",
                        [f"{p}/c/{s}" for s in ("completed", "in_progress", "dropped_out", "no_registered_education")],
                    )
                )
                continue
            out.append((f"{p}/g/n", [f"{p}/g/{g}" for g in DETAIL]))
            out.append((f"{p}/g/OEVRIGE", [f"{p}/g/{g}" for g in ("FGU", "STU", "OEVRIGT")]))
            rows = defaultdict(set)
            for c in self.cells:
                head, row, _ = c.rsplit("/", 2)
                if head == p and ":" in row:
                    rows[row.split(":")[0]].add(row)
            for keys in rows.values():
                for key in keys:
                    out.append((f"{p}/{key}/n", [f"{p}/{key}/{t}" for t in TARGET]))
                for t in TARGET + ["n"]:
                    out.append((f"{p}/g/{t}", [f"{p}/{key}/{t}" for key in sorted(keys)]))
        return out

    def intervals(self) -> dict[str, tuple[float, float]]:
        """Smallest and largest value of every marked cell, one kommune-year at a time."""
        sums = self.sums()
        by_prefix = defaultdict(list)
        for total, parts in sums:
            by_prefix[total.rsplit("/", 2)[0]].append((total, parts))
        out = {}
        for prefix, eqs in by_prefix.items():
            names = sorted(
                {c for t, ps in eqs for c in (t, *ps)} | {c for c in self.cells if c.rsplit("/", 2)[0] == prefix}
            )
            index = {c: i for i, c in enumerate(names)}
            lo = np.zeros(len(names))
            hi = np.full(len(names), np.inf)
            for c in names:
                if c in self.counts:
                    lo[index[c]] = hi[index[c]] = self.counts[c]
                for m in self.marks.get(c, ()):
                    a, b = MARKS[m]
                    lo[index[c]], hi[index[c]] = max(lo[index[c]], a), min(hi[index[c]], b)
            rows, lbs, ubs = [], [], []
            for total, parts in eqs:
                row = np.zeros(len(names))
                row[index[total]] += 1
                for p in parts:
                    row[index[p]] -= 1
                rows.append(row), lbs.append(0), ubs.append(0)
            for c in names:
                for s, of in self.shares.get(c, ()):
                    if of not in self.counts:
                        continue  # a share of an unknown denominator: not linear, left out
                    n = self.counts[of]
                    a, b = n * (s - 0.05) / 100, n * (s + 0.05) / 100
                    lo[index[c]] = max(lo[index[c]], math.ceil(a - 1e-9))
                    hi[index[c]] = min(hi[index[c]], math.floor(b + 1e-9))
            if not rows:
                continue
            constraint = LinearConstraint(np.array(rows), lbs, ubs)
            bounds = Bounds(lo, hi)
            fitting = Fitting(rows, lbs, ubs, lo, hi)
            for c in names:
                if c not in self.marks:
                    continue
                ends = []
                for sign in (1, -1):
                    known = fitting.end(index[c], sign)
                    if known is not None:
                        ends.append(known)
                        continue
                    cost = np.zeros(len(names))
                    cost[index[c]] = sign
                    res = milp(cost, constraints=constraint, bounds=bounds, integrality=np.ones(len(names)))
                    assert res.status in (0, 3), (c, res.message)  # 3: unbounded above
                    if res.status == 0:
                        fitting.add(res.x)
                    ends.append(sign * res.fun if res.status == 0 else math.inf)
                out[c] = (round(ends[0]), ends[1] if math.isinf(ends[1]) else round(ends[1]))
        return out
