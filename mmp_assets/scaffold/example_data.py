"""The example project's data: a few hundred orders and weekly customer snapshots, the same on every machine.

Small enough that the first materialization takes seconds; the return label depends on the
customer's return rate (a feature view column) and the channel (a spine column), so the example
model has something to learn and its evaluation gate something to pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

CUSTOMERS, ORDERS, WEEKS = 40, 400, 14
START = datetime(2025, 1, 1)


def write_example_data(data_dir: Path, seed: int = 7) -> list[Path]:
    """Write `orders.parquet` and `customer_snapshots.parquet` under `data_dir`; returns their paths."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    customers = [f"c{i:02d}" for i in range(CUSTOMERS)]
    tendency = rng.beta(2, 8, CUSTOMERS)  # each customer's own return propensity
    snapshots = pl.DataFrame({
        "customer_id": [c for c in customers for _ in range(WEEKS)],
        "snapshot_time": [START + timedelta(weeks=w) for _ in customers for w in range(WEEKS)],
        "orders_30d": rng.poisson(4, CUSTOMERS * WEEKS).astype("int32"),
        "avg_amount_30d": np.round(rng.lognormal(3.5, 0.4, CUSTOMERS * WEEKS), 2),
        "return_rate_30d": np.clip(np.repeat(tendency, WEEKS) + rng.normal(0, 0.03, CUSTOMERS * WEEKS), 0, 1).round(3),
    })
    who = rng.integers(0, CUSTOMERS, ORDERS)
    seconds = np.sort(rng.uniform(7 * 86400, WEEKS * 7 * 86400, ORDERS))
    channel = rng.choice(["web", "app", "store"], ORDERS, p=[0.5, 0.3, 0.2])
    amount = np.round(rng.lognormal(3.5, 0.6, ORDERS), 2)
    logit = -2.5 + 12 * tendency[who] + 0.8 * (channel == "web") + 0.004 * amount
    orders = pl.DataFrame({
        "order_id": np.arange(1, ORDERS + 1, dtype="int64"),
        "customer_id": [customers[i] for i in who],
        "order_time": [START + timedelta(seconds=float(s)) for s in seconds],
        "amount": amount,
        "channel": channel,
        "returned": (rng.uniform(size=ORDERS) < 1 / (1 + np.exp(-logit))).astype("int32"),
    })
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = [data_dir / "orders.parquet", data_dir / "customer_snapshots.parquet"]
    for frame, path in zip((orders, snapshots), paths, strict=True):
        frame.with_columns(pl.col(pl.Datetime).dt.cast_time_unit("us")).write_parquet(path)
    return paths
