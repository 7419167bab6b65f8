"""Write a small generated set of daily per-store sales series to data/store_sales.parquet (deterministic, no network).

    python docs/examples/forecasting/write_data.py <project dir>

Each store's series is a linear trend + a weekly pattern + Gaussian noise, from a fixed seed, so the
same call always writes the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

WEEKLY = np.array([0.0, 2.0, 3.0, 2.5, 5.0, 9.0, 6.0])  # Monday .. Sunday


def store_sales(stores: int = 4, days: int = 120, start: str = "2025-01-06", seed: int = 7) -> pd.DataFrame:
    """One row per store and day: `store_id`, `day` (a date), `sales`."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    frames = []
    for i in range(stores):
        level, slope, amplitude = 20.0 + 8 * i, 0.05 + 0.03 * i, 1.0 + 0.4 * i
        t = np.arange(days)
        sales = level + slope * t + amplitude * WEEKLY[dates.dayofweek] + rng.normal(0, 1.0, days)
        frames.append(pd.DataFrame({"store_id": f"store_{i + 1}", "day": dates.date, "sales": np.round(sales, 2)}))
    return pd.concat(frames, ignore_index=True)


def write_tables(project: Path, **kwargs) -> list[Path]:
    data = project / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "store_sales.parquet"
    store_sales(**kwargs).to_parquet(path, index=False)
    return [path]


if __name__ == "__main__":
    for path in write_tables(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"wrote {path}")
