"""Which training budget and dropout suit the Fashion-MNIST CNN when it trains on augmented images?

Augmentation (random shifts and flips) is itself a regulariser, so the CNN preset's
dropout of 0.5 before and after its dense layer, chosen for clean images, may leave the
augmented network under-fitted after 20 epochs. This script measures it the clean way:
every candidate trains on 90 % of the Fashion-MNIST training set and is scored on the
held-out 10 % (a stratified split fixed by the seed), never on the test set. The test
set is used only afterwards, by ``experiments/classic_networks.py``, for the preset
chosen here.

Candidates (``CANDIDATES``): the preset as it was (20 epochs, dropout 0.5), twice the
epochs, half the dropout, both, and the clean-image network for reference. Each
(candidate, seed) is one run of ``python experiments/tune_cnn_augmentation.py
--candidate NAME --seed S --out FILE.json``; without ``--candidate`` it runs them all,
``--workers`` at a time, and prints and writes the table (``--out``, CSV; default
``results/tune_cnn_augmentation/tune_cnn_augmentation.csv``). A GPU makes it minutes
(``--device cuda``); on one CPU core each run takes hours. ``--quick`` is a smoke-size
run (a minute or two on a CPU): every candidate on 500 training images (validated on
50 of them) for 1/20 of its epochs, seed 0, into ``results/tune_cnn_augmentation-quick/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from artificial import CNNClassifier
from compare.data.tasks import load_task

CANDIDATES = {
    "augmented-20ep-dropout0.5": {"augment": True, "epochs": 20, "dropout": 0.5},
    "augmented-40ep-dropout0.5": {"augment": True, "epochs": 40, "dropout": 0.5},
    "augmented-20ep-dropout0.25": {"augment": True, "epochs": 20, "dropout": 0.25},
    "augmented-40ep-dropout0.25": {"augment": True, "epochs": 40, "dropout": 0.25},
    "clean-20ep-dropout0.5": {"augment": False, "epochs": 20, "dropout": 0.5},
}
VALIDATION_FRACTION = 0.1
SEEDS = (0, 1, 2)
QUICK = {"n_train": 500, "epoch_divisor": 20, "seeds": [0]}
"""--quick: a stratified subset of the training images, each candidate's epochs / 20."""
ROOT = Path(__file__).resolve().parents[1]


def run_one(name: str, seed: int, device: str, quick: bool = False) -> dict:
    """Train one candidate on 90 % of the training set; its accuracy on the other 10 %."""
    options = dict(CANDIDATES[name])
    task = load_task("fashion-mnist")
    if quick:
        task = task.subset(QUICK["n_train"], random_state=0)
        options["epochs"] = max(1, options["epochs"] // QUICK["epoch_divisor"])
    model = CNNClassifier.fashion_mnist(
        augment=options["augment"],
        validation_fraction=VALIDATION_FRACTION,
        random_state=seed,
        device=device,
        epochs=options["epochs"],
        dropout=options["dropout"],
    )
    start = time.perf_counter()
    model.fit(task.X_train, task.y_train)
    history = model.history_
    return {
        "candidate": name,
        "seed": seed,
        **options,
        "n_train": task.n_train,
        "val_accuracy_last": history.val_accuracy[-1],
        "val_accuracy_best": max(history.val_accuracy),
        "train_accuracy_last": history.train_accuracy[-1],
        "fit_seconds": time.perf_counter() - start,
        "device": device,
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", choices=list(CANDIDATES), help="run this one alone")
    parser.add_argument("--seed", type=int, default=0, help="its seed (with --candidate)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--workers", type=int, default=1, help="candidates trained at once")
    parser.add_argument(
        "--quick", action="store_true", help="smoke-size run (a minute or two on a CPU)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="the table (CSV; default results/tune_cnn_augmentation[-quick]/"
        "tune_cnn_augmentation.csv), or with --candidate its result (JSON)",
    )
    args = parser.parse_args(argv)
    if args.candidate is not None and args.out is None:
        parser.error("--candidate needs --out FILE.json")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.quick and args.seeds == parser.get_default("seeds"):
        args.seeds = QUICK["seeds"]
    if args.out is None:
        name = "tune_cnn_augmentation" + ("-quick" if args.quick else "")
        args.out = ROOT / "results" / name / "tune_cnn_augmentation.csv"
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)
    if args.candidate is not None:
        result = run_one(args.candidate, args.seed, args.device, args.quick)
        args.out.write_text(json.dumps(result))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    work = [(name, seed) for name in CANDIDATES for seed in args.seeds]
    parts = args.out.with_suffix(".parts")
    parts.mkdir(parents=True, exist_ok=True)
    running, rows = [], []
    while work or running:
        while work and len(running) < args.workers:
            name, seed = work.pop(0)
            part = parts / f"{name}-{seed}.json"
            command = [sys.executable, __file__, "--candidate", name, "--seed", str(seed)]
            command += ["--device", args.device, "--out", str(part)]
            command += ["--quick"] if args.quick else []
            running.append((subprocess.Popen(command), part))
        time.sleep(1)
        for process, part in list(running):
            if process.poll() is not None:
                running.remove((process, part))
                if process.returncode != 0:
                    raise SystemExit(f"{part.stem}: exit status {process.returncode}")
                rows.append(json.loads(part.read_text()))
    rows.sort(key=lambda r: (list(CANDIDATES).index(r["candidate"]), r["seed"]))
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for name in CANDIDATES:
        last = [r["val_accuracy_last"] for r in rows if r["candidate"] == name]
        train = [r["train_accuracy_last"] for r in rows if r["candidate"] == name]
        spread = f" ± {100 * np.std(last, ddof=1):.2f}" if len(last) > 1 else ""
        print(
            f"{name:28s} validation {100 * np.mean(last):.2f} %{spread}"
            f"  (training {100 * np.mean(train):.2f} %)"
        )
    print(f"table: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
