"""`lineage_audit` job: the same report as `mmp lineage audit`, written from the Dagster UI or a schedule.

Launch it with run config `ops: {write_lineage_report: {config: {recipe: fraud, version: 3}}}` (version
omitted = the champion, else the newest). The JSON and Markdown land next to the audit log; the
Markdown (with its lineage diagram) is the op's output metadata. A report that fails verification
fails the run, so the run-failure alert fires.
"""


from pathlib import Path

import dagster as dg
from pydantic import Field

from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.tracking import MlflowResource


class AuditRunConfig(dg.Config):
    recipe: str = Field(description="Recipe (registered model) to audit.")
    version: int | None = Field(None, description="Registered model version; the champion (else the newest) when omitted.")


def report_paths(data_dir: Path, recipe: str, version: int) -> tuple[Path, Path]:
    folder = Path(data_dir) / "audit" / "reports"
    return folder / f"{recipe}-v{version}.json", folder / f"{recipe}-v{version}.md"


@dg.op(name="write_lineage_report", description="Walk a model version's lineage, re-verify every stored hash, write the report.")
def lineage_audit_op(context: dg.OpExecutionContext, config: AuditRunConfig, feature_store: FeatureStoreResource,
                     mlflow: MlflowResource) -> dg.Output:
    from mmp_assets.audit.lineage import audit_model_version
    from mmp_assets.audit.lineage_render import to_json, to_markdown
    from mmp_assets.recipes import load_recipes

    settings = feature_store.config
    report = audit_model_version(config.recipe, config.version, feature_store=feature_store, mlflow=mlflow,
                                 instance=context.instance, recipes=load_recipes(Path(feature_store.project_dir)))
    markdown = to_markdown(report)
    json_path, md_path = report_paths(settings.data_dir, report.recipe, report.version or 0)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(to_json(report), encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    context.log.info(f"{report.recipe} v{report.version}: {report.verdict}; report at {md_path}")
    if not report.verified:
        raise dg.Failure(description=f"lineage audit of {report.recipe} v{report.version} failed: " + "; ".join(report.problems()),
                         metadata={"report": dg.MetadataValue.md(markdown)})
    return dg.Output(None, metadata={"report": dg.MetadataValue.md(markdown), "verdict": report.verdict,
                                     "json": dg.MetadataValue.path(str(json_path))})


@dg.job(name="lineage_audit", description="Audit one registered model version: lineage, hashes re-verified, approvals.")
def _audit_job() -> None:
    lineage_audit_op()


def build_audit_job() -> dg.JobDefinition:
    return _audit_job
