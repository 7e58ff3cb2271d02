"""`data fetch`: download, verify and parse public corpora (no internet: file:// URLs)."""

import csv
import io
import zipfile

import pytest

from tests.conftest import run_textml, shared_corpus
from textml.data.corpora import fetch_corpus
from textml.exceptions import ConfigError, DataError


def _sms_zip_from_shared(tmp_path):
    """Rebuild the publisher's archive from the ../shared copy (byte-identical member)."""
    rows = list(csv.reader(open(shared_corpus("sms"), encoding="utf-8", newline="")))[1:]
    member = "".join(f"{label}\t{text}\n" for text, label in rows).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SMSSpamCollection", member)
        archive.writestr("readme", "SMS Spam Collection v.1")
    path = tmp_path / "sms.zip"
    path.write_bytes(buffer.getvalue())
    return path


def test_sms_spam_is_verified_parsed_and_cached(tmp_path):
    archive = _sms_zip_from_shared(tmp_path)
    result = fetch_corpus("sms-spam", cache_dir=tmp_path / "cache", url=archive.as_uri())
    assert result.rows == 5574 and result.classes == 2
    with open(result.files[0], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["label"] for r in rows} == {"ham", "spam"}
    assert b"\r\n" not in result.files[0].read_bytes()  # \n line endings, as every textml CSV
    archive.unlink()  # cached now: no download needed
    assert fetch_corpus("sms-spam", cache_dir=tmp_path / "cache").rows == 5574


def test_damaged_download_fails_checksum(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SMSSpamCollection", "ham\thello\n")
    (tmp_path / "bad.zip").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match="md5"):
        fetch_corpus("sms-spam", cache_dir=tmp_path / "cache", url=(tmp_path / "bad.zip").as_uri())
    assert not (tmp_path / "cache" / "sms-spam" / "sms_spam.csv").exists()


def test_ag_news_parser_and_count_verification(tmp_path):
    lines = '"3","Wall St. Bears Claw Back","Reuters - Short-sellers\\are back."\n"2","Cup final","A goal."\n'
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "train.csv").write_text(lines, encoding="utf-8")
    (mirror / "test.csv").write_text(lines, encoding="utf-8")
    with pytest.raises(DataError, match=r"2 rows, expected 120,000"):
        fetch_corpus("ag-news", cache_dir=tmp_path / "cache", url=mirror.as_uri())


def test_unreachable_url_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match="could not download"):
        fetch_corpus("sms-spam", cache_dir=tmp_path, url=(tmp_path / "missing.zip").as_uri())


def test_unknown_corpus():
    with pytest.raises(ConfigError, match="known: sms-spam, ag-news"):
        fetch_corpus("imdb")


def test_cli_lists_corpora():
    result = run_textml("data", "fetch", "--list")
    assert result.returncode == 0
    assert "sms-spam" in result.stdout and "ag-news" in result.stdout
