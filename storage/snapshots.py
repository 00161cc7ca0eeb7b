"""Raw snapshots: every fetched body, gzip-compressed and content-addressed by its sha256.

Identical bodies are stored once; the metadata of each fetch (URL, status, headers, time) lives in the
crawl's fetch log and the ``fetch`` table. Writes are atomic (temp file + rename), so a crash never
leaves a half-written snapshot under its final name.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path


class SnapshotMissing(LookupError):
    """A snapshot id that the store does not hold (the data directory is incomplete or another one)."""


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.gz"

    def put(self, body: bytes) -> str:
        sha256 = hashlib.sha256(body).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(body)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            return gzip.decompress(self.path(sha256).read_bytes())
        except FileNotFoundError as exc:
            raise SnapshotMissing(f"raw snapshot {sha256} is not in {self.root}") from exc
