"""`make demo`: policywatch working end to end without any network.

Starts the local test site (a copy of the unified policy platform's API serving real documents) and a
local webhook receiver, runs `policywatch run` twice with a real amendment in between (one clause's
amount in the 长宁 trial policy goes from 1000 to 500 万元), then shows the alert the receiver got and
what `policywatch changes` says. Everything lives in a temporary folder that is printed at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.panel import Panel

from tests.receivers import HTTPReceiver
from tests.site.platform import SITE_IDS
from tests.site.server import TestSite

console = Console()


def policywatch(workdir: Path, *args: str) -> str:
    env = {**os.environ, "POLICYWATCH_DATA_DIR": str(workdir / "data")}
    completed = subprocess.run(
        [sys.executable, "-m", "policywatch", *args], env=env, cwd=workdir, capture_output=True, text=True
    )
    if completed.returncode != 0:
        console.print(completed.stdout, completed.stderr, markup=False)
        raise SystemExit(f"policywatch {' '.join(args)} failed with exit code {completed.returncode}")
    return completed.stdout


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="policywatch-demo-"))
    with TestSite() as site, HTTPReceiver() as receiver:
        sources = {
            "sources": [
                {
                    "id": "sh-platform",
                    "base_url": site.base_url,
                    "site_ids": list(SITE_IDS),
                    "download_delay": 0,
                    # The two runs are a minute apart: both walk fully, so the in-place edit is read.
                    "full_walk_every": 0,
                }
            ]
        }
        (workdir / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
        subscriptions = {
            "subscriptions": [
                {
                    "name": "changning-invest",
                    "urls": [receiver.url("json")],
                    "filters": {"districts": ["changning"]},
                }
            ]
        }
        (workdir / "subscriptions.yaml").write_text(yaml.safe_dump(subscriptions), encoding="utf-8")
        run = ["run", "--sources", "sources.yaml", "--subscriptions", "subscriptions.yaml"]

        console.rule("Run 1: the platform as first seen (8 real documents)")
        print(policywatch(workdir, *run))

        site.set_step("3-amended")
        console.rule("Run 2: the 长宁 trial policy amended (one clause: 不超过 1000 万元 -> 500 万元)")
        print(policywatch(workdir, *run))

        console.rule("Alerts the local webhook received for the 长宁 subscription")
        for request in receiver.delivered:
            alert = request.json
            console.print(Panel(alert["message"], title=alert["title"], expand=False), markup=False)

        console.rule("policywatch changes")
        print(policywatch(workdir, "changes"))
        amended = [c for c in json.loads(policywatch(workdir, "changes", "--json")) if c["kind"] == "amended"]
        print(json.dumps(amended, ensure_ascii=False, indent=2))
    console.print(
        f"\nThe demo's archive and raw snapshots are in {workdir}; try:\n"
        f"  cd {workdir} && POLICYWATCH_DATA_DIR=data policywatch history 长发改规〔2024〕4号",
        markup=False,
    )


if __name__ == "__main__":
    main()
