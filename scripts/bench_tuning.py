"""Benchmark (issue #17 item 2): what `compare --tune-top K --budget MINUTES` adds on the shared corpora.

For each shared single-label corpus (SMS spam, Debian packages, Instacart products; skipped
with a message when ``../shared`` is absent): split it the textml way (the same split as
``scripts/bench_defaults.py``: ``split_file(..., dedupe=True)``, 80/10/10, seed 0, the whole
training set), run the default compare with budgeted tuning exactly as a user runs it::

    textml compare SPLIT --tune-top K --budget MINUTES --json

(every core, every default pipeline, a fresh SQLite store), and print, per corpus: the best
default pipeline and its dev score, the best tuned one and its dev score, the gain in points,
the wall time of the whole command, and, on the same split, the plain references of
``bench_defaults.py`` (TF-IDF + LinearSVC, char_wb 2-5 + LinearSVC, TF-IDF + ComplementNB,
bare fastText). Timings are printed, never asserted: check the load average (printed).

    python scripts/bench_tuning.py                                # ~30 min on 2 cores
    python scripts/bench_tuning.py --corpora instacart-products --budget 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_defaults as defaults  # the split and the references of the defaults study

SHARED_CORPORA = ["sms-spam", "debian-packages", "instacart-products"]


def run_compare(folder: Path, workdir: Path, tune_top: int, budget: float) -> tuple[dict, float]:
    store = f"sqlite:///{workdir / 'mlflow.db'}"
    command = [sys.executable, "-m", "textml", "compare", str(folder), "--tune-top", str(tune_top),
               "--budget", str(budget), "--json", "--tracking-uri", store]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"compare failed on {folder}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout), seconds


def references(train_texts, train_labels, dev_texts, dev_labels) -> dict[str, float]:
    fitter = defaults.Fitter(train_texts, train_labels, dev_texts)
    scores = {}
    for variant in defaults.REFERENCES:
        predicted, _ = fitter.run(defaults.build(variant, "single"))  # a reference: its plain Pipeline
        scores[variant.name] = defaults.primary(train_labels, dev_labels, predicted)[0]
    predicted, _ = fitter.run_fasttext()
    scores[defaults.FASTTEXT_REF.name] = defaults.primary(train_labels, dev_labels, predicted)[0]
    return scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=",".join(SHARED_CORPORA), help="comma-separated corpus names")
    parser.add_argument("--tune-top", type=int, default=2, help="pipelines tuned after the default round")
    parser.add_argument("--budget", type=float, default=10.0, help="tuning budget in minutes, per corpus")
    parser.add_argument("--workdir", default=None, help="where splits and stores go (default: a temporary folder)")
    args = parser.parse_args(argv)

    wanted = args.corpora.split(",")
    corpora = [c for c in defaults.CORPORA if c.name in wanted]
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for corpus in corpora:
            if corpus.path is not None and not corpus.path.exists():
                print(f"{corpus.name}: skipped, {corpus.path} is absent", file=sys.stderr)
                continue
            texts = defaults.load_corpus(corpus, 0, workdir, full=True)
            refs = references(*texts)
            store = workdir / f"{corpus.name}-store"
            store.mkdir(exist_ok=True)
            outcome, seconds = run_compare(workdir / f"{corpus.name}-split0", store, args.tune_top, args.budget)
            metric = outcome["primary_metric"]
            results = outcome["models"]
            defaults_only = [r for r in results if not r["tuned"]]
            tuned = [r for r in results if r["tuned"]]
            best_default = max(defaults_only, key=lambda r: r["dev"][metric])
            best = max(results, key=lambda r: r["dev"][metric])
            rows.append({"corpus": corpus.name, "metric": metric, "refs": refs, "best_default": best_default,
                         "best": best, "tuned": tuned, "seconds": seconds,
                         "tunings": outcome["tuning"]})
            print(f"{corpus.name}: {best_default['name']} {best_default['dev'][metric]:.4f} -> "
                  f"{best['name']} {best['dev'][metric]:.4f} in {seconds:.0f} s "
                  f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}", file=sys.stderr)

    names = [v.name for v in defaults.REFERENCES] + [defaults.FASTTEXT_REF.name]
    print("| corpus | metric | " + " | ".join(names) + " | best default | best after tuning | gain (points) "
          "| wall s |")
    print("|---" * (len(names) + 6) + "|")
    for row in rows:
        metric, default, best = row["metric"], row["best_default"], row["best"]
        gain = 100 * (best["dev"][metric] - default["dev"][metric])
        print(f"| {row['corpus']} | {metric} | " + " | ".join(f"{row['refs'][n]:.4f}" for n in names)
              + f" | {default['name']} {default['dev'][metric]:.4f} | {best['name']} {best['dev'][metric]:.4f} "
                f"| {gain:+.2f} | {row['seconds']:.0f} |")
    for row in rows:
        for tuning in row["tunings"]:
            print(f"{row['corpus']}: {json.dumps(tuning)[:400]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
