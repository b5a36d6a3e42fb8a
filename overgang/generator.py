"""Deterministic synthetic Optagelse.dk extracts (søgedata) for the sample and for benchmarks.

Nobody in these files exists: CPR numbers are CPR-shaped but drawn at random, names and
addresses are drawn from short lists. What is real is the calibration: group shares per year
follow ``data/generator/calibration.csv`` (published figures with their sources), and for a
municipality marked ``exact`` (Høje-Taastrup) the EUD and GYM shares by the national definition
come out exactly at the calibrated value rounded to one decimal.

Counts per group are allocated, not sampled, so the shares are known before a file is written;
randomness only decides which pupil gets which label, school, name and extra priorities.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from overgang.encoding import sha256_file
from overgang.settings import DATA_DIR

GROUPS = ["EUD", "GYM", "FGU", "STU", "OEVRIGT"]
HEADER = [
    "CPR",
    "Fornavn",
    "Efternavn",
    "Adresse",
    "Postnr",
    "By",
    "Telefon",
    "Adressebeskyttelse",
    "Skolens institutionsnummer",
    "Skolens navn",
    "Skolens kommunenr",
    "Bopælskommunenr",
    "Klassetrin",
    "Ansøgertype",
    "Prioritet",
    "Uddannelse",
    "EUX",
    "Ansøgningsdato",
]
# Older years are written as the Windows-1252 files StatBank and older exports give; one year
# carries a UTF-8 byte-order mark, as Excel writes it.
ENCODING_BY_YEAR = {y: "cp1252" for y in range(2015, 2020)} | {2021: "utf-8-sig"}

FIRST_NAMES = np.array(
    [
        "Mads",
        "Emma",
        "Noah",
        "Ida",
        "Oscar",
        "Freja",
        "William",
        "Alma",
        "Lucas",
        "Clara",
        "Karl",
        "Sofie",
        "Malthe",
        "Anna",
        "Aksel",
        "Laura",
        "Søren",
        "Maja",
        "Ahmad",
        "Fatima",
        "Jonas",
        "Asta",
        "Emil",
        "Ellen",
        "Zainab",
    ]
)
LAST_NAMES = np.array(
    [
        "Jensen",
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
        "Petersen",
        "Madsen",
        "Kristensen",
        "Olsen",
        "Thomsen",
        "Hussein",
        "Yilmaz",
        "Møller",
    ]
)
STREETS = np.array(
    [
        "Bygaden",
        "Skolevej",
        "Østergade",
        "Vestergade",
        "Parkvej",
        "Kirkevej",
        "Møllevej",
        "Engvej",
        "Søndergade",
        "Nørregade",
        "Ågade",
        "Højvangen",
    ]
)
SCHOOL_SUFFIXES = [
    "Nordskole",
    "Sydskole",
    "Byskole",
    "Parkskole",
    "Vestskole",
    "Østskole",
    "Bakkeskole",
    "Engskole",
    "Centerskole",
    "Søskole",
    "Skovskole",
    "Friskole",
]

CODE_MIX = {
    "EUD": (["eud_gf1", "eud_gf2", "eud_gfplus"], [0.6, 0.3, 0.1]),
    "GYM": (["stx", "hhx", "htx", "hf", "stx2", "ib", "pre_ib"], [0.55, 0.18, 0.1, 0.1, 0.04, 0.02, 0.01]),
    "FGU_OLD": (["produktionsskole", "egu", "kuu"], [0.7, 0.15, 0.15]),
    "FGU": (["fgu"], [1.0]),
    "STU": (["stu"], [1.0]),
    "OEVRIGT": (["ungdomshoejskole", "udland", "arbejde", "vaernepligt", "andet"], [0.3, 0.2, 0.25, 0.05, 0.2]),
    "TIENDE": (["10kl"], [1.0]),
}
EXTRA_CODES = np.array(["stx", "hhx", "htx", "hf", "eud_gf1", "eud_gf2"])


@dataclass
class Cell:
    """Counts for one municipality and year (all 'direkte fra skole' unless said)."""

    ninth_leavers: int
    ninth_to_tenth: int
    tenth_leavers: int
    outside: int
    group_counts: dict[str, int]


def _largest_remainder(total: int, shares: dict[str, float]) -> dict[str, int]:
    raw = {g: total * s / sum(shares.values()) for g, s in shares.items()}
    counts = {g: math.floor(v) for g, v in raw.items()}
    rest = total - sum(counts.values())
    for g in sorted(raw, key=lambda g: raw[g] - counts[g], reverse=True)[:rest]:
        counts[g] += 1
    return counts


def _exact_count(leavers: int, share_pct: float) -> int | None:
    """A count whose share of `leavers` rounds to share_pct at one decimal, clear of ties."""
    k = round(leavers * share_pct / 100)
    return k if abs(100 * k / leavers - share_pct) < 0.04 else None


class Generator:
    def __init__(self, scale: float = 1.0, all_municipalities: bool = False, years: tuple[int, int] | None = None):
        self.cfg = yaml.safe_load((DATA_DIR / "generator" / "generator.yaml").read_text(encoding="utf-8"))
        self.kommuner = pd.read_csv(DATA_DIR / "reference" / "kommuner.csv")
        cal = pd.read_csv(DATA_DIR / "generator" / "calibration.csv")
        self.calibration = {(r.scope, int(r.year), r.group): float(r.share_pct) for r in cal.itertuples()}
        self.years = list(range(*(years or self.cfg["years"])))
        self.years.append((years or self.cfg["years"])[1])
        munis = {int(k): v for k, v in self.cfg["municipalities"].items()}
        if all_municipalities:
            for code in self.kommuner.kommune_code:
                munis.setdefault(int(code), {"ninth_graders": 600})
        self.munis = munis
        self.scale = scale
        self.rng = np.random.default_rng(self.cfg["seed"])
        self.region = dict(zip(self.kommuner.kommune_code, self.kommuner.region))
        self.name = dict(zip(self.kommuner.kommune_code, self.kommuner.kommune_name))

    # -- shares -----------------------------------------------------------------------------
    def _shares(self, year: int) -> dict[int, dict[str, float]]:
        """Target shares (percent of leavers) per municipality, re-centred on the national path."""
        noise_rng = np.random.default_rng([self.cfg["seed"], year])
        fgu = self.cfg["other_groups"]["FGU"]["before_2020" if year < 2020 else "from_2020"]
        stu = self.cfg["other_groups"]["STU"]
        nat = {g: self.calibration[("national", year, g)] for g in ("EUD", "GYM")}
        shares: dict[int, dict[str, float]] = {}
        for code in sorted(self.munis):
            off = self.cfg["region_offsets"][self.region[code]]
            noise = noise_rng.normal(0, self.cfg["municipal_noise_pp"], 2)
            shares[code] = {
                "EUD": nat["EUD"] + off["EUD"] + noise[0],
                "GYM": nat["GYM"] + off["GYM"] - noise[0] + noise[1] * 0.3,
            }
        weights = {c: self.munis[c]["ninth_graders"] for c in shares}
        fixed = {c for c in shares if (str(c), year, "EUD") in self.calibration}
        for g in ("EUD", "GYM"):
            for c in fixed:
                shares[c][g] = self.calibration[(str(c), year, g)]
            free = [c for c in shares if c not in fixed]
            mean = sum(shares[c][g] * weights[c] for c in shares) / sum(weights.values())
            delta = (nat[g] - mean) * sum(weights.values()) / sum(weights[c] for c in free)
            for c in free:
                shares[c][g] += delta
        for s in shares.values():
            s["FGU"], s["STU"] = fgu, stu
            s["OEVRIGT"] = 100 - s["EUD"] - s["GYM"] - fgu - stu
        return shares

    def _cell(self, code: int, year: int, shares: dict[str, float]) -> Cell:
        cfg = self.cfg
        ninth = max(4, round(self.munis[code]["ninth_graders"] * self.scale))
        if year >= cfg["series_break"]["year"]:
            ninth = round(ninth * (1 - cfg["series_break"]["moved_share"]))
        to_tenth = round(ninth * cfg["share_ninth_to_tenth"])
        tenth = round(ninth * cfg["tenth_per_ninth"])
        counts = None
        exact = self.munis[code].get("exact", False)
        for extra in range(0, 400):
            leavers = ninth - to_tenth + tenth + extra
            if not exact:
                counts = _largest_remainder(leavers, shares)
                break
            eud, gym = _exact_count(leavers, shares["EUD"]), _exact_count(leavers, shares["GYM"])
            if eud is not None and gym is not None:
                rest = _largest_remainder(leavers - eud - gym, {g: shares[g] for g in ("FGU", "STU", "OEVRIGT")})
                counts = {"EUD": eud, "GYM": gym, **rest}
                break
        assert counts is not None, f"no exact allocation for {code} {year}"
        tenth = leavers - (ninth - to_tenth)
        outside = round(leavers * cfg["outside_school_share"])
        if year >= cfg["series_break"]["year"]:
            outside += round(leavers * cfg["series_break"]["moved_share"])
        return Cell(ninth - to_tenth, to_tenth, tenth, outside, counts)

    # -- pupils -----------------------------------------------------------------------------
    def _pick(self, key: str, n: int, year: int) -> np.ndarray:
        if key == "FGU" and year < 2020:
            key = "FGU_OLD"
        codes, p = CODE_MIX[key]
        return self.rng.choice(np.array(codes), size=n, p=p)

    def _pupils(self, code: int, year: int, cell: Cell) -> pd.DataFrame:
        rng = self.rng
        leaver_groups = np.concatenate([np.repeat(g, cell.group_counts[g]) for g in GROUPS])
        rng.shuffle(leaver_groups)
        n_direct = cell.ninth_leavers + cell.tenth_leavers
        grade = np.concatenate([np.repeat("9", cell.ninth_leavers), np.repeat("10", cell.tenth_leavers)])
        # 9th graders applying to 10th grade, then 'uden for skole' applicants (older, no grade).
        groups = np.concatenate(
            [
                leaver_groups,
                np.repeat("TIENDE", cell.ninth_to_tenth),
                rng.choice(np.array(GROUPS), size=cell.outside, p=[0.35, 0.25, 0.2, 0.02, 0.18]),
            ]
        )
        grade = np.concatenate([grade, np.repeat("9", cell.ninth_to_tenth), np.repeat("", cell.outside)])
        n = len(groups)
        applicant = np.where(np.arange(n) < n_direct + cell.ninth_to_tenth, "Direkte fra skole", "Uden for skole")
        first = np.empty(n, dtype=object)
        for g in GROUPS + ["TIENDE"]:
            mask = groups == g
            first[mask] = self._pick(g, int(mask.sum()), year)
        eux = np.where(np.char.startswith(first.astype(str), "eud"), np.where(rng.random(n) < 0.25, "J", "N"), "")

        n_schools = max(2, round(cell.ninth_leavers / 60))
        school_idx = rng.integers(0, n_schools, n)
        school_idx = np.where(grade == "10", n_schools, school_idx)  # 10th grade: the 10. klasse-center
        inst = np.array([f"{code:03d}{i + 1:03d}" for i in range(n_schools + 1)])
        names = np.array(
            [
                f"{self.name[code]} {SCHOOL_SUFFIXES[i % len(SCHOOL_SUFFIXES)]}"
                + (f" {i // len(SCHOOL_SUFFIXES) + 1}" if i >= len(SCHOOL_SUFFIXES) else "")
                for i in range(n_schools)
            ]
            + [f"{self.name[code]} 10. klasse-center"]
        )
        others = np.array(sorted(self.munis))
        residence = np.where(rng.random(n) < 0.92, code, rng.choice(others, n))

        sex_male = rng.random(n) < np.select([groups == "EUD", groups == "GYM"], [0.65, 0.45], 0.52)
        age = np.where(grade == "9", 16, np.where(grade == "10", 17, rng.integers(17, 23, n)))
        birth_year = (year - age) % 100
        serial = rng.integers(0, 500, n) * 10 + np.where(
            sex_male, rng.choice([1, 3, 5, 7, 9], n), rng.choice([0, 2, 4, 6, 8], n)
        )
        cpr = (
            pd.Series(rng.integers(1, 29, n)).map("{:02d}".format)
            + pd.Series(rng.integers(1, 13, n)).map("{:02d}".format)
            + pd.Series(birth_year).map("{:02d}".format)
            + "-"
            + pd.Series(serial).map("{:04d}".format)
        )
        day = rng.integers(0, 28, n)
        date = pd.Series(pd.Timestamp(f"{year}-02-01") + pd.to_timedelta(day, unit="D")).dt.strftime("%Y-%m-%d")

        pupils = pd.DataFrame(
            {
                "CPR": cpr,
                "Fornavn": rng.choice(FIRST_NAMES, n),
                "Efternavn": rng.choice(LAST_NAMES, n),
                "Adresse": pd.Series(rng.choice(STREETS, n)) + " " + pd.Series(rng.integers(1, 120, n)).astype(str),
                "Postnr": pd.Series(rng.integers(1000, 9990, n)).astype(str),
                "By": self.name[code],
                "Telefon": pd.Series(rng.integers(20000000, 99999999, n)).astype(str),
                "Adressebeskyttelse": np.where(rng.random(n) < 0.01, "J", "N"),
                "Skolens institutionsnummer": inst[school_idx],
                "Skolens navn": names[school_idx],
                "Skolens kommunenr": f"{code}",
                "Bopælskommunenr": residence.astype(str),
                "Klassetrin": grade,
                "Ansøgertype": applicant,
                "Prioritet": "1",
                "Uddannelse": first,
                "EUX": eux,
                "Ansøgningsdato": date,
            }
        )
        # 'Uden for skole' applicants have no school of their own in the extract.
        outside = applicant == "Uden for skole"
        pupils.loc[outside, ["Skolens institutionsnummer", "Skolens navn"]] = ""
        return pupils

    def _with_extra_priorities(self, pupils: pd.DataFrame) -> pd.DataFrame:
        p = self.cfg["extra_priorities"]
        extra = self.rng.choice(np.array([int(k) for k in p]), size=len(pupils), p=list(p.values()))
        frames = [pupils]
        for k in range(1, int(extra.max(initial=0)) + 1):
            more = pupils[extra >= k].copy()
            more["Prioritet"] = str(k + 1)
            more["Uddannelse"] = self.rng.choice(EXTRA_CODES, len(more))
            more["EUX"] = np.where(more["Uddannelse"].str.startswith("eud"), "N", "")
            frames.append(more)
        out = pd.concat(frames)
        return out.sort_index(kind="stable").reset_index(drop=True)

    def year_frame(self, year: int) -> pd.DataFrame:
        shares = self._shares(year)
        frames = [self._pupils(code, year, self._cell(code, year, shares[code])) for code in sorted(self.munis)]
        pupils = pd.concat(frames, ignore_index=True)
        # CPR numbers are drawn at random: redraw the serial of any that repeat within the year,
        # keeping the last digit (which gives the sex).
        while (dup := pupils["CPR"].duplicated()).any():
            serial = pd.Series(self.rng.integers(0, 1000, int(dup.sum())), index=pupils.index[dup]).map("{:03d}".format)
            pupils.loc[dup, "CPR"] = pupils.loc[dup, "CPR"].str[:7] + serial + pupils.loc[dup, "CPR"].str[-1]
        return self._with_extra_priorities(pupils)

    def cells(self, year: int) -> dict[int, Cell]:
        shares = self._shares(year)
        return {code: self._cell(code, year, shares[code]) for code in sorted(self.munis)}


# Rows an analyst will meet in real extracts; the shipped sample carries a few so that the
# quarantine has something to show. They are extra pupils and do not touch the calibration.
def _bad_rows(year: int, template: pd.Series) -> pd.DataFrame:
    rows: list[pd.Series] = []
    for change in (
        {"Skolens kommunenr": "999"},  # no such kommune
        {"Skolens institutionsnummer": "12345"},  # five digits
        {"Uddannelse": "pilot"},  # unknown education code
        {"Klassetrin": "8"},  # not a leaving grade
        {"CPR": "12-34"},  # not CPR-shaped
    ):
        row = template.copy()
        row["CPR"] = f"0101{(year - 16) % 100:02d}-9{len(rows):03d}"
        row.update(change)
        rows.append(row)
    return pd.DataFrame(rows)


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    """Semicolon-separated, as Optagelse.dk and Excel in Danish locale write it: every value is
    text, unquoted (none holds a semicolon, a quote or a line break; csv refuses one that does),
    under a header of quoted names (as the shipped sample was first written, by pyarrow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f, delimiter=";", quoting=csv.QUOTE_NONE, escapechar=None, lineterminator="\n")
        f.write(";".join(f'"{name}"' for name in frame.columns) + "\n")
        out.writerows(frame.itertuples(index=False, name=None))
    tmp.replace(path)


def generate(
    out_dir: Path,
    scale: float = 1.0,
    all_municipalities: bool = False,
    years: tuple[int, int] | None = None,
    with_bad_rows: bool = False,
    progress: Callable[[int, int], object] | None = None,
) -> list[Path]:
    gen = Generator(scale=scale, all_municipalities=all_municipalities, years=years)
    paths = []
    for year in gen.years:
        frame = gen.year_frame(year)
        if with_bad_rows and year == gen.years[-1]:
            frame = pd.concat([frame, _bad_rows(year, frame.iloc[-1])], ignore_index=True)
        path = out_dir / f"optagelse_{year}.csv"
        write_csv(frame, path, ENCODING_BY_YEAR.get(year, "utf-8"))
        paths.append(path)
        if progress:
            progress(year, len(frame))
    return paths


def write_manifest(paths: list[Path], manifest: Path) -> None:
    """Content hashes of the shipped sample: only these exact files may use the demo key."""
    lines = ["file,sha256"] + [f"{p.name},{sha256_file(p)}" for p in sorted(paths)]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
