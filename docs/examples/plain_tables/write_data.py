"""Write scikit-learn's bundled breast-cancer and wine tables to data/*.parquet (no network: they ship with sklearn).

    python docs/examples/plain_tables/write_data.py <project dir>
"""

from __future__ import annotations

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_wine


def write_tables(project: Path) -> list[Path]:
    """Each table as one plain parquet file: its feature columns and `target`, no id, no timestamp."""
    data = project / "data"
    data.mkdir(parents=True, exist_ok=True)
    written = []
    for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
        path = data / f"{name}.parquet"
        loader(as_frame=True).frame.to_parquet(path, index=False)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_tables(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"wrote {path}")
