import json
from pathlib import Path

import pytest

from arc.data import load_dataset


@pytest.fixture(scope="session")
def arc1_train():
    return load_dataset("arc1-train")


@pytest.fixture
def write_json(tmp_path):
    """Write an object (or raw text) to a JSON file in tmp_path and return its path."""

    def write(obj, name="task.json") -> Path:
        path = tmp_path / name
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        return path

    return write
