"""The source registry: built-in entries, user overrides merged by id, and clear refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.registry import DISTRICTS, RegistryError, load_registry
from tests.conftest import REPO

FIXED_IDS = ["sh-platform", "sh-gov", *DISTRICTS, "sh-fgw", "sh-sheitc", "sh-sww"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_registry_lists_every_fixed_source_id() -> None:
    assert sorted(s.id for s in load_registry().sources) == sorted(FIXED_IDS)


def test_only_sources_with_a_spider_are_enabled_by_default() -> None:
    assert [s.id for s in load_registry().enabled()] == ["sh-platform"]


def test_platform_covers_municipal_and_all_sixteen_districts() -> None:
    site_ids = load_registry().get("sh-platform").site_ids
    assert "0001" in site_ids
    assert {f"00{n}" for n in range(70, 86)} <= set(site_ids)


def test_district_of_site_maps_platform_site_ids() -> None:
    registry = load_registry()
    assert registry.district_of_site("0074") == "changning"
    assert registry.district_of_site("0085") == "chongming"
    assert registry.district_of_site("0001") is None


def test_user_file_replaces_only_the_fields_it_gives(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - id: sh-platform\n    base_url: http://127.0.0.1:8765\n")
    source = load_registry(path).get("sh-platform")
    assert source.base_url == "http://127.0.0.1:8765"
    assert source.name == "上海市统一政策发布平台"
    assert "0074" in source.site_ids


def test_user_file_can_disable_a_source(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - id: sh-platform\n    enabled: false\n")
    assert load_registry(path).enabled() == []


def test_every_request_url_is_built_from_base_url(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - id: sh-platform\n    base_url: http://127.0.0.1:9/\n")
    assert (
        load_registry(path).get("sh-platform").url("/gwk/policy/page") == "http://127.0.0.1:9/gwk/policy/page"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "sources:\n  - id: sh-platform\n    base_url: http://mirror.example/some/path\n",
            "scheme + host only",
        ),
        ("sources:\n  - id: sh-platform\n    colour: red\n", "unknown field(s) colour"),
        ("sources:\n  - id: sh-platform\n    page_size: yes\n", "wrong type"),
        (
            "sources:\n  - id: new-one\n    name: x\n    level: district\n    district: atlantis\n"
            "    base_url: https://x.example\n",
            "unknown district",
        ),
        ("sources:\n  - id: new-one\n    name: x\n    base_url: https://x.example\n", "missing `level`"),
        ("sources:\n  - id: sh-platform\n    download_delay: 0.1\n", "below 1 s"),
        ("sources: [\n", "not valid YAML"),
        ("just a string\n", "`sources:` list"),
    ],
)
def test_bad_user_file_is_refused_with_file_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RegistryError, match=r"sources\.yaml") as info:
        load_registry(path)
    assert message in str(info.value)


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(RegistryError, match="known sources: sh-platform"):
        load_registry().get("nowhere")


def test_only_refuses_a_source_without_spider() -> None:
    with pytest.raises(RegistryError, match="no spider exists yet for jingan"):
        load_registry().enabled(["jingan"])


def test_only_runs_a_disabled_source_that_has_a_spider() -> None:
    assert [s.id for s in load_registry().enabled(["putuo"])] == ["putuo"]


def test_every_spider_of_the_registry_exists_under_the_name_of_its_source() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True
    )
    spiders = sorted(s.spider for s in load_registry().sources if s.spider)
    assert listed.returncode == 0 and listed.stdout.split() == spiders
    assert all(s.spider == s.id for s in load_registry().sources if s.spider)


def test_page_source_fields_are_read_as_tuples_and_written_back_as_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - id: minhang\n    channels: [a/b, c/d]\n")
    source = load_registry(path).get("minhang")
    assert source.channels == ("a/b", "c/d")
    assert source.to_dict()["channels"] == ["a/b", "c/d"]


def test_list_query_is_a_mapping(tmp_path: Path) -> None:
    assert load_registry().get("putuo").list_query == {
        "orderFields": ["display_date"],
        "orderTypes": ["desc"],
        "docFlag": "1",
    }
    path = write(tmp_path, "sources:\n  - id: putuo\n    list_query: [docFlag]\n")
    with pytest.raises(RegistryError, match="`list_query` has the wrong type"):
        load_registry(path)
