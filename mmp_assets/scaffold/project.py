"""`mmp init <dir>`: a project whose `mmp validate` and first materialization work as written.

The templates are files in `templates/` (config, Dagster workspace and instance, an example
source, feature view and model recipe); the example data is generated, a few hundred rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mmp_assets.scaffold.example_data import write_example_data

TEMPLATES = Path(__file__).resolve().parent / "templates"
# template file → where it goes in the project (a dotfile would be skipped by some packaging tools)
_RENAMED = {"gitignore": ".gitignore"}


class ScaffoldError(ValueError):
    """A target that cannot be scaffolded; the message is one line naming it."""


def init_project(target: Path) -> list[Path]:
    """Write the example project into `target` (new or empty); returns the files written."""
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target}: is a file; mmp init writes a project into a new or empty folder")
    if target.is_dir() and any(target.iterdir()):
        held = ", ".join(sorted(p.name for p in target.iterdir())[:5])
        raise ScaffoldError(f"{target}: already holds files ({held}); mmp init writes only into a new or empty folder")
    written = []
    for template in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        relative = template.relative_to(TEMPLATES)
        destination = target / _RENAMED.get(str(relative), relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, destination)
        written.append(destination)
    return written + write_example_data(target / "data")
