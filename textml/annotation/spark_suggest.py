"""``textml annotate suggest --engine spark``: rank a pool beyond one machine on Spark.

One ``mapInPandas`` pass over the pool. Each partition runs the local engine's
:class:`~textml.annotation.suggest.PoolRanker` on its Arrow batches: blank and excluded texts
left out (the exclusions are broadcast), the rest scored with the one scoring call (the model
shipped and loaded once per executor Python worker, as ``textml predict --engine spark``
does: :mod:`textml.encoding.spark`), and its best rows kept in a ``Candidates`` of the same
capacity. A partition returns those candidates, the near-duplicates it left out that still
rank above its worst candidate, and its counts. The driver offers the union to one more
``Candidates``: since what a ``Candidates`` keeps does not depend on how the pool is cut, the
selection, its order and the counts are the local engine's (rows are ordered by partition,
then place in the partition: the file's order, as Spark splits one file in order).

Driver memory: partitions x capacity candidate rows (capacity = N, 10 N for ``diverse``).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from textml.annotation.selection import Candidates
from textml.exceptions import DataError

PID_SHIFT = 40  # a row's order: partition << 40 | place in the partition (2^40 rows a partition)
@dataclass(frozen=True)
class ModelFiles:
    """The model as the Spark engine ships it: its local path (zipped, sent with addFile)."""

    path: str
    trust_pickle: bool = False

    def load(self):
        from textml.models.loading import load_model_path

        return load_model_path(self.path, trust_pickle=self.trust_pickle)[0]

    def paths(self) -> list[Path]:
        return [Path(self.path)]

    def relocated(self, mapping: dict[str, str]) -> ModelFiles:
        return replace(self, path=mapping.get(self.path, self.path))


def _partition_function(spec, bundle: str, mapping: dict, settings: dict, shared, has_id: bool,
                        corrupt: str | None):
    """What mapInPandas runs on each partition (pickled to the executors)."""

    def run(batches):
        import pandas as pd
        from pyspark import TaskContext

        from textml.annotation.suggest import PoolRanker
        from textml.encoding.spark import executor_worker

        pid = TaskContext.get().partitionId()
        model = executor_worker(spec, bundle, mapping)
        exclusions = shared.value if hasattr(shared, "value") else shared
        ranker = PoolRanker(**settings, exclusions=exclusions, has_ids=has_id)
        place, broken, first_broken = 0, 0, None
        for frame in batches:
            texts = frame["text"].tolist()
            if corrupt:
                bad = frame[corrupt].notna().to_numpy()
                if bad.any():  # the driver refuses the pool; until then they are not ranked
                    broken += int(bad.sum())
                    first_broken = place + int(np.argmax(bad)) if first_broken is None else first_broken
                    texts = [None if b else t for t, b in zip(texts, bad)]
            ids = frame["id"].tolist() if has_id else None
            ranker.add(model, texts, ids, (pid << PID_SHIFT) + place + np.arange(len(texts), dtype=np.int64))
            place += len(texts)
        kept = ranker.candidates
        n, d = len(kept.rows), len(kept.dup_values)
        stats = {**ranker.counts, "pid": pid, "read": place, "broken": broken, "first_broken": first_broken}
        nan = float("nan")
        yield pd.DataFrame({
            "kind": ["row"] * n + ["dup"] * d + ["stats"],
            "seq": np.concatenate([kept.order, kept.dup_order, [pid]]).astype(np.int64),
            "score": np.concatenate([kept.values, kept.dup_values, [nan]]).astype(np.float64),
            "nkey": kept.keys + [None] * (d + 1),
            "id": [r["id"] for r in kept.rows] + [None] * (d + 1),
            "text": [r["text"] for r in kept.rows] + [None] * d + [json.dumps(stats)],
            "predicted": [json.dumps(r["predicted"]) for r in kept.rows] + [None] * (d + 1),
            "prob": np.asarray([r["prob_predicted"] for r in kept.rows] + [nan] * (d + 1), dtype=np.float64),
            "uncertainty": np.asarray([nan if r["uncertainty"] is None else r["uncertainty"] for r in kept.rows]
                                      + [nan] * (d + 1), dtype=np.float64),
        })

    return run


# seq: the row's order; score: its ranking value; nkey: its near-duplicate key (names that are
# no SQL keywords, so the DDL parses)
SCHEMA = ("kind string, seq long, score double, nkey string, id string, text string, predicted string, "
          "prob double, uncertainty double")


def rank_on_spark(pool, model_path: str, trust_pickle: bool, settings: dict, *, fmt, columns, encoding: str,
                  master: str | None = None, spark=None, progress=None):
    """Rank ``pool`` on Spark: ``(Candidates, counts, pool has ids)`` as the local engine gives them."""
    from textml.data.formats import detect_format
    from textml.encoding.reading import unit
    from textml.encoding.spark import bundle_model, quiet_pandas_warning, read_input, ship_archive, spark_job

    say = progress or (lambda message: None)
    started = time.monotonic()
    quiet_pandas_warning()  # toPandas warns too, with a session passed in
    pool = str(pool)
    if "://" not in pool and not Path(pool).exists():
        raise DataError(f"pool not found: {pool}")
    fmt = detect_format(pool, fmt)
    settings = dict(settings)
    exclusions = settings.pop("exclusions")
    shared = None
    with spark_job(spark, master, fmt) as (session, staging):
        df, has_id, corrupt = read_input(session, SimpleNamespace(input=pool, fmt=fmt, encoding=encoding, columns=columns))
        model = ModelFiles(str(Path(model_path)), trust_pickle)  # the path as bundle_model maps it
        archive, mapping = bundle_model(model, staging)
        ship_archive(session, archive)
        try:
            shared = session.sparkContext.broadcast(exclusions)
        except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext: the sets go with the function
            shared = None
        function = _partition_function(model, archive.name, mapping, settings,
                                       shared if shared is not None else exclusions, has_id, corrupt)
        say(f"suggest: ranking {pool} on Spark ...")
        try:
            frame = df.mapInPandas(function, SCHEMA).toPandas()
        finally:
            if shared is not None:
                with contextlib.suppress(Exception):  # the session may be gone
                    shared.unpersist()

    stats = [json.loads(text) for text in frame.loc[frame["kind"] == "stats", "text"]]
    offsets, total = {}, 0  # rows before each partition: row numbers for pools without ids
    for part in sorted(stats, key=lambda s: s["pid"]):
        offsets[part["pid"]] = total
        total += part["read"]
    broken = [s for s in stats if s["broken"]]
    if broken:
        first = min(broken, key=lambda s: s["pid"])
        row = offsets[first["pid"]] + first["first_broken"] + 1
        line = row + (1 if fmt in ("csv", "tsv") else 0)  # line 1 is the header
        raise DataError(f"{pool}: {unit(fmt)} {line} is malformed (wrong number of fields); fix it "
                        f"({sum(s['broken'] for s in broken):,} malformed rows in all)")
    counts = {name: sum(s[name] for s in stats) for name in ("rows", "blank", "labelled", "project", "scored")}

    rows = frame[frame["kind"] == "row"]
    order = rows["seq"].to_numpy(dtype=np.int64)
    pid, place = order >> PID_SHIFT, order & ((1 << PID_SHIFT) - 1)
    multilabel = settings["multilabel"]
    random = settings["strategy"] == "random"
    payloads = []
    for i, (id_, text, predicted, prob, value) in enumerate(zip(rows["id"], rows["text"], rows["predicted"],
                                                                 rows["prob"], rows["uncertainty"])):
        guess = json.loads(predicted)
        payloads.append({"id": id_ if has_id else str(offsets[int(pid[i])] + int(place[i]) + 1), "text": text,
                         "predicted": tuple(guess) if multilabel else guess, "prob_predicted": float(prob),
                         "uncertainty": None if random else float(value)})
    candidates = Candidates(settings["capacity"])
    candidates.offer(rows["score"].to_numpy(dtype=np.float64), rows["nkey"].tolist(), payloads, order)
    dups = frame[frame["kind"] == "dup"]
    candidates.note_dropped(dups["score"].to_numpy(dtype=np.float64), dups["seq"].to_numpy(dtype=np.int64))
    say(f"suggest: {counts['rows']:,} rows read, {counts['scored']:,} scored on Spark in "
        f"{time.monotonic() - started:.1f}s; {len(rows):,} candidates from {len(stats)} partitions")
    return candidates, counts, has_id
