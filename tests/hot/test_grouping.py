"""Grouping real messages into topics: one place and one matter together; another matter
at the same place, or the same matter elsewhere, apart; heat ordered by its formula."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from civicloop.hot.grouping import SUPPORT_ALONE, group
from civicloop.hot.heat import heat
from civicloop.hot.places import find_places, place_key
from civicloop.hot.service import hot_messages
from tests.hot.conftest import (
    MIXING_PLANT,
    PARKING_BUNDLE,
    SAME_DISTRICT_ELSEWHERE,
    SAME_ESTATE_OTHER_MATTERS,
    message,
    real_messages,
)

WEEK = dt.datetime(2026, 11, 16, 9, 0)


def _week(refs, start=WEEK):
    """The messages as if reported an hour apart this week."""
    return [message(ref, at=start + dt.timedelta(hours=i)) for i, ref in enumerate(refs)]


def _topic_of(topics, ref):
    found = [t for t in topics if ref in t.refs]
    return found[0] if found else None


def test_one_place_one_matter_is_one_topic_and_other_matters_stay_apart():
    rewritten = message(MIXING_PLANT[0], ref="rewritten", at=WEEK + dt.timedelta(days=1),
                        title="丽发新城小区旁边的混凝土搅拌站天天轰鸣，灰尘大",
                        text="我们是A2区丽发新城小区的居民，小区附近新建了一个搅拌站，白天晚上噪音不断，粉尘污染严重。")
    reports = _week(MIXING_PLANT + SAME_ESTATE_OTHER_MATTERS + SAME_DISTRICT_ELSEWHERE) + [rewritten]
    topics = group(reports)
    plant = _topic_of(topics, MIXING_PLANT[0])
    assert plant is not None
    assert set(plant.refs) == set(MIXING_PLANT) | {"rewritten"}
    assert "丽发新城" in plant.place and "丽发新城" in plant.title
    for other in SAME_ESTATE_OTHER_MATTERS + SAME_DISTRICT_ELSEWHERE:
        assert other not in plant.refs


def test_the_same_matter_at_another_place_is_another_topic():
    elsewhere = [dataclasses.replace(message(ref, at=WEEK + dt.timedelta(hours=10 + i)), ref=f"elsewhere-{ref}",
                                     title=message(ref).title.replace("丽发新城", "怡海星城"),
                                     text=message(ref).text.replace("丽发新城", "怡海星城"))
                 for i, ref in enumerate(MIXING_PLANT[:3])]
    topics = group(_week(MIXING_PLANT) + elsewhere)
    here, there = _topic_of(topics, MIXING_PLANT[0]), _topic_of(topics, elsewhere[0].ref)
    assert here is not None and there is not None and here is not there
    assert set(there.refs) == {r.ref for r in elsewhere}
    assert "怡海星城" in there.place


def test_two_topics_of_one_district_are_told_apart():
    topics = group(_week(MIXING_PLANT + PARKING_BUNDLE))
    plant, parking = _topic_of(topics, MIXING_PLANT[0]), _topic_of(topics, PARKING_BUNDLE[0])
    assert plant is not parking
    assert set(parking.refs) == set(PARKING_BUNDLE) and "伊景园滨河苑" in parking.title


def test_reports_too_far_apart_in_time_are_not_linked():
    far = [message(ref, at=WEEK + dt.timedelta(days=100 * i)) for i, ref in enumerate(MIXING_PLANT[:3])]
    assert group(far) == []


def test_heat_ordering_follows_the_formula():
    # Five people on the parking matter, three on the plant: the parking topic is hotter …
    reports = _week(MIXING_PLANT[:3] + PARKING_BUNDLE)
    topics = group(reports)
    assert [len(t.refs) for t in topics] == [5, 3]
    assert topics[0].heat.index > topics[1].heat.index
    # … until 1,000 people like the plant's messages.
    liked = [dataclasses.replace(r, likes=400) if r.ref in MIXING_PLANT else r for r in reports]
    topics = group(liked)
    assert topics[0].refs[0] in MIXING_PLANT and topics[0].heat.support == 1200
    # Each term adds what the formula says, and quiet halves the heat every half-life.
    base = {"reports": 4, "reporters": 4, "support": 0, "grids": 1, "span_days": 0.0, "age_days": 0.0,
            "half_life_days": 7}
    assert heat(**base).index == pytest.approx(10 * 2.32, abs=0.1)                 # log2(1 + 4)
    assert heat(**{**base, "reporters": 2}).index < heat(**base).index           # the same two, twice each
    assert heat(**{**base, "grids": 4}).index == pytest.approx(heat(**base).index + 10, abs=0.1)
    assert heat(**{**base, "age_days": 7}).index == pytest.approx(heat(**base).index / 2, abs=0.1)
    assert heat(**{**base, "support": -50}).support == 0


def test_heat_of_a_topic_counts_its_reporters_support_and_span():
    reports = [dataclasses.replace(r, reporter="same-person", likes=3, dislikes=1)
               for r in _week(PARKING_BUNDLE)]
    (topic,) = group(reports, now=WEEK + dt.timedelta(days=7), half_life_days=7)
    assert topic.heat.reports == 5 and topic.heat.reporters == 1 and topic.heat.support == 10
    assert topic.heat.span_days == pytest.approx(4 / 24, abs=0.05)
    assert topic.heat.age_days == pytest.approx(7 - 4 / 24, abs=0.05)


def test_every_topic_of_the_real_file_is_about_one_place():
    result = hot_messages(list(real_messages().values()), top=30)
    assert len(result.topics) == 30
    heats = [t.heat.index for t in result.topics]
    assert heats == sorted(heats, reverse=True)
    for topic in result.topics:
        if len(topic.refs) == 1:  # a post a hundred people back stands alone
            assert topic.heat.support >= SUPPORT_ALONE
            continue
        named = [{p.key for p in find_places(f"{r.title} {r.text[:200]}")} for r in
                 (real_messages()[ref] for ref in topic.refs)]
        top_key = place_key(topic.place)
        # Every message names one of the topic's places, and most name its own place.
        assert all(keys & set(topic.keys) for keys in named), topic.title
        assert sum(top_key in keys for keys in named) * 2 >= len(named), topic.title
        assert topic.place in topic.title


def test_places_in_the_words_people_write():
    def names(text):
        return [p.name for p in find_places(text)]
    assert names("A5区劳动东路魅力之城小区一楼的夜宵摊") == ["劳动东路", "魅力之城小区"]
    assert names("A市暮云街道丽发新城社区搅拌站") == ["暮云街道", "丽发新城社区"]
    assert names("A市恒大御景半岛三期6栋电梯噪音巨大") == ["恒大御景半岛"]
    # Written differently, one place: the same key.
    assert len({p.key for text in ("坚决反对伊景园滨河苑捆绑销售", "A市伊景园滨河苑捆绑销售车位")
                for p in find_places(text)}) == 1
    assert place_key("丽发新城小区") == place_key("丽发新城社区") == place_key("丽发新城")
    assert find_places("请问市政府什么时候回复") == [] and find_places("") == []
