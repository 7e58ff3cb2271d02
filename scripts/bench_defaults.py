"""Benchmark (issue #17 item 1): do the bag-of-words defaults hold on every kind of short text?

For each corpus, fits variants of textml's single-label bag-of-words pipelines (mainly
``bow-char-svm``, also ``bow-svm`` and ``bow-logreg``; each variant is the registry pipeline
plus ``set_params`` overrides, so a winner maps 1:1 to a default in
textml/models/pipelines.py) and the plain scikit-learn pipelines a user would write in five
minutes (the references), and prints one table: dev score per corpus (the primary metric
textml picks: F1 of the minority class for binary, macro-F1 for multi-class), then per
variant the WORST shortfall against the best reference of each corpus (the choosing
criterion), the mean shortfall, and fit seconds.

Corpora: ../shared/corpora (sms-spam, debian-packages, instacart-products; skipped with a
message when absent), the bundled products.csv and products_binary.csv, and four generated
ones (seeded, deterministic; see the ``gen_*`` functions): product titles carrying codes and
model numbers, German/French-like titles with accents and compounds, 150 classes with few
rows each, and long documents. Every corpus is split the textml way (``split_file(...,
dedupe=True)``, 80/10/10 stratified; test is never read). Corpora with fewer than
``--small`` training rows are split with ``--small-seeds`` split seeds and their scores
averaged (their dev sets are small, so one split is noisy).

Cost: a variant's pipeline is ``FeatureUnion(vectorizers) -> classifier``. Each distinct
vectorizer is fitted once per corpus and split and its matrix shared by every variant
that uses it (same parameters = same matrix), then weighted and stacked as FeatureUnion
does; the classifier is fitted per variant. Fit seconds = the variant's vectorizers'
fit_transform seconds + its classifier's fit seconds (on the training rows; dev transform
and predict are not counted), without the registry SVMs' temperature calibration, which
does not change ``predict`` (so neither the score). ``--real`` fits the registry pipelines
themselves instead (calibration included: slower, the honest fit time, the same scores).

BLAS/OpenMP are limited to one thread (set before numpy is imported) unless the caller
set the variables; every fit is sequential.

Usage (from the repo root):
    .venv/bin/python scripts/bench_defaults.py                      # everything, Debian subsampled
    .venv/bin/python scripts/bench_defaults.py --corpora sms-spam,gen-codes --variants char
    .venv/bin/python scripts/bench_defaults.py --corpora debian-packages --full --real \\
        --variants "char default,char wb25 C=1"
    .venv/bin/python scripts/bench_defaults.py --list
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "corpora"
BUNDLED = REPO / "textml" / "data" / "bundled"

# ------------------------------------------------------------------------------ corpora


@dataclass
class Corpus:
    name: str
    what: str
    path: Path | None = None  # a CSV with text,label columns
    generate: object = None  # or a function(seed) -> list of (text, label)
    max_train: int | None = None  # subsample the training rows to this many (None: all)


def _syllables(rng: random.Random, parts, n_min=2, n_max=3):
    return "".join(rng.choice(parts) for _ in range(rng.randint(n_min, n_max)))


def _words(rng: random.Random, n, parts, n_min=2, n_max=3):
    out, seen = [], set()
    while len(out) < n:
        w = _syllables(rng, parts, n_min, n_max)
        if w not in seen and len(w) > 2:
            seen.add(w)
            out.append(w)
    return out


EN_PARTS = ["ba", "co", "de", "ri", "to", "pa", "ne", "li", "mo", "sta", "gra", "fle", "tor", "ven", "lux",
            "pro", "max", "ka", "zen", "ul", "tra", "mi", "cro", "sen", "vo", "ly", "ex", "ar", "ton", "es"]
DE_PARTS = ["kü", "chen", "gar", "ten", "schl", "auch", "mes", "ser", "bü", "ro", "stuhl", "lam", "pe", "wä",
            "sche", "ké", "lè", "fö", "hn", "strö", "ße", "bett", "tisch", "spie", "gel", "flü", "gel", "sei",
            "fe", "gläs", "er", "rè", "ve", "cré", "me", "tas", "se", "hau", "bürs", "te", "kis", "sen"]
DE_GLUE = ["mit", "für", "und", "aus", "ohne", "avec", "pour", "de", "la", "le", "sans", "nouveau", "neu",
           "groß", "petit", "schwarz", "weiß", "blanc", "noir", "rouge", "rot", "grün", "vert", "bleu", "blau"]
DE_ENDINGS = ["", "", "", "en", "er", "es", "e", "s", "n"]


def _noisy(rows, labels, rng, share):
    """Replace the label of ``share`` of the rows by a random other label (label noise)."""
    out = []
    for text, label in rows:
        if rng.random() < share:
            label = rng.choice(labels)
        out.append((text, label))
    return out


def gen_codes(seed=0, n=6000, n_classes=25):
    """Product titles whose model numbers carry the category: 'Zenvo KX3481B torli 500ml'.

    Each class draws three code prefixes from a pool of 30 (so classes share prefixes) and
    has a digit series that starts 60% of its codes; codes are glued to the prefix half the
    time ('KX3481B', else 'KX-3481B'), so whole-word features rarely see the same code twice.
    Words come from a per-class list (overlapping) and a shared pool; 45% of titles carry no
    class word; 5% label noise."""
    rng = random.Random(seed)
    vocab = _words(rng, 400, EN_PARTS)
    shared, pool = vocab[:120], vocab[120:]
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    prefixes = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 3))) for _ in range(30)]
    brands = [w.capitalize() for w in _words(rng, 40, EN_PARTS)]
    labels = [f"cat{i:02d}" for i in range(n_classes)]
    classes = []
    for label in labels:
        own = rng.sample(pool, 10)
        codes = rng.sample(prefixes, 3)
        classes.append((label, own, codes, rng.randint(1, 9)))
    units = ["500ml", "1L", "2pk", "XL", "16GB", "32GB", "10m", "3-pack", "v2", "Pro", "Mini"]
    rows = []
    for _ in range(n):
        label, own, codes, series = rng.choice(classes)
        digits = f"{series}{rng.randint(0, 999):03d}" if rng.random() < 0.6 else f"{rng.randint(1000, 9999)}"
        code = rng.choice(codes) + ("" if rng.random() < 0.5 else "-") + digits + rng.choice(["", "", "X", "B", "S"])
        words = [rng.choice(shared) for _ in range(rng.randint(1, 3))]
        if rng.random() > 0.45:
            words.insert(rng.randint(0, len(words)), rng.choice(own))
        parts = [rng.choice(brands), code, *words]
        if rng.random() < 0.5:
            parts.append(rng.choice(units))
        rows.append((" ".join(parts), label))
    return _noisy(rows, labels, rng, 0.05)


def gen_german(seed=0, n=6000, n_classes=20):
    """German/French-like product titles: compounds of a class stem and shared stems with
    inflected endings and accents (40% of class words are a bare stem with an ending), accents
    transliterated in 15% of titles (ü -> ue), glue words, 20% of class stems borrowed from
    another class; 5% label noise."""
    rng = random.Random(seed + 1)
    stems = _words(rng, 200, DE_PARTS, 1, 2)
    shared, pool = stems[:80], stems[80:]
    labels = [f"kategorie-{i:02d}" for i in range(n_classes)]
    own = {label: rng.sample(pool, 6) for label in labels}
    translit = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})
    rows = []
    for _ in range(n):
        label = rng.choice(labels)
        words = []
        for _ in range(rng.randint(1, 2)):
            source = label if rng.random() > 0.2 else rng.choice(labels)
            n_shared = 0 if rng.random() < 0.4 else rng.randint(1, 2)
            parts = [rng.choice(own[source])] + [rng.choice(shared) for _ in range(n_shared)]
            rng.shuffle(parts)
            words.append("".join(parts) + rng.choice(DE_ENDINGS))
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(DE_GLUE + shared))
        text = " ".join(w.capitalize() if rng.random() < 0.6 else w for w in words)
        if rng.random() < 0.15:
            text = text.translate(translit)
        rows.append((text, label))
    return _noisy(rows, labels, rng, 0.05)


def gen_many(seed=0, n_classes=150):
    """150 classes with 8-70 rows each (long tail), short texts (3-8 words): 2-3 words from
    the class's 8 signature words (drawn from a shared mid-frequency pool, so classes
    overlap) plus Zipf-distributed background words; 3% label noise."""
    rng = random.Random(seed + 2)
    vocab = _words(rng, 3000, EN_PARTS, 2, 4)
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    np_rng = np.random.default_rng(seed + 2)
    labels = [f"class-{i:03d}" for i in range(n_classes)]
    signatures = {label: rng.sample(vocab[100:1100], 8) for label in labels}
    rows = []
    for label in labels:
        for _ in range(int(8 + 62 * rng.random() ** 2)):
            words = rng.sample(signatures[label], rng.randint(2, 3))
            background = np_rng.choice(len(vocab), size=rng.randint(1, 5), p=weights / weights.sum())
            words += [vocab[i] for i in background]
            rng.shuffle(words)
            rows.append((" ".join(words), label))
    rng.shuffle(rows)
    return _noisy(rows, labels, rng, 0.03)


def gen_long(seed=0, n=3000, n_classes=10):
    """Long documents (150-400 words, news-like): each class a topic of 150 words over a
    5,000-word vocabulary (topics overlap); a document mixes its class topic (12-30%), a
    second class's topic (10%) and Zipf background words; 3% label noise."""
    rng = random.Random(seed + 3)
    np_rng = np.random.default_rng(seed + 3)
    vocab = np.array(_words(rng, 5000, EN_PARTS, 1, 4))
    background = 1.0 / np.arange(1, len(vocab) + 1)
    background /= background.sum()
    labels = [f"topic-{i}" for i in range(n_classes)]
    topics = [np_rng.choice(np.arange(200, 2200), size=150, replace=False) for _ in labels]
    rows = []
    for _ in range(n):
        k = int(np_rng.integers(n_classes))
        other = int(np_rng.integers(n_classes))
        length = int(np_rng.integers(150, 401))
        share = np_rng.uniform(0.12, 0.30)
        source = np_rng.random(length)
        ids = np_rng.choice(len(vocab), size=length, p=background)
        mine = source < share
        ids[mine] = np_rng.choice(topics[k], size=int(mine.sum()))
        theirs = (source >= share) & (source < share + 0.10)
        ids[theirs] = np_rng.choice(topics[other], size=int(theirs.sum()))
        words = list(vocab[ids])
        for i in range(0, len(words), int(np_rng.integers(12, 25))):  # sentences
            words[i] = words[i].capitalize()
        rows.append((" ".join(words) + ".", labels[k]))
    return _noisy(rows, labels, rng, 0.03)


CORPORA = [
    Corpus("sms-spam", "SMS, binary (spam 13%)", SHARED / "sms-spam" / "sms_spam.csv"),
    Corpus("debian-packages", "package one-liners, 58 classes", SHARED / "debian-packages" / "debian_packages.csv",
           max_train=15000),
    Corpus("instacart-products", "grocery product names, 20 classes",
           SHARED / "instacart-products" / "instacart_products.csv"),
    Corpus("products", "bundled product titles, 16 classes", BUNDLED / "products.csv"),
    Corpus("products-binary", "bundled titles, binary (electronics 15%)", BUNDLED / "products_binary.csv"),
    Corpus("gen-codes", "generated: titles with model numbers, 25 classes", generate=gen_codes),
    Corpus("gen-german", "generated: German/French-like compounds, 20 classes", generate=gen_german),
    Corpus("gen-many", "generated: 150 classes, 8-70 rows each", generate=gen_many),
    Corpus("gen-long", "generated: documents of 150-400 words, 10 classes", generate=gen_long),
]

# ------------------------------------------------------------------------------ variants


@dataclass
class Variant:
    name: str
    base: str | None  # registry name, or None for a plain reference
    params: dict
    reference: object = None  # for references: a function() -> unfitted scikit-learn Pipeline


def _ref_word_svc():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    return Pipeline([("tfidf", TfidfVectorizer()), ("clf", LinearSVC())])


def _ref_char_svc():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    return Pipeline([("tfidf", chars), ("clf", LinearSVC())])


def _ref_word_cnb():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", TfidfVectorizer()), ("clf", ComplementNB())])


def char(ngram=(3, 5), analyzer="char_wb", min_df=2, C=0.5, class_weight=None, words=1.0, chars=1.0):
    """Every bow-char-svm setting studied, spelled out (so a variant does not move when the
    registry default does); the defaults here are the registry's before #17 (3-5 grams within
    words, min_df 2, C=0.5, no class weights, word block at weight 1)."""
    params = {"features__char__ngram_range": ngram, "features__char__analyzer": analyzer,
              "features__char__min_df": min_df, "clf__C": C, "clf__class_weight": class_weight}
    if words == 0:
        params["features__word"] = "drop"
    weights = {name: w for name, w in (("word", words), ("char", chars)) if w not in (0, 1.0)}
    params["features__transformer_weights"] = weights or None
    return params


WB25 = dict(ngram=(2, 5))
BAL = dict(class_weight="balanced")
# Round 1: C probed on 3-5 and 2-5 grams; analyzer, n-gram range, min_df and class weights one
# at a time around "wb25" (2-5 grams at C=0.5). Round 2: class weights combined with the rest.
# Round 3: balanced with more C (the full Debian corpus lost 2 points with balanced at C=0.5).
VARIANTS = [
    Variant("char default", "bow-char-svm", {}),  # whatever the registry has now
    Variant("char old default", "bow-char-svm", char()),
    Variant("char C=1", "bow-char-svm", char(C=1.0)),
    Variant("char wb25", "bow-char-svm", char(**WB25)),
    Variant("char wb25 C=1", "bow-char-svm", char(**WB25, C=1.0)),
    Variant("char wb25 words x0.5", "bow-char-svm", char(**WB25, words=0.5)),
    Variant("char wb25 C=1 words x0.5", "bow-char-svm", char(**WB25, C=1.0, words=0.5)),
    Variant("char wb25 C=1 no words", "bow-char-svm", char(**WB25, C=1.0, words=0)),
    Variant("char wb25 balanced", "bow-char-svm", char(**WB25, **BAL)),
    Variant("char wb14", "bow-char-svm", char(ngram=(1, 4))),
    Variant("char char25", "bow-char-svm", char(**WB25, analyzer="char")),
    Variant("char wb25 min_df1", "bow-char-svm", char(**WB25, min_df=1)),
    Variant("char balanced", "bow-char-svm", char(**BAL)),
    Variant("char wb25 C=1 balanced", "bow-char-svm", char(**WB25, C=1.0, **BAL)),
    Variant("char wb14 balanced", "bow-char-svm", char(ngram=(1, 4), **BAL)),
    Variant("char wb25 min_df1 balanced", "bow-char-svm", char(**WB25, min_df=1, **BAL)),
    Variant("char wb25 C=2 balanced", "bow-char-svm", char(**WB25, C=2.0, **BAL)),
    Variant("char wb25 C=1 balanced chars x0.5", "bow-char-svm", char(**WB25, C=1.0, chars=0.5, **BAL)),
    Variant("svm default", "bow-svm", {}),
    Variant("svm C=0.5", "bow-svm", {"clf__C": 0.5}),
    Variant("svm balanced", "bow-svm", {"clf__class_weight": "balanced"}),
    Variant("logreg default", "bow-logreg", {}),
]
REFERENCES = [
    Variant("ref tfidf+svc", None, {}, _ref_word_svc),
    Variant("ref char_wb25+svc", None, {}, _ref_char_svc),
    Variant("ref tfidf+cnb", None, {}, _ref_word_cnb),
]
FASTTEXT_REF = Variant("ref fasttext", None, {})  # bare fastText (--fasttext)


def build(variant: Variant, task: str):
    if variant.reference is not None:
        return variant.reference()
    from textml.models.registry import make_model

    return make_model(variant.base, seed=0, task=task).set_params(**variant.params)


# ------------------------------------------------------------------------------ fitting


def _key(vectorizer) -> str:
    return type(vectorizer).__name__ + repr(sorted(vectorizer.get_params(deep=False).items()))


def _blocks(pipeline):
    """[(vectorizer, weight)] and the classifier of a ``features -> clf`` pipeline."""
    from sklearn.pipeline import FeatureUnion

    steps = [step for _, step in pipeline.steps]
    if len(steps) != 2:
        raise ValueError(f"expected a features -> classifier pipeline, got {len(steps)} steps")
    features, clf = steps
    if isinstance(features, FeatureUnion):
        weights = features.transformer_weights or {}
        parts = [(vec, weights.get(name, 1.0)) for name, vec in features.transformer_list
                 if vec not in ("drop", None)]
    else:
        parts = [(features, 1.0)]
    return parts, clf


class Fitter:
    """Fits variants on one split, sharing each distinct vectorizer's matrices."""

    def __init__(self, train_texts, train_labels, dev_texts):
        self.train_texts, self.train_labels, self.dev_texts = train_texts, train_labels, dev_texts
        self.cache: dict[str, tuple] = {}

    def features(self, vectorizer):
        from sklearn.base import clone

        key = _key(vectorizer)
        if key not in self.cache:
            vec = clone(vectorizer)
            start = time.process_time()
            x_train = vec.fit_transform(self.train_texts)
            seconds = time.process_time() - start
            self.cache[key] = (x_train, vec.transform(self.dev_texts), seconds)
        return self.cache[key]

    def run(self, pipeline):
        """(dev predictions, fit CPU seconds)."""
        import scipy.sparse as sp
        from sklearn.base import clone

        parts, clf = _blocks(pipeline)
        trains, devs, seconds = [], [], 0.0
        for vec, weight in parts:
            x_train, x_dev, s = self.features(vec)
            trains.append(x_train * weight if weight != 1.0 else x_train)
            devs.append(x_dev * weight if weight != 1.0 else x_dev)
            seconds += s
        start = time.process_time()
        x_train = sp.hstack(trains).tocsr() if len(trains) > 1 else trains[0]
        clf = clone(clf).fit(x_train, self.train_labels)
        seconds += time.process_time() - start
        x_dev = sp.hstack(devs).tocsr() if len(devs) > 1 else devs[0]
        return clf.predict(x_dev), seconds

    def run_real(self, pipeline):
        start = time.process_time()
        pipeline.fit(self.train_texts, self.train_labels)
        seconds = time.process_time() - start
        import pickle

        print(f"    fitted pipeline: {len(pickle.dumps(pipeline)) / 1e6:.1f} MB pickled", file=sys.stderr)
        return pipeline.predict(self.dev_texts), seconds

    def run_fasttext(self):
        import fasttext

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
            for text, label in zip(self.train_texts, self.train_labels):
                handle.write(f"__label__{label.replace(' ', '_')} {' '.join(text.split())}\n")
        start = time.process_time()
        model = fasttext.train_supervised(input=handle.name, verbose=0, thread=1, epoch=25, lr=0.5, wordNgrams=2)
        seconds = time.process_time() - start
        os.unlink(handle.name)
        back = {label.replace(" ", "_"): label for label in set(self.train_labels)}
        predicted = [back[labels[0][len("__label__"):]]
                     for labels in model.predict([" ".join(t.split()) for t in self.dev_texts])[0]]
        return np.array(predicted, dtype=object), seconds


# ------------------------------------------------------------------------------ running


def load_corpus(corpus: Corpus, split_seed: int, workdir: Path, full: bool):
    from textml.data.split import load_split, split_file

    source = corpus.path
    if corpus.generate is not None:
        source = workdir / f"{corpus.name}.csv"
        if not source.exists():
            with open(source, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["text", "label"])
                writer.writerows(corpus.generate(0))
    folder = workdir / f"{corpus.name}-split{split_seed}"
    split_file(source, folder, seed=split_seed, dedupe=True)
    split = load_split(folder)
    train_texts, train_labels = list(split.train.texts), list(split.train.labels)
    if corpus.max_train and not full and len(train_texts) > corpus.max_train:
        keep = np.sort(np.random.default_rng(split_seed).choice(len(train_texts), corpus.max_train, replace=False))
        train_texts = [train_texts[i] for i in keep]
        train_labels = [train_labels[i] for i in keep]
    return train_texts, train_labels, list(split.dev.texts), list(split.dev.labels)


def primary(train_labels, dev_labels, predicted):
    from textml.evaluation.metrics import choose_metric, single_label_scores

    choice = choose_metric(train_labels)
    scores = single_label_scores(dev_labels, predicted, choice)
    name = choice.name if choice.name in scores and choice.name in ("f1", "macro_f1") else (
        "f1" if choice.task == "binary" else "macro_f1")
    return scores[name], name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", help="comma-separated corpus names (default: all available)")
    parser.add_argument("--variants", help="comma-separated variant names or name prefixes, e.g. 'char,svm default' "
                                           "(default: all; the references always run)")
    parser.add_argument("--full", action="store_true", help="no subsampling (Debian: all ~50k training rows "
                                                            "instead of 15,000)")
    parser.add_argument("--real", action="store_true", help="fit the registry pipelines themselves "
                                                            "(with calibration) instead of shared feature matrices")
    parser.add_argument("--fasttext", action="store_true", help="add bare fastText as a reference "
                                                                "(epoch 25, lr 0.5, word bigrams, 1 thread)")
    parser.add_argument("--small", type=int, default=10000, help="corpora with fewer training rows than this ...")
    parser.add_argument("--small-seeds", type=int, default=3, help="... are split with this many seeds (averaged)")
    parser.add_argument("--compare-set", default="char default,svm default,logreg default",
                        help="variants whose best per corpus is printed as one more row (what a compare of "
                             "these pipelines would pick); shown when all of them ran")
    parser.add_argument("--json", type=Path, help="also write every score and time to this JSON file")
    parser.add_argument("--list", action="store_true", help="list corpora and variants, then exit")
    parser.add_argument("--table-from", type=Path, nargs="+", metavar="JSON",
                        help="print the table of earlier --json files (no fitting); with several, the "
                             "variants of later files are added to the first's (same corpora and splits)")
    args = parser.parse_args(argv)

    if args.table_from:
        results = json.loads(args.table_from[0].read_text())
        for more in args.table_from[1:]:
            for corpus, rows in json.loads(more.read_text()).items():
                if corpus in results:
                    results[corpus].update({n: r for n, r in rows.items() if n not in results[corpus]})
        names = [n for n in next(iter(results.values())) if n != "_info"]
        known = {v.name: v for v in VARIANTS + REFERENCES + [FASTTEXT_REF]}
        refs = [known[n] for n in names if n.startswith("ref ")]
        print_table(results, refs, [known.get(n, Variant(n, "?", {})) for n in names if not n.startswith("ref ")],
                    args)
        return 0

    if args.list:
        for c in CORPORA:
            print(f"corpus  {c.name:20} {c.what}")
        for v in VARIANTS + REFERENCES:
            print(f"variant {v.name:28} {v.base or 'plain scikit-learn'} {v.params or ''}")
        return 0

    corpora = CORPORA
    if args.corpora:
        wanted = [name.strip() for name in args.corpora.split(",")]
        unknown = set(wanted) - {c.name for c in CORPORA}
        if unknown:
            parser.error(f"unknown corpora: {', '.join(sorted(unknown))}")
        corpora = [c for c in CORPORA if c.name in wanted]
    variants = VARIANTS
    if args.variants:
        chosen = set()
        for token in (t.strip() for t in args.variants.split(",")):
            exact = [v.name for v in VARIANTS if v.name == token]
            chosen.update(exact or [v.name for v in VARIANTS if v.name.startswith(token + " ")])
        variants = [v for v in VARIANTS if v.name in chosen]
    references = REFERENCES + ([FASTTEXT_REF] if args.fasttext else [])

    results: dict[str, dict[str, dict]] = {}  # corpus -> variant -> {score, seconds}
    metric_of: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench_defaults_") as tmp:
        workdir = Path(tmp)
        for corpus in corpora:
            if corpus.path is not None and not corpus.path.exists():
                print(f"skipping {corpus.name}: {corpus.path} not found (the shared corpora live in "
                      f"../shared/corpora next to the repo)", file=sys.stderr)
                continue
            first = load_corpus(corpus, 0, workdir, args.full)
            seeds = range(args.small_seeds if len(first[0]) < args.small else 1)
            per = {v.name: {"scores": [], "seconds": []} for v in references + variants}
            for seed in seeds:
                train_texts, train_labels, dev_texts, dev_labels = first if seed == 0 else load_corpus(
                    corpus, seed, workdir, args.full)
                task = "binary" if len(set(train_labels)) == 2 else "multiclass"
                fitter = Fitter(train_texts, train_labels, dev_texts)
                for variant in references + variants:
                    if variant is FASTTEXT_REF:
                        predicted, seconds = fitter.run_fasttext()
                    elif args.real and variant.base is not None:
                        predicted, seconds = fitter.run_real(build(variant, task))
                    else:
                        predicted, seconds = fitter.run(build(variant, task))
                    value, metric_of[corpus.name] = primary(train_labels, dev_labels, predicted)
                    per[variant.name]["scores"].append(value)
                    per[variant.name]["seconds"].append(seconds)
                    print(f"  {corpus.name} split {seed}: {variant.name:28} {value:.4f}  {seconds:6.1f} s",
                          file=sys.stderr, flush=True)
            results[corpus.name] = {name: {"score": float(np.mean(d["scores"])), "seconds": float(np.sum(d["seconds"])),
                                           "scores": d["scores"]} for name, d in per.items()}
            results[corpus.name]["_info"] = {"train": len(first[0]), "dev": len(first[2]), "splits": len(seeds),
                                             "metric": metric_of[corpus.name], "classes": len(set(first[1]))}

    print_table(results, references, variants, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def print_table(results, references, variants, args):
    names = list(results)
    if not names:
        print("no corpus available")
        return
    print(f"\nDev score (primary metric) per corpus; shortfall = best plain reference - variant, in points "
          f"(x100); fit = CPU seconds summed over corpora and splits"
          f"{' (registry pipelines, calibration included)' if args.real else ' (calibration excluded)'}.\n")
    for name in names:
        info = results[name]["_info"]
        print(f"- {name}: {info['train']} train / {info['dev']} dev rows, {info['classes']} classes, "
              f"{info['metric']}, {info['splits']} split(s)")
    print()
    header = ["pipeline", *names, "worst shortfall", "mean shortfall", "fit s", "x default"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    best = {c: max(results[c][r.name]["score"] for r in references) for c in names}
    default_seconds = None  # "x default": fit time against the registry's bow-char-svm (before #17 if not run)
    for name in ("char old default", "char default"):
        if any(v.name == name for v in variants):
            default_seconds = sum(results[c][name]["seconds"] for c in names)
    for v in references + variants:
        short = {c: 100 * (best[c] - results[c][v.name]["score"]) for c in names}
        worst = max(short, key=short.get)
        seconds = sum(results[c][v.name]["seconds"] for c in names)
        ratio = f"{seconds / default_seconds:.2f}" if default_seconds else ""
        cells = [v.name, *(f"{results[c][v.name]['score']:.3f}" for c in names),
                 f"{short[worst]:+.2f} ({worst})", f"{np.mean(list(short.values())):+.2f}", f"{seconds:.1f}", ratio]
        print("| " + " | ".join(cells) + " |")
    members = [m.strip() for m in args.compare_set.split(",") if m.strip()]
    if members and all(m in results[c] for m in members for c in names):
        top = {c: max(results[c][m]["score"] for m in members) for c in names}
        short = {c: 100 * (best[c] - top[c]) for c in names}
        worst = max(short, key=short.get)
        cells = [f"best of {' / '.join(members)}", *(f"{top[c]:.3f}" for c in names),
                 f"{short[worst]:+.2f} ({worst})", f"{np.mean(list(short.values())):+.2f}", "", ""]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
