// 派遣员: the to-register and to-dispatch queues, returns and extensions to decide, the map.
import { workbench } from "./workbench.js";

export function dispatchScreen(root, initial) {
  return workbench(root, {
    title: "调度", withMap: true, initial, sort: "deadline",
    queues: [
      { key: "to_register", label: "待立案", query: { queue: "to_register" } },
      { key: "to_dispatch", label: "待派遣", query: { queue: "to_dispatch" } },
      { key: "extension_requests", label: "延期申请", query: { queue: "extension_requests" } },
      { key: "to_verify", label: "待核查", query: { queue: "to_verify" } },
      { key: "red", label: "红牌", query: { queue: "red" } },
    ],
  });
}
