"""Jinja templates of the report page and the model card (kept in code so packaging cannot lose them)."""

CARD = """\
# Model card: {{ v.recipe }} v{{ v.context.model_version }}

**Quality gate: {{ 'PASSED' if v.gate.passed else 'FAILED' }}** — {{ v.gate.message }}

## Intended use
{{ v.description }}

- Owner: {{ v.owner }}; task: {{ v.task }}; estimator: `{{ v.class_path }}`
- Trained by: {{ v.context.trainer }}; MLflow run: `{{ v.context.run_id }}`; code version: `{{ v.context.code_version }}`

## Data
- Training set: v{{ v.context.training_set_version }} (content hash `{{ v.context.training_set_hash }}`)
- Feature views: {% for name, ver in v.context.pinned_views.items() %}{{ name }} v{{ ver }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}

- Test split: {{ v.test_rows }} rows, never used for fitting or tuning

## Metrics (test split)
| metric | value |
|---|---|
{% for name, value in v.metrics.items() %}
| {{ name }}{% if name == v.headline %} (headline){% endif %} | {{ value|num }}{% if name == v.headline and v.interval %} (95% CI {{ v.interval[0]|num }} – {{ v.interval[1]|num }}, {{ v.bootstrap }} bootstrap resamples){% endif %} |
{% endfor %}
{% if 'quantiles' in v.diagnostics %}

## Quantiles (test split)
{% if v.diagnostics.quantiles.coverage is not none %}
Interval {{ v.diagnostics.quantiles.levels[0].column }} – {{ v.diagnostics.quantiles.levels[-1].column }} holds {{ (v.diagnostics.quantiles.coverage * 100)|round(1) }}% of the test rows (nominal {{ (v.diagnostics.quantiles.nominal_coverage * 100)|round(1) }}%).
{% endif %}

| level | column | pinball loss | share of rows at or below |
|---|---|---|---|
{% for q in v.diagnostics.quantiles.levels %}
| {{ q.level }} | {{ q.column }} | {{ q.pinball_loss|num }} | {{ q.share_below|num(3) }} |
{% endfor %}
{% endif %}

{% if 'uplift_by_decile' in v.diagnostics %}
## Uplift by decile (highest predicted uplift first)
| decile | rows | treated | control | response treated | response control | observed uplift | mean predicted uplift |
|---|---|---|---|---|---|---|---|
{% for d in v.diagnostics.uplift_by_decile %}
| {{ d.decile }} | {{ d.rows }} | {{ d.n_treatment }} | {{ d.n_control }} | {{ d.response_rate_treatment|num }} | {{ d.response_rate_control|num }} | {{ d.observed_uplift|num }} | {{ d.mean_predicted_uplift|num }} |
{% endfor %}

{% endif %}
{% if 'clusters' in v.diagnostics %}
## Clusters (test split)
| cluster | rows | share |{% for c in v.diagnostics.clusters.columns %} {{ c }} |{% endfor %}

|---|---|---|{% for c in v.diagnostics.clusters.columns %}---|{% endfor %}

{% for p in v.diagnostics.clusters.profiles %}
| {{ p.cluster }} | {{ p.rows }} | {{ (p.share * 100)|round(1) }}% |{% for c in v.diagnostics.clusters.columns %} {{ p["values"][c] }} |{% endfor %}

{% endfor %}

Numeric columns: mean per cluster; categorical: most frequent value (share of the cluster's rows).

{% endif %}
## Comparisons (same test rows, {{ 'permutation test' if v.task == 'clustering' else 'paired bootstrap' }})
| against | {{ v.headline }} ours | theirs | improvement | 95% CI of improvement | p | significant |
|---|---|---|---|---|---|---|
{% for c in v.comparisons %}
| {{ c.against }} | {{ c.ours|num }} | {{ c.theirs|num }} | {{ c.improvement|num }} | {% if c.interval %}{{ c.interval[0]|num }} – {{ c.interval[1]|num }}{% else %}—{% endif %} | {{ c.p_value|num(3) }} | {{ 'yes' if c.significant else 'no' }} |
{% endfor %}

## Backtest replay
{% if v.backtest %}
| window | trained on rows | scored period | rows | {{ v.headline }} | baseline |
|---|---|---|---|---|---|
{% for r in v.backtest %}
| {{ r.window }} | {{ r.train_rows }} (before {{ r.test_start }}) | {{ r.test_start }} → {{ r.test_end }} | {{ r.test_rows }} | {{ r[v.headline]|num }} | {{ r['baseline_' ~ v.headline]|num }} |
{% endfor %}
{% else %}
Not configured (`evaluation.backtest`).
{% endif %}
{% if 'forecast' in v.diagnostics %}{% set f = v.diagnostics.forecast %}

## Forecast (horizon {{ f.horizon }}, season length {{ f.season_length }})
| forecaster | mae | rmse | mape | smape | mase |
|---|---|---|---|---|---|
| model | {{ v.metrics.get('mae')|num }} | {{ v.metrics.get('rmse')|num }} | {{ v.metrics.get('mape')|num }} | {{ v.metrics.get('smape')|num }} | {{ v.metrics.get('mase')|num }} |
{% for name, b in f.baselines.items() %}
| {{ name }} | {{ b.get('mae')|num }} | {{ b.get('rmse')|num }} | {{ b.get('mape')|num }} | {{ b.get('smape')|num }} | {{ b.get('mase')|num }} |
{% endfor %}

{% if f.backtest_mean %}Rolling-origin backtest, averaged over {{ v.backtest|length }} origins: {% for k, val in f.backtest_mean.items() %}{{ k }} {{ val|num }}{% if not loop.last %}, {% endif %}{% endfor %}.
{% endif %}
Per step: {% for s in f.per_step %}step {{ s.step }} mae {{ s.get('mae')|num }}{% if not loop.last %}; {% endif %}{% endfor %}.
mape leaves out {{ f.zero_actuals_left_out_of_mape }} zero actual(s); mase leaves out {{ f.rows_without_mase_scale }} row(s) without an in-sample scale.
{% endif %}

## Top features (mean |SHAP|, {{ v.shap_method or 'not computed' }})
{% for f in v.importance %}
{{ loop.index }}. {{ f.feature }} — {{ f.mean_abs_shap|num }}
{% endfor %}

## Drift (training rows vs test split)
{% if v.drift %}
{{ (v.drift.share * 100)|round(1) }}% of features drifted (limit {{ (v.thresholds.share_drifted_max * 100)|round(1) }}%, p < {{ v.thresholds.p_value }}); PSI limit {{ v.thresholds.psi_max }}.

| feature | test | p-value | drifted | PSI |
|---|---|---|---|---|
{% for f in v.drift.features %}
| {{ f.feature }} | {{ f.method }} | {{ f.score|num }} | {{ 'yes' if f.drifted else 'no' }} | {{ f.psi|num(3) }} |
{% endfor %}
{% endif %}

## Quality gate
{% for c in v.gate.checks %}
- {{ '✅' if c.passed else '❌' }} {{ c.rule }}: {{ c.message }}
{% else %}
- no rules configured
{% endfor %}

## Limitations
{% for l in v.limitations %}
- {{ l }}
{% endfor %}
{% for n in v.notes %}
- Note: {{ n }}
{% endfor %}
"""

HTML = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ v.recipe }} v{{ v.context.model_version }} — evaluation</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.2rem auto; max-width: 1220px; padding: 0 1.2rem; color: #1d2330; font-size: 15px; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #e3e6ec; padding-bottom: .2rem; margin: 1.4rem 0 .5rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
td, th { border: 1px solid #d5d9e0; padding: .25rem .6rem; text-align: left; } th { background: #f3f5f8; }
.pass { background: #e3f6e8; color: #17692f; } .fail { background: #fde7e7; color: #9c1c1c; }
.verdict { display: inline-block; padding: .4rem .8rem; border-radius: 6px; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; } img { max-width: 100%; }
.muted { color: #5b6475; font-size: .9rem; }
</style></head><body>
<h1>{{ v.recipe }} — model version {{ v.context.model_version }}</h1>
<p class="muted">{{ v.description }}<br>owner {{ v.owner }} · {{ v.task }} · <code>{{ v.class_path }}</code> · trained by {{ v.context.trainer }} · run <code>{{ v.context.run_id }}</code></p>
<p class="verdict {{ 'pass' if v.gate.passed else 'fail' }}">Quality gate {{ 'passed' if v.gate.passed else 'FAILED' }}: {{ v.gate.message }}</p>

<h2>Data</h2>
<p>Training set v{{ v.context.training_set_version }} (hash <code>{{ v.context.training_set_hash }}</code>);
feature views {% for name, ver in v.context.pinned_views.items() %}{{ name }} v{{ ver }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %};
{{ v.test_rows }} untouched test rows.</p>

<h2>Quality gate</h2>
<table><tr><th>rule</th><th>result</th><th></th></tr>
{% for c in v.gate.checks %}<tr class="{{ 'pass' if c.passed else 'fail' }}"><td>{{ c.rule }}</td><td>{{ 'passed' if c.passed else 'failed' }}</td><td>{{ c.message }}</td></tr>{% else %}<tr><td colspan="3">no rules configured</td></tr>{% endfor %}
</table>

<h2>Metrics (test split)</h2>
<div class="grid"><table><tr><th>metric</th><th>value</th><th>95% interval</th></tr>
{% for name, value in v.metrics.items() %}
<tr><td>{{ name }}{% if name == v.headline %} <b>(headline)</b>{% endif %}</td><td>{{ value|num }}</td>
<td>{% if name == v.headline and v.interval %}{{ v.interval[0]|num }} – {{ v.interval[1]|num }} ({{ v.bootstrap }} resamples){% endif %}</td></tr>
{% endfor %}</table>
{% if 'confusion_matrix' in v.diagnostics %}
<table><tr><th>actual \\ predicted</th>{% for l in v.diagnostics.confusion_matrix.labels %}<th>{{ l }}</th>{% endfor %}</tr>
{% for row in v.diagnostics.confusion_matrix.matrix %}<tr><th>{{ v.diagnostics.confusion_matrix.labels[loop.index0] }}</th>{% for n in row %}<td>{{ n }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
{% if 'residuals' in v.diagnostics %}<table><tr><th>residual</th><th>value</th></tr>
{% for k, val in v.diagnostics.residuals.items() %}<tr><td>{{ k }}</td><td>{{ val|num }}</td></tr>{% endfor %}</table>{% endif %}
{% if 'clusters' in v.diagnostics %}<table><tr><th>cluster</th><th>rows</th><th>share</th>{% for c in v.diagnostics.clusters.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for p in v.diagnostics.clusters.profiles %}<tr><td>{{ p.cluster }}</td><td>{{ p.rows }}</td><td>{{ (p.share * 100)|round(1) }}%</td>{% for c in v.diagnostics.clusters.columns %}<td>{{ p["values"][c] }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
{% if 'quantiles' in v.diagnostics %}{% set qd = v.diagnostics.quantiles %}<table><tr><th>quantile</th><th>pinball loss</th><th>share at or below</th></tr>
{% for q in qd.levels %}<tr><td>{{ q.column }}</td><td>{{ q.pinball_loss|num }}</td><td>{{ q.share_below|num(3) }}</td></tr>{% endfor %}
{% if qd.coverage is not none %}<tr><th>interval coverage</th><td colspan="2">{{ qd.coverage|num(3) }} (nominal {{ qd.nominal_coverage|num(3) }})</td></tr>{% endif %}</table>{% endif %}
{% if 'calibration' in images %}<img src="{{ images.calibration }}" alt="calibration curve" width="330">{% endif %}
{% if 'residuals' in images %}<img src="{{ images.residuals }}" alt="residuals" width="700">{% endif %}
{% if 'qini' in images %}<img src="{{ images.qini }}" alt="Qini curve" width="440">{% endif %}
</div>
{% if 'uplift_by_decile' in v.diagnostics %}
<h3>Uplift by decile (highest predicted uplift first)</h3>
<table><tr><th>decile</th><th>rows</th><th>treated</th><th>control</th><th>response treated</th><th>response control</th><th>observed uplift</th><th>mean predicted uplift</th></tr>
{% for d in v.diagnostics.uplift_by_decile %}<tr><td>{{ d.decile }}</td><td>{{ d.rows }}</td><td>{{ d.n_treatment }}</td><td>{{ d.n_control }}</td><td>{{ d.response_rate_treatment|num }}</td><td>{{ d.response_rate_control|num }}</td><td>{{ d.observed_uplift|num }}</td><td>{{ d.mean_predicted_uplift|num }}</td></tr>{% endfor %}
</table>{% endif %}

<h2>Comparisons (same test rows)</h2>
<table><tr><th>against</th><th>{{ v.headline }} ours</th><th>theirs</th><th>improvement</th><th>95% CI</th><th>p</th><th>significant</th></tr>
{% for c in v.comparisons %}<tr><td>{{ c.against }}</td><td>{{ c.ours|num }}</td><td>{{ c.theirs|num }}</td><td>{{ c.improvement|num }}</td>
<td>{% if c.interval %}{{ c.interval[0]|num }} – {{ c.interval[1]|num }}{% else %}—{% endif %}</td><td>{{ c.p_value|num(3) }}</td><td>{{ 'yes' if c.significant else 'no' }}</td></tr>{% endfor %}
</table><p class="muted">{% if v.task == 'clustering' %}Baseline: the model's cluster ids shuffled over the same rows (same sizes, no link to the features); interval and p-value over the shuffles{% else %}Paired bootstrap: each resample scores both models on the same rows{% endif %}; improvement is positive when ours is better.</p>

<h2>Backtest replay</h2>
{% if v.backtest %}<div class="grid"><table><tr><th>window</th><th>trained on rows before it</th><th>scored period</th><th>rows</th><th>{{ v.headline }}</th><th>baseline</th></tr>
{% for r in v.backtest %}<tr><td>{{ r.window }}</td><td>{{ r.train_rows }}</td><td>{{ r.test_start[:10] }} → {{ r.test_end[:10] }}</td><td>{{ r.test_rows }}</td><td>{{ r[v.headline]|num }}</td><td>{{ r['baseline_' ~ v.headline]|num }}</td></tr>{% endfor %}
</table>{% if 'backtest' in images %}<img src="{{ images.backtest }}" alt="backtest" width="440">{% endif %}</div>
{% else %}<p class="muted">Not configured (<code>evaluation.backtest</code>).</p>{% endif %}
{% if 'forecast' in v.diagnostics %}{% set f = v.diagnostics.forecast %}
<h2>Forecast (horizon {{ f.horizon }}, season length {{ f.season_length }})</h2>
<table><tr><th>forecaster</th><th>mae</th><th>rmse</th><th>mape</th><th>smape</th><th>mase</th></tr>
<tr><td>model</td><td>{{ v.metrics.get('mae')|num }}</td><td>{{ v.metrics.get('rmse')|num }}</td><td>{{ v.metrics.get('mape')|num }}</td><td>{{ v.metrics.get('smape')|num }}</td><td>{{ v.metrics.get('mase')|num }}</td></tr>
{% for name, b in f.baselines.items() %}<tr><td>{{ name }}</td><td>{{ b.get('mae')|num }}</td><td>{{ b.get('rmse')|num }}</td><td>{{ b.get('mape')|num }}</td><td>{{ b.get('smape')|num }}</td><td>{{ b.get('mase')|num }}</td></tr>{% endfor %}
</table>
{% if v.backtest %}<table><tr>{% for c in v.backtest_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in v.backtest %}<tr>{% for c in v.backtest_columns %}<td>{{ r[c]|num if r[c] is number else r[c] }}</td>{% endfor %}</tr>{% endfor %}
{% if f.backtest_mean %}<tr><td colspan="5">mean over origins</td>{% for c in v.backtest_columns[5:] %}<td>{{ f.backtest_mean[c]|num if c in f.backtest_mean else '' }}</td>{% endfor %}</tr>{% endif %}
</table>{% endif %}
<table><tr><th>step</th><th>rows</th><th>mae</th><th>rmse</th><th>smape</th><th>mase</th></tr>
{% for s in f.per_step %}<tr><td>{{ s.step }}</td><td>{{ s.rows }}</td><td>{{ s.get('mae')|num }}</td><td>{{ s.get('rmse')|num }}</td><td>{{ s.get('smape')|num }}</td><td>{{ s.get('mase')|num }}</td></tr>{% endfor %}
</table>
<p class="muted">mape leaves out {{ f.zero_actuals_left_out_of_mape }} zero actual(s); mase leaves out {{ f.rows_without_mase_scale }} row(s) whose series has no in-sample scale.</p>
{% endif %}

<h2>Explanations (SHAP, {{ v.shap_method or 'not computed' }})</h2>
<div class="grid"><table><tr><th>feature</th><th>mean |SHAP|</th></tr>
{% for f in v.importance %}<tr><td>{{ f.feature }}</td><td>{{ f.mean_abs_shap|num }}</td></tr>{% endfor %}</table>
{% if 'shap_summary' in images %}<img src="{{ images.shap_summary }}" alt="SHAP summary" width="560">{% endif %}</div>
<h3>Highest-scored rows: strongest contributions</h3>
<div class="grid">{% for item in v.local %}<table><tr><th colspan="3">row {{ item.row }} — score {{ item.score|num }}</th></tr><tr><th>feature</th><th>value</th><th>SHAP</th></tr>
{% for c in item.contributions %}<tr><td>{{ c.feature }}</td><td>{{ c.value|num(2) }}</td><td>{{ c.shap|num(3) }}</td></tr>{% endfor %}</table>{% endfor %}</div>

<h2>Drift (training rows vs test split)</h2>
{% if v.drift %}<p>{{ (v.drift.share * 100)|round(1) }}% of features drifted (limit {{ (v.thresholds.share_drifted_max * 100)|round(1) }}%, p &lt; {{ v.thresholds.p_value }}; PSI limit {{ v.thresholds.psi_max }}).
{% if drift_href %}<a href="{{ drift_href }}">Full Evidently report</a>{% endif %}</p>
<table><tr><th>feature</th><th>kind</th><th>test</th><th>p-value</th><th>drifted</th><th>PSI</th></tr>
{% for f in v.drift.features %}<tr class="{{ 'fail' if f.drifted or f.psi > v.thresholds.psi_max else '' }}"><td>{{ f.feature }}</td><td>{{ f.kind }}</td><td>{{ f.method }}</td><td>{{ f.score|num }}</td><td>{{ 'yes' if f.drifted else 'no' }}</td><td>{{ f.psi|num(3) }}</td></tr>{% endfor %}
</table>{% endif %}


<h2>Limitations</h2>
<ul>{% for l in v.limitations %}<li>{{ l }}</li>{% endfor %}{% for n in v.notes %}<li>Note: {{ n }}</li>{% endfor %}</ul>
</body></html>
"""
