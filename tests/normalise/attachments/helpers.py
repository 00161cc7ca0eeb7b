"""Fixture files and the passages they were built from (tests/fixtures/attachments/README.md)."""

from __future__ import annotations

import io
import re
import zipfile
from difflib import SequenceMatcher
from pathlib import Path

import docx

from tests.normalise.corpus import CORPUS

FILES = Path(__file__).resolve().parents[2] / "fixtures" / "attachments"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def fixture(name: str) -> bytes:
    return (FILES / name).read_bytes()


def seed_lines(prefix: str) -> list[str]:
    (path,) = (CORPUS / "seeds").glob(f"{prefix}_*.txt")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def han_recall(expected: str, found: str) -> float:
    """Share of the expected Han characters found in order (OCR may miss or misread a few)."""
    wanted, got = "".join(_HAN.findall(expected)), "".join(_HAN.findall(found))
    blocks = SequenceMatcher(None, wanted, got, autojunk=False).get_matching_blocks()
    matched = sum(block.size for block in blocks)
    return matched / len(wanted)


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A DOCX-shaped ZIP whose document.xml inflates from a few hundred KB to ``unpacked_mb`` MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return out.getvalue()
