// 承办单位: the department's cases, nearest deadline first, yellow and red marked.
import { workbench } from "./workbench.js";

export function handlerScreen(root, initial) {
  return workbench(root, {
    title: "本单位案件", initial, sort: "deadline",
    queues: [
      { key: "mine", label: "待我办理", query: { queue: "mine" } },
      { key: "to_accept", label: "待签收", query: { queue: "to_accept" } },
      { key: "handling", label: "处置中", query: { queue: "handling" } },
      { key: "overdue", label: "已超期", query: { queue: "overdue" } },
      { key: "to_verify", label: "待核查", query: { queue: "to_verify" } },
    ],
  });
}
