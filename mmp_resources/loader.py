"""One loader for the environment config: `config/base.yaml`, overlaid by `config/<MMP_ENV>.yaml`.

The overlay is deep-merged; `${VAR}` and `${VAR:-default}` are taken from the environment; the
result is validated by `PlatformConfig` (unknown keys are errors). A key given twice in one file
is an error too, since YAML would otherwise keep the last one silently.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mmp_resources.errors import MmpValidationError, Problem, display_path, problems_from_validation_error
from mmp_resources.project import project_root
from mmp_resources.settings import PlatformConfig, secret_fields

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


# libyaml's parser when PyYAML was built with it (the wheels are): about ten times faster than the
# pure-Python one, which was a third of the time to load the definitions with a hundred recipes.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}; each key may appear once per mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.2 booleans only: `on`, `off`, `yes`, `no` stay strings (a recipe's `on:` is a join key, not True).
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# Aliases make a YAML document a graph; every consumer walks it as a tree. A recipe or config whose tree
# would exceed this many nodes (a "billion laughs" document expands to 10^9) is refused before any walk.
MAX_EXPANDED_NODES = 100_000


def _load(text: str) -> Any:
    """yaml.load with the expanded size checked between composing and constructing."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and (size := _expanded_size(node, {})) > MAX_EXPANDED_NODES:
            raise yaml.YAMLError(f"aliases expand to {size:,} nodes; at most {MAX_EXPANDED_NODES:,} are allowed")
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes in the tree the document expands to, each shared (aliased) node counted at every use."""
    if id(node) not in memo:
        memo[id(node)] = 1  # a recursive alias counts once rather than looping
        if isinstance(node, yaml.MappingNode):
            memo[id(node)] += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            memo[id(node)] += sum(_expanded_size(item, memo) for item in node.value)
    return memo[id(node)]


def read_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse one YAML file strictly; a syntax error or duplicate key becomes a one-line Problem."""
    shown = display_path(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MmpValidationError([Problem(shown, "", f"cannot be read: {exc.strerror}")]) from None
    try:
        return _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MmpValidationError([Problem(shown, "", f"malformed YAML{where}: {what}")]) from None


def yaml_value(text: str) -> Any:
    """One value read by the recipes' YAML rules (YAML 1.2 booleans); yaml.YAMLError if it does not parse."""
    return _load(text)


def deep_merge(base: dict, overlay: dict) -> dict:
    """Overlay wins; mappings merge key by key, anything else is replaced whole."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def interpolate(value: Any, file: str, field: str = "", from_env: set[str] | None = None) -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in every string; an unset variable without default is an error,
    and so is a `${` left unterminated (it would otherwise become part of a path or URL silently).

    The dotted path of every field that took a value from the environment is added to `from_env`, so a
    later problem with that field never echoes the value.
    """
    if isinstance(value, dict):
        return {k: interpolate(v, file, f"{field}.{k}" if field else str(k), from_env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, file, f"{field}[{i}]", from_env) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ and os.environ[name] != "":
            if from_env is not None:
                from_env.add(field)
            return os.environ[name]
        if default is not None:
            return default
        raise MmpValidationError(
            [Problem(file, field, f"environment variable {name} is not set and has no default; export it or write ${{{name}:-default}}")]
        )

    def unterminated(text: str) -> None:
        if "${" in text:
            fragment = text[text.index("${"):][:40]
            raise MmpValidationError([Problem(
                file, field, f"{fragment!r} is not a complete variable reference; write ${{NAME}} or ${{NAME:-default}}")])

    unterminated(_VAR.sub("", value))
    return _VAR.sub(substitute, value)


def active_env() -> str:
    return os.environ.get("MMP_ENV", "").strip() or "base"


def load_config(root: Path | None = None, env: str | None = None) -> PlatformConfig:
    """The merged, interpolated, validated config of one environment (default: `MMP_ENV`, unset = base)."""
    root = (root or project_root()).resolve()
    env = env or active_env()
    config_dir = root / "config"
    base_file = config_dir / "base.yaml"
    raw = read_yaml(base_file, root) or {}
    if env != "base":
        overlay_file = config_dir / f"{env}.yaml"
        if not overlay_file.is_file():
            known = sorted(p.stem for p in config_dir.glob("*.yaml"))
            raise MmpValidationError(
                [Problem("MMP_ENV", "", f"no config/{env}.yaml for environment {env!r}; allowed: {', '.join(known)}")]
            )
        overlay = read_yaml(overlay_file, root) or {}
        _require_mapping(overlay, overlay_file, root)
        raw = deep_merge(raw, overlay)
    _require_mapping(raw, base_file, root)
    shown = config_files(env)
    from_env: set[str] = set()
    raw = interpolate(raw, shown, from_env=from_env)
    raw["env"] = env
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        secret = secret_fields(PlatformConfig)
        def hidden(field: str) -> bool:  # a secret field, or a section holding one, or a value from the environment
            return field in from_env or any(name == field or name.startswith(field + ".") for name in secret)

        raise MmpValidationError(problems_from_validation_error(shown, exc, hidden=hidden)) from None
    data_dir = config.data_dir if config.data_dir.is_absolute() else root / config.data_dir
    return config.model_copy(update={"data_dir": data_dir.resolve()})


def config_files(env: str) -> str:
    """How problems name the config of one environment: `config/base.yaml + config/dev.yaml`."""
    return "config/base.yaml" + ("" if env == "base" else f" + config/{env}.yaml")


def cron_problems(config: PlatformConfig) -> list[Problem]:
    """The config's automation crons that Dagster would refuse, as problems (imports Dagster)."""
    return [Problem(config_files(config.env), field, message) for field, message in config.cron_problems()]


def _require_mapping(raw: Any, path: Path, root: Path) -> None:
    if not isinstance(raw, dict):
        raise MmpValidationError([Problem(display_path(path, root), "", f"must be a mapping of sections, got {type(raw).__name__}")])
