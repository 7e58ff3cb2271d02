"""Opening data files as text: gzip on the fly, a UTF-8 BOM dropped, line numbers kept.

Reading decodes with ``surrogateescape`` and checks each line, so a byte that is not
valid in the file's encoding is reported with its line and column rather than as an
offset into some block. Lines keep their own ending (``newline=""``): ``\\r\\n``, ``\\n``
and ``\\r`` all end a line, and the CSV parser sees them unchanged. Writing always uses
``\\n`` line endings.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from textml.exceptions import DataError

# surrogateescape decodes each undecodable byte to one of these code points
_UNDECODED = re.compile("[\udc80-\udcff]")


def check_exists(path: Path) -> None:
    """Raise a DataError unless ``path`` is an existing file."""
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, expected a data file")


def is_gzip(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".gz"


def open_text(path: Path, encoding: str = "utf-8"):
    """A text handle reading ``path`` (``.gz`` decompressed); check its lines with :func:`text_lines`."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise DataError(f"unknown text encoding {encoding!r}; pass --encoding with e.g. utf-8 or latin-1") from None
    # utf-8-sig reads plain UTF-8 too, minus a leading byte-order mark (Excel writes one)
    encoding = "utf-8-sig" if name == "utf-8" else encoding
    raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def text_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of ``path`` (with their endings), in order; line ``n`` is the ``n``-th yielded."""
    check_exists(path)
    try:
        with open_text(path, encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if _UNDECODED.search(line):
                    raise _not_decodable(path, encoding, number, line)
                yield line
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is not a readable gzip file ({exc}); check the file or drop the .gz") from None


def nonblank_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """(line number, line) for every line of ``path`` that holds more than whitespace."""
    for number, line in enumerate(text_lines(path, encoding), start=1):
        if line.strip():
            yield number, line


def _not_decodable(path: Path, encoding: str, number: int, line: str) -> DataError:
    bad = _UNDECODED.search(line)
    byte = ord(bad.group()) - 0xDC00
    return DataError(f"{path}: line {number} is not valid {encoding} text (byte 0x{byte:02X} at column "
                     f"{bad.start() + 1}); re-save the file as UTF-8 or pass --encoding")


def open_out(path: Path, final: Path | None = None):
    """A UTF-8 text handle writing ``path``, gzip-compressed when ``final`` (default ``path``) ends in .gz.

    No newline translation: writers end their lines with ``\\n`` on every platform.
    """
    if is_gzip(final or path):
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8", newline="")
    return open(path, "w", encoding="utf-8", newline="")
