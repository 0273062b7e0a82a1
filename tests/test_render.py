import zlib

import numpy as np

from arc.render import PALETTE, grid_image, png_bytes, render_grid, render_task, save_png, task_image


def _decode_png(data: bytes) -> np.ndarray:
    """Minimal decoder for the filter-0 RGB PNGs we write (enough to check pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            w, h = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + 3 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 3)


def test_terminal_rendering(arc1_train):
    grid = ((0, 1), (9, 5))
    plain = render_grid(grid, color=False)
    assert plain == "0 1\n9 5"
    coloured = render_grid(grid, color=True)
    assert "\x1b[48;2;0;116;217m" in coloured  # blue
    text = render_task(arc1_train["007bbfb7"], color=False)
    assert "train 4 input 3x3" in text and "test 0 input 3x3" in text and "output 9x9" in text


def test_png_pixels_match_palette(tmp_path, arc1_train):
    grid = ((1, 2), (3, 9))
    img = _decode_png(png_bytes(grid_image(grid, cell=4, border=1)))
    assert img.shape == (11, 11, 3)
    assert tuple(img[1, 1]) == PALETTE[1] and tuple(img[6, 6]) == PALETTE[9]
    path = save_png(task_image(arc1_train["007bbfb7"]), tmp_path / "t.png")
    decoded = _decode_png(path.read_bytes())
    assert decoded.shape[0] > 100 and decoded.dtype == np.uint8


def test_indexed_png_draws_what_the_rgb_image_draws(arc1_train):
    """``grid_png`` (palette PNG, for pages inlining many grids) has the pixels of ``grid_image``."""
    from arc.render import grid_png

    for grid, cell in ((arc1_train["007bbfb7"].train[0].output, 5), (arc1_train["0d3d703e"].test[0].input, 14),
                       (((3,),), 1)):
        data = grid_png(grid, cell=cell)
        chunks, pos = {}, 8
        while pos < len(data):
            length = int.from_bytes(data[pos : pos + 4], "big")
            chunks[data[pos + 4 : pos + 8]] = chunks.get(data[pos + 4 : pos + 8], b"") + data[pos + 8 : pos + 8 + length]
            pos += 12 + length
        w, h = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
        assert chunks[b"IHDR"][8:10] == bytes([8, 3])  # 8-bit palette indices
        rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(h, 1 + w)
        assert (rows[:, 0] == 0).all()
        palette = np.frombuffer(chunks[b"PLTE"], dtype=np.uint8).reshape(-1, 3)
        np.testing.assert_array_equal(palette[rows[:, 1:]], grid_image(grid, cell=cell))
