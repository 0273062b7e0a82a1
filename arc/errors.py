"""Errors raised at the edges of the pipeline (loading data, reading files)."""


class TaskFormatError(ValueError):
    """A task file or grid is malformed. The message names the file, task, split and pair."""


class GridError(ValueError):
    """A value is not a valid ARC grid. Callers add where it came from."""
