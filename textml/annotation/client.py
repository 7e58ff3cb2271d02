"""The connection to a Label Studio server (label-studio-sdk 2.x), and its errors in plain words.

:func:`connect` takes ``url``/``api_key`` or falls back to ``LABEL_STUDIO_URL`` and
``LABEL_STUDIO_API_KEY`` (read when called, not when the SDK is imported). Both kinds of
key work: a legacy token (sent as ``Authorization: Token ...``) and a personal access
token, a JWT refresh token which the SDK exchanges for short-lived access tokens.

Every SDK call goes through :meth:`Connection.call`, which turns what can go wrong into
one :class:`~textml.exceptions.AnnotationError` line that says what, where and what to do:

=============================  =====================================================
SDK raises                     meaning
=============================  =====================================================
``httpx.ConnectError``         server down, wrong port or host (the SDK retries a
                               refused connection for ~3 s unless ``max_retries=0``)
``httpx.UnsupportedProtocol``  URL without ``http://`` (checked before any call)
``httpx.TimeoutException``     server too slow
``ApiError`` 401               wrong, revoked or expired key (catch ``ApiError`` and
                               test ``status_code``: some calls raise the subclass
                               ``UnauthorizedError``, others plain ``ApiError``)
``ApiError`` 404               unknown project, or a URL with a wrong path prefix
                               (then the body is a whole HTML page: never shown)
``ApiError`` 400               validation (``body["validation_errors"]`` or a dict)
=============================  =====================================================

The key never appears in messages: they are built from the status code and body only
(``str(ApiError)`` lists all headers), and anything that looks like the key or an
``Authorization`` value is scrubbed. textml writes the key nowhere: not in output
files, logs, or MLflow (the annotation package does not talk to MLflow at all).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from textml.exceptions import AnnotationError

ENV_URL = "LABEL_STUDIO_URL"
ENV_API_KEY = "LABEL_STUDIO_API_KEY"
DEFAULT_TIMEOUT = 60.0  # seconds per request (the SDK's default)
EXPORT_TIMEOUT = 900.0  # the synchronous export of a big project takes a while
PAGE_SIZE = 1000  # larger pages are not faster (the server's time dominates)
TITLE_MIN, TITLE_MAX = 3, 50  # Label Studio's limits for project titles

_AUTH_VALUE = re.compile(r"\b(Token|Bearer)\s+[A-Za-z0-9._\-]{16,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def display_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    return urllib.parse.urlunsplit(parts)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with the given secrets, Authorization values and JWTs replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} ***", text)
    return _JWT.sub("***", text)


def _body_text(body: Any, limit: int = 200) -> str:
    """A short, readable version of an error body (HTML pages are not shown)."""
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "message", "error"):
            if key in body and body[key]:
                value = body[key]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                break
        else:
            text = json.dumps(body, ensure_ascii=False)
    else:
        text = str(body)
    if text.lstrip()[:1] == "<":
        return "an HTML page"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Connection:
    """A checked connection: the SDK client, the server's URL and who we are logged in as."""

    url: str
    client: Any = field(repr=False)
    user_id: int | None = None
    user_email: str | None = None
    _secrets: tuple[str, ...] = field(default=(), repr=False)

    # --- errors -------------------------------------------------------------------------

    def call(self, action: str, fn: Callable, *args, ref: str | None = None, **kwargs):
        """Run one SDK call; turn its failure into an AnnotationError about ``action``.

        ``ref`` names the project the call is about, so a 404 reads 'no project <ref>'.
        """
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            error = self.translate(exc, action, ref)
            if error is None:
                raise
            raise error from None

    def translate(self, exc: Exception, action: str, project: str | None = None) -> AnnotationError | None:
        """The AnnotationError for an SDK/HTTP failure, or None if ``exc`` is not one."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        where = display_url(self.url)
        if isinstance(exc, ApiError):
            status, detail = exc.status_code, _body_text(exc.body)
            said = f": {detail}" if detail else ""
            if status == 401:
                message = (f"Label Studio at {where} refused the API key (HTTP 401{said}); check --api-key or "
                           f"{ENV_API_KEY}: use the legacy token or a personal access token from "
                           f"Account & Settings")
            elif status == 403:
                message = (f"Label Studio at {where} does not allow this user to {action} (HTTP 403{said}); "
                           f"use the key of a user with access to the project")
            elif status == 404 and project is not None:
                message = (f"no project {project} at {where} (HTTP 404); check --project "
                           f"(a project title or its number, as in the project's URL)")
            elif status == 404:
                message = (f"{where} answered 'not found' while trying to {action} (HTTP 404{said}); is --url the "
                           f"address of the Label Studio server, without a path?")
            elif status == 400:
                message = f"Label Studio at {where} rejected the request to {action} (HTTP 400{said})"
            elif status is not None and status >= 500:
                message = (f"Label Studio at {where} failed while trying to {action} (HTTP {status}); see the "
                           f"server's log, then run the command again")
            else:
                message = f"Label Studio at {where} could not {action} (HTTP {status}{said})"
        elif isinstance(exc, httpx.ConnectError):
            reason = str(exc).split("] ")[-1] if "]" in str(exc) else str(exc)
            message = (f"cannot reach Label Studio at {where} ({reason or 'connection failed'}); is the server "
                       f"running, and are --url / {ENV_URL} right?")
        elif isinstance(exc, httpx.TimeoutException):
            message = (f"Label Studio at {where} did not answer in time while trying to {action}; the server may be "
                       f"overloaded: try again")
        elif isinstance(exc, httpx.HTTPError):
            message = f"talking to Label Studio at {where} failed while trying to {action} ({type(exc).__name__}: {exc})"
        elif isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
            message = (f"{where} did not answer like a Label Studio server while trying to {action}; is --url "
                       f"the address of the Label Studio server?")
        else:
            return None
        return AnnotationError(scrub(message, self._secrets))

    # --- projects -----------------------------------------------------------------------

    def project_url(self, project_id: int) -> str:
        return f"{display_url(self.url)}/projects/{project_id}"

    def find_project(self, ref: str | int) -> Any | None:
        """The project titled ``ref`` (exactly), or numbered ``ref`` if it is all digits; None if no
        project has that title. An unknown number is an error (a number cannot name a new project)."""
        ref = str(ref).strip()
        if not ref:
            raise AnnotationError("--project is empty; give a project title or number")
        if ref.isdigit():
            return self.call("read the project", self.client.projects.get, id=int(ref), ref=ref)
        pager = self.call("list projects", self.client.projects.list, title=ref, page_size=PAGE_SIZE)
        # title= is a case-insensitive substring filter, and titles need not be unique
        found = [p for p in self.call("list projects", lambda: list(pager)) if p.title == ref]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise AnnotationError(f"{len(found)} projects at {display_url(self.url)} are titled {ref!r} "
                                  f"(numbers {ids}); pass --project with the number of the one you mean")
        if not found:
            return None
        # the listing leaves out some fields (e.g. the config on some versions): read it whole
        return self.call("read the project", self.client.projects.get, id=found[0].id, ref=ref)

    def require_project(self, ref: str | int) -> Any:
        project = self.find_project(ref)
        if project is None:
            raise AnnotationError(f"no project titled {str(ref)!r} at {display_url(self.url)}; check --project "
                                  f"(titles must match exactly) or push to it first")
        return project

    def create_project(self, title: str, label_config: str, description: str = "") -> Any:
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            raise AnnotationError(f"cannot create project {title!r}: Label Studio needs a title of {TITLE_MIN} to "
                                  f"{TITLE_MAX} characters; choose another --project name")
        return self.call("create the project", self.client.projects.create, title=title,
                         label_config=label_config, description=description)

    # --- tasks --------------------------------------------------------------------------

    def iter_task_data(self, project_id: int) -> Iterator[tuple[int, dict]]:
        """(task id, task data) of every task of a project: the fast listing (no annotations)."""
        pager = self.call("list the project's tasks", self.client.tasks.list, project=project_id,
                          page_size=PAGE_SIZE, fields="task_only", include="id,data")
        iterator = iter(pager)
        while True:
            task = self.call("list the project's tasks", next, iterator, None)
            if task is None:
                return
            yield task.id, (task.data or {})

    def import_tasks(self, project_id: int, tasks: list[dict]) -> int:
        """Import one batch of tasks synchronously; the number of tasks created.

        Not retried automatically: a failed batch is simply imported again by the next
        push, which skips the rows already there.
        """
        response = self.call("import tasks", self.client.projects.import_tasks, id=project_id, request=tasks,
                             request_options={"max_retries": 0})
        return int(getattr(response, "task_count", None) or len(tasks))

    def export_annotated(self, project_id: int) -> list[dict]:
        """Every task with at least one non-skipped annotation, with ALL its annotations (skipped
        ones included), in Label Studio's JSON export format.

        Uses an export snapshot (created, downloaded, then deleted): about 20% faster than
        the one-shot ``/export`` endpoint, which also expands drafts one task at a time.
        Either way the server's serialisation dominates the time of a pull.
        """
        ref = str(project_id)
        export = self.call("export the project's annotations", self.client.projects.exports.create, id=project_id,
                           title="textml annotate pull", task_filter_options={"annotated": "only"},
                           serialization_options={"drafts": {"only_id": True}, "predictions": {"only_id": True},
                                                  "annotations__completed_by": {"only_id": True},
                                                  "include_annotation_history": False},
                           request_options={"timeout": EXPORT_TIMEOUT}, ref=ref)
        try:
            deadline = time.monotonic() + EXPORT_TIMEOUT
            status = str(getattr(export, "status", "") or "")
            while status not in ("completed", "failed"):  # servers with a job queue export in the background
                if time.monotonic() > deadline:
                    raise AnnotationError(f"the export of project {project_id} at {display_url(self.url)} did not "
                                          f"finish in {EXPORT_TIMEOUT:.0f} s; try again later")
                time.sleep(1.0)
                status = str(self.call("export the project's annotations", self.client.projects.exports.get,
                                       id=project_id, export_pk=export.id, ref=ref).status or "")
            if status == "failed":
                raise AnnotationError(f"Label Studio at {display_url(self.url)} failed to export project "
                                      f"{project_id}; see the server's log, then try again")
            chunks = self.call("download the export", self.client.projects.exports.download, id=project_id,
                               export_pk=export.id, export_type="JSON", request_options={"timeout": EXPORT_TIMEOUT})
            raw = self.call("download the export", lambda: b"".join(chunks))
        finally:
            try:  # do not leave a snapshot file per pull on the server
                self.client.projects.exports.delete(id=project_id, export_pk=export.id,
                                                    request_options={"max_retries": 0})
            except Exception:  # noqa: BLE001 - best effort; the pull itself succeeded or failed already
                pass
        try:
            tasks = json.loads(raw)
        except ValueError:
            raise AnnotationError(f"the export of project {project_id} from {display_url(self.url)} is not JSON; "
                                  f"check the server's log") from None
        if not isinstance(tasks, list):
            raise AnnotationError(f"the export of project {project_id} is not a list of tasks; check the server")
        return tasks

    def count_skipped_only(self, project_id: int) -> int:
        """Tasks whose every annotation was skipped (the export above leaves them out)."""
        query = {"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:total_annotations", "operator": "equal", "type": "Number", "value": 0},
            {"filter": "filter:tasks:cancelled_annotations", "operator": "greater", "type": "Number", "value": 0}]}}
        pager = self.call("count skipped tasks", self.client.tasks.list, project=project_id, page_size=1,
                          fields="task_only", include="id", query=json.dumps(query))
        response = getattr(pager, "response", None)
        return int(getattr(response, "total", 0) or 0)

    def user_emails(self) -> dict[int, str]:
        """User id -> email (annotations name their annotator by id)."""
        users = self.call("list users", self.client.users.list)
        return {u.id: (u.email or u.username or str(u.id)) for u in users}


def connect(url: str | None = None, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT,
            check: bool = True) -> Connection:
    """A connection to Label Studio at ``url`` with ``api_key`` (defaults: the environment).

    With ``check`` (the default) it asks the server who we are, so a wrong URL, a server
    that is down or a refused key fail here, in one clear line, before any work.
    """
    from textml import extras

    extras.check("labelstudio", "textml annotate")  # first: a core install names the extra, not a missing URL
    url = (url or os.environ.get(ENV_URL) or "").strip()
    api_key = (api_key or os.environ.get(ENV_API_KEY) or "").strip()
    if not url:
        raise AnnotationError(f"no Label Studio URL: pass --url or set {ENV_URL} (e.g. http://localhost:8080)")
    if not api_key:
        raise AnnotationError(f"no Label Studio API key: pass --api-key or set {ENV_API_KEY} (Account & Settings "
                              f"in Label Studio shows a legacy token or makes a personal access token)")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AnnotationError(f"--url {display_url(url)!r} is not an http(s) address; write it like "
                              f"http://localhost:8080")
    url = url.rstrip("/")
    secrets = (api_key,)
    conn = Connection(url=url, client=None, _secrets=secrets)
    LabelStudio = extras.require("labelstudio", "textml annotate", "label_studio_sdk").LabelStudio

    # a personal access token is a JWT: the SDK checks its expiry while constructing
    conn.client = conn.call("connect", LabelStudio, base_url=url, api_key=api_key, timeout=timeout)
    if check:
        me = conn.call("check who the API key belongs to", conn.client.users.whoami,
                       request_options={"max_retries": 0})
        conn.user_id, conn.user_email = getattr(me, "id", None), getattr(me, "email", None)
    return conn
