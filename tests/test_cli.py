"""Every command group the `mmp` entry point lists is present and registers itself."""

from __future__ import annotations

import importlib

import pytest

from mmp_assets.cli.main import COMMAND_MODULES, build_parser


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_command_module_registers(name: str) -> None:
    module = importlib.import_module(f"mmp_assets.cli.{name}")
    assert callable(getattr(module, "register", None)), f"mmp_assets/cli/{name}.py has no register(subparsers)"


def test_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "demo", "materialize", "features", "tune", "models", "prompts", "lineage", "plan", "audit", "serve"):
        assert f"    {command}" in out, command
