"""Build the wheelhouse a Kaggle run installs from offline: one command, run where there is network.

    python kaggle/wheelhouse.py --target cpu        # CPU: torch 2.13.0 (CPU build) and everything else
    python kaggle/wheelhouse.py --target kaggle-gpu # in an internet-enabled Kaggle notebook (same image as
                                                    # the offline one): only what the image lacks

Writes ``wheelhouse/`` (``--out``): the arc-solve wheel and the wheels of every dependency of
``arc-solve[ttt,ray]``. Upload the folder as a Kaggle dataset (with ``kaggle/run.py`` in it) and attach it
to the notebook; ``kaggle/run.py`` installs from it with ``pip install --no-index --find-links``.

- ``cpu``: torch is taken from PyTorch's CPU index, pinned to 2.13.0 (a constraint keeps pip from
  swapping in a newer or a CUDA build from PyPI), then ``pip wheel`` builds arc-solve and fetches the rest.
- ``kaggle-gpu``: the image already has a CUDA torch (and numpy, transformers, ...); pip is asked what
  installing arc-solve *here* would add (``pip install --dry-run --report``) and downloads exactly that,
  so the offline install keeps the image's torch. Run it on the same image as the offline notebook.

Only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
TORCH = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
EXTRAS = "ttt,ray"
TARGETS = ("cpu", "kaggle-gpu")


def cpu_commands(out: Path, project: Path = ROOT, python: str = sys.executable) -> list[list[str]]:
    """The commands of the CPU wheelhouse (the constraint file is written by ``build``)."""
    pip = [python, "-m", "pip"]
    return [
        pip + ["download", "--dest", str(out), "--no-deps", "--only-binary=:all:", "--index-url", TORCH_CPU_INDEX,
               f"torch=={TORCH}+cpu"],
        pip + ["wheel", "--wheel-dir", str(out), "--find-links", str(out), "--constraint", str(out / "constraints.txt"),
               "--extra-index-url", TORCH_CPU_INDEX, f"{project}[{EXTRAS}]"],
    ]


def gpu_report_command(report: Path, project: Path = ROOT, python: str = sys.executable) -> list[str]:
    """What installing arc-solve into this environment would add, as pip's JSON report."""
    return [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report), f"{project}[{EXTRAS}]"]


def missing_from_report(report: dict) -> list[str]:
    """``name==version`` of each package pip's install report would add, arc-solve itself left out
    (it is built from the source tree)."""
    out = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name, version = meta.get("name"), meta.get("version")
        if name and version and name.lower().replace("_", "-") != "arc-solve":
            out.append(f"{name}=={version}")
    return sorted(out)


def gpu_download_commands(out: Path, missing: Sequence[str], project: Path = ROOT,
                          python: str = sys.executable) -> list[list[str]]:
    pip = [python, "-m", "pip"]
    commands = [pip + ["wheel", "--no-deps", "--wheel-dir", str(out), str(project)]]
    if missing:
        commands.append(pip + ["download", "--no-deps", "--dest", str(out), *missing])
    return commands


def build(target: str, out: Path, run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if target == "cpu":
        (out / "constraints.txt").write_text(f"torch=={TORCH}+cpu\n")
        commands = cpu_commands(out)
    else:
        report = out / "pip-report.json"
        run(gpu_report_command(report), check=True)
        commands = gpu_download_commands(out, missing_from_report(json.loads(report.read_text())))
    for command in commands:
        print("+", " ".join(command), flush=True)
        run(command, check=True)
    shutil.copy(ROOT / "kaggle" / "run.py", out / "run.py")  # the notebook runs it from the attached dataset
    print(f"wrote {out}: attach it to the notebook as a dataset (with kaggle/run.py)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGETS, default="cpu")
    parser.add_argument("--out", type=Path, default=ROOT / "wheelhouse")
    args = parser.parse_args(argv)
    build(args.target, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
