"""Opening data files as text: gzip on the fly, a UTF-8 BOM dropped, line numbers kept.

Every reader of an input file goes through :func:`check_exists` first: only a regular
file (or a link to one) is read. A named pipe would block the open forever and can be
read only once (readers open a file more than once: header, rows, checksum), and a
folder or a device is never a data file.

A UTF-8 byte-order mark at the start of a file is dropped whatever ``--encoding`` says
(Excel and Notepad write one; read as latin-1 it would glue ``ï»¿`` to the first
column's name), except for UTF-16/32, which handle their own marks.

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
import os
import re
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path

from textml.exceptions import DataError

# surrogateescape decodes each undecodable byte to one of these code points
_UNDECODED = re.compile("[\udc80-\udcff]")


_NOT_FILES = ((stat.S_ISDIR, "is a folder, expected a data file"),
              (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file; save the data to a file and pass that"),
              (stat.S_ISSOCK, "is a socket, not a regular file; pass a data file"),
              (stat.S_ISCHR, "is a device, not a regular file; pass a data file"),
              (stat.S_ISBLK, "is a device, not a regular file; pass a data file"))
UTF8_BOM = codecs.BOM_UTF8


def check_exists(path: str | os.PathLike) -> None:
    """Raise a DataError unless ``path`` is a regular file (checked without opening it)."""
    try:
        mode = os.stat(path).st_mode  # follows links; never opens, so a FIFO cannot block
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except NotADirectoryError:
        raise DataError(f"file not found: {path} (a part of the path is a file)") from None
    except PermissionError:
        raise DataError(f"{path} cannot be read (permission denied); check its permissions") from None
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror}); check the path") from None
    if stat.S_ISREG(mode):
        return
    reason = next((why for test, why in _NOT_FILES if test(mode)), "is not a regular file; pass a data file")
    raise DataError(f"{path} {reason}")


GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | Path) -> bool:
    """Whether ``path`` is written (or named) as gzip: its extension is ``.gz``."""
    return Path(path).suffix.lower() == ".gz"


def reads_as_gzip(path: str | Path) -> bool:
    """Whether ``path`` is read through gzip: named ``.gz``, or starting with gzip's magic bytes
    (a compressed file saved as ``.csv`` read as text only gives a confusing decoding error)."""
    if is_gzip(path):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    except OSError:
        return False  # opening it for reading says what is wrong


def open_text(path: Path, encoding: str = "utf-8"):
    """A text handle reading ``path`` (gzip decompressed); check its lines with :func:`text_lines`."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise DataError(f"unknown text encoding {encoding!r}; pass --encoding with e.g. utf-8 or latin-1") from None
    raw = gzip.open(path, "rb") if reads_as_gzip(path) else open(path, "rb")
    if not name.startswith(("utf-16", "utf-32", "utf-8-sig")):
        try:
            if raw.peek(len(UTF8_BOM))[:len(UTF8_BOM)] == UTF8_BOM:
                raw.read(len(UTF8_BOM))
        except BaseException:
            raw.close()
            raise
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def text_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of ``path`` (with their endings), in order; line ``n`` is the ``n``-th yielded."""
    check_exists(path)
    try:
        with open_text(path, encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if _UNDECODED.search(line):
                    raise not_decodable(path, encoding, number, line)
                yield line
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is not a readable gzip file ({exc}); check the file or drop the .gz") from None


def nonblank_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """(line number, line) for every line of ``path`` that holds more than whitespace."""
    for number, line in enumerate(text_lines(path, encoding), start=1):
        if line.strip():
            yield number, line


def not_decodable(path: Path, encoding: str, number: int, line: str) -> DataError:
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
