"""The local engine: worker processes, each holding the model, each reading its own pieces.

The main process plans (:mod:`textml.encoding.pieces`: the header, the columns, byte
ranges of about ``chunk_size`` rows, or runs of Parquet row groups) and hands out piece
*numbers*; each worker reads and parses its piece, waits for the piece before it to
report where it ended and how many rows came before (so ids, line numbers and ``.npy``
offsets are global), then encodes or predicts and writes its part file - and its rows of a
``.npy`` output straight into place. No texts or vectors cross process boundaries. The
main process commits finished pieces in input order (a small ``state.json`` beside the
parts); at most two pieces per worker are in flight, so memory does not grow with the
input. When every piece is done the parts are assembled into the output under a
temporary name, which is renamed into place (a ``.npy`` is already complete: it gets its
header and is renamed).

Inputs that cannot be cut into byte ranges (gzip files, UTF-16/32 text) are read by the
main process through the data layer, chunk by chunk, and the chunks handed to the workers.

The model is loaded once per worker. On Linux the workers are forked after the main
process loaded it, so they share its memory pages (a 7 GB fastText model costs 7 GB,
not 7 GB per worker); with other start methods each worker loads it in its initializer.

``--resume`` reads the state of an interrupted run, checks that the input, model and
options are unchanged, and goes on after the last committed piece.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections import deque
from pathlib import Path

from textml.encoding.jobs import Job, JobResult, check_n_jobs, check_output
from textml.encoding.outputs import assemble, final_paths, part_path, parts_dir, write_npy_rows, write_part
from textml.encoding.pieces import plan_pieces, report_path, splittable
from textml.encoding.reading import MAX_EXAMPLES, iter_input
from textml.exceptions import ConfigError, DataError, TextmlError
from textml.files import check_can_write

STATE_FILE = "state.json"
IN_FLIGHT_PER_WORKER = 2

_WORKER = None  # the loaded encoder/predictor of this process
_PRELOADED: dict = {}  # spec -> loaded worker, inherited by forked workers


def _init_worker(spec) -> None:
    """Pool initializer: hold the model (inherited when forked, else loaded once here)."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # one core per worker: the workers are the parallelism
    except ImportError:
        pass
    _WORKER = _PRELOADED.get(spec) or spec.load()


NPY_DATA = "vectors.npy.data"


def _work(worker, texts: list[str], ids: list[str], path: str, npy: tuple | None, ids_text: bool = False) -> dict:
    """Encode (or predict) one chunk and write it: its part file, and its rows of a .npy."""
    result = worker.transform(texts) if len(texts) or not hasattr(worker, "empty") else worker.empty()
    if npy is not None:  # (data file, first row, dtype): vectors go straight into the output
        write_npy_rows(npy[0], result, npy[1], npy[2])
        info = write_part(Path(path), ids, None, ids_text)
        info["rows"] = len(ids)
        return info
    return write_part(Path(path), ids, result, ids_text)


def _run_chunk(texts: list[str], ids: list[str], path: str, npy: tuple | None, ids_text: bool) -> dict:
    return _work(_WORKER, texts, ids, path, npy, ids_text)


def _piece_work(worker, plan, folder: Path, index: int, skip_bad: bool, npy: tuple | None, parent: int,
                ids_text: bool) -> dict:
    """Read, parse, place and encode one piece of the input; write its part (and its .npy rows)."""
    from textml.encoding.pieces import publish

    published = []
    try:
        return _place_and_encode(worker, plan, folder, index, skip_bad, npy, parent, ids_text, published)
    except BaseException:
        if not published:  # whatever went wrong, the pieces after this one must not wait for it forever
            publish(folder, index, {"error": True})
        raise


def _place_and_encode(worker, plan, folder, index, skip_bad, npy, parent, ids_text, published: list) -> dict:
    from textml.encoding.pieces import parse_piece, place, publish, wait_for

    start = plan.starts[index]
    parsed = parse_piece(plan, index, start)
    before = wait_for(folder, index, plan, parent)
    if before is None:  # a piece before this one failed: its error is the job's
        publish(folder, index, {"error": True})  # and the pieces after this one stop waiting too
        published.append(True)
        return {"aborted": True}
    if before["end"] != start:  # the guessed start fell inside a record: parse from its true start
        parsed = parse_piece(plan, index, before["end"])
    placed = place(plan, parsed, before, skip_bad)
    publish(folder, index, placed.report)
    published.append(True)
    path = str(part_path(folder, index))
    if npy is None:
        info = _work(worker, placed.texts, placed.ids, path, None, ids_text)
    else:  # dense rows go to the .npy batch by batch: a piece of short rows may hold many more than chunk_size
        batch = max(1, plan.batch_rows)
        for first in range(0, len(placed.texts), batch):
            block = placed.texts[first:first + batch]
            write_npy_rows(npy[0], worker.transform(block), before["rows"] + first, npy[1])
        info = write_part(Path(path), placed.ids, None, ids_text)
    info.update(bad=placed.bad, n_read=placed.n_read)
    return info


def _run_piece(plan, folder: str, index: int, skip_bad: bool, npy: tuple | None, parent: int,
               ids_text: bool) -> dict:
    return _piece_work(_WORKER, plan, Path(folder), index, skip_bad, npy, parent, ids_text)


def _mp_context():
    method = os.environ.get("TEXTML_START_METHOD") or ("fork" if sys.platform.startswith("linux") else "spawn")
    return multiprocessing.get_context(method)


class _State:
    """The committed progress of a job: chunks done in order, rows, skipped rows."""

    def __init__(self, folder: Path, fingerprint: dict):
        self.folder = folder
        self.fingerprint = fingerprint
        self.done = 0
        self.rows = 0
        self.nnz = 0
        self.skipped = 0
        self.examples: list[str] = []

    @classmethod
    def load(cls, folder: Path, fingerprint: dict) -> _State:
        state = cls(folder, fingerprint)
        path = folder / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return state  # nothing committed yet
        if data.get("fingerprint") != json.loads(json.dumps(fingerprint)):
            changed = [k for k in fingerprint if data.get("fingerprint", {}).get(k) != json.loads(json.dumps(fingerprint[k]))]
            raise ConfigError(
                f"cannot resume: the {', '.join(changed) or 'job'} changed since the interrupted run "
                f"(its progress is in {folder}); pass --force instead of --resume to start over"
            )
        for key in ("done", "rows", "nnz", "skipped"):
            setattr(state, key, int(data.get(key, 0)))
        state.examples = list(data.get("examples", []))
        for index in range(state.done):
            if not part_path(folder, index).exists():
                raise ConfigError(f"cannot resume: {part_path(folder, index)} is missing; pass --force to start over")
        return state

    def commit(self, index: int, info: dict, bad: list) -> None:
        self.done = index + 1
        self.rows += info["rows"]
        self.nnz += info["nnz"]
        self.note_bad(bad)
        self.save()

    def note_bad(self, bad: list) -> None:
        self.skipped += len(bad)
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(str(b) for b in bad[:room])

    def save(self) -> None:
        data = {"fingerprint": self.fingerprint, "done": self.done, "rows": self.rows, "nnz": self.nnz,
                "skipped": self.skipped, "examples": self.examples}
        tmp = self.folder / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, self.folder / STATE_FILE)


def _progress_bar(job: Job, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    total = None
    if job.fmt == "parquet":
        try:
            import pyarrow.parquet as pq

            total = pq.ParquetFile(job.input).metadata.num_rows
        except Exception:  # noqa: BLE001 - a progress total is optional: an unreadable footer is reported by the reader
            total = None
    return tqdm(total=total, unit=" rows", unit_scale=True, dynamic_ncols=True, file=sys.stderr,
                desc=job.kind, smoothing=0.1, mininterval=0.5)


def _setup_folder(job: Job, resume: bool, force: bool) -> Path:
    for path in final_paths(job.out) if job.kind == "encode" else [job.out]:
        check_can_write(path, force)
    folder = parts_dir(job.out)
    if folder.exists() and not resume:
        if not force:
            raise ConfigError(f"{folder} holds the progress of an interrupted run; pass --resume to continue "
                              f"it, or --force to start over")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_local(job: Job, n_jobs: int | None = None, resume: bool = False, force: bool = False,
              progress: bool = True) -> JobResult:
    """Run ``job`` on this machine with ``n_jobs`` worker processes (default: all cores)."""
    started = time.perf_counter()
    n_jobs = check_n_jobs(n_jobs)
    worker = job.spec.load()  # fail fast on a bad model, and learn the output's shape
    check_output(job.kind, job.out, job.out_format, worker)
    plan = None
    # TEXTML_ENCODE_PIECES=0 makes the main process read even splittable inputs: the engine as it
    # was before workers read their own pieces, kept so scripts/bench_encode.py can compare both
    if splittable(job.input, job.fmt, job.encoding) and os.environ.get("TEXTML_ENCODE_PIECES", "1") != "0":
        plan = plan_pieces(job.input, job.fmt, job.columns, job.encoding, job.chunk_size)
    folder = _setup_folder(job, resume, force)
    fingerprint = {**job.fingerprint(), "pieces": plan is not None}  # what a part holds differs between the two
    state = _State.load(folder, fingerprint) if resume else _State(folder, fingerprint)
    state.save()
    resumed = state.done

    executor = None
    if n_jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        _PRELOADED[job.spec] = worker
        executor = ProcessPoolExecutor(max_workers=n_jobs, mp_context=_mp_context(),
                                       initializer=_init_worker, initargs=(job.spec,))
        executor.submit(int).result()  # fork every worker now, before any other thread starts
        _PRELOADED.pop(job.spec, None)
    bar = _progress_bar(job, progress)
    if bar is not None and state.rows:
        bar.update(state.rows + state.skipped)
    pending: deque = deque()
    chunks = 0
    next_row = state.rows  # the first row of the next chunk to submit
    npy_data = folder / NPY_DATA if job.kind == "encode" and job.out_format == "npy" else None
    ids_text = job.kind == "encode" and job.out_format in ("npy", "npz")  # ids end in OUT.ids.txt

    def finish_oldest() -> None:
        index, future, bad, n_read = pending.popleft()
        try:
            info = future.result() if executor is not None else future
        except TextmlError:
            raise
        except Exception as exc:
            raise _chunk_failure(job, index, exc, plan) from exc
        if info.get("aborted"):
            raise DataError(f"{job.kind} stopped at piece {index + 1} of {job.input}")  # not reached: see above
        if "bad" in info:
            bad, n_read = info.pop("bad"), info.pop("n_read")
        state.commit(index, info, bad)
        if bar is not None:
            bar.update(n_read)

    def wait_room() -> None:
        while len(pending) >= max(1, n_jobs * IN_FLIGHT_PER_WORKER) or (executor is None and pending):
            finish_oldest()

    try:
        if plan is not None:  # the workers read their own pieces
            chunks = len(plan)
            if state.done and not report_path(folder, state.done - 1).exists():
                raise ConfigError(f"cannot resume: {report_path(folder, state.done - 1)} is missing; pass --force "
                                  f"to start over")
            for stale in range(state.done, chunks):
                report_path(folder, stale).unlink(missing_ok=True)  # a retry must not see an old failure
            npy = (str(npy_data), worker.dtype) if npy_data is not None else None
            for index in range(state.done, chunks):
                args = (plan, str(folder), index, job.skip_bad, npy, os.getpid(), ids_text)
                if executor is None:
                    pending.append((index, _piece_work(worker, plan, folder, *args[2:]), [], 0))
                else:
                    pending.append((index, executor.submit(_run_piece, *args), [], 0))
                wait_room()
            while pending:
                finish_oldest()
        else:
            try:
                for index, chunk in enumerate(iter_input(job.input, job.fmt, job.columns, job.chunk_size,
                                                         job.encoding, job.skip_bad)):
                    chunks = index + 1
                    if index < state.done:
                        continue  # committed by the interrupted run
                    path = str(part_path(folder, index))
                    n_read = len(chunk) + len(chunk.bad)
                    npy = (str(npy_data), next_row, worker.dtype) if npy_data is not None else None
                    next_row += len(chunk)
                    if executor is None:
                        pending.append((index, _work(worker, chunk.texts, chunk.ids, path, npy, ids_text),
                                        chunk.bad, n_read))
                    else:
                        pending.append((index, executor.submit(_run_chunk, chunk.texts, chunk.ids, path, npy,
                                                               ids_text), chunk.bad, n_read))
                    wait_room()
            except DataError:
                while pending:  # keep what the workers finished before the bad row, for --resume
                    finish_oldest()
                raise
            while pending:
                finish_oldest()
        if chunks < state.done:
            raise ConfigError(f"cannot resume: the input has {chunks} chunks but {state.done} were done; "
                              f"pass --force to start over")
    except BaseException as exc:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
            executor = None
        if bar is not None:
            bar.close()
        if not state.done:
            shutil.rmtree(folder, ignore_errors=True)  # nothing to resume
        if isinstance(exc, (KeyboardInterrupt, TextmlError)) and state.done:
            hint = f"{state.done} chunks ({state.rows:,} rows) are done; rerun with --resume to continue"
            if isinstance(exc, TextmlError):
                raise type(exc)(f"{exc} ({hint})") from None
            print(f"\n{hint}", file=sys.stderr)
        raise
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
    if bar is not None:
        bar.close()

    parts = [part_path(folder, i) for i in range(chunks)]
    outputs = assemble(parts, job.out, job.out_format, job.kind, rows=state.rows, nnz=state.nnz,
                       dim=getattr(worker, "dim", 0), dtype=getattr(worker, "dtype", None),
                       sparse=bool(getattr(worker, "sparse", False)),
                       layout=worker.layout if job.kind == "predict" else None,
                       metadata={"textml.encoder": job.spec.source, "textml.dim": getattr(worker, "dim", None)},
                       npy_data=npy_data)
    shutil.rmtree(folder, ignore_errors=True)
    return JobResult(
        outputs=outputs, rows=state.rows, skipped=state.skipped, bad_examples=state.examples, chunks=chunks,
        resumed_chunks=resumed, seconds=time.perf_counter() - started, engine="local", workers=n_jobs,
        dim=getattr(worker, "dim", None) if job.kind == "encode" else None,
        sparse=bool(worker.sparse) if job.kind == "encode" else None,
        score_name=getattr(worker, "score_name", None) if job.kind == "predict" else None,
        task=getattr(worker, "task", None) if job.kind == "predict" else None,
    )


def _chunk_failure(job: Job, index: int, exc: Exception, plan=None) -> Exception:
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        return DataError(f"a worker process died while working on chunk {index + 1} of {job.input} "
                         f"(out of memory?); rerun with --resume, fewer --n-jobs or a smaller --chunk-size")
    if plan is not None:  # a piece is a byte range: where it starts, not which rows
        where = "byte" if plan.fmt != "parquet" else "row group"
        return DataError(f"{job.kind} failed on chunk {index + 1} of {job.input} (from {where} "
                         f"{plan.starts[index]:,}): {type(exc).__name__}: {exc}")
    return DataError(f"{job.kind} failed on chunk {index + 1} of {job.input} (rows "
                     f"{index * job.chunk_size + 1:,}-{(index + 1) * job.chunk_size:,}): "
                     f"{type(exc).__name__}: {exc}")
