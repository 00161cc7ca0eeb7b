"""The evaluation runner (detect/evaluation.py), its benchmark, and the life-cycle cases it runs.

Every case of tests/detect/eval/cases_lifecycle must produce exactly its expected changes through the real
archive stage; the text-level cases (tests/detect/eval/cases) run in tests/detect/test_eval_cases.py and in
the benchmark.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bench import bench_detect_eval
from detect.evaluation import CaseError, load_case, load_cases, run_case

LIFECYCLE = Path(__file__).parent / "eval" / "cases_lifecycle"
CASES = load_cases(LIFECYCLE)
SOIL = (
    "docs/规划与土地/上海市生态环境局、上海市规划和自然资源局关于印发"
    "《上海市建设用地土壤污染责任人认定实施办法》的通知.md"
)


def write_case(folder: Path, data: dict, texts: dict[str, str] | None = None) -> Path:  # type: ignore[type-arg]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for name, text in (texts or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def doc(id_: str, text: str, **fields: str) -> dict[str, str]:
    return {"id": id_, "title": f"关于印发《{id_}管理办法》的通知", "text": text, **fields}


def test_a_case_is_read_with_its_steps_crawl_status_date_and_threshold(tmp_path: Path) -> None:
    folder = write_case(
        tmp_path / "one",
        {
            "description": "d",
            "source": "s",
            "steps": [
                {"docs": [doc("a", "a.txt", doc_number="沪府规[2020]1号")]},
                {"crawl": "partial", "docs": []},
            ],
            "today": "2026-12-11",
            "days": 7,
            "expect": [{"doc": "a", "kind": "expiring"}],
        },
        {"a.txt": "第一条 本办法自2025年1月1日起施行。"},
    )
    case = load_case(folder)
    assert (case.name, case.today, case.days, case.expect) == (
        "one",
        dt.date(2026, 12, 11),
        7,
        (("a", "expiring"),),
    )
    assert [step.crawl for step in case.steps] == ["ok", "partial"]
    (first,) = case.steps[0].docs
    assert first.text == "第一条 本办法自2025年1月1日起施行。"
    assert first.normalised(case.name).doc_number == "沪府规〔2020〕1号"


def test_a_corpus_text_is_read_in_place_without_front_matter_or_disclaimer(tmp_path: Path) -> None:
    folder = write_case(
        tmp_path / "corpus",
        {
            "description": "d",
            "source": "s",
            "steps": [{"docs": [doc("soil", f"corpus:{SOIL}")]}],
            "expect": [],
        },
    )
    text = load_case(folder).steps[0].docs[0].text
    assert text.startswith("# 上海市生态环境局、上海市规划和自然资源局关于印发")
    assert "官方链接" not in text and "著作权法" not in text


def test_a_revision_text_is_read_without_its_source_header(tmp_path: Path) -> None:
    trial = doc("trial", "corpus:revisions/pairB_urban_renewal_v1_2023_trial.md")
    folder = write_case(tmp_path / "rev", {"description": "d", "source": "s", "steps": [{"docs": [trial]}]})
    text = load_case(folder).steps[0].docs[0].text
    assert text.startswith(
        "关于印发《关于加快转变发展方式集中推进本市城市更新高质量发展的规划资源实施意见（试行）》的通知"
    )


def test_an_edit_changes_the_text_it_names(tmp_path: Path) -> None:
    edited = {**doc("a", "a.txt"), "edits": [{"old": "1000万元", "new": "500万元"}]}
    folder = write_case(
        tmp_path / "edit",
        {"description": "d", "source": "s", "steps": [{"docs": [edited]}]},
        {"a.txt": "给予不超过1000万元支持。"},
    )
    assert load_case(folder).steps[0].docs[0].text == "给予不超过500万元支持。"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"crawl": "slow", "docs": []}, "crawl must be one of ok, partial, failed"),
        ({"docs": [{**doc("a", "a.txt"), "edits": [{"old": "无此文字", "new": "x"}]}]}, "exactly once"),
        ({"docs": [{"id": "a", "text": "a.txt"}]}, "KeyError: 'title'"),
    ],
)
def test_a_malformed_case_is_refused_with_its_file_and_reason(
    tmp_path: Path, step: dict, message: str
) -> None:  # type: ignore[type-arg]
    folder = write_case(
        tmp_path / "bad", {"description": "d", "source": "s", "steps": [step]}, {"a.txt": "x"}
    )
    with pytest.raises(CaseError, match=message) as raised:
        load_case(folder)
    assert str(folder / "case.yaml") in str(raised.value)


def test_only_the_changes_of_the_last_step_count(tmp_path: Path) -> None:
    folder = write_case(
        tmp_path / "last",
        {
            "description": "d",
            "source": "s",
            "steps": [{"docs": [doc("a", "a.txt")]}, {"docs": [doc("a", "a.txt"), doc("b", "b.txt")]}],
        },
        {"a.txt": "第一条 给予支持。", "b.txt": "第一条 给予奖励。"},
    )
    assert run_case(load_case(folder)) == [("b", "new")]


def test_the_validity_check_runs_after_the_last_step(tmp_path: Path) -> None:
    text = "本办法自2025年1月1日起施行，有效期至2026年12月31日。"
    folder = write_case(
        tmp_path / "check",
        {
            "description": "d",
            "source": "s",
            "steps": [{"docs": [doc("a", "a.txt")]}] * 2,
            "today": "2027-01-01",
        },
        {"a.txt": text},
    )
    assert run_case(load_case(folder)) == [("a", "expired")]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_life_cycle_case_makes_exactly_the_expected_changes(case) -> None:  # type: ignore[no-untyped-def]
    assert run_case(case) == list(case.expect)


def test_life_cycle_cases_cover_every_life_cycle_kind_and_cases_of_no_change() -> None:
    kinds = {kind for case in CASES for _, kind in case.expect}
    assert len(CASES) >= 20
    assert kinds >= {"extended", "repealed", "superseded", "amended", "expiring", "expired", "withdrawn"}
    assert "upstream_changed" in kinds
    assert sum(not case.expect for case in CASES) >= 8


def test_bench_reports_each_kind_and_fails_on_a_case_not_as_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "repeal").symlink_to(LIFECYCLE / "repeals_Z_nanmatou")
    write_case(
        tmp_path / "wrong",
        {"description": "d", "source": "s", "steps": [{"docs": [doc("a", "a.txt")]}], "expect": []},
        {"a.txt": "第一条 给予支持。"},
    )

    exit_code = bench_detect_eval.main([str(tmp_path)])

    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert exit_code == 1
    assert rows["repealed"] == ["1", "1", "1", "100.0%", "100.0%"]
    assert rows["new"] == ["1", "2", "1", "50.0%", "100.0%"]
    assert rows["wrong:"] == ["missing", "[],", "unexpected", "[('a',", "'new')]"]
