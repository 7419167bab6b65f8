"""Weekly user and merchant snapshots, each computed only from what was known at snapshot time."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import polars as pl

from mmp_assets.demo.world import CATEGORIES, Calendar, World

WINDOW_DAYS = 30
LABEL_DELAY_DAYS = 30  # a fraud label is known only once its chargeback arrives
FRAUD_WINDOW_DAYS = 90

USER_SQL = f"""
SELECT s.user_id, s.snapshot_time,
    CAST(date_diff('day', s.created, s.snapshot_time) AS INTEGER) AS account_age_days,
    CAST(count(t.amount) AS INTEGER) AS txn_count_30d,
    round(avg(t.amount), 4) AS avg_amount_30d,
    round(stddev_samp(t.amount), 4) AS std_amount_30d,
    max(t.amount) AS max_amount_30d,
    CAST(count(DISTINCT t.merchant_id) AS INTEGER) AS distinct_merchants_30d,
    round(avg(CASE WHEN t.hour_of_day < 6 THEN 1.0 ELSE 0.0 END), 4) AS night_share_30d
FROM (SELECT * FROM users CROSS JOIN snaps WHERE created < snapshot_time) AS s
LEFT JOIN txns AS t ON t.user_id = s.user_id
    AND t.event_time >= s.snapshot_time - INTERVAL {WINDOW_DAYS} DAY
    AND t.event_time < s.snapshot_time
GROUP BY ALL
ORDER BY s.snapshot_time, s.user_id
"""

_KNOWN = f"t.event_time < s.snapshot_time - INTERVAL {LABEL_DELAY_DAYS} DAY"
_RECENT = f"t.event_time >= s.snapshot_time - INTERVAL {WINDOW_DAYS} DAY"
MERCHANT_SQL = f"""
SELECT s.merchant_id, s.snapshot_time, s.merchant_category,
    CAST(count(t.amount) FILTER (WHERE {_RECENT}) AS INTEGER) AS merchant_txn_count_30d,
    round(avg(t.amount) FILTER (WHERE {_RECENT}), 4) AS merchant_avg_amount_30d,
    round(avg(t.is_fraud) FILTER (WHERE {_KNOWN}), 6) AS merchant_fraud_rate_90d
FROM (SELECT * FROM merchants CROSS JOIN snaps) AS s
LEFT JOIN txns AS t ON t.merchant_id = s.merchant_id
    AND t.event_time >= s.snapshot_time - INTERVAL {LABEL_DELAY_DAYS + FRAUD_WINDOW_DAYS} DAY
    AND t.event_time < s.snapshot_time
GROUP BY ALL
ORDER BY s.snapshot_time, s.merchant_id
"""


def build_snapshots(txns: pl.DataFrame, world: World, calendar: Calendar) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(user_snapshots, merchant_snapshots) for every weekly snapshot time from start to end."""
    users = pl.DataFrame(
        {
            "user_id": world.user_ids,
            "created": [calendar.start + timedelta(days=int(d)) for d in world.user_created_day],
        }
    )
    merchants = pl.DataFrame(
        {"merchant_id": world.merchant_ids, "merchant_category": np.array(list(CATEGORIES))[world.merchant_category]}
    )
    snaps = pl.DataFrame({"snapshot_time": calendar.snapshot_times()})
    with duckdb.connect() as con:
        # One thread keeps floating-point aggregation order, and so the bytes written, stable.
        con.execute("SET threads = 1")
        for name, frame in (("users", users), ("merchants", merchants), ("snaps", snaps), ("txns", txns)):
            con.register(name, frame.with_columns(pl.selectors.datetime().dt.cast_time_unit("us")).to_arrow())
        return con.sql(USER_SQL).pl(), con.sql(MERCHANT_SQL).pl()
