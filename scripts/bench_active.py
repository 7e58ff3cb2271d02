#!/usr/bin/env python3
"""Simulate active learning on labelled corpora: do the selection strategies save labels?

    python scripts/bench_active.py                          # Instacart and Debian, default sizes
    python scripts/bench_active.py --rounds 10 --picks 100 --pool 10000 --png /tmp/curves.png   # quicker

For each corpus (from ../shared/corpora, or TEXTML_SHARED): a stratified dev set is held out,
the rest (capped at --pool rows) is the unlabelled pool whose true labels are the oracle. Each
strategy starts from the same stratified 2% seed, then runs --rounds rounds: fit a fixed cheap
pipeline (bow-logreg) on the labelled rows, score dev (macro F1, the primary metric of these
multi-class corpora), score the pool with the one scoring call, let the strategy pick --picks
rows, and "annotate" them with their true labels. Prints the learning curve per strategy and
the labels each strategy needed to reach the random control's final score (interpolated
between rounds; "not reached" if never), and writes a PNG of the curves.

    python scripts/bench_active.py --memory 100000 1000000

times `textml annotate suggest` (a whole CLI process, entropy, 500 picks) on pools of that
many product titles (the bundled titles with a row number appended, so few are duplicates)
and prints each run's rate and peak RSS: streaming keeps memory flat as the pool grows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("TEXTML_SHARED", REPO.parent / "shared")) / "corpora"
CORPORA = {"instacart": SHARED / "instacart-products" / "instacart_products.csv",
           "debian": SHARED / "debian-packages" / "debian_packages.csv"}
STRATEGIES = ("random", "least-confidence", "margin", "entropy", "diverse")


def _stratified(labels: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified sample of ``share`` of the rows (at least one per class)."""
    picked = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        picked.extend(rng.choice(rows, size=max(1, round(share * len(rows))), replace=False))
    return np.array(sorted(picked))


def simulate(name: str, path: Path, rounds: int, picks: int, pool_cap: int, dev_size: int, seed_share: float,
             seed: int, pipeline: str) -> dict:
    from sklearn.metrics import f1_score

    from textml.annotation.selection import select
    from textml.data.formats import read_dataset
    from textml.evaluation.metrics import class_probabilities
    from textml.models.registry import make_model

    data = read_dataset(path)
    texts = np.array(data.texts, dtype=object)
    labels = np.array([str(y) for y in data.labels], dtype=object)
    rng = np.random.default_rng(seed)
    dev = _stratified(labels, dev_size / len(labels), rng)
    rest = np.setdiff1d(np.arange(len(labels)), dev)
    pool = rng.choice(rest, size=min(pool_cap, len(rest)), replace=False)
    start = pool[_stratified(labels[pool], seed_share, rng)]
    curves = {}
    for strategy in STRATEGIES:
        labelled = set(start.tolist())
        curve = []
        began = time.monotonic()
        for step in range(rounds + 1):
            chosen = np.array(sorted(labelled))
            model = make_model(pipeline, seed=seed)
            model.fit(list(texts[chosen]), list(labels[chosen]))
            score = f1_score(labels[dev], model.predict(list(texts[dev])), average="macro")
            curve.append((len(chosen), float(score)))
            if step == rounds:
                break
            unlabelled = np.array([i for i in pool if i not in labelled])
            probabilities = class_probabilities(model, list(texts[unlabelled]))
            order = select(probabilities, list(texts[unlabelled]), picks, strategy, seed=seed + step)
            labelled.update(unlabelled[order].tolist())
        curves[strategy] = curve
        print(f"  {name} {strategy}: final macro F1 {curve[-1][1]:.4f} with {curve[-1][0]:,} labels "
              f"({time.monotonic() - began:.0f} s)", file=sys.stderr, flush=True)
    return {"name": name, "rows": len(labels), "pool": len(pool), "dev": len(dev), "seed_labels": len(start),
            "curves": curves}


def labels_to_reach(curve: list, target: float) -> float | None:
    """Labels at which ``curve`` first reaches ``target`` (linear between rounds), or None."""
    for (n0, s0), (n1, s1) in zip([(curve[0][0], -np.inf)] + curve[:-1], curve):
        if s1 >= target:
            if s0 == -np.inf or s1 == s0:
                return float(n1)
            return n0 + (target - s0) / (s1 - s0) * (n1 - n0)
    return None


def summary(result: dict) -> list[dict]:
    random_final = result["curves"]["random"][-1]
    out = []
    for strategy, curve in result["curves"].items():
        needed = labels_to_reach(curve, random_final[1])
        out.append({"strategy": strategy, "final": curve[-1][1], "needed": needed,
                    "share": None if needed is None else needed / random_final[0]})
    return out


def plot(results: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.2))
    for ax, result in zip(np.atleast_1d(axes), results):
        for strategy, curve in result["curves"].items():
            n, s = zip(*curve)
            ax.plot(n, s, marker="o", markersize=3, label=strategy, linestyle="--" if strategy == "random" else "-")
        ax.axhline(result["curves"]["random"][-1][1], color="grey", linewidth=0.6)
        ax.set_title(f"{result['name']}: pool {result['pool']:,}, dev {result['dev']:,}")
        ax.set_xlabel("labelled rows")
        ax.set_ylabel("dev macro F1")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def memory(sizes: list[int]) -> None:
    """Rate and peak RSS of `textml annotate suggest` on pools of ``sizes`` rows."""
    import csv
    import subprocess
    import tempfile

    from textml.models.registry import make_model
    from textml.models.saving import save_model

    with open(REPO / "textml" / "data" / "bundled" / "products.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with tempfile.TemporaryDirectory(prefix="bench-active-") as tmp:
        model = make_model("bow-logreg", seed=0)
        model.fit([r["text"] for r in rows[:5000]], [r["label"] for r in rows[:5000]])
        folder = save_model(model, Path(tmp) / "model", {"model": "bow-logreg"})
        for size in sizes:
            pool = Path(tmp) / f"pool{size}.csv"
            with open(pool, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(["id", "text"])
                for i in range(size):
                    writer.writerow([f"r{i}", f"{rows[i % len(rows)]['text']} {i // len(rows)}"])
            cmd = [sys.executable, "-c", "import sys; from textml.cli import main; main(sys.argv[1:])", "annotate",
                   "suggest", str(pool), "--model", str(folder), "--size", "500", "--strategy", "entropy", "--out",
                   str(Path(tmp) / f"picks{size}.csv"), "--quiet"]
            log = Path(tmp) / "out.txt"
            with open(log, "w") as handle:
                child = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT)
                _, status, usage = os.wait4(child.pid, 0)  # this run's own peak RSS
            if status != 0:
                sys.exit(log.read_text())
            print(f"suggest on {size:>9,} rows: {log.read_text().strip().splitlines()[0]}; peak RSS "
                  f"{usage.ru_maxrss / 1024:,.0f} MB", flush=True)
            pool.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=list(CORPORA))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--picks", type=int, default=200, help="rows labelled per round")
    parser.add_argument("--pool", type=int, default=20000, help="unlabelled pool rows (cap)")
    parser.add_argument("--dev", type=int, default=4000, help="held-out dev rows")
    parser.add_argument("--seed-share", type=float, default=0.02, help="stratified labelled seed, share of the pool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pipeline", default="bow-logreg")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "active_learning.png")
    parser.add_argument("--memory", type=int, nargs="+", default=None, metavar="ROWS",
                        help="instead: time `annotate suggest` on pools of these sizes, with peak RSS")
    args = parser.parse_args()
    if args.memory:
        memory(sorted(args.memory))
        return
    results = []
    for name in args.corpora:
        if not CORPORA[name].exists():
            sys.exit(f"{CORPORA[name]} not found; set TEXTML_SHARED to the folder holding corpora/")
        print(f"{name}: simulating {args.rounds} rounds of {args.picks} picks ...", file=sys.stderr, flush=True)
        results.append(simulate(name, CORPORA[name], args.rounds, args.picks, args.pool, args.dev, args.seed_share,
                                args.seed, args.pipeline))
    for result in results:
        print(f"\n{result['name']} ({result['rows']:,} rows; pool {result['pool']:,}, dev {result['dev']:,}, "
              f"seed {result['seed_labels']:,} labels, {args.pipeline}): dev macro F1 by labelled rows")
        strategies = list(result["curves"])
        print("labels  " + "  ".join(f"{s:>16}" for s in strategies))
        for step in range(len(result["curves"]["random"])):
            n = result["curves"]["random"][step][0]
            print(f"{n:>6}  " + "  ".join(f"{result['curves'][s][step][1]:>16.4f}" for s in strategies))
        random_final = result["curves"]["random"][-1]
        print(f"labels needed to reach random's final {random_final[1]:.4f} ({random_final[0]:,} labels):")
        for row in summary(result):
            needed = "not reached" if row["needed"] is None else f"{row['needed']:,.0f} ({row['share']:.0%})"
            print(f"  {row['strategy']:>16}: {needed}")
    plot(results, args.png)
    print(f"\nplot: {args.png}")


if __name__ == "__main__":
    main()
