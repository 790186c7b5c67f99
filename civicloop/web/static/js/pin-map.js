// The phone pages' map to put a pin on: the district's streets and communities from the public
// outline (GCJ-02, no account needed, a hundred-odd polygons — light on a slow connection), drawn
// with ECharts, which is fetched only when the map is first opened.
import { request } from "./api.js";

let echartsLoaded;
function loadEcharts() {
  echartsLoaded ||= window.echarts ? Promise.resolve() : new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/echarts.min.js";
    script.onload = resolve;
    script.onerror = () => { echartsLoaded = null; reject(new Error("地图载入失败，请填写地址")); };
    document.head.append(script);
  });
  return echartsLoaded;
}

let outline;
function publicOutline() {
  outline ||= request("/api/v1/public/outline", { anonymous: true }).catch((error) => { outline = null; throw error; });
  return outline;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** [[west, north], [east, south]] of the communities, leaving out any far from the rest (an
 *  exclave would shrink the whole district to a corner of a phone's screen; it is still drawn,
 *  a pan away). Null (ECharts fits everything) when there are no communities. */
function mainPart(communities) {
  if (!communities.length) return null;
  const boxes = communities.map((f) => {
    const points = (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates).flat(2);
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  });
  const centres = boxes.map((b) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
  const mid = [median(centres.map((c) => c[0])), median(centres.map((c) => c[1]))];
  const far = centres.map((c) => Math.hypot(c[0] - mid[0], c[1] - mid[1]));
  const limit = 3 * median(far) || Infinity;
  const kept = boxes.filter((_, i) => far[i] <= limit);
  return [[Math.min(...kept.map((b) => b[0])), Math.max(...kept.map((b) => b[3]))],
    [Math.max(...kept.map((b) => b[2])), Math.min(...kept.map((b) => b[1]))]];
}

/** A map in `el` of the district's communities; a tap puts the pin there and calls onPick([lon, lat])
 *  in GCJ-02 (rounded to 6 decimals, about 0.1 m). Returns {chart, pin(point), district}. */
export async function pinMap(el, { onPick, pinned = null, label = "地图：点击问题所在位置" } = {}) {
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  const [geojson] = await Promise.all([publicOutline(), loadEcharts()]);
  if (!el.isConnected) return null;
  const communities = geojson.features.filter((f) => f.properties.level === "community");
  const streets = geojson.features.filter((f) => f.properties.level === "street");
  const name = `outline-${geojson.district.code}`;
  window.echarts.registerMap(name, { type: "FeatureCollection", features: communities.length ? communities : streets });
  const rings = (f) => (f.geometry.type === "Polygon" ? [f.geometry.coordinates[0]] : f.geometry.coordinates.map((p) => p[0]));
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    geo: { map: name, roam: true, selectedMode: false, label: { show: false }, boundingCoords: mainPart(communities),
      itemStyle: { areaColor: "#eef3f8", borderColor: "#9aa6b2", borderWidth: 0.5 },
      emphasis: { label: { show: true, color: "#1d2733" }, itemStyle: { areaColor: "#d6e4f2" } } },
    series: [
      { type: "lines", coordinateSystem: "geo", polyline: true, silent: true, lineStyle: { color: "#4d5b6a", width: 1.2 },
        data: streets.flatMap((f) => rings(f).map((coords) => ({ coords }))) },
      { type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 34, itemStyle: { color: "#d93b2b" },
        data: pinned ? [pinned] : [], silent: true },
    ],
  });
  const pin = (point) => chart.setOption({ series: [{}, { data: point ? [point] : [] }] });
  // A tap is a press and release in one place (a drag pans the map). Read from the element's own
  // pointer events: zrender's click event was now and then missed (a tap right after the map appeared).
  let down = null;
  el.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
  el.addEventListener("pointerup", (e) => {
    const tapped = down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) < 6;
    down = null;
    if (!tapped) return;
    const frame = el.getBoundingClientRect();
    const point = chart.convertFromPixel({ geoIndex: 0 }, [e.clientX - frame.left, e.clientY - frame.top]);
    if (!point) return;
    const rounded = point.map((x) => Math.round(x * 1e6) / 1e6);
    pin(rounded);
    onPick?.(rounded);
  });
  const watcher = new ResizeObserver(() => {
    if (!el.isConnected) { watcher.disconnect(); chart.dispose(); return; }
    if (el.clientWidth && el.clientHeight) chart.resize();
  });
  watcher.observe(el);
  el.dataset.regions = String(communities.length || streets.length);
  return { chart, pin, district: geojson.district };
}
