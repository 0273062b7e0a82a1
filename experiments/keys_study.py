"""Study for issue 30 (round 37): unsolved tasks whose parameter differs per demonstration, and
whether that demonstration's input says what it is (a key, a legend, a marker's colour, a count).

Per unsolved task, for the parametric pieces of the search fitted to each demonstration
*separately*:

- ``map``: same-shape tasks whose changed cells follow a colour -> colour table within each
  demonstration. "constant" when one table fits them all, "per-pair" when not; for the per-pair
  ones, whether a colour key in the input gives each pair's table (``key_pairs``: the pairs of
  colours of the two-cell objects, or of side-by-side / stacked cells of two colours, read either
  way round).
- ``colour``: same-shape tasks whose changed cells all take one colour per demonstration;
  "constant" or "per-pair", and for the per-pair ones which picks read it off the input
  (``pick_color``'s choices, and ``EXTRA_PICKS``: the colour of the lone cells, of the most objects).
- ``step_colour``: the search's same-shape static steps with a ``color`` parameter that give
  each output with a colour of their own per demonstration (no colour fits them all), and
  which picks read it.
- ``shape``: tasks whose outputs' shape differs between demonstrations and from the inputs';
  whether a count read off the input gives the output's rows and columns (objects, colours,
  cells of a colour, the largest object's box).
- ``--solve``: where a pick reads the per-pair colour, the whole search re-run on the task with
  that colour renamed, grid by grid, to the first demonstration's (the parameter made a
  constant, as the roles lift does for colours ranked by count): whether a program is then found,
  and whether its test answer, renamed back, is right. ``--every-pick``: the same for every
  pick whose colour differs between the demonstrations' inputs, on every task given, and for two
  such picks at once (most and least common; largest and smallest object).

    python experiments/keys_study.py --dataset arc1-train --ids "$(cat arc1_train_unsolved.csv)" --solve \
        --out experiments/results/keys_study_arc1_train_search-keys.json
    python experiments/keys_study.py --dataset arc1-train --ids "$(cat arc1_train_unsolved.csv)" --every-pick \
        --work 4000000 --out experiments/results/keys_study_every_pick_arc1_train_search-keys.json

Round 37's figures (the unsolved arc1-train tasks of main 2047dee, 123, and the unsolved dev tasks,
103; the files named above): per-pair recolour tables in 14 and 13 tasks, read off the input by
a key in none; one per-pair colour in 8 and 6, read by a pick in 7 and 6, and the search with that
colour made constant finds a program for none of them; a varying pick on 59 and 55 tasks (118 and
114 searches with one or two colours made constant at 4M work) and a program for none, while on
the control tasks that main solves by painting or roles, 4 of 5 are found again and right.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import arc  # noqa: E402
from arc.grid import to_array  # noqa: E402
from dsl.color import resolve_background  # noqa: E402
from dsl.grids import recolor  # noqa: E402
from dsl.objects import bounding_box, find_objects  # noqa: E402
from dsl.partition import COLOR_PICKS, pick_color  # noqa: E402
from search.budget import WorkBudget  # noqa: E402
from search.orchestrate import search_programs  # noqa: E402
from search.problem import Problem  # noqa: E402
from search.steps import OPS, static_steps, task_info  # noqa: E402

KEY_SOURCES = ("objects", "rows", "columns")


def key_pairs(grid: np.ndarray, source: str, background: int | None, reverse: bool) -> dict[int, int] | None:
    """A colour key read off the grid: by "objects", each object (4-connected, colours joined) of
    two cells in two colours says "the first (reading order) becomes the second"; by "rows"
    ("columns"), each two side-by-side (stacked) cells of two colours, neither background, say
    "the left (upper) becomes the right (lower)". None when a colour gets two partners or none."""
    bg = resolve_background(grid, background)
    found = []
    if source == "objects":
        for m in find_objects(grid, bg, 4, False):
            vals = grid[m]
            if m.sum() == 2 and vals[0] != vals[1]:
                found.append((int(vals[0]), int(vals[1])))
    else:
        g = grid if source == "rows" else grid.T
        a, b = g[:, :-1], g[:, 1:]
        rows, cols = np.nonzero((a != b) & (a != bg) & (b != bg))
        found = [(int(g[r, c]), int(g[r, c + 1])) for r, c in zip(rows, cols)]
    pairs: dict[int, int] = {}
    for x, y in found:
        x, y = (y, x) if reverse else (x, y)
        if pairs.setdefault(x, y) != y:
            return None
    return pairs or None


EXTRA_PICKS = ("lone_cells", "most_objects")


def pick(grid: np.ndarray, by: str, background: int | None) -> int | None:
    """``pick_color``, and two more extractors tried here: the one colour of every one-cell
    object ("lone_cells", 8-connected, one colour each), and the colour with the most objects
    ("most_objects", 4-connected); None where no single colour answers."""
    if by in COLOR_PICKS:
        return pick_color(grid, by, background)
    bg = resolve_background(grid, background)
    if by == "lone_cells":
        colors = {int(grid[m][0]) for m in find_objects(grid, bg, 8, True) if m.sum() == 1}
        return colors.pop() if len(colors) == 1 else None
    objects = Counter(int(grid[m][0]) for m in find_objects(grid, bg, 4, True))
    best = objects.most_common(2)
    return best[0][0] if best and (len(best) == 1 or best[0][1] > best[1][1]) else None


def changed_map(g: np.ndarray, t: np.ndarray) -> dict[int, int] | None:
    """The colour each changed cell's input colour becomes, if one per colour; else None."""
    m: dict[int, int] = {}
    for a, b in zip(g[g != t].tolist(), t[g != t].tolist()):
        if m.setdefault(a, b) != b:
            return None
    return m


def input_counts(g: np.ndarray, background: int | None) -> dict[str, int]:
    """Counts read off an input that could give an output's rows or columns."""
    bg = resolve_background(g, background)
    counts = np.bincount(g[g != bg], minlength=10)
    present = [int(counts[c]) for c in range(10) if counts[c]]
    out = {"colours": len(present)}
    if present:
        out["least_common_cells"], out["most_common_cells"] = min(present), max(present)
    for conn in (4, 8):
        for by_color in (True, False):
            objs = find_objects(g, bg, conn, by_color)
            out[f"objects{conn}{'c' if by_color else ''}"] = len(objs)
            if objs and not by_color:
                big = max(objs, key=lambda m: int(m.sum()))
                _, _, h, w = bounding_box(big)
                out[f"largest{conn}_rows"], out[f"largest{conn}_cols"] = h, w
                out[f"largest{conn}_cells"] = int(big.sum())
    return out


def renaming(colors: tuple[int, ...], wanted: tuple[int, ...]) -> tuple[tuple[int, int], ...] | None:
    """A permutation of the ten colours (as ``recolor`` takes it) sending each of ``colors`` to the
    colour at its place in ``wanted``, every other colour kept where it can be; None when the
    colours of either side repeat."""
    if len(set(colors)) != len(colors) or len(set(wanted)) != len(wanted):
        return None
    image = dict(zip(colors, wanted))
    free_targets = [c for c in range(10) if c not in wanted and c in colors]
    for c in range(10):
        if c not in image:
            image[c] = c if c not in wanted else free_targets.pop(0)
    return tuple(sorted(image.items()))


def solve_with_key(task, by: str | tuple[str, ...], background: int | None, work: int) -> dict:
    """The search on the task with each grid's ``pick_color`` colours (one per choice in ``by``)
    renamed to the first demonstration's: programs found (not fallbacks), and whether the first
    one's test answer is right."""
    bys = (by,) if isinstance(by, str) else by
    p = Problem.of(task, WorkBudget(work))
    picks = [tuple(pick(g, b, background) for b in bys) for g in p.train_in + p.test_in]
    if any(None in c for c in picks):
        return {"found": 0, "right": False}
    swaps = [renaming(c, picks[0]) for c in picks]
    if None in swaps:
        return {"found": 0, "right": False}
    back = [tuple((b, a) for a, b in s) for s in swaps]
    n = len(p.train_in)
    lifted = Problem.of_arrays(task.id, [recolor(g, s) for g, s in zip(p.train_in, swaps)],
                               [recolor(t, s) for t, s in zip(p.targets, swaps)],
                               [recolor(g, s) for g, s in zip(p.test_in, swaps[n:])], WorkBudget(work))
    hits = [h for h in search_programs(lifted, lift=False) if not h.fallback]
    right = bool(hits) and all(np.array_equal(recolor(to_array(o), s), to_array(e.output))
                               for o, s, e in zip(hits[0].test_outputs, back[n:], task.test))
    return {"found": len(hits), "right": right}


def varying_picks(task, background: int | None) -> list[str]:
    """The picks whose colour differs between the demonstrations' inputs and that name one on every
    input, test inputs too; of picks that agree on every input, the first."""
    inputs = [to_array(e.input) for e in task.train] + [to_array(e.input) for e in task.test]
    seen, out = set(), []
    for by in COLOR_PICKS + EXTRA_PICKS:
        colors = tuple(pick(g, by, background) for g in inputs)
        if None in colors or len(set(colors[:len(task.train)])) < 2 or colors in seen:
            continue
        seen.add(colors)
        out.append(by)
    return out


def study_task(task, solve: bool, work: int, every_pick: bool = False) -> dict:
    train = [(to_array(e.input), to_array(e.output)) for e in task.train]
    info = task_info(train)
    bg = info.background
    if every_pick:
        picks = varying_picks(task, bg)
        tried = {by: solve_with_key(task, by, bg, work) for by in picks}
        tried.update({f"{a}+{b}": solve_with_key(task, (a, b), bg, work)
                      for a, b in (("most_common", "least_common"), ("largest_object", "smallest_object"))
                      if a in picks and b in picks})
        return {"same_shape": all(g.shape == t.shape for g, t in train), "every_pick": tried}
    if any(g.shape != t.shape for g, t in train):
        out: dict = {"same_shape": False}
        if len({t.shape for _, t in train}) > 1:
            counts = [input_counts(g, bg) for g, _ in train]
            rows = [k for k in counts[0] if all(c.get(k) == t.shape[0] for c, (_, t) in zip(counts, train))]
            cols = [k for k in counts[0] if all(c.get(k) == t.shape[1] for c, (_, t) in zip(counts, train))]
            cells = [k for k in counts[0] if all(c.get(k) == t.size for c, (_, t) in zip(counts, train))]
            out["shape"] = "per-pair"
            out["shape_read"] = {"rows": rows, "cols": cols, "cells": cells}
        return out
    out = {"same_shape": True}
    maps = [changed_map(g, t) for g, t in train]
    if all(maps):
        merged: dict[int, int] = {}
        constant = all(merged.setdefault(a, b) == b for m in maps for a, b in m.items())
        out["map"] = "constant" if constant else "per-pair"
        if not constant:
            out["map_read"] = [f"{src}{'-reversed' if rev else ''}" for src in KEY_SOURCES for rev in (False, True)
                               if all((k := key_pairs(g, src, bg, rev)) and all(k.get(a) == b for a, b in m.items())
                                      for (g, _), m in zip(train, maps))]
    colors = []
    for g, t in train:
        ch = t[g != t]
        colors.append(int(ch[0]) if ch.size and (ch == ch[0]).all() else None)
    if None not in colors:
        out["colour"] = "constant" if len(set(colors)) == 1 else "per-pair"
        if len(set(colors)) > 1:
            tests = [to_array(e.input) for e in task.test]
            out["colour_read"] = [by for by in COLOR_PICKS + EXTRA_PICKS
                                  if all(pick(g, by, bg) == c for (g, _), c in zip(train, colors))
                                  and all(pick(g, by, bg) is not None for g in tests)]
            if solve and out["colour_read"]:
                out["solved_with_key"] = solve_with_key(task, out["colour_read"][0], bg, work)
    per_pair = []
    for s in static_steps(info):
        params = dict(s.params)
        if "color" not in params or s.cut is not None:
            continue
        fits = []
        for g, t in train:
            found = set()
            for c in range(10):
                try:
                    r = OPS[s.op](g, **{**params, "color": c})
                except (ValueError, IndexError, KeyError, TypeError):
                    r = None
                if r is not None and np.shape(r) == t.shape and np.array_equal(r, t):
                    found.add(c)
            fits.append(found)
        if all(fits) and not set.intersection(*fits):
            per_pair.append((s.label, [by for by in COLOR_PICKS + EXTRA_PICKS
                                       if all(pick(g, by, bg) in f for (g, _), f in zip(train, fits))]))
    if per_pair:
        out["step_colour"] = per_pair[:3]
    return out


@click.command()
@click.option("--dataset", default="arc1-train")
@click.option("--ids", default="", help="comma-separated task ids (default: all)")
@click.option("--solve", is_flag=True, help="re-run the search with a per-pair colour read off the input made constant")
@click.option("--work", default=12_000_000, help="work budget of each --solve search")
@click.option("--every-pick", is_flag=True,
              help="only: the search re-run with each varying pick's colour made constant")
@click.option("--out", "out_path", default="")
def main(dataset: str, ids: str, solve: bool, work: int, every_pick: bool, out_path: str) -> None:
    tasks = arc.load_dataset(dataset)
    chosen = [t for t in ids.split(",") if t] or list(tasks)
    per_task = {t: study_task(tasks[t], solve, work, every_pick) for t in chosen}
    counts: Counter = Counter()
    for r in per_task.values():
        counts["tasks"] += 1
        counts["same_shape"] += r["same_shape"]
        if every_pick:
            picks = r["every_pick"]
            counts["pick_varies"] += bool(picks)
            counts["pick_search_found"] += any(v["found"] for v in picks.values())
            counts["pick_search_right"] += any(v["right"] for v in picks.values())
            continue
        for key in ("map", "colour", "shape"):
            if key in r:
                counts[f"{key}_{r[key]}"] += 1
        counts["map_per_pair_read"] += bool(r.get("map_read"))
        counts["colour_per_pair_read"] += bool(r.get("colour_read"))
        shape = r.get("shape_read") or {}
        counts["shape_per_pair_read"] += bool(shape.get("rows") and shape.get("cols"))
        counts["shape_per_pair_cells_read"] += bool(shape.get("cells"))
        counts["step_colour_per_pair"] += "step_colour" in r
        counts["step_colour_read"] += any(reads for _, reads in r.get("step_colour", []))
        if "solved_with_key" in r:
            counts["key_search_found"] += r["solved_with_key"]["found"] > 0
            counts["key_search_right"] += r["solved_with_key"]["right"]
    summary = {"dataset": dataset, "n_ids": len(chosen), "solve": solve, "work": work,
               "counts": dict(sorted(counts.items())),
               "per_task": {t: r for t, r in per_task.items() if len(r) > 1}}
    print(json.dumps(summary["counts"], indent=1))
    for t, r in summary["per_task"].items():
        if any(k in r for k in ("map_read", "colour_read", "shape_read", "step_colour")) or any(
                v["found"] for v in r.get("every_pick", {}).values()):
            print(t, r)
    if out_path:
        Path(out_path).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
