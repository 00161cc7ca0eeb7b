"""Named crash points for recovery tests (the failpoint technique of TiKV and FoundationDB).

``POLICYWATCH_FAILPOINTS=after-crawl`` makes the process SIGKILL itself when it reaches that point, so
tests can prove that a run killed there and re-run ends with the same archive and alerts as an
uninterrupted one. ``name:N`` fires on the Nth time the point is reached. Unset, this costs one lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter[str] = Counter()


def failpoint(name: str) -> None:
    spec = os.environ.get("POLICYWATCH_FAILPOINTS")
    if not spec:
        return
    _hits[name] += 1
    for entry in spec.split(","):
        point, _, nth = entry.strip().partition(":")
        if point == name and _hits[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
