"""Declarative automation conditions, attached to the assets the factories built.

- `features/<view>`: `eager` — a source observed with a new data version (schema or content)
  refreshes the views reading it; their blocking contract checks run in the same step.
- `<recipe>/drift`: once per `automation.drift_cron` tick, as soon as its inputs exist.
- training sets, models and evaluations carry no condition: new rows alone must not retrain a
  model. `schema_change_sensor` and `drift_retrain_sensor` request those runs, tagged with why.
"""

from __future__ import annotations

import dagster as dg

from mmp_assets import keys
from mmp_assets.recipes import RecipeSet
from mmp_resources.settings import PlatformConfig


def view_condition() -> dg.AutomationCondition:
    return dg.AutomationCondition.eager().with_label("refresh when a source's data version changes")


def drift_condition(cron: str) -> dg.AutomationCondition:
    """Not `on_cron`: that waits for every input to update after the tick, and a model does not update daily."""
    return (
        dg.AutomationCondition.cron_tick_passed(cron).since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.in_progress()
    ).with_label(f"drift check on cron {cron}")


def automation_conditions(recipes: RecipeSet, config: PlatformConfig) -> dict[dg.AssetKey, dg.AutomationCondition]:
    """Asset key → the condition mmp gives it."""
    conditions = {keys.view_key(name): view_condition() for name in recipes.views}
    drift = drift_condition(config.automation.drift_cron)
    conditions |= {keys.recipe_key(name, "drift"): drift for name in recipes.models}
    return conditions


def apply_automation(assets: list, recipes: RecipeSet, config: PlatformConfig) -> list:
    """The same assets, with mmp's conditions on the keys it automates; everything else untouched."""
    conditions = automation_conditions(recipes, config)

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        condition = conditions.get(spec.key)
        return spec if condition is None else spec.replace_attributes(automation_condition=condition)

    out = []
    for item in assets:
        if isinstance(item, dg.AssetSpec) or (isinstance(item, dg.AssetsDefinition) and any(s.key in conditions for s in item.specs)):
            out.append(dg.map_asset_specs(attach, [item])[0])
        else:
            out.append(item)
    return out
