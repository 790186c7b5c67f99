"""The case engine's small district with a finer grid for duplicates: 10 × 10 cells of
0.002° (about 190 × 220 m), so that near, neighbouring and far cases can be told apart;
and real messages of civicloop/data/messages.csv with rewritten copies of them."""
from __future__ import annotations

import json
import random
import re

import pytest
from shapely.geometry import box, mapping
from sqlalchemy import delete

from civicloop.db import transaction
from civicloop.demo.messages import load_messages
from civicloop.regions.locator import grid_replaced
from civicloop.regions.models import GridCell
from tests.api.conftest import live  # noqa: F401  (the server fixture, for test_api)
from tests.cases.conftest import D, World, build_world

STEP = 0.002
ORIGIN = (114.30, 30.54)


def cell_center(col: int, row: int) -> tuple[float, float]:
    return ORIGIN[0] + (col + 0.5) * STEP, ORIGIN[1] + (row + 0.5) * STEP


def fine_grid(world: World) -> World:
    """Replace the world's four cells with 100 smaller ones (communities split at 114.31)."""
    with transaction(world.engine) as s:
        s.execute(delete(GridCell))
        cells = []
        for col in range(10):
            for row in range(10):
                community = D + "001" + ("001" if col < 5 else "002")
                geometry = box(ORIGIN[0] + col * STEP, ORIGIN[1] + row * STEP,
                               ORIGIN[0] + (col + 1) * STEP, ORIGIN[1] + (row + 1) * STEP)
                cells.append(GridCell(code=f"{community}{col:02d}{row:02d}", community_code=community,
                                      district_code=D, geometry=json.dumps(mapping(geometry)), area_m2=4.0e4,
                                      center_lon=geometry.centroid.x, center_lat=geometry.centroid.y,
                                      source="generated"))
        s.add_all(cells)
        grid_replaced(s, D)
    world.cells = [c.code for c in cells]
    return world


@pytest.fixture
def world(engine) -> World:
    return fine_grid(build_world(engine))


# Wordings people use for the same thing; a rewrite swaps them.
SYNONYMS = [("小区", "住宅小区"), ("希望", "盼望"), ("领导", "政府"), ("问题", "情况"), ("解决", "处理"),
            ("严重", "十分"), ("我们", "大家"), ("居民", "住户"), ("反映", "投诉"), ("要求", "请求"),
            ("现在", "目前"), ("请", "恳请"), ("非常", "特别"), ("已经", "早已"), ("没有", "未")]
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")


def messages(count: int, *, seed: int = 5) -> list:
    """`count` real messages of some length, different from each other, chosen reproducibly."""
    pool = [m for m in load_messages() if 80 <= len(m.body) <= 600 and len(_SENTENCE.findall(m.body)) >= 3]
    return random.Random(seed).sample(pool, count)


def rewrite(message, seed: int = 0) -> tuple[str, str]:
    """The same complaint told again: sentences in another order, other words, a part left out."""
    rng = random.Random(seed)
    sentences = [s for s in _SENTENCE.findall(message.body) if s.strip()]
    sentences.pop(rng.randrange(len(sentences)))  # drop a part
    rng.shuffle(sentences)
    body, title = "".join(sentences), message.title
    for old, new in SYNONYMS:
        body = body.replace(old, new)
    for old, new in reversed(SYNONYMS[:8]):
        title = title.replace(old, new)
    return title, body
