"""Where the project lives: the folder holding `recipes/` and `config/`."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """`MMP_PROJECT_DIR`, else the nearest folder from the working directory up with `config/base.yaml`,
    else the checkout this package was installed from (editable install)."""
    explicit = os.environ.get("MMP_PROJECT_DIR")
    if explicit:
        return Path(explicit).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "config" / "base.yaml").is_file():
            return candidate
    package_checkout = Path(__file__).resolve().parent.parent
    if (package_checkout / "config" / "base.yaml").is_file():
        return package_checkout
    return here
