"""Card transactions drawn from the simulated world, with fraud labels that carry real signal."""

from __future__ import annotations

import numpy as np
import polars as pl

from mmp_assets.demo.world import CATEGORIES, Calendar, World

# Relative traffic per hour of day; 00:00-05:59 is "night" for the risk model and the snapshots.
HOURLY = np.array(
    [1.5, 1.0, 0.8, 0.7, 0.8, 1.2, 2.0, 3.0, 4.0, 5.0, 5.5, 6.0,
     7.0, 6.0, 5.5, 5.5, 6.0, 6.5, 7.0, 6.5, 5.5, 4.0, 3.0, 2.0]
)
FRAUD_RATE = 0.03
SCORING_AMOUNT_DRIFT = 1.12


def simulate_transactions(rng: np.random.Generator, world: World, calendar: Calendar) -> pl.DataFrame:
    """Every transaction in [start, end), ordered by time, labelled (scoring rows too)."""
    training_days = (calendar.scoring_start - calendar.start).days
    first_day = np.maximum(world.user_created_day, 0)
    active_days = calendar.days - first_day
    user = np.repeat(np.arange(len(world.user_ids)), rng.poisson(world.user_rate * active_days))
    n = len(user)

    day = first_day[user] + (rng.random(n) * active_days[user]).astype(np.int64)
    hour = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    second = rng.integers(0, 3600, n)
    favourite = world.user_favourites[user, rng.integers(0, world.user_favourites.shape[1], n)]
    anywhere = rng.choice(len(world.merchant_ids), size=n, p=world.merchant_weight)
    merchant = np.where(rng.random(n) < 0.75, favourite, anywhere)
    category = world.merchant_category[merchant]

    factor, online_p, category_lift = (np.array([v[i] for v in CATEGORIES.values()]) for i in (1, 2, 3))
    scoring = day >= training_days
    # Drift for the monitoring demo: the scoring weeks move a little more spend online.
    p_online = online_p[category]
    p_online = np.where(scoring & (p_online > 0.05), p_online + 0.12 * (1 - p_online), p_online)
    online = rng.random(n) < p_online
    surprise = rng.normal(0.0, 0.45, n)  # how far this ticket sits from the holder's usual one

    account_age = day - world.user_created_day[user]
    logit = (
        1.1 * (hour < 6)
        + 0.8 * online
        + world.merchant_risk[merchant]
        + category_lift[category]
        + 1.2 * np.exp(-account_age / 45.0)
        + 1.1 * surprise
    )
    is_fraud = rng.random(n) < _sigmoid(logit + _intercept_for(logit, FRAUD_RATE))
    # Most fraudsters cash out well above the holder's usual ticket; some probe with small ones.
    inflate = np.where(is_fraud & (rng.random(n) < 0.65), np.exp(rng.normal(0.7, 0.35, n)), 1.0)
    amount = world.user_level[user] * factor[category] * np.exp(surprise) * inflate
    amount = np.maximum(np.round(amount * np.where(scoring, SCORING_AMOUNT_DRIFT, 1.0), 2), 1.0)

    offset_us = (day * 86_400 + hour * 3_600 + second) * 1_000_000
    event_time = np.datetime64(calendar.start, "us") + offset_us.astype("timedelta64[us]")
    order = np.lexsort((merchant, user, event_time))
    return pl.DataFrame(
        {
            "transaction_id": np.arange(1, n + 1, dtype=np.int64),
            "user_id": world.user_ids[user][order],
            "merchant_id": world.merchant_ids[merchant][order],
            "amount": amount[order],
            "category": np.array(list(CATEGORIES))[category][order],
            "channel": np.where(online, "online", "pos")[order],
            "hour_of_day": hour[order].astype(np.int32),
            "event_time": event_time[order],
            "is_fraud": is_fraud[order].astype(np.int32),
        }
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for(logit: np.ndarray, rate: float) -> float:
    """The intercept that makes the mean fraud probability `rate` (bisection; monotone in b)."""
    low, high = -20.0, 5.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _sigmoid(logit + mid).mean() < rate else (low, mid)
    return (low + high) / 2
