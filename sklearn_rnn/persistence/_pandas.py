# SPDX-License-Identifier: BSD-3-Clause
"""pandas time stamps, periods and frequencies, stored as text.

They are read back with pandas' own parsers; a value that would not read back
as itself (a ``CustomBusinessDay`` with holidays, say) is refused on save.
"""

from __future__ import annotations

import re

import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from ._codec import decoder, encode, typed, unsupported

# Units of pandas time stamps, and the time zones (IANA names such as
# "Europe/Paris" or "UTC": no path, no "..") they are stored with.
_TIME_UNITS = ("s", "ms", "us", "ns")
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
_ERRORS = (ValueError, TypeError, KeyError, OverflowError)


def _exact(value, decode, body, where: str):
    """Return ``body`` if ``decode`` gives ``value`` back exactly, else refuse."""
    try:
        back = decode(body, where)
    except ValueError:
        back = None
    if (
        type(back) is not type(value)
        or back != value
        or str(getattr(back, "tz", None)) != str(getattr(value, "tz", None))
        or getattr(back, "unit", None) != getattr(value, "unit", None)
    ):
        raise unsupported(where, f"{value!r} cannot be stored exactly")
    return body


@encode.register(pd.Timestamp)
def _encode_timestamp(value, writer, where):
    body = {"iso": value.isoformat(), "unit": value.unit, "tz": None}
    if value.tz is not None:
        # The offset in the ISO text is enough for fixed-offset time zones;
        # others are stored by name.
        try:
            fixed = str(decode_timestamp(body, where).tz) == str(value.tz)
        except ValueError:
            fixed = False
        if not fixed:
            body["tz"] = str(value.tz)
    return {"__timestamp__": _exact(value, decode_timestamp, body, where)}


def decode_timestamp(body, where: str) -> pd.Timestamp:
    """Read a time stamp written by ``save``, time zone and unit kept."""
    if type(body) is not dict or set(body) != {"iso", "unit", "tz"}:
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    iso, unit, tz = body["iso"], body["unit"], body["tz"]
    if (
        type(iso) is not str
        or type(unit) is not str
        or unit not in _TIME_UNITS
        or not (tz is None or (type(tz) is str and _TIME_ZONE.fullmatch(tz)))
    ):
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    try:
        value = pd.Timestamp(iso)
        if tz is not None:
            value = value.tz_convert(tz)
        value = value.as_unit(unit)
    except _ERRORS as exc:
        raise ValueError(
            f"{where} holds an invalid time stamp {body!r}: {exc}"
        ) from exc
    if type(value) is not pd.Timestamp:  # NaT
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    return value


@encode.register(pd.Period)
def _encode_period(value, writer, where):
    body = {"ordinal": value.ordinal, "freq": value.freqstr}
    return {"__period__": _exact(value, decode_period, body, where)}


def decode_period(body, where: str) -> pd.Period:
    """Read a period written by ``save``."""
    if (
        type(body) is not dict
        or set(body) != {"ordinal", "freq"}
        or type(body["ordinal"]) is not int
        or type(body["freq"]) is not str
    ):
        raise ValueError(f"{where} holds an invalid period {body!r}.")
    try:
        value = pd.Period(ordinal=body["ordinal"], freq=body["freq"])
    except _ERRORS as exc:
        raise ValueError(f"{where} holds an invalid period {body!r}: {exc}") from exc
    if type(value) is not pd.Period:  # NaT
        raise ValueError(f"{where} holds an invalid period {body!r}.")
    return value


@encode.register(BaseOffset)
def _encode_offset(value, writer, where):
    return {"__offset__": _exact(value, decode_offset, value.freqstr, where)}


def decode_offset(body, where: str) -> BaseOffset:
    """Read a frequency written by ``save`` (its alias, such as ``"W-SUN"``)."""
    try:
        value = to_offset(typed(body, str, where))
    except _ERRORS as exc:
        raise ValueError(f"{where} holds an unknown frequency {body!r}: {exc}") from exc
    if not isinstance(value, BaseOffset):
        raise ValueError(f"{where} holds an unknown frequency {body!r}.")
    return value


@decoder("__timestamp__")
def _read_timestamp(reader, body, where, depth):
    return decode_timestamp(body, where)


@decoder("__period__")
def _read_period(reader, body, where, depth):
    return decode_period(body, where)


@decoder("__offset__")
def _read_offset(reader, body, where, depth):
    return decode_offset(body, where)
