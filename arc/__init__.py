"""The shared vocabulary of arc-solve: grids, examples, tasks, datasets, views and scoring."""

from arc.data import load_dataset
from arc.errors import GridError, TaskFormatError
from arc.grid import Grid, as_grid
from arc.score import score
from arc.task import Example, Task
from arc.views import View, parse_view

__all__ = [
    "Example",
    "Grid",
    "GridError",
    "Task",
    "TaskFormatError",
    "View",
    "as_grid",
    "load_dataset",
    "parse_view",
    "score",
]
