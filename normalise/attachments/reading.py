"""Bytes of one attachment -> its canonical text or a typed error; cached per distinct file.

Readers run in a child process (``python -m normalise.attachments.reading``): xlrd, for one, loops forever
on some damaged sector chains and pdfminer can be driven to exhaust memory, and neither can be interrupted
from inside. The child and the commands it starts are killed at the time limit, and it has a memory limit,
so a hostile file costs one attachment, never the archive stage.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path

from normalise.attachments.common import Deadline, ReadFailed
from normalise.attachments.limits import DEFAULT_LIMITS, Limits
from normalise.attachments.office import read_doc, read_docx, read_xls, read_xlsx
from normalise.attachments.pdf import read_pdf
from normalise.attachments.result import (
    AttachmentError,
    AttachmentResult,
    ExtractedText,
    result_from_dict,
    result_to_dict,
)
from normalise.attachments.sniff import sniff

# Bump when a reader's output can change for the same bytes: cached results of older readers are ignored.
EXTRACTOR_VERSION = 1

_READERS: dict[str, Callable[[bytes, Limits, Deadline], ExtractedText]] = {
    "pdf": read_pdf,
    "doc": read_doc,
    "docx": read_docx,
    "xls": read_xls,
    "xlsx": read_xlsx,
}
# Time the child gets past the readers' own deadline to report a timeout itself.
_GRACE_S = 2.0
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def extract(data: bytes, limits: Limits = DEFAULT_LIMITS) -> AttachmentResult:
    """The text of a file, read by the reader its bytes call for. Never raises: a broken, encrypted,
    oversized or hostile file is an ``AttachmentError``."""
    if len(data) > limits.max_download_bytes:
        return AttachmentError("oversized", f"{len(data)} bytes (limit {limits.max_download_bytes})")
    file_type = sniff(data, limits)
    if isinstance(file_type, AttachmentError):
        return file_type
    request = json.dumps({"file_type": file_type, "limits": asdict(limits)}).encode() + b"\n" + data
    python_path = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    with subprocess.Popen(
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so the commands it starts die with it
        env={**os.environ, "PYTHONPATH": python_path},
    ) as child:
        try:
            answer, complaint = child.communicate(request, timeout=limits.total_timeout_s + _GRACE_S)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return AttachmentError("timeout", f"{file_type} reader ran over {limits.total_timeout_s:.0f} s")
    try:
        return result_from_dict(json.loads(answer))
    except (ValueError, KeyError, TypeError):  # no answer: out of memory, or a crash in a C library
        tail = complaint.decode("utf-8", "replace").strip()[-200:]
        return AttachmentError("malformed", f"{file_type} reader died (exit {child.returncode}): {tail}")


def _read(file_type: str, data: bytes, limits: Limits) -> AttachmentResult:
    try:
        return _READERS[file_type](data, limits, Deadline(limits.total_timeout_s))
    except ReadFailed as failed:
        return failed.error
    except MemoryError:
        return AttachmentError("oversized", f"{file_type} reader needs over {limits.max_memory_bytes} bytes")
    except Exception as exc:  # a parser bug on hostile input must cost one attachment, not the crawl
        return AttachmentError("malformed", f"{file_type} reader failed: {type(exc).__name__}: {exc}")


def _child() -> None:
    """The child's side: a JSON request line and the file on stdin, the JSON result on stdout."""
    header, _, data = sys.stdin.buffer.read().partition(b"\n")
    request = json.loads(header)
    limits = Limits(**request["limits"])
    # One OCR thread: files are read one after another on a host that runs crawls beside them.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory_bytes, limits.max_memory_bytes))
    result = _read(request["file_type"], data, limits)
    sys.stdout.write(json.dumps(result_to_dict(result), ensure_ascii=False))


class AttachmentCache:
    """Extraction results by (sha256 of the bytes, EXTRACTOR_VERSION), one JSON file each, so a scanned
    PDF is OCR'd once however many documents and crawls carry it. Lives beside the snapshot store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}-v{EXTRACTOR_VERSION}.json"

    def get(self, sha256: str) -> AttachmentResult | None:
        try:
            return result_from_dict(json.loads(self.path(sha256).read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def put(self, sha256: str, result: AttachmentResult) -> None:
        if isinstance(result, AttachmentError) and result.kind == "timeout":
            return  # a slow moment is not a property of the file: try again next time
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(result_to_dict(result), out, ensure_ascii=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def read_attachment(
    data: bytes, cache: AttachmentCache | None = None, limits: Limits = DEFAULT_LIMITS
) -> AttachmentResult:
    """``extract`` through the cache."""
    if cache is None:
        return extract(data, limits)
    sha256 = hashlib.sha256(data).hexdigest()
    cached = cache.get(sha256)
    if cached is not None:
        return cached
    result = extract(data, limits)
    cache.put(sha256, result)
    return result


if __name__ == "__main__":
    _child()
