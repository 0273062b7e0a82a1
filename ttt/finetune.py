"""Initial fine-tuning: full fine-tuning of a causal LM on ARC-format tasks, before any TTT.

The paper's recipe, scaled to what a machine can afford: training tasks are expanded on the
fly (a random leave-one-out pseudo-task of a random training task, under a random invertible
view, and with some probability turned into a *new* task by applying a transform to the inputs
only, the outputs only, or both). Same text format and demonstration loss as TTT.

The data is a stream, not a list: the batch of step ``s`` is drawn from
``default_rng([seed, s])``, so a resumed run sees exactly the batches an uninterrupted one would.
Checkpoints (model, optimizer, scheduler, step) are written atomically every
``checkpoint_every`` steps and on stop; ``finetune`` continues from one when it exists.

Contamination guard: only the pool built by ``training_pool`` is read. It never includes
ARC-AGI-1 evaluation tasks, and ARC-AGI-2 training (which holds 376 of them) is excluded unless
asked for, and then filtered by id and by content.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from arc.grid import Grid
from arc.storage import append_jsonl
from arc.task import Example, Task
from arc.transforms import TRAINING_TRANSFORMS
from arc.views import SYMMETRY_NAMES, View, apply_symmetry, random_colors, random_order
from arc.config import ConfigMixin, option
from ttt.data import PseudoTask

PRECISIONS = ("auto", "bf16", "fp32")
# FinetuneConfig field -> the flag of `arc-solve finetune` that sets it.
FLAGS = {name: "--" + name.replace("_", "-") for name in (
    "init_from", "hidden", "layers", "heads", "intermediate", "format", "steps", "batch_size", "learning_rate", "max_tokens",
    "max_examples", "max_minutes", "holdout_seed", "include_arc2_train", "device", "precision", "micro_batches", "threads",
    "data_workers", "seed")} | {"learning_rate": "--lr"}

# Transforms that turn a task into a new one when applied to one side only.
_ONE_SIDE = {**{s: (lambda g, s=s: apply_symmetry(s, g)) for s in SYMMETRY_NAMES if s != "identity"}, **TRAINING_TRANSFORMS}


@dataclass(frozen=True)
class FinetuneConfig(ConfigMixin):
    """Full fine-tuning of the base model on expanded ARC training tasks."""

    init_from: str | None = option(help="local HF model dir to start from; None: a new small Llama with the compact tokenizer", default=None)
    hidden: int = option(help="hidden size of a model built from scratch", default=256)
    layers: int = option(help="decoder layers of a model built from scratch", default=6)
    heads: int = option(help="attention heads of a model built from scratch", default=4)
    intermediate: int = option(help="MLP width of a model built from scratch", default=704)
    max_positions: int = option(help="longest sequence the model supports", default=8192)
    format: str = option(help="text format (compact for the project's own tokenizer)", default="compact")
    steps: int = option(help="optimizer steps", default=4000)
    batch_size: int = option(help="pseudo-tasks per step", default=8)
    learning_rate: float = option(help="AdamW peak learning rate", default=1e-3)
    weight_decay: float = option(help="AdamW weight decay", default=0.01)
    warmup_ratio: float = option(help="share of steps with linear warm-up before cosine decay", default=0.05)
    max_grad_norm: float = option(help="gradient clipping norm", default=1.0)
    max_tokens: int = option(help="pseudo-tasks longer than this many tokens are redrawn", default=2048)
    loss: str = option(help="'demo' (outputs of demonstrations 2..K and the query) or 'output'", default="demo")
    new_task_prob: float = option(help="probability of making a new task by transforming inputs, outputs or both", default=0.3)
    recolor_prob: float = option(help="probability of a random colour permutation (background kept)", default=0.5)
    max_examples: int = option(help="at most this many in-context demonstrations per pseudo-task", default=4)
    holdout: int = option(help="ARC-AGI-1 training tasks held out of fine-tuning for the format check", default=40)
    holdout_seed: int = option(help="seed of the held-out split, separate from ``seed`` so that runs with other data "
                              "seeds hold out the same tasks (a run from --init-from keeps that model's list)", default=0)
    include_arc2_train: bool = option(help="also train on ARC-AGI-2 training (minus every ARC-AGI-1 evaluation task)", default=False)
    checkpoint_every: int = option(help="steps between checkpoints", default=200)
    log_every: int = option(help="steps between log lines", default=10)
    max_minutes: float | None = option(help="stop (and save) after this much wall-clock time", default=None)
    device: str = option(help="'auto', 'cpu' or 'cuda'", default="auto")
    precision: str = option(help="'auto' (bf16 autocast where the device has bf16 kernels: CUDA, or a CPU with "
                           "AVX512-BF16/AMX), 'bf16' or 'fp32'; weights and optimizer stay fp32", default="auto")
    micro_batches: int = option(help="split each step's batch, sorted by length, into this many micro-batches "
                               "(less padding; the gradient is the same token-weighted mean)", default=1)
    threads: int | None = option(help="torch CPU threads (None: torch's default)", default=None)
    data_workers: int = option(help="processes that build the next steps' batches while the model trains (0: build "
                              "each batch in the training process; the batches are the same either way)", default=0)
    seed: int = option(help="seed of the model init, the holdout split and the data stream", default=0)

    def __post_init__(self) -> None:
        checks = [
            (self.steps >= 1 and self.batch_size >= 1, "steps and batch_size must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (0 <= self.new_task_prob <= 1 and 0 <= self.recolor_prob <= 1, "probabilities must be in [0, 1]"),
            (self.loss in ("demo", "output"), f"loss must be 'demo' or 'output', got {self.loss!r}"),
            (self.max_tokens >= 64, "max_tokens must be >= 64"),
            (self.max_examples >= 1, "max_examples must be >= 1"),
            (self.hidden % self.heads == 0, f"hidden ({self.hidden}) must be divisible by heads ({self.heads})"),
            (self.init_from is not None or self.format == "compact", "a model built from scratch uses the compact format"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"),
            (1 <= self.micro_batches <= self.batch_size, "micro_batches must be between 1 and batch_size"),
            (self.data_workers >= 0, "data_workers must be >= 0"),
            (self.holdout >= 0 and self.checkpoint_every >= 1 and self.log_every >= 1, "holdout, checkpoint_every, log_every must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


# -- data -----------------------------------------------------------------------------------
def _content_keys(task: Task) -> set[Grid]:
    return {ex.input for ex in task.train}


def read_holdout(path: str | Path) -> list[str]:
    """The task ids of a ``holdout.txt`` (one per line, blank lines ignored)."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def holdout_ids(cfg: FinetuneConfig, train_ids: Sequence[str]) -> list[str]:
    """The ARC-AGI-1 training tasks to hold out: the ``holdout.txt`` of the ``init_from`` model when it
    has one (a chain of runs keeps one held-out set), else ``cfg.holdout`` tasks drawn with
    ``cfg.holdout_seed``. Never drawn from ``cfg.seed``: a new data seed must not move the split."""
    inherited = Path(cfg.init_from) / "holdout.txt" if cfg.init_from else None
    if inherited is not None and inherited.is_file():
        ids = read_holdout(inherited)
        unknown = sorted(set(ids) - set(train_ids))
        if unknown:
            raise ValueError(f"{inherited}: not ARC-AGI-1 training tasks: {', '.join(unknown[:5])}")
        return ids
    rng = np.random.default_rng([cfg.holdout_seed, 1])
    picked = rng.choice(len(train_ids), size=min(cfg.holdout, len(train_ids)), replace=False)
    return [train_ids[i] for i in sorted(picked.tolist())]


def training_pool(cfg: FinetuneConfig) -> tuple[list[Task], list[Task]]:
    """(tasks to train on, held-out ARC-AGI-1 training tasks). Never any ARC-AGI-1 evaluation task."""
    from arc.data import load_dataset

    train = list(load_dataset("arc1-train").values())
    held_ids = set(holdout_ids(cfg, [t.id for t in train]))
    pool = [t for t in train if t.id not in held_ids]
    held = [t for t in train if t.id in held_ids]
    if cfg.include_arc2_train:
        # ARC-AGI-2 training contains ARC-AGI-1 evaluation tasks: drop them, and the held-out tasks,
        # by id and by content
        # (only evaluation *inputs* are compared; evaluation outputs are never read for this).
        eval_tasks = load_dataset("arc1-eval")
        excluded_inputs = set().union(*(_content_keys(t) for t in [*eval_tasks.values(), *held]))
        for tid, t in load_dataset("arc2-train").items():
            if tid in eval_tasks or tid in held_ids or _content_keys(t) & excluded_inputs:
                continue
            pool.append(t)
    return pool, held


def _pairs(task: Task) -> list[Example]:
    # Training tasks' test pairs have known outputs and are ordinary demonstrations here.
    return [ex for ex in (*task.train, *task.test) if ex.output is not None]


def _new_task(pairs: list[Example], rng: np.random.Generator) -> list[Example] | None:
    name = sorted(_ONE_SIDE)[int(rng.integers(len(_ONE_SIDE)))]
    fn = _ONE_SIDE[name]
    side = ("input", "output", "both")[int(rng.integers(3))]
    out = []
    for ex in pairs:
        gi = fn(ex.input) if side in ("input", "both") else ex.input
        go = fn(ex.output) if side in ("output", "both") else ex.output
        if gi is None or go is None:
            return None
        out.append(Example(gi, go))
    return out


def draw_pseudo_task(pool: Sequence[Task], cfg: FinetuneConfig, rng: np.random.Generator) -> PseudoTask:
    """One random training item: a task, a query, a view and maybe a new-task transform."""
    while True:
        task = pool[int(rng.integers(len(pool)))]
        pairs = _pairs(task)
        recipe = task.id
        if rng.random() < cfg.new_task_prob:
            made = _new_task(pairs, rng)
            if made is None:
                continue
            pairs, recipe = made, recipe + "+new"
        if len(pairs) < 2:
            continue
        q = int(rng.integers(len(pairs)))
        rest = [p for i, p in enumerate(pairs) if i != q]
        rest = [rest[i] for i in random_order(rng, len(rest))][: cfg.max_examples]
        colors = random_colors(rng) if rng.random() < cfg.recolor_prob else None
        view = View(SYMMETRY_NAMES[int(rng.integers(8))], colors)
        mapped = [Example(view.apply(e.input), view.apply(e.output)) for e in (*rest, pairs[q])]
        return PseudoTask(tuple(mapped[:-1]), mapped[-1], f"{recipe}+q{q}+{view.name}")


def batch_for_step(pool, cfg: FinetuneConfig, step: int, tokenizer, formatter) -> tuple[list, int]:
    """The encoded batch of one step (a pure function of seed and step: resume-exact)."""
    from ttt.tokens import encode_rendered

    rng = np.random.default_rng([cfg.seed, 2, step])
    batch, redrawn = [], 0
    while len(batch) < cfg.batch_size:
        pt = draw_pseudo_task(pool, cfg, rng)
        enc = encode_rendered(tokenizer, formatter.render_train(pt.examples, pt.query, loss=cfg.loss),
                              formatter.add_special_tokens)
        if len(enc.input_ids) > cfg.max_tokens or enc.n_loss_tokens == 0:
            redrawn += 1
            if redrawn > 1000:
                raise RuntimeError(f"max_tokens={cfg.max_tokens} is too small: 1000 draws in a row were too long")
            continue
        batch.append(enc)
    return batch, redrawn


class BatchStream:
    """The batches of steps ``start, start+1, ...`` in order, built in the training process or,
    with ``workers > 0``, by a process pool that keeps ``2 * workers`` steps in flight. Each batch is
    ``batch_for_step`` of its step, so the stream is the same whatever the number of workers.

    Workers are spawned (not forked), so a CUDA context in the training process is never copied."""

    def __init__(self, pool, cfg: FinetuneConfig, tokenizer, formatter, start: int, workers: int = 0):
        self._args = (pool, cfg, tokenizer, formatter)
        self._next, self._end = start, cfg.steps
        self._executor, self._pending = None, {}
        if workers > 0:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_worker_init, initargs=self._args)
            self._ahead = 2 * workers

    def __iter__(self):
        return self

    def __next__(self) -> tuple[list, int]:
        if self._next >= self._end:
            raise StopIteration
        step, self._next = self._next, self._next + 1
        if self._executor is None:
            pool, cfg, tokenizer, formatter = self._args
            return batch_for_step(pool, cfg, step, tokenizer, formatter)
        for s in range(step, min(step + self._ahead, self._end)):
            if s not in self._pending:
                self._pending[s] = self._executor.submit(_worker_batch, s)
        return self._pending.pop(step).result()

    def close(self) -> None:
        if self._executor is not None:
            for fut in self._pending.values():
                fut.cancel()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor, self._pending = None, {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_WORKER: tuple = ()


def _worker_init(pool, cfg, tokenizer, formatter) -> None:
    global _WORKER
    _WORKER = (pool, cfg, tokenizer, formatter)


def _worker_batch(step: int) -> tuple[list, int]:
    pool, cfg, tokenizer, formatter = _WORKER
    return batch_for_step(pool, cfg, step, tokenizer, formatter)


# -- training -------------------------------------------------------------------------------
def use_bf16(precision: str, device) -> bool:
    """Whether to autocast to bf16 on ``device`` under ``precision`` ('auto', 'bf16', 'fp32')."""
    import torch

    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    # oneDNN's check for native bf16 instructions; emulated bf16 would be slower than fp32
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def micro_batches(batch: Sequence, n: int) -> list[list]:
    """``batch`` sorted by length and cut into ``n`` contiguous chunks of near-equal size."""
    ordered = sorted(batch, key=lambda e: len(e.input_ids))
    bounds = np.linspace(0, len(ordered), n + 1).round().astype(int)
    return [ordered[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


@dataclass
class FinetuneState:
    step: int = 0
    tokens: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)


def _save_checkpoint(out: Path, model, tokenizer, optimizer, scheduler, state: FinetuneState) -> None:
    import torch

    tmp, final = out / "checkpoint.partial", out / "checkpoint"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "step": state.step, "tokens": state.tokens, "seconds": state.seconds}, tmp / "trainer_state.pt")
    old = out / "checkpoint.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _build_model(cfg: FinetuneConfig, out: Path):
    from ttt.format import make_formatter
    from ttt.model import load_base, resolve_device, tiny_llama
    from ttt.tokenizer import build_compact_tokenizer

    ckpt = out / "checkpoint"
    if (ckpt / "config.json").exists():
        model, tokenizer = load_base(ckpt, device=cfg.device, dtype="float32")
    elif cfg.init_from:
        # fp32 master weights whatever the checkpoint's dtype ('auto' would load bf16 on CUDA and
        # AdamW would then update bf16 weights); bf16 is autocast compute only
        model, tokenizer = load_base(cfg.init_from, device=cfg.device, dtype="float32")
    else:
        tokenizer = build_compact_tokenizer()
        model = tiny_llama(tokenizer, hidden=cfg.hidden, layers=cfg.layers, heads=cfg.heads,
                           intermediate=cfg.intermediate, max_positions=cfg.max_positions, seed=cfg.seed)
        model = model.to(resolve_device(cfg.device))
    return model, tokenizer, make_formatter(cfg.format, tokenizer)


def log_line(entry: dict, steps: int) -> str:
    """One log entry of ``finetune`` in words."""
    return (f"step {entry['step']}/{steps} loss {entry['loss']:.4f} lr {entry['lr']:.2e} "
            f"{entry['tokens_per_s']:.0f} tok/s  {entry['elapsed_s'] / 60:.1f} min")


def finetune(cfg: FinetuneConfig, out_dir: str | Path, log: Callable[[dict], None] | None = None) -> Path:
    """Fine-tune and write ``out_dir/model`` (HF folder with tokenizer). Resumes from ``out_dir/checkpoint``."""
    import torch
    from transformers import get_cosine_schedule_with_warmup

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    pool, held = training_pool(cfg)
    (out / "holdout.txt").write_text("".join(t.id + "\n" for t in held))
    model, tokenizer, formatter = _build_model(cfg, out)
    # The from-scratch size fields are ignored when starting from a checkpoint: record what was trained.
    arch = {k: getattr(model.config, k, None) for k in ("model_type", "hidden_size", "num_hidden_layers",
                                                        "num_attention_heads", "intermediate_size", "vocab_size")}
    arch["parameters"] = sum(p.numel() for p in model.parameters())
    (out / "finetune_config.json").write_text(json.dumps({**cfg.to_json(), "trained_architecture": arch}, indent=1))
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
                                  betas=(0.9, 0.95))
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * cfg.steps), cfg.steps)
    state = FinetuneState()
    ckpt_state = out / "checkpoint" / "trainer_state.pt"
    if ckpt_state.exists():
        saved = torch.load(ckpt_state, weights_only=False)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state.step, state.tokens, state.seconds = saved["step"], saved["tokens"], saved["seconds"]
    pad_id = tokenizer.pad_token_id
    bf16 = use_bf16(cfg.precision, device)
    model.train()
    with BatchStream(pool, cfg, tokenizer, formatter, state.step, cfg.data_workers) as stream:
        _train_loop(cfg, model, tokenizer, optimizer, scheduler, state, stream, out, pad_id, device, bf16, log)
    model.eval()
    final = out / "model"
    shutil.rmtree(final, ignore_errors=True)
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    # the model carries its held-out list, so that a run started from it (--init-from out/model) keeps it
    shutil.copyfile(out / "holdout.txt", final / "holdout.txt")
    return final


def _train_loop(cfg, model, tokenizer, optimizer, scheduler, state: FinetuneState, stream, out: Path,
                pad_id: int, device, bf16: bool, log) -> None:
    import torch

    from ttt.train import train_step

    started, window_tokens, window_start = time.perf_counter(), 0, time.perf_counter()
    log_path = out / "train_log.jsonl"
    for batch, redrawn in stream:
        loss, n_tok = train_step(model, micro_batches(batch, cfg.micro_batches), pad_id, device, bf16)
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state.step += 1
        state.tokens += n_tok
        window_tokens += n_tok
        state.losses.append(loss)
        elapsed = time.perf_counter() - started
        if state.step % cfg.log_every == 0 or state.step == cfg.steps:
            now = time.perf_counter()
            entry = {"step": state.step, "loss": float(np.mean(state.losses[-cfg.log_every:])),
                     "lr": scheduler.get_last_lr()[0], "tokens": state.tokens,
                     "tokens_per_s": window_tokens / max(now - window_start, 1e-9),
                     "elapsed_s": state.seconds + elapsed, "redrawn": redrawn}
            if device.type == "cuda":
                entry["cuda_peak_mib"] = round(torch.cuda.max_memory_allocated(device) / 2**20)
            window_tokens, window_start = 0, now
            append_jsonl(log_path, [entry])
            if log is not None:
                log(entry)
        out_of_time = cfg.max_minutes is not None and elapsed > cfg.max_minutes * 60
        if state.step % cfg.checkpoint_every == 0 or state.step == cfg.steps or out_of_time:
            _save_checkpoint(out, model, tokenizer, optimizer, scheduler,
                             FinetuneState(state.step, state.tokens, state.seconds + elapsed))
        if out_of_time:
            break


# -- held-out format check ------------------------------------------------------------------
def format_check(model, tokenizer, formatter, tasks: Sequence[Task], max_new_tokens: int | None = None,
                 max_tokens: int | None = None) -> dict:
    """Greedy answers (no TTT, identity view) for each test input of ``tasks``: how many parse as
    grids, how many have the expected shape, how many are exactly right.

    With ``max_tokens`` (prompt + generation), a longer prompt drops its largest demonstrations the
    way inference does (``ttt.infer.fit_prompt``); ``trimmed`` counts those prompts and ``too_long``
    the ones that did not fit even with one demonstration (counted as not parsed)."""
    import torch

    from ttt.infer import fit_prompt

    device = next(model.parameters()).device
    budget = max_new_tokens or 31 * 30 + 2
    add = formatter.add_special_tokens

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=add)["input_ids"])

    counts = {"n": 0, "parsed": 0, "right_shape": 0, "right": 0, "trimmed": 0, "too_long": 0}
    for task in tasks:
        for ex in task.test:
            counts["n"] += 1
            if max_tokens is None:
                prompt, dropped = formatter.render_prompt(task.train, ex.input), 0
            else:
                prompt, dropped = fit_prompt(formatter, count, task.train, ex.input, max_tokens - budget)
            counts["trimmed"] += int(prompt is not None and dropped > 0)
            if prompt is None:
                counts["too_long"] += 1
                continue
            ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=add)["input_ids"].to(device)
            with torch.no_grad():
                gen = model.generate(ids, max_new_tokens=budget, do_sample=False,
                                     eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
            text = tokenizer.decode(gen[0, ids.shape[1]:], skip_special_tokens=False)
            parsed = formatter.parse(text)
            if parsed.grid is not None:
                counts["parsed"] += 1
                exp = ex.output
                if exp is not None and (len(parsed.grid), len(parsed.grid[0])) == (len(exp), len(exp[0])):
                    counts["right_shape"] += 1
                counts["right"] += int(parsed.grid == exp)
    return counts


__all__ = ["BatchStream", "FinetuneConfig", "batch_for_step", "draw_pseudo_task", "finetune", "format_check", "holdout_ids", "micro_batches", "read_holdout", "training_pool",
           "use_bf16"]
