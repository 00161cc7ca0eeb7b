"""The scripted timeline of the platform play: which version of the documents the site serves at each step.

Step 1 serves the fixtures as built. Step 2 adds only noise that a correct pipeline must ignore, generated
by seeded code from the step-1 bodies so it is reproducible and never hand-copied. Step 3 adds one real edit
on top of that noise, which a correct pipeline must report — and nothing else. Steps 4 and 5 play a
document life cycle on top of step 3 with the documents of fixtures/sh-platform/documents-later: step 4
adds a trial and two district documents citing a municipal one; step 5 adds the trial's successor, an
extension notice, a repeal notice and a 关于修改 notice of the cited document, and one step-1 document
is gone from the platform.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOISE_SEED = "policywatch-2-noise"

INDENT_STYLE = "text-indent:2em;"
PARAGRAPH = re.compile(r'<p style="(?P<style>[^"]*)">(?P<inner>.*?)</p>', re.S)
HAN = "\u4e00-\u9fff"
# Digit runs between two Han characters, with the spaces some sources put around them ("第 139 次").
DIGIT_RUN = re.compile(rf"(?<=[{HAN}])( ?)([0-9]+)( ?)(?=[{HAN}])")
ASCII_DIGITS = re.compile("[0-9]+")
SPACES = re.compile(" +")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Marks a line break while the text is still plain, so the digit and space rules cannot touch it.
BREAK = "\x00"

BREAK_RATE = 0.15
SPACING_RATE = 0.5
FULL_WIDTH_RATE = 0.25
TRAILING_NBSP_RATE = 0.15
SOURCE_WRAP_RATE = 0.3
LEADS = ("", "　　", "　　", "&nbsp;&nbsp;&nbsp;&nbsp;")
SPACE_FORMS = (1, 2, "&nbsp;", " &nbsp;")
SOURCE_INDENTS = ("", "  ", "    ", "\t")


@dataclass(frozen=True)
class Amendment:
    """One real edit of one document: ``old`` becomes ``new`` inside ``clause``, which occurs exactly once."""

    site_id: str
    business_id: str
    clause: str
    old: str
    new: str
    location: str

    @property
    def amended_clause(self) -> str:
        return self.clause.replace(self.old, self.new)


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    noise: bool
    amendment: Amendment | None = None
    later: tuple[str, ...] = ()
    """Native ids (siteId::businessId) of the documents-later fixtures this step serves too."""
    gone: tuple[str, ...] = ()
    """Native ids of step-1 documents this step no longer serves."""


PAIR_B_TRIAL = "0032::e6a432af81a9b00bd94febaf2f3961f9"
"""沪规划资源研〔2023〕448号, the 城市更新 规划资源实施意见（试行）."""
PAIR_B_SUCCESSOR = "0032::bea5f654a3244b13ae1264704bbd9062"
"""沪规划资源更〔2025〕281号, its 2025版."""
# Two district documents citing 沪环规〔2024〕12号 (0024::bf83c20301d64e4790a91509a1606023).
CITING_FENGXIAN = "0084::00841257"
CITING_HONGKOU = "0076::ad974e41-0fe3-4efc-bd41-25e537b9e0fd"
EXTENSION = "0070::0070340268"
"""浦科经委规〔2024〕11号: extends 0070::0070324449 to 2026-12-03."""
REPEAL = "0070::0070357689"
"""浦南规〔2026〕3号: repeals 0070::0070342687."""
SOIL_AMENDMENT = "0024::1f0bdcc6a96842dfa6f5c27ce8122154"
"""沪环规〔2026〕19号: 关于修改 沪环规〔2024〕12号."""
VANISHED = "0070::0070349328"
"""A step-1 document the platform no longer lists from step 5 on (its site still lists others)."""
STEP_4_ADDS = (PAIR_B_TRIAL, CITING_FENGXIAN, CITING_HONGKOU)


AMENDMENT = Amendment(
    site_id="0074",
    business_id="007477151",
    clause=(
        "结合发展导向和具体内容，给予单个项目不超过 1000 万元支持。（责任部门：区科委、区数据局、区投促办）"
    ),
    old="不超过 1000 万元",
    new="不超过 500 万元",
    location=(
        "长发改规〔2024〕4号, 四、政策内容 > （一）构建更具竞争力的产业生态 > 2. 提升特色产业集群能级 > "
        "（1）智能互联网产业, the 人工智能 clause (推动人工智能产业加速发展…, continued after the seed's "
        "page break in the paragraph 创新技术开发、技术转让…); the other 不超过 1000 万元 clauses stay as "
        "they are"
    ),
)

STEPS = {
    step.name: step
    for step in (
        Step("1-initial", "the documents as built from the corpus", noise=False),
        Step(
            "2-noise",
            "the same documents with noise only: whitespace, <br/> reflow, full-width digits, list order, "
            "reworded summaries",
            noise=True,
        ),
        Step("3-amended", "2-noise plus one edit: " + AMENDMENT.location, noise=True, amendment=AMENDMENT),
        Step(
            "4-citing",
            "3-amended plus a trial (沪规划资源研〔2023〕448号) and two district documents citing "
            "沪环规〔2024〕12号",
            noise=True,
            amendment=AMENDMENT,
            later=STEP_4_ADDS,
        ),
        Step(
            "5-lifecycle",
            "4-citing plus the trial's 2025版, an extension notice, a repeal notice and a 关于修改 notice of "
            "沪环规〔2024〕12号; 0070349328 is no longer listed",
            noise=True,
            amendment=AMENDMENT,
            later=(*STEP_4_ADDS, PAIR_B_SUCCESSOR, EXTENSION, REPEAL, SOIL_AMENDMENT),
            gone=(VANISHED,),
        ),
    )
}


def step_named(name: str) -> Step:
    try:
        return STEPS[name]
    except KeyError:
        raise ValueError(f"unknown step {name!r}; steps are {', '.join(STEPS)}") from None


def by_date(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The platform's own order: newest first."""
    return sorted(documents, key=lambda doc: (doc["publishDate"], doc["businessId"]), reverse=True)


def native_id(document: dict[str, Any]) -> str:
    return f"{document['siteId']}::{document['businessId']}"


def apply_step(
    step: Step, documents: list[dict[str, Any]], later: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The documents (detail payloads) as ``step`` serves them, in its list order: the step-1 documents
    it still serves, then the ``later`` fixtures (by native id) it adds."""
    kept = [doc for doc in documents if native_id(doc) not in step.gone]
    documents = copy.deepcopy(kept + [later[name] for name in step.later])
    if step.amendment is not None:
        amend(step.amendment, documents)
    if not step.noise:
        return by_date(documents)
    for doc in documents:
        doc["txt"] = noisy_body(doc["txt"], doc["businessId"])
        doc["summary"] = reworded_summary(doc)
    # A seeded shuffle: the list order changes although no date does.
    return sorted(
        documents, key=lambda doc: hashlib.sha256(f"{NOISE_SEED}:{doc['businessId']}".encode()).digest()
    )


def amend(amendment: Amendment, documents: list[dict[str, Any]]) -> None:
    target = next(
        doc
        for doc in documents
        if (doc["siteId"], doc["businessId"]) == (amendment.site_id, amendment.business_id)
    )
    if target["txt"].count(amendment.clause) != 1:
        raise ValueError(f"the amended clause must occur exactly once in {amendment.business_id}")
    target["txt"] = target["txt"].replace(amendment.clause, amendment.amended_clause)


def reworded_summary(doc: dict[str, Any]) -> str:
    year, month, day = (int(part) for part in doc["displayDate"].split("-"))
    return f"{doc['attrs']['agency']}于{year}年{month}月{day}日发布{doc['title']}。"


def noisy_body(txt: str, business_id: str) -> str:
    """The body with seeded noise; one generator per paragraph keeps the noise of a paragraph independent of
    edits elsewhere, and every random draw is independent of digit values, so an amount edit stays local."""
    matches = list(PARAGRAPH.finditer(txt))
    if "".join(match[0] for match in matches) != txt:
        raise ValueError(f"body of {business_id} is not a plain run of <p> paragraphs")
    paragraphs = []
    for index, match in enumerate(matches):
        rng = random.Random(f"{NOISE_SEED}:{business_id}:{index}")
        inner = noisy_text(match["inner"], rng) if match["style"] == INDENT_STYLE else match["inner"]
        indent = rng.choice(SOURCE_INDENTS)
        if rng.random() < SOURCE_WRAP_RATE:
            inner = f"\n{indent}    {inner}\n{indent}"
        paragraphs.append(f'\n{indent}<p style="{match["style"]}">{inner}</p>')
    return "".join(paragraphs) + "\n"


def noisy_text(inner: str, rng: random.Random) -> str:
    """Character noise of one body paragraph (title, 文号 and signature lines never get any)."""
    if rng.random() < BREAK_RATE:
        # Between two Han characters, so a break never follows 。；： and never splits a number.
        boundaries = [i for i in range(1, len(inner)) if is_han(inner[i - 1]) and is_han(inner[i])]
        if boundaries:
            position = boundaries[rng.randrange(len(boundaries))]
            inner = inner[:position] + BREAK + inner[position:]
    inner = DIGIT_RUN.sub(when(rng, SPACING_RATE, toggle_spacing), inner)
    inner = ASCII_DIGITS.sub(when(rng, FULL_WIDTH_RATE, lambda match: match[0].translate(FULL_WIDTH)), inner)
    inner = SPACES.sub(lambda match: respace(match[0], rng), inner)
    trailing = "&nbsp;" if rng.random() < TRAILING_NBSP_RATE else ""
    return rng.choice(LEADS) + inner.replace(BREAK, "<br/>") + trailing


def when(
    rng: random.Random, rate: float, change: Callable[[re.Match[str]], str]
) -> Callable[[re.Match[str]], str]:
    """A substitution that applies ``change`` to a share of the matches, drawing once per match."""
    return lambda match: change(match) if rng.random() < rate else match[0]


def toggle_spacing(match: re.Match[str]) -> str:
    """Turn 不超过1000万元 into 不超过 1000 万元 and back, as sources differ on spacing digits."""
    return match[2] if match[1] or match[3] else f" {match[2]} "


def respace(spaces: str, rng: random.Random) -> str:
    form = rng.choice(SPACE_FORMS)
    return spaces * form if isinstance(form, int) else form


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"
