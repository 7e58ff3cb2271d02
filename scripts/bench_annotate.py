#!/usr/bin/env python3
"""Time `textml annotate push` and `pull` on 10,000 rows against a real Label Studio server.

    python scripts/bench_annotate.py                 # starts a throwaway server, stops it after
    python scripts/bench_annotate.py --rows 2000
    python scripts/bench_annotate.py --url http://localhost:8080 --api-key ...   # an existing server

Run it with the Python that has textml and label-studio-sdk installed. The server comes
from scripts/label_studio_server.py (own venv; TEXTML_LS_VENV / TEXTML_LS_TEMPLATE skip
the install and migrations). Rows are product titles from textml/data/bundled/products.csv, written
as an eyeball set (id, text, label, predicted, prob_predicted, ...).

Timed, as a user runs them (whole CLI processes, wall clock):
  push     10,000 rows with predictions into a new project
  re-push  the same file again (lists the project's keys, imports nothing)
  pull     a project of 10,000 tasks annotated by two people (imported in bulk; not timed),
           resolved and merged into the 10,000-row file
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import label_studio_server as lss  # noqa: E402

CLI = ("import sys; from textml.cli import cli, main; from textml.cli.annotate import annotate; "
       "'annotate' in cli.commands or cli.add_command(annotate); main(sys.argv[1:])")
RUN_ID = "bench0000000000000000000000000000"


def server_cpu(pid: int | None) -> float:
    """CPU seconds the server process has used (0 when it is not ours or there is no procfs)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def textml(*args, url, key, server_pid=None) -> dict:
    """Run the CLI; its wall time, its own CPU time and the server's CPU time meanwhile."""
    env = dict(os.environ, LABEL_STUDIO_URL=url, LABEL_STUDIO_API_KEY=key)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu(server_pid)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CLI, *map(str, args)], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"textml {' '.join(map(str, args))} failed:\n{result.stderr}")
    print(result.stdout.strip(), file=sys.stderr)
    return {"wall": round(seconds, 1),
            "client_cpu": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
            "server_cpu": round(server_cpu(server_pid) - server_before, 1)}


def make_rows(n: int, folder: Path) -> tuple[Path, list[dict]]:
    with open(REPO / "textml" / "data" / "bundled" / "products.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:n]
    if len(rows) < n:
        sys.exit(f"textml/data/bundled/products.csv has only {len(rows)} rows")
    labels = sorted({r["label"] for r in rows})
    rng = random.Random(0)
    for row in rows:
        row["predicted"] = rng.choice([x for x in labels if x != row["label"]])
        row["prob_predicted"] = round(rng.uniform(0.5, 0.99), 4)
        row["prob_label"] = round(rng.uniform(0, 1 - row["prob_predicted"]), 4)
        row["margin"] = round(row["prob_predicted"] - row["prob_label"], 4)
    path = folder / "eyeball.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label", "predicted", "prob_label",
                                                    "prob_predicted", "margin"])
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def annotated_project(url: str, key: str, info: dict | None, rows: list[dict], title: str) -> float:
    """A project whose tasks (as textml pushes them) two people annotated; bulk-imported."""
    from label_studio_sdk import LabelStudio

    from textml.annotation import build_task, labelling_config, parse_config
    from textml.annotation.keys import id_key

    start = time.perf_counter()
    admin = LabelStudio(base_url=url, api_key=key)
    if info is not None:
        people = [lss.create_user(info, f"bench{i}@example.com", f"bench{i}-password")["id"] for i in (1, 2)]
    else:
        people = [admin.users.whoami().id] * 2
    labels = sorted({r["label"] for r in rows} | {r["predicted"] for r in rows})
    config = labelling_config(labels)
    schema = parse_config(config)
    project = admin.projects.create(title=title, label_config=config)
    rng = random.Random(1)
    tasks = []
    for row in rows:
        task = build_task(schema, id_key(row["id"]), row["id"], row["text"], row["label"], row["predicted"],
                          row["prob_predicted"], RUN_ID)
        draw = rng.random()
        votes = ((row["predicted"], row["predicted"]) if draw < 0.05 else (row["label"], row["predicted"])
                 if draw < 0.15 else (row["label"], None) if draw < 0.20 else (row["label"], row["label"]))
        task["annotations"] = [{"result": [] if v is None else schema.result(v), "was_cancelled": v is None,
                                "completed_by": who} for who, v in zip(people, votes)]
        tasks.append(task)
    for i in range(0, len(tasks), 1000):
        admin.projects.import_tasks(id=project.id, request=tasks[i:i + 1000])
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--url", default=None, help="use this server instead of starting one")
    ap.add_argument("--api-key", default=None)
    ap.add_argument("--json", dest="json_out", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()

    info = None
    if args.url:
        url, key = args.url, args.api_key or os.environ.get("LABEL_STUDIO_API_KEY")
        if not key:
            sys.exit("--api-key (or LABEL_STUDIO_API_KEY) is needed with --url")
    else:
        state = Path(tempfile.mkdtemp(prefix="bench-annotate-")) / "server.json"
        info = lss.start_server(state_file=state)
        url, key = info["url"], info["token"]
    stamp = time.strftime("%H%M%S")
    figures: dict = {"rows": args.rows, "cpus": os.cpu_count(), "load_average": list(os.getloadavg())}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            eyeball, rows = make_rows(args.rows, folder)
            push_title, pull_title = f"bench push {stamp}", f"bench pull {stamp}"
            push_args = ("annotate", "push", eyeball, "--project", push_title, "--model-version", RUN_ID, "--quiet")
            pid = info["pid"] if info else None
            figures["push"] = textml(*push_args, url=url, key=key, server_pid=pid)
            figures["repush"] = textml(*push_args, url=url, key=key, server_pid=pid)
            figures["annotated_project_setup_seconds"] = round(annotated_project(url, key, info, rows, pull_title), 1)
            figures["pull"] = textml("annotate", "pull", "--project", pull_title, "--out", folder / "curated.csv",
                                     "--merge-into", eyeball, "--quiet", url=url, key=key, server_pid=pid)
            with open(folder / "curated.csv", encoding="utf-8") as handle:
                figures["pulled_rows"] = sum(1 for _ in handle) - 1
    finally:
        if info is not None:
            lss.stop_server(info)
    figures["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    figures["load_average"] = [round(x, 1) for x in figures["load_average"]]
    print(f"{args.rows:,} rows (load average {figures['load_average'][0]} -> {figures['load_average_after'][0]} "
          f"on {figures['cpus']} cores):")
    for name in ("push", "repush", "pull"):
        f = figures[name]
        print(f"  {name:<7} {f['wall']:6.1f} s wall   (CPU: client {f['client_cpu']} s, server {f['server_cpu']} s)")
    print(f"  pulled {figures['pulled_rows']:,} labelled rows; setup of the annotated project "
          f"{figures['annotated_project_setup_seconds']} s")
    print(json.dumps(figures))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
