"""Write the regression examples' generated tables to data/*.parquet: deterministic (fixed seeds), small, no network.

    python docs/examples/regression/write_data.py <project dir>

claims.parquet      one row per insurance claim; `cost` is right-skewed (log-normal), the case for target_transform: log1p
deliveries.parquet  one row per delivery order over 60 days; `minutes` has noise growing with distance, the case for quantiles
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west"]
ZONES = ["centre", "inner", "outer"]


def claims(rows: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    vehicle_value = rng.lognormal(9.5, 0.5, rows).round(0)
    region = rng.choice(REGIONS, rows)
    prior_claims = rng.poisson(0.6, rows)
    effect = pd.Series(region).map({"north": 0.0, "south": 0.25, "east": -0.15, "west": 0.4}).to_numpy()
    log_cost = 1.5 + 0.45 * np.log(vehicle_value) + 0.012 * np.abs(age - 45) + 0.3 * prior_claims + effect + rng.normal(0, 0.3, rows)
    frame = pd.DataFrame({"claim_id": np.arange(1, rows + 1), "age": age, "vehicle_value": vehicle_value, "region": region,
                          "prior_claims": prior_claims, "cost": np.exp(log_cost).round(2)})
    frame.loc[rng.random(rows) < 0.05, "vehicle_value"] = np.nan  # some claims miss the vehicle's value
    return frame


def deliveries(rows: int = 600, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ordered_at = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 60 * 24 * 60, rows)).round(0), unit="min")
    distance = rng.uniform(0.5, 15, rows).round(2)
    items = rng.integers(1, 11, rows)
    rain = (rng.random(rows) < 0.25).astype(int)
    zone = rng.choice(ZONES, rows)
    typical = 8 + 2.5 * distance + 0.8 * items + 6 * rain
    minutes = typical + rng.gamma(2.0, 1.0 + 0.5 * distance, rows)  # later and more spread out the further it goes
    return pd.DataFrame({"order_id": np.arange(1, rows + 1), "ordered_at": ordered_at, "distance_km": distance, "items": items,
                         "rain": rain, "zone": zone, "minutes": minutes.round(1)})


def write_tables(project: Path) -> list[Path]:
    data = project / "data"
    data.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in (("claims", claims), ("deliveries", deliveries)):
        path = data / f"{name}.parquet"
        make().to_parquet(path, index=False)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_tables(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"wrote {path}")
