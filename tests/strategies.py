"""Hypothesis strategies shared by the test files."""

from hypothesis import strategies as st


@st.composite
def grids(draw, max_side: int = 30, min_side: int = 1):
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    cells = draw(st.lists(st.integers(0, 9), min_size=h * w, max_size=h * w))
    return tuple(tuple(cells[r * w : (r + 1) * w]) for r in range(h))


colour_perms = st.permutations(list(range(10))).map(tuple)
