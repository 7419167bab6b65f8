import numpy as np
import pandas as pd

from mmp_assets.evaluation.backtest import replay, rolling_origin
from mmp_assets.evaluation.scores import estimator_predictor

from tests.evaluation.conftest import FEATURES, make_pipeline, synthetic_frame


def test_windows_train_strictly_before_their_scored_period():
    ts = pd.Series(pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 3 + ["2024-01-03"] * 3 + ["2024-01-04"] * 3))
    windows = rolling_origin(ts, 3)
    assert [w.index for w in windows] == [1, 2, 3]
    for w in windows:
        assert ts.iloc[w.train_idx].max() < ts.iloc[w.test_idx].min()  # ties at the boundary go to the scored side
        assert set(w.train_idx).isdisjoint(w.test_idx)
    assert len(windows[-1].test_idx) > 0


def test_replay_never_fits_on_its_own_future():
    frame = synthetic_frame(600, seed=4).sample(frac=1.0, random_state=0)  # shuffled: order must not matter
    seen = []

    def fit(X, y):
        seen.append(frame.loc[X.index, "event_time"].max())
        return estimator_predictor(make_pipeline(max_iter=10).fit(X, y), "classification")

    table = replay(frame, task="classification", timestamp="event_time", label="label", features=FEATURES,
                   windows=3, metric="roc_auc", fit=fit)
    assert len(table) == 3 and len(seen) == 3
    for latest_trained, row in zip(seen, table.itertuples()):
        assert latest_trained < row.test_start
    assert (table["train_rows"].diff().dropna() > 0).all()  # expanding origin
    assert (table["roc_auc"] > table["baseline_roc_auc"]).all()
    assert np.allclose(table["baseline_roc_auc"], 0.5)
