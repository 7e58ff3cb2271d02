"""The output side of a batch job: chunk part files, and the final file assembled from them.

Workers write each chunk's result to a part file (``part-000007.npz``) in a hidden work
folder beside the output (``.OUT.parts/``); when every chunk is done the parts are
assembled, one at a time, into the final file under a temporary name, which is then
renamed into place. So memory stays flat (one part at a time), an interrupted job leaves
only hidden ``.tmp``/``.parts`` names, and ``--resume`` reuses the finished parts.

Vectors: ``.npy`` (dense, ``rows x dim``, written through memory-mapped windows), ``.npz``
(sparse CSR, readable by ``scipy.sparse.load_npz``; streamed into the zip, never whole in
memory) - both with the row ids beside them in ``OUT.ids.txt``, one per line - or
Parquet (``id`` and ``vector``: a list of floats; sparse: ``id``, ``indices``, ``values``).
Predictions: CSV, TSV, JSONL or Parquet with columns ``id, label, prob`` (the class
probability, from ``class_probabilities``) and for top-k also ``label_2, prob_2, ... label_k, prob_k``;
for a multi-label model ``id, label`` (the labels it sets: a list, joined by ``|`` or
``--label-sep`` in CSV/TSV) and ``prob_NAME`` for each label; for a regression model ``id, value``.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textml.data.formats import open_out, record_writer
from textml.exceptions import ConfigError
from textml.files import atomic_path

VECTOR_FORMATS = {".npy": "npy", ".npz": "npz", ".parquet": "parquet", ".pq": "parquet"}
PREDICTION_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def output_format(path: str | os.PathLike, kind: str) -> str:
    """npy/npz/parquet for vectors, csv/tsv/jsonl/parquet for predictions, from the extension."""
    table = VECTOR_FORMATS if kind == "encode" else PREDICTION_FORMATS
    suffix = Path(path).suffix.lower()
    if suffix not in table:
        raise ConfigError(f"cannot tell the output format of {path}; end --out with one of: "
                          f"{', '.join(sorted(set(table)))}")
    return table[suffix]


def ids_path(path: str | os.PathLike) -> Path | None:
    """Where the row ids of a .npy/.npz output go: ``vectors.npy`` -> ``vectors.npy.ids.txt``."""
    path = Path(path)
    if path.suffix.lower() in (".npy", ".npz"):
        return path.with_name(path.name + ".ids.txt")
    return None


def final_paths(path: str | os.PathLike) -> list[Path]:
    return [p for p in (Path(path), ids_path(path)) if p is not None]


def parts_dir(path: str | os.PathLike) -> Path:
    """The hidden work folder of an output: ``dir/.NAME.parts``."""
    path = Path(path)
    return path.with_name(f".{path.name}.parts")


def part_path(folder: Path, index: int) -> Path:
    return folder / f"part-{index:06d}.npz"


def column_names(k: int, score_name: str) -> list[str]:
    names = ["id", "label", score_name]
    for j in range(2, k + 1):
        names += [f"label_{j}", f"{score_name}_{j}"]
    return names


@dataclass(frozen=True)
class PredictionLayout:
    """The columns of a prediction output, and how a part's arrays fill them (both engines).

    ``task``: "single" (top-k labels and scores), "multilabel" (the labels set, as a list, and
    one probability column per label) or "regression" (one value).
    """

    task: str = "single"
    k: int = 1
    score_name: str = "prob"
    classes: tuple[str, ...] = ()
    label_sep: str = "|"

    def fields(self) -> list[tuple[str, str]]:
        """(column, kind) in order; kind is "string", "double" or "strings" (a list of labels)."""
        if self.task == "regression":
            return [("id", "string"), ("value", "double")]
        if self.task == "multilabel":
            return [("id", "string"), ("label", "strings")] + [(f"{self.score_name}_{c}", "double")
                                                                for c in self.classes]
        return [(name, "double" if name.startswith(self.score_name) else "string")
                for name in column_names(self.k, self.score_name)]

    def names(self) -> list[str]:
        return [name for name, _ in self.fields()]

    def columns(self, part: dict, fmt: str) -> dict:
        """Column name -> values (lists) of one part; CSV/TSV cells join a row's labels with ``label_sep``."""
        columns = {"id": [str(i) for i in part["ids"]]}
        if self.task == "regression":
            columns["value"] = part["values"].astype(np.float64).tolist()
            return columns
        if self.task == "multilabel":
            classes = np.asarray(self.classes, dtype=object)
            indicator = part["indicator"].astype(bool)
            labels = [classes[row].tolist() for row in indicator]
            columns["label"] = [self.label_sep.join(x) for x in labels] if fmt in ("csv", "tsv") else labels
            probabilities = part["probabilities"]
            for j, (name, _) in enumerate(self.fields()[2:]):
                columns[name] = probabilities[:, j].tolist()
            return columns
        labels, scores = part["labels"], part["scores"]
        for j in range(labels.shape[1]):
            suffix = "" if j == 0 else f"_{j + 1}"
            columns[f"label{suffix}"] = labels[:, j].tolist()
            columns[f"{self.score_name}{suffix}"] = scores[:, j].tolist()
        return columns

    def arrow_schema(self):
        import pyarrow as pa

        kinds = {"string": pa.string(), "double": pa.float64(), "strings": pa.list_(pa.string())}
        return pa.schema([(name, kinds[kind]) for name, kind in self.fields()])


# --- parts -------------------------------------------------------------------------------


def ids_part(path: Path) -> Path:
    """Where a part's ids go as text (outputs whose ids are a .ids.txt file)."""
    return path.with_name(path.name + ".ids.txt")


def _ids_text(ids: Sequence[str]) -> bytes:
    """One id per line; a line break inside an id becomes a space so lines stay rows."""
    items = [str(i) for i in ids]
    body = "\n".join(items)
    if body.count("\n") != max(0, len(items) - 1):
        body = "\n".join(i.replace("\n", " ") for i in items)
    return (body + "\n").encode("utf-8") if items else b""


def write_part(path: Path, ids: Sequence[str], result, ids_text: bool = False) -> dict:
    """Write one chunk's ids and result atomically; return its row (and non-zero) count.

    ``ids_text``: the ids go to a text file beside the part (:func:`ids_part`), ready to be
    concatenated into OUT.ids.txt; a numpy array of strings costs 4 bytes a character and a
    second conversion when the ids file is written (~9% of a hashing job's per-row cost).
    """
    arrays = {}
    if ids_text:
        tmp = ids_part(path).with_name(ids_part(path).name + ".tmp")
        tmp.write_bytes(_ids_text(ids))
        os.replace(tmp, ids_part(path))
    else:
        arrays["ids"] = np.asarray(list(ids), dtype=str)
    info = {"rows": len(ids), "nnz": 0}
    if hasattr(result, "arrays"):  # predictions (top-k, label sets or values)
        arrays.update(result.arrays())
    elif hasattr(result, "tocsr"):  # sparse (scipy is imported only when vectors are sparse)
        import scipy.sparse as sp

        result = sp.csr_matrix(result)
        arrays.update(data=result.data, indices=result.indices.astype(np.int32, copy=False),
                      indptr=result.indptr.astype(np.int64), shape=np.asarray(result.shape, dtype=np.int64))
        info["nnz"] = int(result.nnz)
    elif result is not None:  # None: the vectors went straight into the output (.npy)
        arrays["vectors"] = np.ascontiguousarray(result)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(tmp, path)
    return info


def read_part(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


# --- tables (shared with the Spark engine) -------------------------------------------------


def _list_array(values: np.ndarray, offsets: np.ndarray):
    import pyarrow as pa

    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32, copy=False)), pa.array(values))


def vector_table(ids, part: dict):
    """A pyarrow table of one part: id + vector (dense) or id + indices + values (sparse)."""
    import pyarrow as pa

    ids = pa.array([str(i) for i in ids], type=pa.string())
    if "vectors" in part:
        vectors = part["vectors"]
        n, dim = vectors.shape
        offsets = np.arange(0, n * dim + 1, dim, dtype=np.int64) if n else np.zeros(1, dtype=np.int64)
        return pa.table({"id": ids, "vector": _list_array(vectors.reshape(-1), offsets)})
    return pa.table({"id": ids, "indices": _list_array(part["indices"], part["indptr"]),
                     "values": _list_array(part["data"], part["indptr"])})


# --- assembly -----------------------------------------------------------------------------


NPY_HEADER_BYTES = 128  # room for any 2-D shape up to 10**15 rows


def npy_header(dtype, shape: tuple[int, int]) -> bytes:
    """A .npy (version 1.0) header of exactly NPY_HEADER_BYTES bytes, as numpy reads it."""
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    text = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': ({shape[0]}, {shape[1]}), }}"
    body = NPY_HEADER_BYTES - 10  # magic (6), version (2), header length (2)
    if len(text) >= body:
        raise ValueError(f"npy header too long: {text}")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", body) + (text.ljust(body - 1) + "\n").encode("latin1")


def write_npy_rows(path: str | os.PathLike, block: np.ndarray, start_row: int, dtype) -> None:
    """Write rows ``start_row...`` of a .npy data file in place (no copy of the rest, any order).

    Each worker writes its chunk at the chunk's offset, so the output is never held in
    memory nor copied when the job ends; the header is written last (:func:`finish_npy`).
    """
    block = np.ascontiguousarray(block, dtype=dtype)
    if not block.size:
        return
    offset = NPY_HEADER_BYTES + start_row * block.shape[1] * block.dtype.itemsize
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        view = memoryview(block.reshape(-1).view(np.uint8))
        while len(view):
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written
    finally:
        os.close(fd)


def finish_npy(path: str | os.PathLike, rows: int, dim: int, dtype) -> None:
    """Write the header of a .npy data file filled by :func:`write_npy_rows` and trim it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        os.pwrite(fd, npy_header(dtype, (rows, dim)), 0)
        os.ftruncate(fd, NPY_HEADER_BYTES + rows * dim * np.dtype(dtype).itemsize)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _zip_member(archive: zipfile.ZipFile, name: str):
    with archive.open(name, "w", force_zip64=True) as handle:
        yield handle


def _write_streamed_array(archive, name: str, dtype, length: int, blocks: Iterator[np.ndarray]) -> None:
    """One ``name.npy`` member of a zip, its data written block by block."""
    with _zip_member(archive, name + ".npy") as handle:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                  "shape": (length,)}
        np.lib.format.write_array_header_2_0(handle, header)
        written = 0
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=dtype)
            handle.write(block.tobytes())
            written += len(block)
        assert written == length, (name, written, length)


def _assemble_npz(parts: list[Path], tmp: Path, n: int, dim: int, dtype, nnz: int) -> None:
    """A CSR matrix as scipy.sparse.save_npz writes it, streamed part by part."""
    index_dtype = np.int32 if nnz < 2**31 and dim < 2**31 else np.int64

    def column(name):
        for part in parts:
            with np.load(part, allow_pickle=False) as data:
                yield data[name]

    def indptr():
        yield np.zeros(1, dtype=index_dtype)
        offset = 0
        for block in column("indptr"):
            yield block[1:] + offset
            offset += int(block[-1])

    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        _write_streamed_array(archive, "indices", index_dtype, nnz, column("indices"))
        _write_streamed_array(archive, "indptr", index_dtype, n + 1, indptr())
        with _zip_member(archive, "format.npy") as handle:
            np.lib.format.write_array(handle, np.array("csr"))
        with _zip_member(archive, "shape.npy") as handle:
            np.lib.format.write_array(handle, np.array([n, dim], dtype=np.int64))
        _write_streamed_array(archive, "data", dtype, nnz, column("data"))


def _write_ids(parts: list[Path], tmp: Path) -> None:
    import shutil

    with open(tmp, "wb") as handle:
        for part in parts:
            text = ids_part(part)
            if text.exists():
                with open(text, "rb") as source:
                    shutil.copyfileobj(source, handle, 1 << 20)
                continue
            with np.load(part, allow_pickle=False) as data:
                handle.write(_ids_text(data["ids"].tolist()))


def vector_schema(sparse: bool, dtype, metadata: dict | None = None):
    """The Parquet schema of vectors: id + vector, or id + indices + values (sparse)."""
    import pyarrow as pa

    value = pa.from_numpy_dtype(np.dtype(dtype))
    if sparse:
        fields = [("id", pa.string()), ("indices", pa.list_(pa.int32())), ("values", pa.list_(value))]
    else:
        fields = [("id", pa.string()), ("vector", pa.list_(value))]
    return pa.schema(fields, metadata={k: json.dumps(v) for k, v in (metadata or {}).items()} or None)


def _assemble_vectors_parquet(parts: list[Path], tmp: Path, sparse: bool, dtype, metadata: dict) -> None:
    import pyarrow.parquet as pq

    schema = vector_schema(sparse, dtype, metadata)
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            writer.write_table(vector_table(*_ids_and(part)).cast(schema))


def _ids_and(part: Path) -> tuple:
    data = read_part(part)
    return data["ids"], data


def _assemble_predictions(parts: list[Path], tmp: Path, fmt: str, layout: PredictionLayout) -> None:
    names = layout.names()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = layout.arrow_schema()
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                writer.write_table(pa.table(layout.columns(read_part(part), fmt)).cast(schema))
        return
    with open_out(tmp) as handle:  # the data layer's CSV/TSV/JSONL: reads back with every textml command
        writer = record_writer(handle, fmt, names)
        for part in parts:
            columns = layout.columns(read_part(part), fmt)
            writer.write_many(zip(*(columns[name] for name in names)))


def assemble(parts: list[Path], out: Path, fmt: str, kind: str, *, rows: int, nnz: int = 0,
             dim: int = 0, dtype=np.float32, sparse: bool = False, layout: PredictionLayout | None = None,
             metadata: dict | None = None, npy_data: Path | None = None) -> list[Path]:
    """Write the final output(s) from ``parts``, each under a temporary name renamed at the end.

    A .npy output was already written in place by the workers (``npy_data``): it gets its
    header and is renamed.
    """
    out = Path(out)
    sidecar = ids_path(out) if kind == "encode" else None
    if sidecar is not None:
        with atomic_path(sidecar) as tmp_ids:
            _write_ids(parts, tmp_ids)
    if kind == "encode" and fmt == "npy":
        finish_npy(npy_data, rows, dim, dtype)
        os.chmod(npy_data, 0o666 & ~_umask())
        os.replace(npy_data, out)  # renamed last: the main file appears only when all is written
        return final_paths(out)
    with atomic_path(out) as tmp:
        if kind == "predict":
            _assemble_predictions(parts, tmp, fmt, layout or PredictionLayout())
        elif fmt == "npz":
            _assemble_npz(parts, tmp, rows, dim, dtype, nnz)
        else:
            _assemble_vectors_parquet(parts, tmp, sparse, dtype, metadata or {})
    return final_paths(out) if kind == "encode" else [out]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
