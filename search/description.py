"""A program's description length: how many bits it takes to write down, the boilerplate every
program shares left out. The search ranks its answers by it (``search.hits.group_hits``: the answer
whose simplest program is cheapest first) and the verdict weighs a single answer's against the
demonstrations' bits (``synth.verdict``)."""

from __future__ import annotations

import ast
import math

BITS_PER_NODE = 2.0  # a syntax node picks one of a handful of names, literals, operators
# Each layer of an overlay beyond the first is one piece chosen among the search's many candidate
# images (about a thousand: search.assemble), on top of what its own calls cost.
PIECE_BITS = 10.0


def _is_none_check(node: ast.stmt) -> bool:
    """``if x is None: return None`` (the check every emitted step carries)."""
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
            and isinstance(node.test.ops[0], ast.Is) and isinstance(node.test.comparators[0], ast.Constant)
            and node.test.comparators[0].value is None and not node.orelse and len(node.body) == 1
            and isinstance(node.body[0], ast.Return) and isinstance(node.body[0].value, ast.Constant)
            and node.body[0].value.value is None)


def _is_conversion(node: ast.stmt) -> bool:
    """``x = np.array(name, dtype=int)`` (reading the argument as an array)."""
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in ("array", "asarray")
            and len(node.value.args) == 1 and isinstance(node.value.args[0], ast.Name))


_NO_CHOICE = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop, ast.arguments, ast.arg)


def description_nodes(source: str) -> int | None:
    """Syntax nodes of a program (its functions and whatever else its module runs), the shared
    boilerplate left out: imports, docstrings, and in a top-level function reading the input as an
    array, ``if x is None: return None`` and returning a name. None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    count = 0
    for top in tree.body:
        if isinstance(top, (ast.Import, ast.ImportFrom)) or _is_docstring(top):
            continue
        function = isinstance(top, ast.FunctionDef)
        for stmt in top.body if function else [top]:
            if function and _is_boilerplate(stmt):
                continue
            count += sum(1 for n in ast.walk(stmt) if not isinstance(n, _NO_CHOICE))
    return count


def _is_boilerplate(stmt: ast.stmt) -> bool:
    """A statement of a function that every program has: a docstring, reading the input as an array,
    ``if x is None: return None``, returning a name."""
    return (_is_docstring(stmt) or _is_none_check(stmt) or _is_conversion(stmt)
            or (isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name)))


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def extra_pieces(source: str) -> int:
    """Layers a program overlays beyond the first: in every ``overlay_parts([...])`` call of a
    literal list, its items less one (0 when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    return sum(len(n.args[0].elts) - 1 for n in ast.walk(tree)
               if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "overlay_parts"
               and n.args and isinstance(n.args[0], ast.List) and n.args[0].elts)


def description_bits(source: str) -> float:
    """A program's cost in bits: ``BITS_PER_NODE`` per syntax node (``description_nodes``), and
    ``PIECE_BITS`` per layer it overlays beyond the first (``extra_pieces``): an assembly of
    pieces is a weaker explanation than one composition of the same calls."""
    nodes = description_nodes(source)
    return math.inf if nodes is None else BITS_PER_NODE * nodes + PIECE_BITS * extra_pieces(source)


def program_calls(source: str) -> tuple[str, ...]:
    """The names a program calls, its arguments left out (() when it does not parse): near-copies of
    one program (the same operations with another axis, colour or order of arguments) share them,
    programs of different structure do not."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    return tuple(n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else ""
                 for n in ast.walk(tree) if isinstance(n, ast.Call))
