"""A generated registry of standard addresses for a district that has none on disk.

Made for the demo and the tests, NOT surveyed data: the streets, communities and grid
cells are the district's real ones (regions/), but every road, door number, estate and
building is invented. Each street has its own roads; a community's estates stand at door
numbers of its street's roads and spread over one or two of its cells; each estate has
buildings (栋) with units (单元). Estate names are at least two edits apart, so no name
is another written one character off. The same district and seed give the
same registry on every machine (random.Random seeded from the codes)."""
from __future__ import annotations

import random
from collections import defaultdict

from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.addresses.normalize import estate_key, normalize
from civicloop.regions.models import GridCell, Region

ROAD_STEMS = ("和平", "友谊", "解放", "民主", "复兴", "胭脂", "彭刘杨", "得胜", "临江", "楚雄", "秦园", "八一",
              "东湖", "珞珈", "卓刀泉", "丁字桥", "石牌岭", "中北", "武珞", "公正", "小东门", "紫阳", "白沙",
              "新河", "徐东", "团结", "才华", "余家头", "四美", "三层楼", "南湖", "宝通", "洪达", "晒湖", "姚家",
              "梅苑", "体育", "省府", "岳家嘴", "车站", "沙湖", "新生", "大成", "昙华林", "戈甲营", "候补",
              "察院", "司门口", "阅马场", "长春", "都府堤", "粮道", "青石桥", "津水", "新安", "杨家湾",
              "红霞", "瑞安", "水陆", "静安", "鹦鹉", "歌笛湖", "张家湾", "武车", "中山", "千家街")
ROAD_ENDINGS = ("路", "大道", "街", "巷", "一路", "二路", "横路")
ESTATE_STEMS = ("翠柳", "金桂", "锦绣", "丽岛", "青山", "碧水", "紫荆", "华景", "阳光", "东方", "福星", "恒安",
                "怡和", "康居", "盛世", "融汇", "世纪", "天骄", "星河", "嘉禾", "长江", "汉阳", "珞瑜", "梧桐",
                "银杏", "香樟", "玉兰", "海棠", "丹桂", "松涛", "云鹤", "凤凰", "麒麟", "龙湾", "清江", "白鹭",
                "锦江", "万科", "保利", "中建", "新华", "光明", "同心", "幸福", "和美", "安居", "楚天", "荆楚",
                "黄鹤", "晴川", "琴台", "知音", "月湖", "墨水", "雅园", "秀水", "明珠", "宏图", "瑞祥", "永安",
                "金色", "银河", "东亭", "西苑", "南山", "北辰", "春晖", "秋实", "夏荷", "冬青", "百合", "芙蓉",
                "书香", "学府", "理想", "未来", "尚品", "御景", "君悦", "中央", "滨江", "江景", "湖光")
ESTATE_ENDINGS = ("花园", "家园", "小区", "苑", "华庭", "新城", "公馆", "雅居", "名邸", "山庄", "新村", "城")
ROADS_PER_STREET = 5
ESTATES_PER_COMMUNITY = (2, 4)
BUILDINGS = (4, 14)
UNITS = (1, 4)
SHOPS_PER_COMMUNITY = (4, 9)   # door addresses with no estate: shops, schools, offices
MIN_ESTATE_DISTANCE = 2
STREET_SUFFIXES = ("街道办事处", "街道", "街办", "镇", "乡")
COMMUNITY_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会")


def _display(name: str, suffixes) -> str:
    """A community as addresses write it: 尚隆苑社区居委会 → 尚隆苑社区."""
    for suffix in suffixes:
        if name.endswith(suffix):
            return name[: -len(suffix)] + ("社区" if "社区" in suffix or "居" in suffix else "村")
    return name


def _community_root(display: str) -> str:
    return display.removesuffix("社区").removesuffix("村")


class _Names:
    """Road and estate names, unique in the district and kept clear of each other."""

    def __init__(self, rng: random.Random, reserved: set[str]):
        self.rng = rng
        self.reserved = reserved  # how streets and communities are written: no road may read as one
        self.roads: set[str] = set()
        self.road_keys: list[str] = []
        self.estates: list[str] = []
        self.estate_keys: list[str] = []

    def road(self) -> str:
        for _ in range(500):
            name = self.rng.choice(ROAD_STEMS) + self.rng.choice(ROAD_ENDINGS)
            key = normalize(name)
            if name not in self.roads and not any(r in key or key in r for r in self.reserved):
                self.roads.add(name)
                self.road_keys.append(key)
                return name
        raise RuntimeError("road names exhausted")

    def estate_clear(self, name: str) -> bool:
        key = estate_key(name)
        if any(key in road for road in self.road_keys):
            return False
        return all(Levenshtein.distance(key, other) >= MIN_ESTATE_DISTANCE for other in self.estate_keys)

    def add_estate(self, name: str) -> str:
        self.estates.append(name)
        self.estate_keys.append(estate_key(name))
        return name

    def estate(self) -> str:
        for _ in range(2000):
            name = self.rng.choice(ESTATE_STEMS) + self.rng.choice(ESTATE_ENDINGS)
            if self.estate_clear(name):
                return self.add_estate(name)
        raise RuntimeError("estate names exhausted")


def generate(session: Session, district_code: str, full_name: str, *, seed: int = 1) -> list[dict]:
    """The rows of a generated registry (the columns of an import), in a stable order."""
    rng = random.Random(f"{district_code}:{seed}")
    regions = session.execute(select(Region.code, Region.name, Region.level, Region.parent_code)
                              .where(Region.district_code == district_code).order_by(Region.code)).all()
    streets = [r for r in regions if r.level == "street"]
    communities = [r for r in regions if r.level == "community"]
    cells: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for code, community, lon, lat in session.execute(
            select(GridCell.code, GridCell.community_code, GridCell.center_lon, GridCell.center_lat)
            .where(GridCell.district_code == district_code).order_by(GridCell.code)):
        cells[community].append((code, lon, lat))
    reserved = {normalize(s.name) for s in streets}
    reserved |= {normalize(_community_root(_display(c.name, COMMUNITY_SUFFIXES))) + ending
                 for c in communities for ending in ("社区", "村")}
    reserved |= {normalize(s.name.removesuffix(suffix)) + ending for s in streets for suffix in STREET_SUFFIXES
                 if s.name.endswith(suffix) for ending in ("街道", "街", "街办", "镇", "乡")}
    names = _Names(rng, reserved)
    street_roads = {s.code: [names.road() for _ in range(ROADS_PER_STREET)] for s in streets}
    next_door: dict[str, int] = defaultdict(lambda: rng.randrange(1, 40))
    street_name = {s.code: s.name for s in streets}
    rows: list[dict] = []
    for community in communities:
        own = cells.get(community.code)
        if not own or community.parent_code not in street_roads:
            continue
        display = _display(community.name, COMMUNITY_SUFFIXES)
        prefix = f"{full_name}{street_name[community.parent_code]}{display}"
        roads = rng.sample(street_roads[community.parent_code], 2)
        free = list(own)
        rng.shuffle(free)

        def door(road: str) -> str:  # numbers go up along a road, through the communities it crosses
            number = next_door[road]
            next_door[road] += rng.choice((2, 2, 4, 6))
            return str(number)

        def row(cell, road, number, estate=None, building=None, unit=None, prefix=prefix,
                community=community.code) -> dict:
            text = prefix + f"{road}{number}号" + (estate or "") + (f"{building}栋" if building else "") \
                + (f"{unit}单元" if unit else "")
            return {"address": text, "road": road, "door_number": number, "estate": estate,
                    "building": building, "unit": unit, "room": None, "grid_code": cell[0],
                    "community_code": community, "lon": round(cell[1], 6), "lat": round(cell[2], 6)}

        estates = []
        root = _community_root(display)
        if len(root) >= 2 and not root.isascii() and not root.endswith(("路", "街", "巷", "道")) \
                and names.estate_clear(root):
            estates.append(names.add_estate(root if root.endswith(ESTATE_ENDINGS) else root + "小区"))
        while len(estates) < rng.randint(*ESTATES_PER_COMMUNITY):
            estates.append(names.estate())
        for estate in estates:
            road = rng.choice(roads)
            number = door(road)
            spread = [free.pop() for _ in range(min(len(free), rng.choice((1, 2))))] or [own[0]]
            rows.append(row(spread[0], road, number))
            rows.append(row(spread[0], road, number, estate))
            for building in range(1, rng.randint(*BUILDINGS) + 1):
                cell = spread[building % len(spread)]
                rows.append(row(cell, road, number, estate, str(building)))
                for unit in range(1, rng.randint(*UNITS) + 1):
                    rows.append(row(cell, road, number, estate, str(building), str(unit)))
        for _ in range(rng.randint(*SHOPS_PER_COMMUNITY)):
            road = rng.choice(roads)
            rows.append(row(free.pop() if free else rng.choice(own), road, door(road)))
    return rows


_CN = "零一二三四五六七八九"
TRAILERS = ("", "", "附近", "门口", "旁边", "对面", "楼下")


def chinese_number(number: int) -> str:
    """1–99 as people say them: 3 → 三, 12 → 十二, 20 → 二十, 35 → 三十五."""
    tens, ones = divmod(number, 10)
    if not tens:
        return _CN[ones]
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def written_form(row: dict, rng: random.Random) -> str:
    """A registered address as a caller might give it: no province or city, the community
    or the road left out, the building as 号楼/栋/幢 in words or digits, a word like 附近
    after it."""
    building, unit = row.get("building"), row.get("unit")
    say = (lambda n: chinese_number(int(n)) if rng.random() < 0.5 and n.isdigit() and int(n) < 100 else n)
    place = row["estate"] if row.get("estate") and rng.random() < 0.6 else f"{row['road']}{row['door_number']}号" \
        + (row.get("estate") or "")
    words = place
    if building:
        words += say(building) + rng.choice(("栋", "号楼", "幢", "栋"))
    if unit:
        words += say(unit) + "单元"
    return words + rng.choice(TRAILERS)


def nameable(session: Session, district_code: str) -> list[dict]:
    """The registry's building and door addresses, as rows for written_form (with their
    grid cell and community): what callers of the demo name."""
    from civicloop.addresses.models import StandardAddress

    rows = session.execute(select(StandardAddress.road, StandardAddress.door_number, StandardAddress.estate,
                                  StandardAddress.building, StandardAddress.unit, StandardAddress.grid_code,
                                  StandardAddress.community_code)
                           .where(StandardAddress.district_code == district_code,
                                  (StandardAddress.building.is_not(None)) | (StandardAddress.estate.is_(None)))
                           .order_by(StandardAddress.id))
    return [dict(r._mapping) for r in rows]
