"""Drawing grids and tasks: in the terminal in ARC's ten colours, and to PNG images.

The PNG writer uses only zlib and struct so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from arc.grid import Grid, shape, to_array
from arc.task import Task

# The colours of the ARC web interface, 0..9.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0x00, 0x00, 0x00),  # 0 black
    (0x00, 0x74, 0xD9),  # 1 blue
    (0xFF, 0x41, 0x36),  # 2 red
    (0x2E, 0xCC, 0x40),  # 3 green
    (0xFF, 0xDC, 0x00),  # 4 yellow
    (0xAA, 0xAA, 0xAA),  # 5 grey
    (0xF0, 0x12, 0xBE),  # 6 pink
    (0xFF, 0x85, 0x1B),  # 7 orange
    (0x7F, 0xDB, 0xFF),  # 8 teal
    (0x87, 0x0C, 0x25),  # 9 maroon
)
COLOR_NAMES = ("black", "blue", "red", "green", "yellow", "grey", "pink", "orange", "teal", "maroon")


def grid_lines(grid: Grid, color: bool = True) -> list[str]:
    """One string per row: two-character cells with a 24-bit background colour, or digits."""
    lines = []
    for row in grid:
        if color:
            cells = "".join(f"\x1b[48;2;{r};{g};{b}m  " for r, g, b in (PALETTE[v] for v in row))
            lines.append(cells + "\x1b[0m")
        else:
            lines.append(" ".join(str(v) for v in row))
    return lines


def render_grid(grid: Grid, color: bool = True) -> str:
    """The grid as terminal text."""
    return "\n".join(grid_lines(grid, color))


def _side_by_side(blocks: Sequence[tuple[str, Grid | None]], color: bool, gap: int = 4) -> str:
    rendered = []
    for title, g in blocks:
        if g is None:
            lines, width = ["?"], 1
        else:
            lines = grid_lines(g, color)
            width = shape(g)[1] * 2 - (0 if color else 1)  # visible width of every line
        rendered.append((title, lines, width, max(width, len(title))))
    height = max(len(lines) for _, lines, _, _ in rendered)
    out = [(" " * gap).join(title.ljust(col) for title, _, _, col in rendered).rstrip()]
    for i in range(height):
        parts = [lines[i] + " " * (col - width) if i < len(lines) else " " * col for _, lines, width, col in rendered]
        out.append((" " * gap).join(parts).rstrip())
    return "\n".join(out)


def render_task(task: Task, color: bool = True) -> str:
    """Every demonstration and test pair side by side, in the terminal."""
    parts = [f"task {task.id}: {len(task.train)} demonstrations, {len(task.test)} test inputs"]
    for i, ex in enumerate(task.train):
        parts.append(_side_by_side([(f"train {i} input {_dims(ex.input)}", ex.input),
                                    (f"output {_dims(ex.output)}", ex.output)], color))
    for i, ex in enumerate(task.test):
        parts.append(_side_by_side([(f"test {i} input {_dims(ex.input)}", ex.input),
                                    (f"output {_dims(ex.output)}" if ex.output else "output unknown", ex.output)], color))
    return "\n\n".join(parts)


def task_line(task: Task) -> str:
    """One line about a task: demonstrations, test inputs and their sizes, whether solutions are known."""
    sizes = " ".join("{}x{}".format(len(ex.input), len(ex.input[0])) for ex in task.test)
    solved = "solutions" if task.has_solutions else "no solutions"
    return f"{task.id}  {len(task.train)} train  {len(task.test)} test  test input {sizes}  ({solved})"


def _dims(g: Grid | None) -> str:
    return "" if g is None else "{}x{}".format(*shape(g))


# -- PNG ------------------------------------------------------------------------------------
def grid_image(grid: Grid, cell: int = 16, border: int = 1) -> np.ndarray:
    """An RGB uint8 image of the grid with grey grid lines."""
    a = to_array(grid)
    h, w = a.shape
    img = np.full((h * (cell + border) + border, w * (cell + border) + border, 3), 0x55, dtype=np.uint8)
    pal = np.array(PALETTE, dtype=np.uint8)
    for r in range(h):
        for c in range(w):
            y, x = border + r * (cell + border), border + c * (cell + border)
            img[y : y + cell, x : x + cell] = pal[a[r, c]]
    return img


def task_image(task: Task, cell: int = 16, gap: int = 16) -> np.ndarray:
    """All pairs of a task, one row per pair (input left, output right), white background."""
    rows = []
    for ex in list(task.train) + list(task.test):
        imgs = [grid_image(ex.input, cell)]
        if ex.output is not None:
            imgs.append(grid_image(ex.output, cell))
        height = max(i.shape[0] for i in imgs)
        width = sum(i.shape[1] for i in imgs) + gap * (len(imgs) - 1)
        row = np.full((height, width, 3), 255, dtype=np.uint8)
        x = 0
        for i in imgs:
            row[: i.shape[0], x : x + i.shape[1]] = i
            x += i.shape[1] + gap
        rows.append(row)
    width = max(r.shape[1] for r in rows) + 2 * gap
    height = sum(r.shape[0] for r in rows) + gap * (len(rows) + 1)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    y = gap
    for r in rows:
        canvas[y : y + r.shape[0], gap : gap + r.shape[1]] = r
        y += r.shape[0] + gap
    return canvas


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _png(width: int, height: int, color_type: int, rows: bytes, palette: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + (_chunk(b"PLTE", palette) if palette else b"")
            + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an RGB uint8 array as PNG."""
    h, w, _ = image.shape
    return _png(w, h, 2, b"".join(b"\x00" + image[y].tobytes() for y in range(h)))


_LINE = 10  # the palette index of the grid lines in ``grid_png``


def grid_png(grid: Grid, cell: int = 16, border: int = 1) -> bytes:
    """The grid as an indexed-colour PNG (ARC's ten colours and grey grid lines, as ``grid_image``
    draws it): a third of the bytes of the RGB one, for pages that inline many grids."""
    a = to_array(grid).astype(np.uint8)
    h, w = a.shape
    pitch = cell + border
    img = np.full((h * pitch + border, w * pitch + border), _LINE, dtype=np.uint8)
    cells = np.repeat(np.repeat(a, cell, axis=0), cell, axis=1).reshape(h, cell, w, cell)
    view = img[border:border + h * pitch, border:border + w * pitch].reshape(h, pitch, w, pitch)
    view[:, :cell, :, :cell] = cells
    palette = bytes(v for rgb in (*PALETTE, (0x55, 0x55, 0x55)) for v in rgb)
    return _png(img.shape[1], img.shape[0], 3, b"".join(b"\x00" + row.tobytes() for row in img), palette)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an RGB image to ``path`` as PNG."""
    path = Path(path)
    path.write_bytes(png_bytes(image))
    return path
