"""Deterministic synthetic credit applications with the shapes of the public credit-risk dataset.

The public dataset (32,581 applications) has no dates and no applicant; the drops here add an
applicant id and a submission time and spread the applications over 2024-01-01..2024-07-07.
Distributions follow the dataset's known shapes: age mostly 20-40 (median ~26), income
lognormal (median ~55k), home ownership RENT ~50% / MORTGAGE ~41% / OWN ~8% / OTHER <1%, six
loan intents, grades A-G skewed to A/B with the interest rate rising with the grade, default
on file Y ~18% (only from grade C down, as in the dataset), label loan_status 1 ~22%. It keeps
the dataset's flaws: employment length missing ~3%, interest rate missing ~10%, ages over 120
and employment longer than the applicant's age. On top of that ~12% of the applications come
from applicants who applied before (history features need them), a handful of lines are
unparseable (day-first timestamps, a rate with a % sign) so bronze has something to
quarantine, and the last week's applications have no label yet (they are being scored).

Layout (documented in docs/CREDITO.md), under `<out>/solicitacoes_credito/`:
- `solicitacoes_credito_historico.csv`: every application up to 2024-06-30, the backfill. It
  is what a load date without a drop of its own reads (`lakehouse run` on a fresh clone loads
  it under today's date);
- `anomesdia=<yyyymmdd>/solicitacoes_credito_<yyyymmdd>.csv` for 2024-07-01..2024-07-07: the
  daily drops that follow, one per load date (`lakehouse run --load-date 20240701`).

Everything is drawn with numpy from streams seeded by `(seed, stream)`, so a `(scale, seed)`
always gives byte-identical files; rows are rendered by `csv_render` without per-row Python.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lakehouse_assets.domains import csv_render as r

SOURCE = "solicitacoes_credito"
SOURCES = (SOURCE,)
SAMPLE_SCALE = 32_581  # the public dataset's size
HEADER = (
    "applicant_id",
    "application_ts",
    "person_age",
    "person_income",
    "person_home_ownership",
    "person_emp_length",
    "loan_intent",
    "loan_grade",
    "loan_amnt",
    "loan_int_rate",
    "loan_status",
    "loan_percent_income",
    "cb_person_default_on_file",
    "cb_person_cred_hist_length",
)
FIRST_DAY = np.datetime64("2024-01-01")
HISTORY_LAST_DAY = np.datetime64("2024-06-30")
LAST_DAY = np.datetime64("2024-07-07")
HISTORY_FILE = f"{SOURCE}_historico.csv"
# The busiest day must fit its applications into distinct seconds.
MAX_SCALE = 5_000_000
_CHUNK = 250_000

HOME = ("RENT", "MORTGAGE", "OWN", "OTHER")
HOME_P = (0.505, 0.413, 0.079, 0.003)
INTENT = ("EDUCATION", "MEDICAL", "VENTURE", "PERSONAL", "DEBTCONSOLIDATION", "HOMEIMPROVEMENT")
INTENT_P = (0.198, 0.186, 0.176, 0.169, 0.160, 0.111)
GRADE = ("A", "B", "C", "D", "E", "F", "G")
GRADE_P = (0.331, 0.321, 0.198, 0.111, 0.030, 0.0074, 0.0026)
RATE_MEAN = (7.3, 11.0, 13.5, 15.3, 17.0, 18.6, 20.3)
RATE_SD = (1.0, 1.0, 0.9, 1.2, 1.2, 1.3, 1.2)
DEFAULT_ON_FILE_P = (0.0, 0.0, 0.52, 0.5, 0.5, 0.5, 0.5)
DEFAULT_P = (0.10, 0.16, 0.21, 0.59, 0.64, 0.70, 0.98)
HOME_RISK = (1.15, 0.85, 0.6, 1.0)

REPEAT_SHARE = 0.12
MISSING_EMP_LENGTH = 0.0275
MISSING_INT_RATE = 0.096
AGE_OUTLIERS = 0.00015
EMP_LONGER_THAN_AGE = 0.0003
BAD_TIMESTAMP = 0.0002
BAD_RATE = 0.0002

(_S_CALENDAR, _S_CLOCK, _S_REPEAT, _S_PERSON, _S_LOAN, _S_FLAWS, _S_ID) = range(7)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _applications_per_day(n: int, seed: int) -> np.ndarray:
    """How many applications each day (0 = FIRST_DAY) gets: weekends are quieter and volume
    grows a little over the half year."""
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    weight = np.where(weekday == 5, 0.55, np.where(weekday == 6, 0.35, 1.0))
    weight = weight * (1 + 0.15 * np.arange(days.size) / days.size)
    return _rng(seed, _S_CALENDAR).multinomial(n, weight / weight.sum())


def _submission_seconds(per_day: np.ndarray, seed: int) -> np.ndarray:
    """Submission times, increasing and unique (a key part), within each application's day.

    Seconds of a day are drawn without replacement from a mostly-office-hours density with
    the Gumbel top-k trick: one vectorised draw per day.
    """
    rng = _rng(seed, _S_CLOCK)
    second = np.arange(86_400)
    office = np.exp(-0.5 * ((second - 14.5 * 3600) / (3.5 * 3600)) ** 2)
    log_density = np.log(0.85 * office / office.sum() + 0.15 / second.size)
    first = FIRST_DAY.astype("M8[s]").astype(np.int64)
    times = []
    for day, count in enumerate(per_day):
        if count:
            keys = log_density + rng.gumbel(size=second.size)
            chosen = np.sort(np.argpartition(-keys, count - 1)[:count])
            times.append(first + day * 86_400 + chosen)
    return np.concatenate(times) if times else np.empty(0, dtype=np.int64)


def _applicants(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(applicant number, index of the applicant's first application) per application."""
    rng = _rng(seed, _S_REPEAT)
    repeat = rng.random(n) < REPEAT_SHARE
    if n:
        repeat[0] = False
    earlier = (rng.random(n) * np.arange(n)).astype(np.int64)
    first = np.where(repeat, earlier, np.arange(n))
    while True:  # pointer jumping: each step halves the chains back to a first application
        nxt = first[first]
        if np.array_equal(nxt, first):
            break
        first = nxt
    number = np.cumsum(~repeat) - 1
    return number[first], first


def _person(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = _rng(seed, _S_PERSON)
    age = np.clip(20 + np.floor(rng.gamma(2.0, 3.9, n)), 20, 94).astype(np.int64)
    log_income = rng.normal(np.log(55_000) + 0.012 * (age - 26), 0.55)
    income = np.maximum(4_000, np.round(np.exp(log_income) / 100) * 100).astype(np.int64)
    rich = rng.random(n) < 0.0002
    income = np.where(rich, rng.integers(1_000, 6_000, n) * 1_000, income)
    emp = np.floor(rng.gamma(1.5, 3.2, n)).astype(np.int64)
    emp = np.clip(emp, 0, np.maximum(age - 16, 0))
    history = np.round(2 + (age - 21) * 0.55 + rng.normal(0, 1.5, n))
    return {
        "age": age,
        "income": income,
        "home": rng.choice(len(HOME), n, p=HOME_P),
        "emp": emp,
        "history": np.clip(history, 2, 30).astype(np.int64),
    }


def _loans(n: int, seed: int, income: np.ndarray, home: np.ndarray) -> dict[str, np.ndarray]:
    rng = _rng(seed, _S_LOAN)
    grade = rng.choice(len(GRADE), n, p=np.array(GRADE_P) / sum(GRADE_P))
    rate = rng.normal(np.take(RATE_MEAN, grade), np.take(RATE_SD, grade))
    rate_cents = np.round(np.clip(rate, 5.42, 23.22) * 100).astype(np.int64)
    ratio = np.clip(np.exp(rng.normal(np.log(0.145), 0.55, n)), 0.01, 0.83)
    raw = income * ratio
    step = np.where(rng.random(n) < 0.65, 1_000, 25)
    amount = np.clip(np.round(raw / step) * step, 500, 35_000).astype(np.int64)
    pct_cents = np.round(amount / income * 100).astype(np.int64)
    risk = np.take(DEFAULT_P, grade) * (0.6 + 2.4 * pct_cents / 100) * np.take(HOME_RISK, home)
    return {
        "intent": rng.choice(len(INTENT), n, p=INTENT_P),
        "grade": grade,
        "rate_cents": rate_cents,
        "amount": amount,
        "pct_cents": pct_cents,
        "default_on_file": rng.random(n) < np.take(DEFAULT_ON_FILE_P, grade),
        "status": (rng.random(n) < np.clip(risk, 0.01, 0.99)).astype(np.int64),
    }


def _flaws(n: int, seed: int, age: np.ndarray, emp: np.ndarray) -> dict[str, np.ndarray]:
    """The dataset's own flaws (missing values, outliers) and a few unparseable lines."""
    rng = _rng(seed, _S_FLAWS)
    old = rng.random(n) < AGE_OUTLIERS
    age = np.where(old, rng.choice([123, 144], n), age)
    longer = rng.random(n) < EMP_LONGER_THAN_AGE
    emp = np.where(longer, np.where(rng.random(n) < 0.3, 123, age + rng.integers(1, 20, n)), emp)
    missing_rate = rng.random(n) < MISSING_INT_RATE
    return {
        "age": age,
        "emp": emp,
        "missing_emp": rng.random(n) < MISSING_EMP_LENGTH,
        "missing_rate": missing_rate,
        "bad_ts": rng.random(n) < BAD_TIMESTAMP,
        "bad_rate": (rng.random(n) < BAD_RATE) & ~missing_rate,
    }


def draw(scale: int, seed: int) -> dict[str, np.ndarray]:
    """Every column of every application as arrays (sorted by submission time)."""
    ts = _submission_seconds(_applications_per_day(scale, seed), seed)
    number, first = _applicants(scale, seed)
    person = {k: v[first] for k, v in _person(scale, seed).items()}
    loans = _loans(scale, seed, person["income"], person["home"])
    flaws = _flaws(scale, seed, person["age"], person["emp"])
    offset = int(_rng(seed, _S_ID).integers(0, 1_000_000_000))
    # An affine map modulo 10**9 with a multiplier prime to 10 scrambles without collisions.
    applicant = (number * 7_919_333 + offset) % 1_000_000_000
    date = ts // 86_400
    labelled = date <= HISTORY_LAST_DAY.astype(np.int64)
    return {**person, **loans, **flaws, "applicant": applicant, "ts": ts, "labelled": labelled}


def _fields(a: dict[str, np.ndarray], rows: slice) -> list[r.Field]:
    c = {k: v[rows] for k, v in a.items()}
    rate = [
        *r.fixed(c["rate_cents"], 2),
        np.where(c["bad_rate"], ord("%"), 0).astype(np.uint8)[:, None],
    ]
    ts = np.where(c["bad_ts"][:, None], r.timestamps(c["ts"], True), r.timestamps(c["ts"]))
    return [
        [r.lit("CR"), r.digits(c["applicant"], 9, zero_pad=True)],
        ts,
        r.digits(c["age"]),
        r.digits(c["income"]),
        r.text(HOME)[c["home"]],
        r.blank([r.digits(c["emp"]), r.lit(".0")], c["missing_emp"]),
        r.text(INTENT)[c["intent"]],
        r.text(GRADE)[c["grade"]],
        r.digits(c["amount"]),
        r.blank(rate, c["missing_rate"]),
        r.blank(r.digits(c["status"], 1), ~c["labelled"]),
        r.fixed(c["pct_cents"], 2),
        r.text(("N", "Y"))[c["default_on_file"].astype(np.int64)],
        r.digits(c["history"]),
    ]


def _write(path: Path, a: dict[str, np.ndarray], start: int, stop: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write((",".join(HEADER) + "\n").encode())
        for begin in range(start, stop, _CHUNK):
            end = min(stop, begin + _CHUNK)
            handle.write(memoryview(r.render(_fields(a, slice(begin, end)), end - begin)))
    return stop - start


def generate(
    out_dir: str | os.PathLike,
    scale: int = SAMPLE_SCALE,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the backfill file and the daily drops of `scale` applications; return
    `{source: rows written}` (header lines excluded, unparseable lines included)."""
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if scale > MAX_SCALE:
        raise ValueError(
            f"scale {scale} is over {MAX_SCALE:,} applications: the busiest days would need "
            "more applications than seconds; use a smaller scale"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    a = draw(int(scale), int(seed))
    folder = Path(out_dir) / SOURCE
    days = a["ts"] // 86_400
    bounds = np.searchsorted(days, np.arange(HISTORY_LAST_DAY + 1, LAST_DAY + 2).astype(np.int64))
    written = _write(folder / HISTORY_FILE, a, 0, int(bounds[0]))
    if progress is not None:
        progress(f"{SOURCE}: {written} applications up to {HISTORY_LAST_DAY} in {HISTORY_FILE}")
    for i, day in enumerate(np.arange(HISTORY_LAST_DAY + 1, LAST_DAY + 1)):
        stamp = str(day).replace("-", "")
        name = f"anomesdia={stamp}/{SOURCE}_{stamp}.csv"
        rows = _write(folder / name, a, int(bounds[i]), int(bounds[i + 1]))
        written += rows
        if progress is not None:
            progress(f"{SOURCE}: {rows} applications in the drop {name}")
    return {SOURCE: written}
