"""Where the fixture scripts find the real public data they clip the test fixtures from.

The fixtures in ``tests/data/`` are committed; only the ``make_*_fixtures.py`` scripts that
rebuild them need the source data (each dataset with its PROVENANCE.md). Point
``CORRIDORS_SOURCE_DATA`` at that folder; by default it is ``shared/data`` beside the
repository's folder, as in the project's development workspace. Neither the tests nor the
tool read it.
"""

import os
import sys
from pathlib import Path


def source_data_root() -> Path:
    """Return the folder of the real source datasets, or exit with a clear message."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    root = Path(os.environ.get("CORRIDORS_SOURCE_DATA", default))
    if not root.is_dir():
        sys.exit(
            f"source data folder {root} not found: set CORRIDORS_SOURCE_DATA to the folder "
            "holding the public datasets (osm-uk-rutland-2022/, police-uk-.../, ...)"
        )
    return root
