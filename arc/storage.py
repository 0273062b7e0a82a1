"""Files a run keeps on disk that a crash cannot corrupt and a full disk cannot silently lose.

JSON Lines results are only ever appended, one record per line, each append fsync'ed before it
returns: a record on disk is a finished task. A kill mid-write leaves a last line without its
newline; such a torn line is ignored when reading and cut away before the next append, so the next
record starts on a line of its own. Any other line that does not parse (garbage in the middle, a
binary file) is a ``RunFileError`` naming the file and the line, never skipped: a skipped record
would be a task silently redone, or an answer silently lost.

Every write that fails raises ``StorageError`` naming the file, and leaves no temporary file behind.
A caller must not count the work it was writing as done.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
from pathlib import Path
from typing import Any, Iterable

from arc.errors import RunFileError, StorageError

# errno values that say the machine failed, not the task: they stop a run instead of becoming a
# task's error record (a full disk would otherwise turn into a column of "failed" tasks).
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})


def storage_failure(e: BaseException) -> StorageError | None:
    """``e`` as a StorageError when it is an environment failure, else None."""
    if isinstance(e, StorageError):
        return e
    if isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRNOS:
        return StorageError(f"{e.filename or 'a run file'}: cannot write: {e.strerror or e}")
    return None


def _cannot_write(path: Path, e: OSError) -> StorageError:
    return StorageError(f"{path}: cannot write: {e.strerror or e}")


def append_jsonl(path: str | os.PathLike, records: Iterable[Any]) -> None:
    """Append ``records`` (JSON-ready values) to ``path``, one line each, and fsync.

    A torn last line left by a killed writer is cut first. The folder must exist (a vanished run
    directory is a failure, not something to recreate). Raises StorageError; on failure the file
    is left as it was.
    """
    path = Path(path)
    data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode("utf-8")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise _cannot_write(path, e) from None
    start = None
    try:
        start = _repair_tail(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as e:
        if start is not None:
            try:
                os.ftruncate(fd, start)  # no half record from a write that ran out of space
            except OSError:
                pass  # the torn line is cut before the next append anyway
        raise _cannot_write(path, e) from None
    finally:
        os.close(fd)


def _repair_tail(fd: int) -> int:
    """Cut a last line that lacks its newline; returns the size the next record is written at."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    end = size
    while end > 0:
        chunk = os.pread(fd, min(end, 65536), max(0, end - 65536))
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            end = end - len(chunk) + cut + 1
            break
        end -= len(chunk)
    os.ftruncate(fd, end)
    return end


def read_jsonl(path: str | os.PathLike) -> list[tuple[int, Any]]:
    """``(line number, value)`` for every record of ``path``; ``[]`` when it does not exist.

    Blank lines are skipped, a torn last line (no newline, the start of a JSON object) is
    ignored, anything else that is not JSON raises RunFileError naming the file and the line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        raise RunFileError(f"{path}: cannot read: {e.strerror or e}") from None
    lines = data.split(b"\n")
    last = lines.pop()  # b"" when the file ends with a newline
    out = [(n, parse_line(raw, path, n)) for n, raw in enumerate(lines, 1) if raw.strip()]
    if last.strip() and not _looks_torn(last):
        parse_line(last, path, len(lines) + 1)  # garbage, not an interrupted write: says why
        raise RunFileError(f"{path}: line {len(lines) + 1}: not a record (no newline, not the start of an object)")
    return out


def _looks_torn(raw: bytes) -> bool:
    """Could ``raw`` be the beginning of a record whose write was interrupted?"""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)  # a cut multi-byte char is fine
    except UnicodeDecodeError:
        return False
    return raw.lstrip().startswith(b"{") and b"\0" not in raw


def parse_line(raw: bytes, path: Path, n: int) -> Any:
    """One line of a JSON Lines file, or RunFileError naming where."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise RunFileError(f"{path}: line {n}: not UTF-8 text ({e.reason} at byte {e.start}); is it a binary file?") from None
    except json.JSONDecodeError as e:
        raise RunFileError(f"{path}: line {n}: not JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise RunFileError(f"{path}: line {n}: JSON nested too deeply") from None


def read_json(path: str | os.PathLike, error: type[Exception]) -> Any:
    """The JSON value in ``path``; anything wrong with the file raises ``error`` with one line naming
    the file and, for bad JSON, the line (task files, Kaggle files and a run's config.json alike)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{path}: line {e.lineno}: not valid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise error(f"{path}: JSON nested too deeply") from None


def write_json_atomic(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> None:
    """Replace ``path`` with ``obj`` as JSON in one step (a reader sees the old file or the new one).

    Raises StorageError naming ``path``; the temporary file is removed whatever happens."""
    write_bytes_atomic(path, json.dumps(obj, indent=indent).encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, fsync'ed (a reader sees the old file or the new one).

    The folder must exist. Raises StorageError naming ``path``; no temporary file is left behind."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise _cannot_write(path, e) from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def replace_folder(path: str | os.PathLike, files: Iterable[tuple[str, bytes]]) -> None:
    """Make the folder ``path`` hold exactly ``files`` (name, bytes), written beside it and renamed
    into place, so a crash never leaves a folder that looks finished (a PEFT adapter folder, say).

    Names are plain file names (no folders). Raises StorageError naming the folder."""
    import shutil

    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, data in files:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"{path}: not a plain file name: {name!r}")
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cannot_write(path, e) from None
