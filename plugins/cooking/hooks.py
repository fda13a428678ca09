"""The cooking plugin's tool: kitchen unit and temperature conversions.

Granted in plugin.toml (`[tools] names = ["convert_units"]`). A model that calls tools calls it
with (value, from_unit, to_unit); for the bundled model, which cannot, `match` reads the same
arguments from questions such as "What is 180 C in Fahrenheit?" or "How many grams is 8 oz?".
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk import hookimpl
from frontdesk.tools import tool

# unit -> kind, factor to the kind's base unit (g, ml), short and long name, what people write
_UNITS: dict[str, tuple[str, float, str, str, tuple[str, ...]]] = {
    "c": (
        "temperature",
        1,
        "°C",
        "degrees Celsius",
        ("°c", "c", "celsius", "celcius", "centigrade"),
    ),
    "f": ("temperature", 1, "°F", "degrees Fahrenheit", ("°f", "f", "fahrenheit")),
    "g": ("mass", 1, "g", "grams", ("g", "gram", "grams", "gramme", "grammes")),
    "kg": ("mass", 1000, "kg", "kilograms", ("kg", "kilo", "kilos", "kilogram", "kilograms")),
    "oz": ("mass", 28.349523125, "oz", "ounces", ("oz", "ounce", "ounces")),
    "lb": ("mass", 453.59237, "lb", "pounds", ("lb", "lbs", "pound", "pounds")),
    "ml": ("volume", 1, "ml", "millilitres", ("ml", "milliliter", "milliliters", "millilitre")),
    "l": ("volume", 1000, "l", "litres", ("l", "liter", "liters", "litre", "litres")),
    "cup": ("volume", 236.5882365, "cups", "US cups", ("cup", "cups")),
    "tbsp": (
        "volume",
        14.78676478125,
        "tbsp",
        "tablespoons",
        ("tbsp", "tablespoon", "tablespoons"),
    ),
    "tsp": ("volume", 4.92892159375, "tsp", "teaspoons", ("tsp", "teaspoon", "teaspoons")),
    "floz": ("volume", 29.5735295625, "fl oz", "US fluid ounces", ("fl oz", "fluid ounces")),
    "pint": ("volume", 473.176473, "pints", "US pints", ("pint", "pints")),
}
_LOOKUP = {alias: unit for unit, (*_, aliases) in _UNITS.items() for alias in aliases}
_LOOKUP.update({"millilitres": "ml", "fluid ounce": "floz"})
# Longest first, so "fl oz" wins over "oz" and "celsius" over "c".
_UNIT_RE = "|".join(re.escape(a) for a in sorted(_LOOKUP, key=len, reverse=True))
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_FORWARD = re.compile(
    rf"{_NUMBER}\s*(?:degrees\s+)?({_UNIT_RE})\b.*?\b(?:in|to|into|as)\s+(?:degrees\s+)?({_UNIT_RE})\b",
    re.I,
)
_HOW_MANY = re.compile(
    rf"how\s+many\s+({_UNIT_RE})\b.*?\b{_NUMBER}\s*(?:degrees\s+)?({_UNIT_RE})\b", re.I
)


def _unit(name: str) -> str:
    key = " ".join(re.sub(r"^\s*degrees?\s+", "", name.lower()).split())
    if key not in _LOOKUP:
        known = ", ".join(sorted(_LOOKUP))
        raise ValueError(f"unknown unit '{name}' (known: {known})")
    return _LOOKUP[key]


def _named(number: str, name: str) -> str:
    """'1 cup', '2 cups'; '1 degree Celsius', '2 degrees Celsius'."""
    if number != "1":
        return f"{number} {name}"
    if name.startswith("degrees "):
        return f"1 degree {name[8:]}"
    return f"1 {name.removesuffix('s')}"


def _fmt(x: float) -> str:
    text = f"{x:.1f}" if abs(x) < 100 else f"{x:.0f}"
    return text.removesuffix(".0")


def match_conversion(question: str) -> dict[str, Any] | None:
    """The arguments for questions that plainly ask for a conversion, else None."""
    found = _FORWARD.search(question)
    if found:
        number, src, dst = found.groups()
    else:
        found = _HOW_MANY.search(question)
        if not found:
            return None
        dst, number, src = found.groups()
    try:
        src_unit, dst_unit = _unit(src), _unit(dst)
    except ValueError:
        return None
    if src_unit == dst_unit or _UNITS[src_unit][0] != _UNITS[dst_unit][0]:
        return None
    return {"value": float(number.replace(",", ".")), "from_unit": src, "to_unit": dst}


@tool(match=match_conversion)
def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a kitchen quantity between units: temperatures (C, F), weights (g, kg, oz, lb)
    and volumes (ml, l, cup, tbsp, tsp, fl oz, pint; US measures). Returns one sentence."""
    src, dst = _unit(from_unit), _unit(to_unit)
    kind_a, factor_a, short_a, long_a, _ = _UNITS[src]
    kind_b, factor_b, short_b, long_b, _ = _UNITS[dst]
    if kind_a != kind_b:
        raise ValueError(
            f"cannot convert {long_a} ({kind_a}) to {long_b} ({kind_b}); a volume-to-weight "
            "conversion depends on the ingredient"
        )
    if kind_a == "temperature":
        celsius = value if src == "c" else (value - 32) * 5 / 9
        result = celsius if dst == "c" else celsius * 9 / 5 + 32
        result = round(result)
    else:
        result = value * factor_a / factor_b
    a, b = _fmt(value), _fmt(result)
    # Both spellings, so an answer that says "356 degrees Fahrenheit" or "356 °F" is checked
    # against the same number with its unit.
    short = f"{_named(a, short_a)} is {_named(b, short_b)}"
    return f"{short} ({_named(a, long_a)} is {_named(b, long_b)})."


@hookimpl
def register_tools(register: Any) -> None:
    register(convert_units)
