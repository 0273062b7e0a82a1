"""Errors raised at the edges of the pipeline (loading data, reading and writing run files)."""


class TaskFormatError(ValueError):
    """A task file or grid is malformed. The message names the file, task, split and pair."""


class GridError(ValueError):
    """A value is not a valid ARC grid. Callers add where it came from."""


class RunFileError(ValueError):
    """A file of a run directory (config, results) is malformed. The message names the file and line."""


class StorageError(Exception):
    """Writing a run's file failed (disk full, I/O error, read-only or vanished directory).

    Not a property of any task: whatever was being written is not finished, and the run stops
    so that ``--resume`` redoes it. The message names the file and the error."""


class RunLockedError(Exception):
    """Another process holds a run directory's writer lock. The message names its pid."""


class ClusterError(Exception):
    """Ray is missing, cannot be reached, or lost every worker of a run. The message says which."""
