from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def import_files_dir(settings, tmp_path):
    """Every test stores its uploads in its own folder."""
    settings.IMPORT_FILES_DIR = tmp_path / "imports"
    return settings.IMPORT_FILES_DIR
