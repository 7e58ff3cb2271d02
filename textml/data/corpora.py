"""Named public corpora: where they live, how to verify and parse them, and their licence.

`fetch_corpus` downloads into a cache folder, verifies the download (the publisher's
checksum where one is known, else the parsed row and class counts) and writes plain
``text,label`` CSV files that every other command reads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textml.data.formats import Columns, iter_chunks, write_records
from textml.exceptions import ConfigError, DataError

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class Corpus:
    name: str
    description: str
    urls: dict[str, str]  # part name -> URL
    parse: Callable[[dict[str, bytes]], dict[str, Rows]]  # downloaded parts -> output files' rows
    licence: str
    citation: str
    md5: dict[str, str] | None = None  # checksum of a downloaded part (or a member inside it)
    expected_rows: dict[str, int] | None = None
    expected_classes: dict[str, int] | None = None


def _parse_sms(parts: dict[str, bytes]) -> dict[str, Rows]:
    raw = _zip_member(parts["zip"], "SMSSpamCollection")
    _verify_md5("sms-spam", "SMSSpamCollection", raw, SMS_MD5)
    rows = []
    for line_no, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("ham", "spam"):
            raise DataError(f"sms-spam: line {line_no} is not 'ham|spam<TAB>text'; the download is damaged")
        rows.append((text, label))
    return {"sms_spam.csv": rows}


AG_CLASSES = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}


def _parse_ag_news(parts: dict[str, bytes]) -> dict[str, Rows]:
    out = {}
    for part in ("train", "test"):
        rows = []
        reader = csv.reader(io.StringIO(parts[part].decode("utf-8")))
        for line_no, record in enumerate(reader, start=1):
            if len(record) != 3 or record[0] not in AG_CLASSES:
                raise DataError(f"ag-news {part}: row {line_no} is not 'class,title,description'; the download is damaged")
            title, description = (field.replace("\\n", " ").replace("\\", " ").strip() for field in record[1:])
            rows.append((f"{title}. {description}" if title else description, AG_CLASSES[record[0]]))
        out[f"ag_news_{part}.csv"] = rows
    return out


SMS_MD5 = "1949b64a224790d01335c2bf8a0e48b2"

CORPORA: dict[str, Corpus] = {
    corpus.name: corpus
    for corpus in (
        Corpus(
            name="sms-spam",
            description="SMS Spam Collection v.1: 5,574 SMS, ham vs spam (binary, 13% spam)",
            urls={"zip": "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip"},
            parse=_parse_sms,
            licence="CC BY 4.0 (UCI Machine Learning Repository)",
            citation="Almeida, T.A., Gomez Hidalgo, J.M., Yamakami, A. Contributions to the Study of SMS "
            "Spam Filtering: New Collection and Results. DocEng 2011.",
            md5={"SMSSpamCollection": SMS_MD5},
            expected_rows={"sms_spam.csv": 5574},
            expected_classes={"sms_spam.csv": 2},
        ),
        Corpus(
            name="ag-news",
            description="AG News: 127,600 news titles+descriptions in 4 topics (train 120,000 / test 7,600)",
            urls={
                "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
                "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
            },
            parse=_parse_ag_news,
            licence="AG's corpus of news articles: free for research and non-commercial use",
            citation="Zhang, X., Zhao, J., LeCun, Y. Character-level Convolutional Networks for Text "
            "Classification. NeurIPS 2015.",
            expected_rows={"ag_news_train.csv": 120_000, "ag_news_test.csv": 7_600},
            expected_classes={"ag_news_train.csv": 4, "ag_news_test.csv": 4},
        ),
    )
}


@dataclass
class FetchResult:
    corpus: Corpus
    files: list[Path]
    rows: int
    classes: int


def default_cache_dir() -> Path:
    return Path(os.environ.get("TEXTML_CACHE") or Path.home() / ".cache" / "textml")


def get_corpus(name: str) -> Corpus:
    if name not in CORPORA:
        raise ConfigError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)} (see `textml data fetch --list`)")
    return CORPORA[name]


def _zip_member(blob: bytes, member: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            names = {Path(n).name: n for n in archive.namelist()}
            if member not in names:
                raise DataError(f"the download has no {member}; it holds {', '.join(names)}")
            return archive.read(names[member])
    except zipfile.BadZipFile:
        raise DataError("the download is not a zip archive; it may be an error page, try again or pass --url") from None


def _verify_md5(corpus: str, part: str, blob: bytes, expected: str) -> None:
    actual = hashlib.md5(blob).hexdigest()
    if actual != expected:
        raise DataError(f"{corpus}: {part} has md5 {actual}, expected {expected}; the download is damaged or changed")


def _download(url: str, timeout: float = 60.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"could not download {url} ({reason}); check the network, or pass --url to a mirror") from None


def fetch_corpus(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    url: str | None = None,
    force: bool = False,
) -> FetchResult:
    """Download, verify and parse corpus ``name`` into ``cache_dir/name/``; cached unless ``force``.

    ``url`` replaces the publisher's URL (for a corpus with one part) or is a base URL that
    the part's file name is appended to (for several parts).
    """
    corpus = get_corpus(name)
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    folder = folder / corpus.name
    expected_files = [folder / f for f in (corpus.expected_rows or {})]
    if not force and expected_files and all(f.exists() for f in expected_files):
        return _summarise(corpus, expected_files)

    parts = {}
    for part, default_url in corpus.urls.items():
        source = default_url
        if url:
            source = url if len(corpus.urls) == 1 else url.rstrip("/") + "/" + default_url.rsplit("/", 1)[-1]
        parts[part] = _download(source)
    outputs = corpus.parse(parts)
    for file, rows in outputs.items():
        expected = (corpus.expected_rows or {}).get(file)
        if expected is not None and len(rows) != expected:
            raise DataError(f"{corpus.name}: {file} has {len(rows):,} rows, expected {expected:,}; the download is incomplete or changed")
        classes = len({label for _, label in rows})
        expected = (corpus.expected_classes or {}).get(file)
        if expected is not None and classes != expected:
            raise DataError(f"{corpus.name}: {file} has {classes} classes, expected {expected}; the download is damaged or changed")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, rows in outputs.items():
        written.append(write_records(({"text": t, "label": label} for t, label in rows), ["text", "label"],
                                     folder / file))
    (folder / "LICENCE.txt").write_text(f"{corpus.licence}\n\nCite: {corpus.citation}\n", encoding="utf-8")
    return _summarise(corpus, written)


def _summarise(corpus: Corpus, files: list[Path]) -> FetchResult:
    rows = 0
    classes: Counter = Counter()
    for file in files:
        for chunk in iter_chunks(file, columns=Columns(text="text", label="label")):
            rows += len(chunk)
            classes.update(chunk.class_counts())
    return FetchResult(corpus=corpus, files=files, rows=rows, classes=len(classes))
