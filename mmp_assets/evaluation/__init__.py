"""Evaluation reports and the model lifecycle: metrics, comparisons, backtest, SHAP, drift, gate, promotion."""
