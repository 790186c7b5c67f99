// 案件查询: any list behind a number of the dashboard (its filters come in the address).
import { workbench } from "./workbench.js";

export function casesScreen(root, initial) {
  const filter = initial.filter || {};
  const described = Object.entries(filter).map(([k, v]) => `${k}=${v}`).join(" ");
  return workbench(root, {
    title: described ? `案件查询（${described}）` : "案件查询", initial: { filter },
    queues: [
      { key: "all", label: "全部", query: {} },
      { key: "mine", label: "待我办理", query: { queue: "mine" } },
      { key: "red", label: "红牌", query: { queue: "red" } },
      { key: "yellow", label: "黄牌", query: { queue: "yellow" } },
    ],
  });
}
