"""The spellings a CPR number reaches us in: what Word, Excel, web forms, phones and careless
typing make of `ddmmyy-xxxx`. Shared by the guard's unit tests and the hostile end-to-end scan."""

from __future__ import annotations

from overgang.cpr import normalised


def _script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


def spellings(cpr: str) -> dict[str, str]:
    """Every spelling of the ten-digit `cpr` (its day starts with 0, so the nine-digit spelling
    is a real one: Excel drops the leading zero of a number)."""
    d = "".join(ch for ch in cpr if ch.isdigit())
    assert len(d) == 10 and d[0] == "0", cpr
    date, serial = d[:6], d[6:]
    return {
        "fullwidth": _script(date, 0xFF10) + "\uff0d" + _script(serial, 0xFF10),
        "arabic-indic": _script(date, 0x0660) + "-" + _script(serial, 0x0660),
        "devanagari": _script(d, 0x0966),
        "slash": f"{date}/{serial}",
        "underscore": f"{date}_{serial}",
        "zero-width space": f"{d[:4]}\u200b{d[4:]}",
        "soft hyphen": f"{date}\u00ad{serial}",
        "non-breaking hyphen": f"{date}\u2011{serial}",
        "no-break space": f"{date}\u00a0{serial}",
        "ideographic space": f"{date}\u3000{serial}",
        "minus sign": f"{date}\u2212{serial}",
        "bidi override": f"{date}\u202e{serial}",
        "every digit spaced": " ".join(d),
        "in pairs with dots": ".".join([d[0:2], d[2:4], d[4:6], serial]),
        "nine digits": d[1:],
        "inside a longer number": f"12{d}34",
        "tab": f"{date}\t{serial}",
    }


def digit_forms(cpr: str) -> set[str]:
    """What a scan looks for in normalised text with its separators taken out: the ten digits,
    and the nine of the spelling without its leading zero."""
    d = "".join(ch for ch in cpr if ch.isdigit())
    return {d, d[1:]} if d[0] == "0" else {d}


def scannable(text: str) -> str:
    """`text` normalised as the guard sees it, its separators taken out: a number in any of the
    spellings above reads as its digits."""
    return normalised(text).replace("-", "")
