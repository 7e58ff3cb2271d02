#!/usr/bin/env python3
"""Install and run a throwaway Label Studio server for tests.

Standard library only.  Usage::

    python scripts/label_studio_server.py start    # prints the state as JSON
    python scripts/label_studio_server.py status
    python scripts/label_studio_server.py stop

or, from Python (e.g. a session-scoped pytest fixture)::

    from label_studio_server import start_server, stop_server
    info = start_server()          # {"url", "port", "pid", "token", ...}
    ...
    stop_server(info)

Label Studio's pins clash with MLflow's, so it lives in its OWN virtual
environment (default ``.cache/label-studio-venv`` under the repo root,
override with ``TEXTML_LS_VENV``), installed there on first use only.

Every start uses a fresh data folder (SQLite) in the system temp dir.  The
first start migrates the database (~90 s); its migrated data folder is then
saved as a template (``.cache/label-studio-template``, override with
``TEXTML_LS_TEMPLATE``) and later starts copy it (~10 s).

Environment overrides:
  TEXTML_LS_VENV           venv folder for Label Studio
  TEXTML_LS_SPEC           pip requirement (default: DEFAULT_SPEC below)
  TEXTML_LS_TEMPLATE       migrated data-folder template
  TEXTML_LS_STATE          JSON state file written by `start`
  TEXTML_LS_START_TIMEOUT  seconds to wait for /health (default 300)
  TEXTML_LS_KEEP_FAILED    if set, keep the data folder of a failed start
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = "label-studio==1.23.2"
DEFAULT_VENV = REPO_ROOT / ".cache" / "label-studio-venv"
DEFAULT_TEMPLATE = REPO_ROOT / ".cache" / "label-studio-template"
DEFAULT_STATE = REPO_ROOT / ".cache" / "label-studio-server.json"

# Fixed credentials: they are baked into the template database.  The server
# only ever listens on 127.0.0.1 and its data folder is thrown away.
USERNAME = "textml-admin@example.com"
PASSWORD = "textml-admin-password"
TEMPLATE_MARKER = ".textml-template.json"
INSTALL_MARKER = ".textml-installed.json"
DB_NAME = "label_studio.sqlite3"

# Variables Label Studio also reads (plain names!) and which must not leak in.
_UNSET_ENV = ("USERNAME", "PASSWORD", "USER_TOKEN", "PORT", "HOST",
              "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")


class LabelStudioServerError(RuntimeError):
    pass


def _log(msg: str) -> None:
    print(f"[label-studio] {msg}", file=sys.stderr, flush=True)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text[-lines:])


def _venv_dir(venv: str | os.PathLike | None) -> Path:
    return Path(venv or os.environ.get("TEXTML_LS_VENV") or DEFAULT_VENV).resolve()


def _spec(spec: str | None) -> str:
    return spec or os.environ.get("TEXTML_LS_SPEC") or DEFAULT_SPEC


# --------------------------------------------------------------------------
# install
# --------------------------------------------------------------------------
def ensure_installed(venv: str | os.PathLike | None = None,
                     spec: str | None = None) -> dict:
    """Install Label Studio into its own venv unless already there.

    Returns {"venv", "executable", "version", "installed_now", "seconds"}.
    """
    venv_dir = _venv_dir(venv)
    spec = _spec(spec)
    py = venv_dir / "bin" / "python"
    exe = venv_dir / "bin" / "label-studio"
    marker = venv_dir / INSTALL_MARKER
    if exe.exists() and py.exists() and marker.exists():
        try:
            data = json.loads(marker.read_text())
        except ValueError:
            data = {}
        if data.get("spec") == spec and data.get("version"):
            return {"venv": str(venv_dir), "executable": str(exe),
                    "version": data["version"], "installed_now": False,
                    "seconds": 0.0}

    t0 = time.monotonic()
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    log_path = venv_dir.parent / (venv_dir.name + "-install.log")
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_ENV}
    with open(log_path, "w") as log:
        def run(cmd):
            log.write(f"$ {' '.join(map(str, cmd))}\n")
            log.flush()
            rc = subprocess.call([str(c) for c in cmd], stdout=log,
                                 stderr=subprocess.STDOUT, env=env)
            if rc != 0:
                log.flush()
                raise LabelStudioServerError(
                    f"command failed (exit {rc}): {' '.join(map(str, cmd))}\n"
                    f"--- tail of {log_path} ---\n{_tail(log_path)}")

        _log(f"installing {spec} into {venv_dir} (log: {log_path}); "
             "this takes a few minutes")
        if not py.exists():
            run([sys.executable, "-m", "venv", venv_dir])
        run([py, "-m", "pip", "install", "--upgrade", "pip", "setuptools", "wheel"])
        run([py, "-m", "pip", "install", spec])
        out = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; "
             "print(m.version('label-studio'))"],
            capture_output=True, text=True, env=env)
        if out.returncode != 0 or not exe.exists():
            raise LabelStudioServerError(
                f"label-studio not usable after install:\n{out.stderr}\n"
                f"--- tail of {log_path} ---\n{_tail(log_path)}")
        version = out.stdout.strip()
    seconds = round(time.monotonic() - t0, 1)
    marker.write_text(json.dumps({"spec": spec, "version": version,
                                  "install_seconds": seconds}))
    _log(f"installed label-studio {version} in {seconds} s")
    return {"venv": str(venv_dir), "executable": str(exe), "version": version,
            "installed_now": True, "seconds": seconds}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_busy(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _http_get(url: str, token: str | None = None, timeout: float = 5.0):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


def _healthy(url: str) -> bool:
    try:
        status, body = _http_get(url.rstrip("/") + "/health", timeout=3)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return status == 200 and "UP" in body


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still "exists": reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    return True


def _copy_data_dir(src: Path, dst: Path) -> None:
    """Copy a Label Studio data folder; the SQLite DB via the backup API so a
    running server's database is copied consistently."""
    ignore = shutil.ignore_patterns(DB_NAME, DB_NAME + "-*", "*.log",
                                    TEMPLATE_MARKER)
    shutil.copytree(src, dst, ignore=ignore, dirs_exist_ok=True)
    if (src / DB_NAME).exists():
        s = sqlite3.connect(f"file:{src / DB_NAME}?mode=ro", uri=True)
        d = sqlite3.connect(dst / DB_NAME)
        try:
            s.backup(d)
        finally:
            d.close()
            s.close()


def _load_template(template: Path, version: str) -> dict | None:
    marker = template / TEMPLATE_MARKER
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    if data.get("label_studio_version") != version or not (template / DB_NAME).exists():
        return None
    return data


def _save_template(data_dir: Path, template: Path, meta: dict) -> None:
    tmp = template.parent / f"{template.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _copy_data_dir(data_dir, tmp)
    (tmp / TEMPLATE_MARKER).write_text(json.dumps(meta, indent=2))
    old = template.parent / f"{template.name}.old-{os.getpid()}"
    if template.exists():
        template.rename(old)
    tmp.rename(template)
    shutil.rmtree(old, ignore_errors=True)


def _server_env(data_dir: Path, token: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in _UNSET_ENV and not k.startswith("LABEL_STUDIO_")}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "DJANGO_DB": "sqlite",
        "LABEL_STUDIO_USERNAME": USERNAME,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    })
    return env


# --------------------------------------------------------------------------
# start / stop
# --------------------------------------------------------------------------
def start_server(port: int | None = None, data_dir: str | os.PathLike | None = None,
                 venv: str | os.PathLike | None = None,
                 template: str | os.PathLike | None = None,
                 state_file: str | os.PathLike | None = None,
                 timeout: float | None = None, use_template: bool = True,
                 spec: str | None = None) -> dict:
    """Install (if needed) and start Label Studio on 127.0.0.1.

    Returns the state dict (also written as JSON to ``state_file``):
    url, port, pid, token, username, password, data_dir, log_path,
    version, from_template, start_seconds, state_file, owns_data_dir.
    """
    inst = ensure_installed(venv, spec)
    template = Path(template or os.environ.get("TEXTML_LS_TEMPLATE")
                    or DEFAULT_TEMPLATE).resolve()
    state_path = Path(state_file or os.environ.get("TEXTML_LS_STATE")
                      or DEFAULT_STATE).resolve()
    port = port or _free_port()
    if _port_busy(port):
        raise LabelStudioServerError(
            f"port {port} is busy (Label Studio would silently move to another one)")
    owns_data_dir = data_dir is None
    data_path = (Path(tempfile.mkdtemp(prefix="textml-label-studio-"))
                 if owns_data_dir else Path(data_dir).resolve())
    data_path.mkdir(parents=True, exist_ok=True)

    tmpl = _load_template(template, inst["version"]) if use_template else None
    if tmpl:
        _copy_data_dir(template, data_path)
        token = tmpl["token"]
    else:
        token = secrets.token_hex(20)  # 40 hex chars, like a DRF token
    if timeout is None:
        timeout = float(os.environ.get("TEXTML_LS_START_TIMEOUT") or 300)

    url = f"http://127.0.0.1:{port}"
    log_path = data_path / "label-studio-server.log"
    cmd = [inst["executable"], "start", "--no-browser",
           "--internal-host", "127.0.0.1", "--port", str(port)]
    t0 = time.monotonic()
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            env=_server_env(data_path, token),
                            cwd=str(data_path), start_new_session=True)
    log.close()
    info = {
        "url": url, "port": port, "pid": proc.pid, "token": token,
        "username": USERNAME, "password": PASSWORD,
        "data_dir": str(data_path), "log_path": str(log_path),
        "version": inst["version"], "from_template": bool(tmpl),
        "state_file": str(state_path), "owns_data_dir": owns_data_dir,
    }
    _log(f"starting label-studio {inst['version']} on {url} "
         f"({'from template' if tmpl else 'fresh database, migrating: ~90 s'}); "
         f"log: {log_path}")

    def fail(why: str):
        _kill_group(proc.pid)
        msg = (f"Label Studio did not start: {why}\n"
               f"--- tail of {log_path} ---\n{_tail(log_path)}")
        if owns_data_dir and not os.environ.get("TEXTML_LS_KEEP_FAILED"):
            shutil.rmtree(data_path, ignore_errors=True)
            msg += "\n(data folder removed; set TEXTML_LS_KEEP_FAILED=1 to keep it)"
        raise LabelStudioServerError(msg)

    deadline = t0 + timeout
    while True:
        if proc.poll() is not None:
            fail(f"process exited with code {proc.returncode}")
        if _healthy(url):
            break
        if time.monotonic() > deadline:
            fail(f"no answer on {url}/health after {timeout:.0f} s")
        time.sleep(1.0)

    # Make sure it is OUR server on that port and the token works.
    try:
        status, body = _http_get(url + "/api/current-user/whoami", token=token)
        who = json.loads(body)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        fail(f"{url} answers /health but the API token is refused ({exc})")
    if who.get("email") != USERNAME:
        fail(f"{url} is not our server (whoami={who!r})")
    info["user_id"] = who.get("id")
    info["start_seconds"] = round(time.monotonic() - t0, 1)
    _log(f"up in {info['start_seconds']} s (pid {proc.pid})")

    if use_template and not tmpl:
        try:
            _save_template(data_path, template, {
                "label_studio_version": inst["version"], "token": token,
                "username": USERNAME, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "first_start_seconds": info["start_seconds"]})
            _log(f"saved migrated data folder as template {template}")
        except (OSError, sqlite3.Error) as exc:  # not fatal
            _log(f"could not save template {template}: {exc}")

    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(info, indent=2))
    return info


def _kill_group(pid: int, grace: float = 15.0) -> None:
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    if pgid != pid:  # not the leader of its own group: kill only the process
        sig_target = lambda s: os.kill(pid, s)  # noqa: E731
    else:
        sig_target = lambda s: os.killpg(pgid, s)  # noqa: E731
    try:
        sig_target(signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            break
        time.sleep(0.2)
    try:
        sig_target(signal.SIGKILL)  # also catches leftover children
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _is_label_studio(pid: int) -> bool:
    """Guard against PID reuse: is `pid` still a label-studio process?"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs: cannot tell
    except OSError:
        return False
    return b"label-studio" in cmdline


def stop_server(info: dict | None = None, remove_data: bool = True) -> None:
    """Stop a server started by start_server (its whole process group) and
    remove its throwaway data folder and state file."""
    if info is None:
        info = read_state()
        if info is None:
            return
    pid = int(info["pid"])
    if _pid_alive(pid) and _is_label_studio(pid):
        _kill_group(pid)
    data_dir = info.get("data_dir")
    if remove_data and info.get("owns_data_dir") and data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    state = info.get("state_file")
    if state:
        try:
            if json.loads(Path(state).read_text()).get("pid") == pid:
                Path(state).unlink()
        except (OSError, ValueError):
            pass


def create_user(info: dict, email: str, password: str) -> dict:
    """Create another user through the sign-up form (as a person would) and
    return {"id", "email", "token"} with their legacy API token.

    Users made with the REST API (POST /api/users/) get no password and no
    active organization, so they see no projects; signing up avoids both.
    """
    import http.cookiejar
    import urllib.parse

    url = info["url"].rstrip("/")
    jar = http.cookiejar.CookieJar()

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.open(url + "/user/signup/", timeout=30).read()
    csrf = next((c.value for c in jar if c.name == "csrftoken"), "")
    body = urllib.parse.urlencode({"email": email, "password": password,
                                   "csrfmiddlewaretoken": csrf}).encode()
    req = urllib.request.Request(url + "/user/signup/", data=body,
                                 headers={"Referer": url + "/user/signup/"})
    try:
        status = opener.open(req, timeout=30).status
    except urllib.error.HTTPError as exc:  # the 302 on success lands here
        status = exc.code
    if status != 302:
        raise LabelStudioServerError(
            f"sign-up of {email} failed (HTTP {status}; exists already, or "
            "password shorter than 8 characters?)")
    with opener.open(url + "/api/current-user/whoami", timeout=30) as resp:
        who = json.loads(resp.read())
    with opener.open(url + "/api/current-user/token", timeout=30) as resp:
        token = json.loads(resp.read())["token"]
    return {"id": who["id"], "email": who["email"], "token": token}


def read_state(state_file: str | os.PathLike | None = None) -> dict | None:
    path = Path(state_file or os.environ.get("TEXTML_LS_STATE") or DEFAULT_STATE)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def server_status(state_file: str | os.PathLike | None = None) -> dict:
    info = read_state(state_file)
    if info is None:
        return {"running": False, "reason": "no state file"}
    alive = _pid_alive(int(info["pid"])) and _is_label_studio(int(info["pid"]))
    return {**info, "running": alive and _healthy(info["url"]),
            "pid_alive": alive}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["start", "stop", "status", "install"])
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--state-file", default=None)
    ap.add_argument("--no-template", action="store_true",
                    help="migrate a fresh database; do not use/save the template")
    ap.add_argument("--keep-data", action="store_true",
                    help="stop: keep the data folder")
    args = ap.parse_args(argv)
    try:
        if args.command == "install":
            print(json.dumps(ensure_installed(), indent=2))
        elif args.command == "start":
            old = server_status(args.state_file)
            if old.get("running"):
                print(json.dumps(old, indent=2))
                _log("already running")
                return 0
            info = start_server(port=args.port, state_file=args.state_file,
                                use_template=not args.no_template)
            print(json.dumps(info, indent=2))
        elif args.command == "stop":
            info = read_state(args.state_file)
            if info is None:
                _log("no state file: nothing to stop")
                return 0
            stop_server(info, remove_data=not args.keep_data)
            _log(f"stopped pid {info['pid']}")
        else:
            st = server_status(args.state_file)
            print(json.dumps(st, indent=2))
            return 0 if st.get("running") else 1
    except LabelStudioServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
