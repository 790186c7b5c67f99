"""What the demo's cases say: real citizen messages (civicloop/data/messages.csv) with a
category chosen inside their level-1 label, and generated grid-patrol findings."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from civicloop.categories.models import Category
from civicloop.settings import PACKAGE_DIR

MESSAGES_CSV = PACKAGE_DIR / "data" / "messages.csv"
TITLE_CHARS = 20
OTHER = "其他"
_EXCEL_CR = "_x000D_"  # Excel's escaped carriage return, left in some texts
_FIRST_SENTENCE = re.compile(r"[^。！？!?；;，,\s]+")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    label1: str


def title_of(text: str) -> str:
    """The first clause of a text whose title was joined to its body, cut to ~20 characters."""
    found = _FIRST_SENTENCE.search(text)
    first = found.group(0) if found else text
    return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS] + "…"


@lru_cache
def load_messages() -> tuple[Message, ...]:
    with open(MESSAGES_CSV, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    messages = []
    for row in rows:
        body = " ".join(row["text"].replace(_EXCEL_CR, " ").split())
        title = " ".join(row["title"].replace(_EXCEL_CR, " ").split()) or title_of(body)
        messages.append(Message(title=title[:200], body=body, label1=row["label1"]))
    return tuple(messages)


def bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


class CategoryMatcher:
    """Picks the level-2/3 category of a message inside its level-1 label by the character
    bigrams the message shares with the category's names: each shared bigram weighs
    1/(how many categories of the label contain it), twice for the leaf's own name than
    for its parent's; the best score wins, and with nothing shared the label's 其他/其他.
    Simple on purpose: the demo needs a plausible category anyone can check by eye."""

    def __init__(self, categories: list[Category]):
        by_id = {c.id: c for c in categories}
        # The 数字城管 tree sits beside the 12345 taxonomy; patrol findings use it, messages never do.
        city = next((c.code for c in categories if c.level == 1 and c.name == "数字城管"), None)
        names: dict[str, list[tuple[int, set[str], set[str]]]] = {}
        self.fallback: dict[str, int] = {}
        for cat in categories:
            if cat.level != 3 or (city and cat.code.startswith(city)):
                continue
            parent = by_id[cat.parent_id]
            top = by_id[parent.parent_id].name
            if parent.name == OTHER and cat.name == OTHER:
                self.fallback[top] = cat.id
                continue
            own = bigrams(cat.name) if cat.name != OTHER else set()
            names.setdefault(top, []).append((cat.id, own, bigrams(parent.name)))
        self.leaves: dict[str, list[tuple[int, dict[str, float]]]] = {}
        for top, leaves in names.items():
            df: dict[str, int] = {}
            for _, own, parent in leaves:
                for gram in own | parent:
                    df[gram] = df.get(gram, 0) + 1
            self.leaves[top] = [(cat_id, {g: (2 * (g in own) + (g in parent)) / df[g] for g in own | parent})
                                for cat_id, own, parent in leaves]

    def match(self, message: Message) -> int:
        grams = bigrams(message.title + message.body[:400])
        best, best_score = self.fallback[message.label1], 0.0
        for cat_id, weights in self.leaves.get(message.label1, ()):
            score = sum(w for g, w in weights.items() if g in grams)
            if score > best_score:
                best, best_score = cat_id, score
        return best


# Grid-patrol findings: the 数字城管 category (path under the root), how often grid workers
# report it, and what they write. "{place}" becomes the community and a landmark.
PATROL_FINDINGS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("事件/市容环境/暴露垃圾", 16, ("{place}路边有暴露垃圾堆积，散发异味", "{place}垃圾桶旁生活垃圾散落未清运")),
    ("事件/市容环境/积存垃圾渣土", 5, ("{place}空地积存建筑渣土和杂物",)),
    ("事件/市容环境/道路不洁", 6, ("{place}路面油污泥土较多，道路不洁",)),
    ("事件/宣传广告/非法小广告", 8, ("{place}墙面、电线杆上张贴大量非法小广告",)),
    ("事件/街面秩序/占道经营", 14, ("{place}流动摊贩占道经营，影响行人通行", "{place}早点摊点占用人行道经营")),
    ("事件/街面秩序/店外经营", 7, ("{place}商铺将货物摆出店外经营",)),
    ("事件/街面秩序/乱堆物堆料", 6, ("{place}楼道口乱堆杂物，存在消防隐患",)),
    ("事件/街面秩序/非机动车乱停放", 9, ("{place}共享单车乱停乱放，堵塞人行道",)),
    ("事件/街面秩序/露天烧烤", 3, ("{place}夜间露天烧烤，油烟扰民",)),
    ("事件/施工管理/违法建设", 5, ("{place}居民楼顶疑似新搭建违法建筑", "{place}一楼住户私自扩建围墙")),
    ("事件/施工管理/道路遗撒", 3, ("{place}渣土车沿路遗撒",)),
    ("事件/突发事件/道路积水", 2, ("{place}雨后路面积水严重，车辆行人通行困难",)),
    ("事件/突发事件/井盖缺失", 2, ("{place}人行道井盖缺失，存在安全隐患",)),
    ("部件/公用设施/路灯", 6, ("{place}路灯夜间不亮",)),
    ("部件/公用设施/污水井盖", 3, ("{place}污水井盖破损下陷",)),
    ("部件/道路交通/人行道板", 3, ("{place}人行道板松动破损",)),
    ("部件/园林绿化/行道树", 3, ("{place}行道树枝干断裂，悬挂在人行道上方",)),
    ("部件/市容环境/垃圾箱", 2, ("{place}垃圾箱破损，需更换",)),
)
LANDMARKS = ("小区门口", "菜市场旁", "公交站附近", "学校周边", "背街小巷", "主干道路口", "居民楼下", "商铺门前")
