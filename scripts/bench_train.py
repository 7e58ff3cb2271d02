"""Benchmark: textml's training overhead vs the bare libraries, and a default compare's wall time.

Prints, on the same data in one run:
- fit seconds of textml's `fasttext` and `bow-svm` pipelines next to bare fastText
  (`fasttext.train_supervised` on a file written the plain way) and a bare scikit-learn
  Pipeline built from the same classes and parameters; the ratio should be at most 1.10;
- a whole `textml train --model bow-svm` process against the fit alone (goal: wall <= fit + 5 s:
  imports, reading, scoring, plots, saving and logging cost at most 5 s);
- the total wall time of `textml compare` with every default pipeline (target: < 5 minutes
  on 2 cores for the Debian corpus) and its ratio to the sum of its fits (goal <= 1.3).

Usage: python scripts/bench_train.py [CORPUS.csv] [--repeats 3] [--skip-compare]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-compare", action="store_true")
    args = parser.parse_args()

    from textml.data.split import load_split, split_file
    from textml.models.fasttext import FastTextClassifier
    from textml.models.registry import make_model

    work = Path(tempfile.mkdtemp(prefix="textml-bench-"))
    split_file(args.corpus, work / "split", dedupe=True)
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

    ours, bare = [], []
    for _ in range(args.repeats):
        ours.append(timed_fit(make_model("bow-svm"), texts, labels))
        bare.append(timed_fit(bare_sklearn_pipeline(make_model("bow-svm")), texts, labels))
    print(f"bow-svm   textml {min(ours):7.2f}s   bare sklearn  {min(bare):7.2f}s   ratio {min(ours) / min(bare):.3f}")

    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}")
    walls, fits = [], []
    for _ in range(args.repeats):
        wall, doc = timed_textml(["train", str(work / "split"), "--model", "bow-svm", "--json"], env)
        walls.append(wall)
        fits.append(doc["fit_seconds"])
    wall, fit = min(walls), min(fits)
    print(f"train bow-svm  whole process {wall:7.2f}s   fit alone {fit:7.2f}s   overhead {wall - fit:5.2f}s "
          f"(goal <= 5 s)   ratio {wall / fit:.2f}")

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
