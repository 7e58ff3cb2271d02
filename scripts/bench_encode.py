"""Benchmark `textml encode` / `textml predict` against the bare libraries, in one run.

For each encoder, on a generated CSV of product titles (1,000,000 by default):

* engine    - ``encode_file`` (or ``predict_file``) with ``--n-jobs`` workers, wall time of the
              whole job: model load, reading the CSV, encoding, writing the output;
* reference - the bare library in one process on texts already in memory, timing the
              compute loop only (reading the file is not counted against it):
              a Python loop over ``get_sentence_vector`` (fastText: ``fasttext-default`` is textml's
              default classifier, dim 50 without subwords, whose loop is cheap, so the engine's own
              costs show most; ``fasttext`` has dim 100 and 2-5 character n-grams), one ``transform`` call
              (TF-IDF, hashing, a pipeline's feature steps, the embedding vectorizer that
              pools word2vec / ftvec vectors), one ``predict_proba`` (predict);

and prints texts per second, the ratio engine / reference, and the peak memory of each run,
sampled every 0.1 s over the process and its workers: RSS summed (pages that forked
workers share with the main process, such as the model, are counted once per process)
and PSS summed (shared pages divided among the processes sharing them: the memory the
job really holds). Then the memory check: the same peaks for the engine on ``--small``
(100,000) and ``--big`` (5,000,000) titles, and their ratio. CPU seconds (the process and
its workers, start-up included) show how much of a wall-clock ratio a busy machine took;
the CPU-time ratio in brackets is what the same work gives on idle cores: the
reference's compute-loop CPU time times the number of workers, over the engine's whole
CPU time (start-up, reading and writing included, so it errs against the engine).

Each measurement runs in a fresh subprocess. Timings are printed, never asserted: the
machine may be busy (the load average is printed next to the figures).

    python scripts/bench_encode.py                        # everything, ~15 minutes on 2 cores
    python scripts/bench_encode.py --rows 200000 --encoders fasttext,tfidf --no-memory
    python scripts/bench_encode.py --main-reads           # and each case as the engine was before #17.4
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "textml" / "data" / "bundled" / "products.csv"
ENCODERS = ["fasttext-default", "fasttext", "tfidf", "hashing", "word2vec", "ftvec", "model", "predict"]


# --- data and models ------------------------------------------------------------------------


def make_titles(path: Path, rows: int, seed: int = 0) -> Path:
    """``rows`` synthetic titles: 3-12 words drawn from the bundled corpus's titles."""
    if path.exists():
        return path
    with open(BUNDLED, encoding="utf-8", newline="") as handle:
        words = [w for row in csv.DictReader(handle) for w in row["text"].split()]
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(rows):
            writer.writerow([f"t{i:09d}", " ".join(rng.choices(words, k=rng.randint(3, 12)))])
    os.replace(tmp, path)
    return path


def make_models(folder: Path) -> dict[str, str]:
    """Models trained on the bundled corpus: textml's default fastText classifier (dim 50, no
    subwords, word bigrams), fastText with subwords (dim 100, 2-5 character n-grams), TF-IDF +
    logistic regression (a model folder), word2vec and gensim FastText vectors (dim 100)."""
    import fasttext
    import pandas as pd
    from gensim.models import FastText, Word2Vec
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from textml.models.saving import save_model
    from textml.text.tokenize import tokenize

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"fasttext": folder / "fasttext.bin", "fasttext-default": folder / "fasttext-default.bin",
             "lr": folder / "bow-logreg", "w2v": folder / "w2v.kv",
             "ftvec": folder / "ftvec.model"}
    if all(p.exists() for p in paths.values()):
        return {k: str(v) for k, v in paths.items()}
    data = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False)
    train = folder / "train.txt"
    train.write_text("".join(f"__label__{l} {' '.join(t.split())}\n" for t, l in zip(data.text, data.label)),
                     encoding="utf-8")
    fasttext.train_supervised(str(train), dim=100, epoch=5, minn=2, maxn=5, wordNgrams=2, thread=2,
                              verbose=0).save_model(str(paths["fasttext"]))
    from textml.models.fasttext import FastTextClassifier

    # textml's own defaults (what `textml train --model fasttext` fits), saved as its native .bin
    FastTextClassifier(thread=2).fit(data.text, data.label).model_.save_model(str(paths["fasttext-default"]))
    pipeline = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
                         ("clf", LogisticRegression(max_iter=300))]).fit(data.text, data.label)
    save_model(pipeline, paths["lr"], {"model": "bow-logreg"}, force=True)
    sentences = [tokenize(t) for t in data.text]
    Word2Vec(sentences, vector_size=100, min_count=2, epochs=5, seed=0, workers=2).wv.save(str(paths["w2v"]))
    FastText(sentences, vector_size=100, min_count=2, epochs=5, seed=0, workers=2).save(str(paths["ftvec"]))
    return {k: str(v) for k, v in paths.items()}


def spec_for(name: str, models: dict) -> tuple[str, str]:
    """(encoder spec or model, output file name) of a benchmark case."""
    return {
        "fasttext": (f"fasttext:{models['fasttext']}", "out.npy"),
        "fasttext-default": (f"fasttext:{models['fasttext-default']}", "out.npy"),
        "tfidf": (f"tfidf:{models['lr']}", "out.npz"),
        "hashing": ("hashing", "out.npz"),
        "word2vec": (f"word2vec:{models['w2v']}", "out.npy"),
        "ftvec": (f"ftvec:{models['ftvec']}", "out.npy"),
        "model": (f"model:{models['lr']}", "out.npz"),
        "predict": (models["lr"], "out.parquet"),
    }[name]


# --- the measured work (run in a child process) -----------------------------------------------


def measure_engine(args: dict) -> dict:
    from textml.encoding import encode_file, predict_file

    out = Path(args["out"])
    start = time.perf_counter()
    if args["name"] == "predict":
        result = predict_file(args["spec"], args["input"], out, top_k=3, n_jobs=args["jobs"], force=True,
                              progress=False)
    else:
        result = encode_file(args["input"], args["spec"], out, n_jobs=args["jobs"], force=True, progress=False)
    seconds = time.perf_counter() - start
    for path in result.outputs:
        Path(path).unlink()
    return {"rows": result.rows, "seconds": seconds}


def measure_reference(args: dict) -> dict:
    import numpy as np
    import pandas as pd

    texts = pd.read_csv(args["input"], dtype=str, keep_default_na=False)["text"].tolist()
    name, models = args["name"], args["models"]
    cpu_start = time.process_time()
    if name in ("fasttext", "fasttext-default"):
        import fasttext

        model = fasttext.load_model(models[name])
        start = time.perf_counter()
        vectors = [model.get_sentence_vector(t) for t in texts]
        seconds = time.perf_counter() - start
        np.vstack(vectors)
    elif name in ("tfidf", "model", "predict"):
        from textml.models.saving import load_model

        pipeline = load_model(models["lr"])[0]
        step = {"tfidf": pipeline.named_steps["tfidf"], "model": pipeline[:-1], "predict": pipeline}[name]
        start = time.perf_counter()
        step.predict_proba(texts) if name == "predict" else step.transform(texts)
        seconds = time.perf_counter() - start
    elif name == "hashing":
        from sklearn.feature_extraction.text import HashingVectorizer

        start = time.perf_counter()
        HashingVectorizer().transform(texts)
        seconds = time.perf_counter() - start
    else:  # word2vec, ftvec: the embedding vectorizer's transform over the same vectors
        from gensim.models import FastText, KeyedVectors

        from textml.encoding.encoders import pooled_vectors

        kv = KeyedVectors.load(models["w2v"]) if name == "word2vec" else FastText.load(models["ftvec"]).wv
        vectorizer = pooled_vectors(kv)
        start = time.perf_counter()
        vectorizer.transform(texts)
        seconds = time.perf_counter() - start
    return {"rows": len(texts), "seconds": seconds, "compute_cpu": time.process_time() - cpu_start}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the engine's workers)."""
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_measured(kind: str, args: dict) -> dict:
    """Run one measurement in a fresh process; add the peak RSS of its process tree."""
    import psutil

    env = {**os.environ, "TEXTML_ENCODE_PIECES": "0"} if args.get("main_reads") else None
    child = subprocess.Popen([sys.executable, __file__, "--measure", kind, json.dumps(args)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak_rss = peak_pss = 0
    while child.poll() is None:
        rss = pss = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.1)
    out, err = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"{kind} {args.get('name')} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak_rss / 2**20
    result["peak_pss_mb"] = peak_pss / 2**20
    return result


# --- the report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="titles in the speed benchmark")
    parser.add_argument("--small", type=int, default=100_000, help="titles in the small memory run")
    parser.add_argument("--big", type=int, default=5_000_000, help="titles in the big memory run")
    parser.add_argument("--encoders", default=",".join(ENCODERS), help="comma-separated: " + ", ".join(ENCODERS))
    parser.add_argument("--memory-encoders", default="fasttext,tfidf", help="encoders of the memory check")
    parser.add_argument("--jobs", type=int, default=None, help="engine workers (default: all cores)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 100k vs 5M memory check")
    parser.add_argument("--main-reads", action="store_true",
                        help="also run each engine case with the main process reading the input (the engine "
                             "before workers read their own pieces), for a before/after in one run")
    parser.add_argument("--workdir", default=None, help="where data and models go (kept between runs)")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        kind, args = options.measure
        result = (measure_engine if kind == "engine" else measure_reference)(json.loads(args))
        result["cpu_seconds"] = cpu_seconds()
        print(json.dumps(result))
        return

    from textml.encoding.jobs import default_jobs

    jobs = options.jobs or default_jobs()
    work = Path(options.workdir or Path(tempfile.gettempdir()) / "textml-bench-encode")
    work.mkdir(parents=True, exist_ok=True)
    print(f"# textml encode benchmark: {os.cpu_count()} cores, {jobs} workers, "
          f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    models = make_models(work / "models")
    data = make_titles(work / f"titles_{options.rows}.csv", options.rows)
    print(f"# {options.rows:,} titles in {data} ({data.stat().st_size / 2**20:.0f} MiB)\n", flush=True)
    print("| encoder | engine texts/s | reference texts/s | ratio (CPU-time ratio) | engine peak RSS / PSS "
          "| reference peak RSS | CPU s engine / reference (compute) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for name in options.encoders.split(","):
        spec, out = spec_for(name, models)
        args = {"name": name, "spec": spec, "input": str(data), "out": str(work / out), "jobs": jobs,
                "models": models}
        engine = run_measured("engine", args)
        reference = run_measured("reference", args)
        rate_engine = engine["rows"] / engine["seconds"]
        rate_reference = reference["rows"] / reference["seconds"]
        rows.append({"encoder": name, "engine": engine, "reference": reference})
        # what the same CPU work gives on two otherwise idle cores: the engine's whole CPU time
        # (start-up, reading and writing included) spread over `jobs` cores, against the
        # reference's compute loop alone
        cpu_ratio = reference["compute_cpu"] * min(jobs, os.cpu_count() or 1) / engine["cpu_seconds"]
        print(f"| {name} | {rate_engine:,.0f} | {rate_reference:,.0f} | {rate_engine / rate_reference:.2f}x "
              f"({cpu_ratio:.2f}x) | "
              f"{engine['peak_rss_mb']:,.0f} / {engine['peak_pss_mb']:,.0f} MiB | "
              f"{reference['peak_rss_mb']:,.0f} MiB | {engine['cpu_seconds']:.1f} / {reference['cpu_seconds']:.1f} "
              f"({reference['compute_cpu']:.1f}) |", flush=True)
        if options.main_reads:
            before = run_measured("engine", {**args, "main_reads": True})
            rate_before = before["rows"] / before["seconds"]
            cpu_before = reference["compute_cpu"] * min(jobs, os.cpu_count() or 1) / before["cpu_seconds"]
            print(f"| {name}, main process reads | {rate_before:,.0f} | {rate_reference:,.0f} | "
                  f"{rate_before / rate_reference:.2f}x ({cpu_before:.2f}x) | {before['peak_rss_mb']:,.0f} / "
                  f"{before['peak_pss_mb']:,.0f} MiB | | {before['cpu_seconds']:.1f} / |", flush=True)
        if name.startswith("fasttext") and jobs > 1:
            one = run_measured("engine", {**args, "jobs": 1})
            rate_one = one["rows"] / one["seconds"]
            cpu_one = reference["compute_cpu"] / one["cpu_seconds"]
            print(f"| {name}, 1 worker | {rate_one:,.0f} | {rate_reference:,.0f} | "
                  f"{rate_one / rate_reference:.2f}x ({cpu_one:.2f}x) | {one['peak_rss_mb']:,.0f} / "
                  f"{one['peak_pss_mb']:,.0f} MiB | | {one['cpu_seconds']:.1f} / |", flush=True)
    print(f"\n# load average {os.getloadavg()[0]:.1f} at the end of the speed runs", flush=True)
    if options.no_memory:
        return
    small = make_titles(work / f"titles_{options.small}.csv", options.small)
    big = make_titles(work / f"titles_{options.big}.csv", options.big)
    print(f"\n| encoder | peak RSS / PSS, {options.small:,} titles | peak RSS / PSS, {options.big:,} titles | "
          f"ratio RSS / PSS | texts/s on {options.big:,} |")
    print("|---|---:|---:|---:|---:|")
    for name in options.memory_encoders.split(","):
        spec, out = spec_for(name, models)
        base = {"name": name, "spec": spec, "out": str(work / out), "jobs": jobs, "models": models}
        low = run_measured("engine", {**base, "input": str(small)})
        high = run_measured("engine", {**base, "input": str(big)})
        print(f"| {name} | {low['peak_rss_mb']:,.0f} / {low['peak_pss_mb']:,.0f} MiB | "
              f"{high['peak_rss_mb']:,.0f} / {high['peak_pss_mb']:,.0f} MiB | "
              f"{high['peak_rss_mb'] / low['peak_rss_mb']:.2f}x / {high['peak_pss_mb'] / low['peak_pss_mb']:.2f}x | "
              f"{high['rows'] / high['seconds']:,.0f} |", flush=True)
    print(f"\n# load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
