"""Study of how the search ranks its answers where several programs fit (issue 30, item 4).

``collect``: on every task of a set where the search gives two or more answer groups, or one group
that is wrong, the search is run again (the solver's budget) and each group's hits logged: family,
structure (the names its program calls, arguments left out: near-copies share one),
description bits (``synth.verdict.description_bits``), tentative; with the group's rank today, and
whether it is right on every test input. Where the one group is wrong, the lower-evidence sources
the search drops or never reports (the per-cell rules that no two demonstrations replicate, which
``search_programs`` keeps only where nothing else fits) are asked whether a second attempt from them
would have been right. The verdict's held-out outcome comes from the benchmark's record.

Each task also logs every demonstration's bits (``demonstration_bits``) and, for the demonstrations'
outputs and each group's answers, what an output asserts about its input (``_grid_facts``), so that
evidence can be weighed: the demonstrations' bits a group's cheapest program accounts for, less its
bits (in total, on the demonstration telling least, with the most telling one held out), and the
facts all demonstrations' outputs share that an answer breaks (``search.hits.contradictions``).

``analyse``: on the logged groups, how each candidate ranking orders them: where the right answer
sits (first, second, lower), so pass@1 and pass@2 of each rule, set by set; and, on the files that
log the facts, how the evidence measures split right groups from wrong ones (``_evidence_features``).

    python experiments/rank_study.py collect --dataset arc1-train --max-train 2 \\
        --records experiments/results/search_arc1_train_train2.jsonl --out experiments/results/rank_study_train2.jsonl
    python experiments/rank_study.py analyse experiments/results/rank_study_*search-evidence.jsonl \\
        --out experiments/results/rank_study_search-evidence.json

``compare``: two bench_search runs, before and after a ranking change (pass@2, first attempt right).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import arc  # noqa: E402
from search import WorkBudget, search_programs  # noqa: E402
from search.description import program_calls  # noqa: E402
from search.hits import broken_facts, group_hits, output_facts  # noqa: E402
from synth.config import SynthConfig  # noqa: E402
from synth.verdict import demonstration_bits, description_bits  # noqa: E402


def _selected(records: Path) -> dict[str, dict]:
    """The benchmark's records of tasks with two or more groups, or one group none of whose
    programs is right."""
    out = {}
    for line in records.read_text().splitlines():
        r = json.loads(line)
        if r["n_groups"] >= 2 or (r["n_groups"] == 1 and not r["families_right"]):
            out[r["task_id"]] = r
    return out


def _lower_evidence(task: arc.Task, budget: int) -> list[tuple]:
    """Answers of the per-cell rules no two demonstrations replicate (the search's fallback, dropped
    where anything else fits), learnt with the share of the budget the search gives them."""
    from search.families.local_rules import learn_local_rules
    from search.orchestrate import LOCAL_RULE_SHARE
    from search.problem import Problem

    problem = Problem.of(task, WorkBudget(budget))
    rules = learn_local_rules(problem.with_budget(problem.budget.share(LOCAL_RULE_SHARE)))
    return [r.test_outputs for r in rules if not r.replicated]


def _grid_facts(grid_in, grid_out) -> dict:
    """What an output (a demonstration's, or an answer to a test input) asserts about its input: its
    bits beyond the input (``demonstration_bits``), its shape, ``search.hits.output_facts`` (one
    colour, the input's most common colour kept, the input as it is, a colour the input lacks), and
    the grid itself."""
    return {"bits": demonstration_bits(arc.Example(grid_in, grid_out)), "shape": [len(grid_out), len(grid_out[0])],
            "facts": list(output_facts(grid_in, grid_out)), "grid": grid_out}


def study_task(task: arc.Task, record: dict, budget: int) -> dict:
    hits = search_programs(task, budget=WorkBudget(budget))
    status, ranked = group_hits(hits, task)
    truth = tuple(e.output for e in task.test)
    found = list(dict.fromkeys(h.test_outputs for h in hits))
    groups = []
    for rank, outputs in enumerate(ranked):
        members = [h for h in hits if h.test_outputs == outputs]
        groups.append({
            "rank": rank,  # as group_hits ranks it in the checkout that collected
            "found": found.index(outputs),
            "right": outputs == truth,
            "right_per_test": [a == b for a, b in zip(outputs, truth)],
            # what the answer itself asserts, to set beside what the demonstrations' outputs share
            "answer": [None if o is None else _grid_facts(ex.input, o) for ex, o in zip(task.test, outputs)],
            "hits": [{"family": h.family, "structure": list(program_calls(h.source)), "bits": description_bits(h.source),
                      "tentative": h.tentative, "fallback": h.fallback, "description": h.description[:160]}
                     for h in members],
        })
    each = [demonstration_bits(ex) for ex in task.train]
    out = {"task_id": task.id, "status": status, "n_test": len(truth), "groups": groups,
           "demo_bits": sum(each), "demo_bits_each": each,
           "demo_outputs": [_grid_facts(ex.input, ex.output) for ex in task.train],
           "held_out": record.get("held_out")}
    if len(ranked) == 1 and not groups[0]["right"]:
        others = [o for o in _lower_evidence(task, budget) if o != ranked[0]]
        out["lower_evidence_answers"] = len(others)
        out["lower_evidence_right"] = any(o == truth for o in others)
    return out


@click.group()
def cli() -> None:
    pass


@cli.command()
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--max-train", default=0, help="cut every task to its first N demonstrations; 0 = all")
@click.option("--records", type=click.Path(path_type=Path), required=True,
              help="a bench_search jsonl: the tasks with 2+ groups or one wrong group are studied")
@click.option("--budget", default=SynthConfig().search_budget, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
def collect(dataset: str, max_train: int, records: Path, budget: int, out: Path) -> None:
    tasks = arc.load_dataset(dataset)
    chosen = _selected(records)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for tid in sorted(chosen):
            task = tasks[tid]
            if max_train:
                task = arc.Task(task.id, task.train[:max_train], task.test)
            f.write(json.dumps(study_task(task, chosen[tid], budget)) + "\n")
            f.flush()
    click.echo(f"{len(chosen)} tasks -> {out}")


# Candidate rankings over a logged group (a dict as ``study_task`` writes it) of a logged task
# (``t``); smaller keys first, ties in the order found. Each starts with the first criterion of
# round 37: a group a hit that is not tentative backs comes before one only tentative hits back.
def _backed(g: dict) -> bool:
    return any(not h["tentative"] for h in g["hits"])


def _structures(g: dict) -> int:
    return len({tuple(h["structure"]) for h in g["hits"]})


def _backed_structures(g: dict) -> int:
    return len({tuple(h["structure"]) for h in g["hits"] if not h["tentative"]})


def _families(g: dict) -> int:
    return len({h["family"] for h in g["hits"]})


def _cheapest(g: dict, backed_only: bool = True) -> float:
    bits = [h["bits"] for h in g["hits"] if not (backed_only and h["tentative"])]
    return min(bits, default=math.inf)


def _sure(g: dict) -> list[dict]:
    """The hits not tentative, or all where every one is (``answer_evidence``'s programs behind)."""
    return [h for h in g["hits"] if not h["tentative"]] or g["hits"]


def _evidence(g: dict, t: dict | None = None) -> tuple:
    """``search.hits.answer_evidence`` of round 37 (main before this study): backed first, then the
    cheapest program (of those not tentative, or of all where every one is), then distinct
    structures among the same, then among all."""
    sure = _sure(g)
    return (not _backed(g), min(h["bits"] for h in sure), -len({tuple(h["structure"]) for h in sure}),
            -_structures(g))


# Evidence: the demonstrations' output bits (``demonstration_bits``, per demonstration) the group's
# cheapest program accounts for, less the program's bits. Every group of a task explains the same
# demonstrations, so within a task each gain is a constant less the program's bits.
def _gain_total(g: dict, t: dict) -> float:
    return sum(t["demo_bits_each"]) - min(h["bits"] for h in _sure(g))


def _gain_smallest(g: dict, t: dict) -> float:
    return min(t["demo_bits_each"]) - min(h["bits"] for h in _sure(g))


def _gain_held_out(g: dict, t: dict) -> float:
    """What the demonstrations tell with the most telling one held out, less the program's bits: a
    program the rest pay for could be learnt again without any one of them."""
    return sum(t["demo_bits_each"]) - max(t["demo_bits_each"]) - min(h["bits"] for h in _sure(g))


def _contradicted(g: dict, t: dict) -> int:
    """Facts (``search.hits.output_facts``) every demonstration's output shares that the group's
    answer breaks, over the test inputs (``search.hits.broken_facts`` on the logged facts)."""
    return broken_facts([d["facts"] for d in t["demo_outputs"]], [a["facts"] for a in g["answer"] if a is not None])


def _contradicted_by(g: dict, t: dict, k: int) -> bool:
    """The answer breaks shared fact ``k`` on some test input."""
    shared = {d["facts"][k] for d in t["demo_outputs"]}
    return len(shared) == 1 and any(a is not None and a["facts"][k] not in shared for a in g["answer"])


def _threshold(gain):
    """Groups whose cheapest program the evidence pays for (gain >= 0) first, by bits; the others
    after, by distinct structures (agreement being what evidence is left), then bits."""
    def key(g: dict, t: dict) -> tuple:
        paid = gain(g, t) >= 0
        return (not _backed(g), not paid, _cheapest(g) if paid else 0, -_structures(g), *_evidence(g)[1:])
    return key


RULES = {
    "main r36: backed, votes": lambda g, t: (not _backed(g), -len(g["hits"])),
    "backed, structures": lambda g, t: (not _backed(g), -_structures(g)),
    "backed, structures, cheapest": lambda g, t: (not _backed(g), -_structures(g), _cheapest(g)),
    "backed, backed structures, cheapest": lambda g, t: (not _backed(g), -_backed_structures(g), _cheapest(g)),
    "backed, families, cheapest": lambda g, t: (not _backed(g), -_families(g), _cheapest(g)),
    "backed, cheapest": lambda g, t: (not _backed(g), _cheapest(g)),
    "main r37: backed, cheapest, structures, all structures": _evidence,
    "backed, total gain": lambda g, t: (not _backed(g), -_gain_total(g, t)),
    "backed, smallest gain": lambda g, t: (not _backed(g), -_gain_smallest(g, t)),
    "backed, gain one held out": lambda g, t: (not _backed(g), -_gain_held_out(g, t)),
    "backed, total gain paid, then structures": _threshold(_gain_total),
    "backed, smallest gain paid, then structures": _threshold(_gain_smallest),
    "backed, gain one held out paid, then structures": _threshold(_gain_held_out),
    "backed, contradicted, cheapest, structures, all (this branch)":
        lambda g, t: (not _backed(g), _contradicted(g, t), *_evidence(g)[1:]),
    "contradicted, backed, cheapest, structures, all": lambda g, t: (_contradicted(g, t), *_evidence(g)),
}
NEEDS_FACTS = {name for name in RULES if "gain" in name or "contradicted" in name}  # fields logged from round 38


def _place(order: list[dict]) -> int | None:
    """Where the right answer sits in ``order`` (pass@2 per test input: the first two groups)."""
    for i, g in enumerate(order):
        if g["right"]:
            return i
    return None


def _pass2(order: list[dict], n_test: int) -> bool:
    return all(any(g["right_per_test"][i] for g in order[:2]) for i in range(n_test))


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="summary JSON")
def analyse(files: tuple[Path, ...], out: Path | None) -> None:
    summary: dict = {}
    for path in files:
        tasks = [json.loads(line) for line in path.read_text().splitlines()]
        several = [t for t in tasks if len(t["groups"]) >= 2]
        found = [t for t in several if any(g["right"] for g in t["groups"])]
        single = [t for t in tasks if len(t["groups"]) == 1 and not t["groups"][0]["right"]]
        per_set: dict = {
            "tasks_2plus_groups": len(several),
            "tasks_3plus_groups": sum(len(t["groups"]) >= 3 for t in several),
            "with_right_group": len(found),
            "single_group_wrong": len(single),
            "single_group_wrong_lower_evidence_right": sorted(t["task_id"] for t in single
                                                              if t.get("lower_evidence_right")),
            "single_group_wrong_with_lower_evidence_answer": sum(bool(t.get("lower_evidence_answers")) for t in single),
            "rules": {},
        }
        facts = bool(tasks) and "demo_outputs" in tasks[0]
        for name, key in RULES.items():
            if name in NEEDS_FACTS and not facts:
                continue
            firsts, seconds, lower, pass2, wrong_first = 0, 0, [], 0, []
            for t in several:
                found_order = sorted(t["groups"], key=lambda g: g.get("found", g.get("rank_today")))
                order = sorted(found_order, key=lambda g: key(g, t))  # stable: the order found breaks ties
                place = _place(order)
                firsts += place == 0
                seconds += place == 1
                if place is not None and place >= 2:
                    lower.append(t["task_id"])
                if place is not None and place > 0:
                    wrong_first.append(t["task_id"])
                pass2 += _pass2(order, t["n_test"])
            per_set["rules"][name] = {"right_first": firsts, "right_second": seconds, "right_lower": sorted(lower),
                                      "pass2": pass2, "right_not_first": sorted(wrong_first)}
        if facts:
            per_set["evidence"] = _evidence_features(several)
        summary[path.stem] = per_set
        click.echo(f"{path.stem}: {len(several)} tasks with 2+ groups ({per_set['tasks_3plus_groups']} with 3+), "
                   f"{len(found)} with a right group; {len(single)} with one wrong group, a lower-evidence answer "
                   f"right on {per_set['single_group_wrong_lower_evidence_right']}")
        for name, r in per_set["rules"].items():
            click.echo(f"  {name:58s} first {r['right_first']:3d} second {r['right_second']:3d} pass@2 {r['pass2']:3d} "
                       f"lower {r['right_lower']} not first {r['right_not_first']}")
        if facts:
            click.echo(f"  evidence over the groups of tasks with 2+ groups (right / wrong groups): "
                       f"{json.dumps(per_set['evidence'])}")
    if out:
        out.write_text(json.dumps(summary, indent=1) + "\n")


FACT_NAMES = ("one colour", "input's most common colour", "input as it is", "colour the input lacks")


def _evidence_features(several: list[dict]) -> dict:
    """Over the groups of tasks with 2+ groups, right against wrong: how many the evidence pays for
    (gain >= 0: in total, on the demonstration telling least, with the most telling held out), how
    many break each fact the demonstrations' outputs share, and on how many tasks ordering by a gain
    differs from ordering by the cheapest program (within a task, none can)."""
    def count(test) -> list[int]:
        return [sum(test(g, t) for t in several for g in t["groups"] if g["right"] == right) for right in (True, False)]

    out = {"groups": count(lambda g, t: True)}
    for name, gain in (("total", _gain_total), ("smallest", _gain_smallest), ("one held out", _gain_held_out)):
        out[f"paid: {name}"] = count(lambda g, t, gain=gain: _backed(g) and gain(g, t) >= 0)
        out[f"tasks ordered otherwise than by bits: {name}"] = sum(
            [g["found"] for g in sorted(t["groups"], key=lambda g: (not _backed(g), -gain(g, t)))]
            != [g["found"] for g in sorted(t["groups"], key=lambda g: (not _backed(g), min(h["bits"] for h in _sure(g))))]
            for t in several)
    for k, name in enumerate(FACT_NAMES):
        out[f"breaks: {name}"] = count(lambda g, t, k=k: _contradicted_by(g, t, k))
    out["breaks any"] = count(lambda g, t: _contradicted(g, t) > 0)
    return out


def _first_right(record: dict, task: arc.Task) -> bool:
    """The first attempt right on every test input."""
    return all(bool(tries) and tuple(map(tuple, tries[0])) == tuple(map(tuple, ex.output))
               for tries, ex in zip(record["attempts"], task.test))


@cli.command()
@click.argument("before", type=click.Path(path_type=Path))
@click.argument("after", type=click.Path(path_type=Path))
@click.option("--dataset", default="arc1-train", show_default=True)
@click.option("--max-train", default=0)
@click.option("--out", type=click.Path(path_type=Path), default=None)
def compare(before: Path, after: Path, dataset: str, max_train: int, out: Path | None) -> None:
    """Two bench_search runs (jsonl; their summaries beside them): pass@2 gained and lost, the
    first attempt right (pass@1), tasks whose attempts or status differ, unique-and-wrong, CPU."""
    tasks = arc.load_dataset(dataset)
    runs = []
    for path in (before, after):
        records = {r["task_id"]: r for r in map(json.loads, path.read_text().splitlines())}
        summary = json.loads(path.with_suffix(".json").read_text())
        runs.append((records, summary))
    (rb, sb), (ra, sa) = runs
    common = sorted(set(rb) & set(ra))
    cut = {t: arc.Task(t, tasks[t].train[:max_train] if max_train else tasks[t].train, tasks[t].test) for t in common}
    first = [sum(_first_right(r[t], cut[t]) for t in common) for r in (rb, ra)]
    result = {
        "n_common": len(common),
        "pass2": [sb["tasks_correct"], sa["tasks_correct"]],
        "gained": sorted(set(sa["solved"]) - set(sb["solved"])),
        "lost": sorted(set(sb["solved"]) - set(sa["solved"])),
        "first_attempt_right": first,
        "first_right_gained": sorted(t for t in common if _first_right(ra[t], cut[t]) and not _first_right(rb[t], cut[t])),
        "first_right_lost": sorted(t for t in common if _first_right(rb[t], cut[t]) and not _first_right(ra[t], cut[t])),
        "attempts_differ": sorted(t for t in common if rb[t]["attempts"] != ra[t]["attempts"]),
        "status_differ": sorted(t for t in common if rb[t]["status"] != ra[t]["status"]),
        "work_differ": sorted(t for t in common if rb[t].get("work") != ra[t].get("work")),
        "unique_wrong": [sb["unique_wrong"], sa["unique_wrong"]],
        "unique": [sb["unique"], sa["unique"]],
        "cpu_seconds_mean": [round(sb["cpu_seconds_mean"], 3), round(sa["cpu_seconds_mean"], 3)],
        "cpu_seconds_median": [round(sb["cpu_seconds_median"], 3), round(sa["cpu_seconds_median"], 3)],
        "commands": [sb.get("command"), sa.get("command")],
    }
    text = json.dumps(result, indent=1)
    if out:
        out.write_text(text + "\n")
    click.echo(text)


if __name__ == "__main__":
    cli()
