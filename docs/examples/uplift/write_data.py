"""Write a generated randomized experiment to data/promo.parquet: who got a promotion, who converted.

    python docs/examples/uplift/write_data.py <project dir> [rows]

Deterministic (seeded). Half the customers are treated at random (probability 0.5). The true effect of
the promotion on the conversion probability is known per row (`true_effect`, kept out of the features):
0 for customers with `tenure` <= 0, rising with tenure to 0.3 (0.5 in `segment` 'b'), so a model
that finds it must rank high-tenure 'b' customers first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

TREATMENT_PROBABILITY = 0.5


def promo_frame(rows: int = 1600, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(-1, 1, rows)
    spend = rng.normal(0, 1, rows)
    visits = rng.poisson(3, rows).astype(float)
    segment = rng.choice(["a", "b", "c"], rows)
    base = 1 / (1 + np.exp(-(-1.0 + 0.6 * spend + 0.1 * visits)))  # conversion without the promotion
    true_effect = np.clip(tenure, 0, None) * np.where(segment == "b", 0.5, 0.3)
    treated = (rng.uniform(size=rows) < TREATMENT_PROBABILITY).astype(int)
    converted = (rng.uniform(size=rows) < np.clip(base + treated * true_effect, 0, 1)).astype(int)
    return pd.DataFrame({
        "customer_id": np.arange(1, rows + 1), "tenure": tenure.round(4), "spend": spend.round(4), "visits": visits,
        "segment": segment, "treated": treated, "converted": converted, "true_effect": true_effect.round(4),
    })


def write_data(project: Path, rows: int = 1600) -> Path:
    path = project / "data" / "promo.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    promo_frame(rows).to_parquet(path, index=False)
    return path


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(f"wrote {write_data(root, int(sys.argv[2]) if len(sys.argv) > 2 else 1600)}")
