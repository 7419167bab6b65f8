"""The simulated world behind the demo: card holders, merchants and the calendar they live in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

# category: (share of merchants, amount factor, online probability, fraud log-odds lift)
CATEGORIES: dict[str, tuple[float, float, float, float]] = {
    "grocery": (0.24, 1.0, 0.06, -0.4),
    "fuel": (0.13, 1.3, 0.02, -0.2),
    "restaurants": (0.20, 0.9, 0.10, -0.3),
    "online_retail": (0.16, 1.6, 0.90, 0.3),
    "electronics": (0.07, 4.0, 0.55, 1.0),
    "travel": (0.07, 6.0, 0.65, 0.3),
    "gaming": (0.08, 0.8, 0.90, 0.9),
    "jewelry": (0.05, 5.0, 0.25, 1.1),
}
SCORING_DAYS = 14
SNAPSHOT_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class Calendar:
    """Training runs [start, scoring_start); scoring runs [scoring_start, end)."""

    start: datetime
    scoring_start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, months: int) -> Calendar:
        scoring_start = end - timedelta(days=SCORING_DAYS)
        # Months are 30 days so the calendar never depends on which month `end` falls in.
        return cls(scoring_start - timedelta(days=30 * months), scoring_start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def snapshot_times(self) -> list[datetime]:
        count = (self.end - self.start) // SNAPSHOT_EVERY + 1
        return [self.start + k * SNAPSHOT_EVERY for k in range(count)]


@dataclass(frozen=True)
class World:
    """Per-user and per-merchant latent traits; the model only ever sees their consequences."""

    user_ids: np.ndarray
    user_created_day: np.ndarray  # account opening, in whole days relative to Calendar.start
    user_level: np.ndarray  # the holder's typical ticket size
    user_rate: np.ndarray  # transactions per day
    user_favourites: np.ndarray  # (n_users, k) merchant indices the holder keeps returning to
    merchant_ids: np.ndarray
    merchant_category: np.ndarray  # index into CATEGORIES
    merchant_weight: np.ndarray  # popularity, sums to 1
    merchant_risk: np.ndarray  # fraud log-odds lift


def build_world(rng: np.random.Generator, calendar: Calendar, n_users: int, n_merchants: int) -> World:
    """Draw users and merchants; about a fifth of accounts open during the data period."""
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(len(names), size=n_merchants, p=shares / shares.sum())
    weight = rng.lognormal(0.0, 1.0, n_merchants)
    weight /= weight.sum()
    risky = rng.random(n_merchants) < 0.08
    risk = rng.normal(0.0, 0.35, n_merchants) + np.where(risky, 2.0, 0.0)

    training_days = (calendar.scoring_start - calendar.start).days
    young = rng.random(n_users) < 0.2
    created = np.where(
        young,
        rng.integers(-30, training_days, n_users),
        -rng.integers(60, 2500, n_users),
    )
    return World(
        user_ids=np.array([f"u{i:05d}" for i in range(1, n_users + 1)]),
        user_created_day=created,
        user_level=rng.lognormal(np.log(35.0), 0.6, n_users),
        user_rate=rng.lognormal(np.log(0.2), 0.5, n_users),
        user_favourites=rng.choice(n_merchants, size=(n_users, 8), p=weight),
        merchant_ids=np.array([f"m{i:04d}" for i in range(1, n_merchants + 1)]),
        merchant_category=category,
        merchant_weight=weight,
        merchant_risk=risk,
    )
