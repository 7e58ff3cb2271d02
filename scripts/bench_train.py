"""Benchmark: textml's training overhead vs the bare libraries, and a default compare's wall time.

Prints, on the same data in one run:
- fit seconds of textml's `fasttext` and `bow-svm` pipelines next to bare fastText
  (`fasttext.train_supervised` on a file written the plain way) and a bare scikit-learn
  Pipeline built from the same classes and parameters; the ratio should be at most 1.10;
- a whole `textml train --model bow-svm` process against the fit alone (goal: wall <= fit + 5 s:
  imports, reading, scoring, plots, saving and logging cost at most 5 s);
- the total wall time of `textml compare` with every default pipeline (target: < 5 minutes
  on 2 cores for the Debian corpus) and its ratio to the sum of its fits (goal <= 1.3).

With --compare-speed it runs only the default compare, sequentially (`--n-jobs 1`) and in
worker processes (`--n-jobs N`, default every core) in the same run, and prints both wall
times, their ratio (goal: parallel <= 0.5x sequential, <= 110 s on Debian on 2 cores), the
load average before and after, and whether every dev score agrees (to 1e-9). --sample N
benchmarks N random rows of the corpus (for a quick look on a busy machine).

Usage: python scripts/bench_train.py [CORPUS.csv] [--repeats 3] [--skip-compare]
       python scripts/bench_train.py [CORPUS.csv] --compare-speed [--n-jobs 2] [--sample 10000]
Default corpus: ../shared/corpora/debian-packages/debian_packages.csv
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "debian-packages" / "debian_packages.csv"


def bare_fasttext_fit(texts, labels, params: dict) -> float:
    import fasttext

    start = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for text, label in zip(texts, labels):
            handle.write(f"__label__{label.replace(' ', '_')} {' '.join(text.split())}\n")
    fasttext.train_supervised(input=handle.name, verbose=0, **params)
    os.unlink(handle.name)
    return time.perf_counter() - start


def bare_sklearn_pipeline(textml_pipeline):
    """The same steps rebuilt from plain scikit-learn classes with the same parameters."""
    from sklearn.pipeline import Pipeline

    return Pipeline([(name, type(step)(**step.get_params(deep=False))) for name, step in textml_pipeline.steps])


def timed_fit(model, texts, labels) -> float:
    start = time.perf_counter()
    model.fit(texts, labels)
    return time.perf_counter() - start


def timed_textml(args: list[str], env: dict) -> tuple[float, dict]:
    """Wall seconds of a whole `textml ...` process, and its --json output."""
    import json

    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "textml", *args, "--quiet"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        sys.exit(done.returncode)
    return wall, json.loads(done.stdout)


def sample_corpus(corpus: str, rows: int, target: Path, seed: int = 0) -> Path:
    """``rows`` random rows of a CSV corpus, header kept."""
    import csv
    import random

    with open(corpus, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, records = reader.fieldnames, list(reader)
    random.Random(seed).shuffle(records)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records[:rows])
    return target


def compare_speed(split: Path, n_jobs: int, env: dict) -> None:
    """The default compare sequentially and in ``n_jobs`` workers: wall times, ratio, same scores."""
    def load() -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    # create the MLflow store (its schema migrations take seconds) before timing either run
    subprocess.run([sys.executable, "-c", "from textml.tracking import Tracker; Tracker('bench-warmup')"],
                   env=env, check=True)
    print(f"load average before: {load()}")
    runs = {}
    for jobs in (1, n_jobs):
        wall, doc = timed_textml(["compare", str(split), "--json", "--n-jobs", str(jobs),
                                  "--experiment", f"bench-compare-{jobs}"], env)
        runs[jobs] = (wall, doc)
        print(f"compare --n-jobs {jobs}: wall {wall:6.1f}s, sum of fits "
              f"{sum(m['fit_seconds'] for m in doc['models']):6.1f}s, load average now {load()}")
    (seq_wall, seq), (par_wall, par) = runs[1], runs[n_jobs]
    metric = seq["primary_metric"]
    scores = {doc_jobs: {m["name"]: m["dev"] for m in doc["models"]} for doc_jobs, (_, doc) in runs.items()}
    worst, differing = 0.0, []
    for name, dev in scores[1].items():
        other = scores[n_jobs].get(name)
        if other is None:
            differing.append(f"{name} (missing)")
            continue
        gap = max(abs(value - other[key]) for key, value in dev.items() if key in other and value == value)
        worst = max(worst, gap)
        if gap > 1e-9:
            differing.append(f"{name} ({gap:.2g})")
        print(f"  {name:<18} dev {metric} {dev[metric]:.4f} / {other[metric]:.4f}")
    print(f"default compare: sequential {seq_wall:.1f}s, --n-jobs {n_jobs} {par_wall:.1f}s, ratio "
          f"{par_wall / seq_wall:.2f} (goal <= 0.50; <= 110 s on Debian, 2 cores)")
    print("scores agree to 1e-9" if not differing else
          f"scores differ (largest gap {worst:.3g}): {', '.join(differing)}")
    if seq["failures"] != par["failures"]:
        print(f"failures differ: {seq['failures']} vs {par['failures']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument("--compare-speed", action="store_true",
                        help="only the default compare, --n-jobs 1 against --n-jobs N, in the same run")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=None, metavar="N", help="benchmark N random rows")
    args = parser.parse_args()

    from textml.data.split import load_split, split_file
    from textml.models.fasttext import FastTextClassifier
    from textml.models.registry import make_model

    work = Path(tempfile.mkdtemp(prefix="textml-bench-"))
    corpus = sample_corpus(args.corpus, args.sample, work / "sample.csv") if args.sample else args.corpus
    split_file(corpus, work / "split", dedupe=True)  # what `textml data split --dedupe` does
    if args.compare_speed:
        print(f"corpus {args.corpus}{f' ({args.sample:,} rows sampled)' if args.sample else ''}: "
              f"{len(load_split(work / 'split').train):,} training texts, {os.cpu_count()} cores")
        compare_speed(work / "split", args.n_jobs,
                      dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}"))
        print(f"(work folder: {work})")
        return
    split = load_split(work / "split")
    texts, labels = split.train.texts, split.train.labels
    print(f"corpus {args.corpus}: {len(texts):,} training texts, {len(set(labels))} classes, "
          f"{os.cpu_count()} cores, best of {args.repeats}")

    # fastText: textml's estimator vs train_supervised with identical parameters
    textml_ft = make_model("fasttext")
    estimator = textml_ft if isinstance(textml_ft, FastTextClassifier) else textml_ft.steps[-1][1]
    ft_params = estimator._fasttext_args()
    ours, bare = [], []
    for _ in range(args.repeats):  # interleaved so machine noise hits both alike
        ours.append(timed_fit(make_model("fasttext"), texts, labels))
        bare.append(bare_fasttext_fit(texts, labels, ft_params))
    print(f"fasttext  textml {min(ours):7.2f}s   bare fastText {min(bare):7.2f}s   ratio {min(ours) / min(bare):.3f}")

    # bow-svm's fit alone, its bare scikit-learn twin, and whole `textml train` processes, interleaved
    # so machine noise hits all three alike. The process fits while it opens MLflow in a thread, so
    # the fit it reports is slower than a fit alone: the overhead is measured against the fit alone.
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}")
    subprocess.run([sys.executable, "-c", "from textml.tracking import Tracker; Tracker('bench-warmup')"],
                   env=env, check=True)  # the store's schema migrations are a one-off, not train's cost
    ours, bare, walls, fits = [], [], [], []
    for _ in range(args.repeats):
        ours.append(timed_fit(make_model("bow-svm"), texts, labels))
        bare.append(timed_fit(bare_sklearn_pipeline(make_model("bow-svm")), texts, labels))
        wall, doc = timed_textml(["train", str(work / "split"), "--model", "bow-svm", "--json"], env)
        walls.append(wall)
        fits.append(doc["fit_seconds"])
    print(f"bow-svm   textml {min(ours):7.2f}s   bare sklearn  {min(bare):7.2f}s   ratio {min(ours) / min(bare):.3f}"
          f"   (the bare pipeline has no calibration step)")
    wall, fit, inside = min(walls), min(ours), min(fits)
    print(f"train bow-svm  whole process {wall:7.2f}s   fit alone {fit:7.2f}s   overhead {wall - fit:5.2f}s "
          f"(goal <= 5 s)   ratio {wall / fit:.2f}   (fit inside the process {inside:.2f}s)")

    if not args.skip_compare:
        wall, doc = timed_textml(["compare", str(work / "split"), "--json", "--out", str(work / "report")], env)
        fit_sum = sum(m["fit_seconds"] for m in doc["models"])
        for m in doc["models"]:
            print(f"  {m['name']:<18} dev {doc['primary_metric']} {m['dev'][doc['primary_metric']]:.4f}  "
                  f"fit {m['fit_seconds']:6.1f}s  {m['latency_ms_per_1k']:7.1f} ms/1k  {m['size_bytes'] / 1e6:7.2f} MB")
        print(f"default compare, all pipelines: wall {wall:.0f}s ({wall / 60:.1f} min; target < 5 min), "
              f"sum of fits {fit_sum:.0f}s, ratio {wall / fit_sum:.2f} (goal <= 1.3)")
    print(f"(work folder: {work})")


if __name__ == "__main__":
    main()
