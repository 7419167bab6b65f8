"""Write the clustering example's table, data/shoppers.parquet: generated, deterministic, small.

    python docs/examples/clustering/write_data.py <project dir> [rows]

Four customer segments drawn as Gaussian blobs (scikit-learn's make_blobs, fixed seed) over three
behaviour columns, with two categorical columns: `channel` leans on the segment, `region` does not.
A few basket values are NULL (imputed by the recipe). `true_segment` is the generating blob: the
recipe excludes it from the features; it is there to check the clusters against, never to train on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_blobs

SEED = 11
CENTERS = [[2.0, 30.0, 5.0], [10.0, 35.0, 45.0], [3.0, 110.0, 50.0], [11.0, 100.0, 4.0]]  # visits, basket, days since last
SPREAD = [1.0, 8.0, 4.0]
CHANNELS = ["web", "app", "store"]
LEANING = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.15, 0.15, 0.7], [0.4, 0.5, 0.1]]  # channel mix per segment


def shoppers(rows: int = 600) -> pd.DataFrame:
    unit, segment = make_blobs(n_samples=rows, centers=np.zeros((4, 3)), cluster_std=1.0, random_state=SEED)
    values = np.asarray(CENTERS)[segment] + unit * np.asarray(SPREAD)
    rng = np.random.default_rng(SEED)
    channel = [CHANNELS[rng.choice(3, p=LEANING[s])] for s in segment]
    frame = pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(rows)],
        "visits_per_month": values[:, 0].round(2),
        "basket_value": values[:, 1].round(2),
        "days_since_last": values[:, 2].clip(0).round(1),
        "channel": channel,
        "region": rng.choice(["north", "south", "east", "west"], size=rows),
        "true_segment": segment,
    })
    frame.loc[rng.choice(rows, size=rows // 50, replace=False), "basket_value"] = np.nan
    return frame


def write_tables(project: Path, rows: int = 600) -> list[Path]:
    data = project / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "shoppers.parquet"
    shoppers(rows).to_parquet(path, index=False)
    return [path]


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for written in write_tables(root, int(sys.argv[2]) if len(sys.argv) > 2 else 600):
        print(f"wrote {written}")
