// The district's grid cells on an ECharts map: our own GeoJSON (GCJ-02), no tiles.
// Thousands of cells draw fast as one large `lines` series (their borders); only cells that
// carry a value, and the selected one, are filled polygons. A click is matched to its cell
// here (point in polygon), so the borders stay one cheap layer.
import { request } from "./api.js";

const loaded = {};

function ringOf(feature) {
  const g = feature.geometry;
  return g.type === "Polygon" ? g.coordinates[0] : g.coordinates[0][0];
}

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export const GRID_CACHE = "civicloop-grid";

/** The grid's GeoJSON (megabytes for a whole district), kept in the browser's Cache Storage
 *  with the server's ETag: each page asks again with If-None-Match and takes the kept copy on
 *  a 304, so a grid changed anywhere (an import, a worker assigned) is seen at once. */
async function gridGeojson(district) {
  const path = `/api/v1/districts/${district}/grids`;
  if (!window.caches) return request(path);
  const cache = await caches.open(GRID_CACHE);
  const kept = await cache.match(path);
  const etag = kept?.headers.get("ETag");
  try {
    const answer = await request(path, { raw: true, headers: etag ? { "If-None-Match": etag } : {} });
    await cache.put(path, answer.clone());
    return answer.json();
  } catch (error) {
    if (error.status === 304 && kept) return kept.json();
    throw error;
  }
}

/** ECharts: the console loads it `async`, so that a screen's first data never waits for its
 *  megabyte to be evaluated; what draws with it waits here. */
export function echartsReady() {
  if (window.echarts) return Promise.resolve(window.echarts);
  const script = document.querySelector("script[src$='/echarts.min.js']");
  return new Promise((resolve, reject) => {
    script.addEventListener("load", () => resolve(window.echarts), { once: true });
    script.addEventListener("error", () => reject(new Error("ECharts 载入失败")), { once: true });
  });
}

/** The district's cells, fetched once per page: {cells, byCode, cellAt(point), bounds}. */
export function loadGrid(district) {
  loaded[district] ||= Promise.all([gridGeojson(district), echartsReady()]).then(([geojson]) => {
    const cells = geojson.features.map((f) => {
      const ring = ringOf(f);
      const xs = ring.map((p) => p[0]);
      const ys = ring.map((p) => p[1]);
      return { code: f.properties.code, props: f.properties, ring,
        box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] };
    });
    const bounds = cells.reduce((b, c) => [Math.min(b[0], c.box[0]), Math.min(b[1], c.box[1]),
      Math.max(b[2], c.box[2]), Math.max(b[3], c.box[3])], [180, 90, -180, -90]);
    const [w, s, e, n] = bounds;
    // The geo component only lends its projection, pan and zoom: its one region is the bounding box.
    window.echarts.registerMap(`bounds-${district}`, { type: "FeatureCollection", features: [{
      type: "Feature", properties: { name: district },
      geometry: { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } }] });
    const byCode = Object.fromEntries(cells.map((c) => [c.code, c]));
    const cellAt = (p) => cells.find((c) => p[0] >= c.box[0] && p[0] <= c.box[2] && p[1] >= c.box[1]
      && p[1] <= c.box[3] && inRing(p, c.ring));
    return { cells, byCode, cellAt, bounds };
  });
  return loaded[district];
}

export async function districtCode() {
  const districts = await request("/api/v1/districts");
  return (districts.items || districts)[0]?.code;
}

/**
 * Pan and zoom by moving the drawn picture: while a drag, a pinch or a run of wheel turns goes
 * on, the canvas is only transformed by CSS (a frame costs next to nothing), and the map is drawn
 * again once, when the gesture ends. ECharts' own roam draws the borders of every cell again on
 * each mouse move: 100–180 ms a frame for the demo's 11,030 cells. The transform is
 * p → scale·p + shift (pixels); the end hands ECharts the same as one geoRoam.
 */
function moveByTransform(el, chart) {
  const layer = chart.getZr().painter.getViewportRoot();
  layer.style.transformOrigin = "0 0";
  el.style.overflow = "hidden";
  el.style.touchAction = "none";
  let scale = 1;
  let shift = [0, 0];
  let settle;
  const pointers = new Map();  // pointerId → its last [x, y] within el
  const local = (e) => { const r = el.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  const show = () => { layer.style.transform = `translate(${shift[0]}px, ${shift[1]}px) scale(${scale})`; };
  const zoomAt = ([x, y], factor) => {
    scale *= factor;
    shift = [factor * shift[0] + x * (1 - factor), factor * shift[1] + y * (1 - factor)];
  };
  const end = () => {
    clearTimeout(settle);
    if (scale === 1 && shift[0] === 0 && shift[1] === 0) return;
    chart.dispatchAction({ type: "geoRoam", componentType: "geo", geoIndex: 0, dx: shift[0] / scale,
      dy: shift[1] / scale, zoom: scale, originX: 0, originY: 0 });
    chart.getZr().flush();  // drawn now, so the transform goes in the same frame: no jump
    scale = 1;
    shift = [0, 0];
    layer.style.transform = "";
  };
  const centre = () => {
    const [a, b] = [...pointers.values()];
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, Math.hypot(a[0] - b[0], a[1] - b[1])];
  };
  const move = (e) => {
    if (!pointers.has(e.pointerId)) return;
    const before = pointers.size === 2 ? centre() : pointers.get(e.pointerId);
    pointers.set(e.pointerId, local(e));
    const after = pointers.size === 2 ? centre() : pointers.get(e.pointerId);
    shift = [shift[0] + after[0] - before[0], shift[1] + after[1] - before[1]];
    if (pointers.size === 2 && before[2] > 0) zoomAt(after, after[2] / before[2]);
    show();
  };
  const up = (e) => {
    if (!pointers.delete(e.pointerId)) return;
    if (!pointers.size) {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", up);
      end();
    }
  };
  el.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || pointers.size >= 2) return;
    end();
    pointers.set(e.pointerId, local(e));
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", up);
  });
  el.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(local(e), Math.exp(-e.deltaY / 500));
    show();
    clearTimeout(settle);
    settle = setTimeout(end, 200);
  }, { passive: false });
}

const FILL = ["#fde9a8", "#f6b042", "#e4572e", "#a31d12"];

/**
 * A map of the district's cells in `el`.
 * values: {cellCode: number} fills cells; onCell(code) on a click on a cell; onPick([lon, lat]) on any click.
 * Returns {chart, drawn, cells, highlight(code, point), setValues(values), pin(point)}, or null when
 * `el` left the page before the grid arrived.
 */
export async function gridMap(el, { district, values = {}, onCell, onPick, label = "网格地图" } = {}) {
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  const started = performance.now();
  const grid = await loadGrid(district);
  const fetched = performance.now();
  if (!el.isConnected) return null;  // the screen was left while the grid loaded
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  let selected = null;

  // Custom series are handed only the index of their item: the items are kept here.
  const items = { filled: [], selected: [] };
  const polygon = (which, stroke) => (params, api) => {
    const item = items[which][params.dataIndex];
    const points = item && grid.byCode[item.name]?.ring.map((p) => api.coord(p));
    if (!points) return null;
    return { type: "polygon", shape: { points }, style: { fill: item.color, stroke, lineWidth: stroke ? 2 : 0 } };
  };
  const filled = () => {
    const max = Math.max(1, ...Object.values(values));
    items.filled = Object.entries(values).filter(([code]) => grid.byCode[code])
      .map(([name, value]) => ({ name, value: [value], color: FILL[Math.min(3, Math.floor((value / max) * 3.999))] }));
    return items.filled;
  };
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => {
      const item = p.seriesIndex === 1 && items.filled[p.dataIndex];
      return item ? `${grid.byCode[item.name].props.community || ""} ${item.name}<br>${item.value[0]} 件` : "";
    } },
    geo: { map: `bounds-${district}`, roam: false, silent: true, itemStyle: { areaColor: "transparent", borderWidth: 0 } },
    series: [
      { type: "lines", coordinateSystem: "geo", polyline: true, large: true, largeThreshold: 100, silent: true,
        lineStyle: { color: "#9aa6b2", width: 0.5 }, data: grid.cells.map((c) => ({ coords: c.ring })) },
      { type: "custom", coordinateSystem: "geo", renderItem: polygon("filled"), data: filled() },
      { type: "custom", coordinateSystem: "geo", silent: true, renderItem: polygon("selected", "#0b5cad"), data: [] },
      { type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 28, itemStyle: { color: "#d93b2b" }, data: [], silent: true },
    ],
  });
  moveByTransform(el, chart);
  chart.getZr().on("click", (e) => {
    const point = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
    if (!point) return;
    const rounded = point.map((x) => Math.round(x * 1e6) / 1e6);
    if (onPick) onPick(rounded);
    const cell = onCell && grid.cellAt(point);
    if (cell) onCell(cell.code);
  });
  const watcher = new ResizeObserver(() => {
    // A map whose screen was left is let go; a hidden one (zero size) keeps its last layout.
    if (!el.isConnected) { watcher.disconnect(); chart.dispose(); return; }
    if (el.clientWidth && el.clientHeight) chart.resize();
  });
  watcher.observe(el);
  const drawn = new Promise((resolve) => chart.on("finished", resolve)).then(() => {
    // The benchmark reads these: how many cells were drawn, how long the fetch and the first draw took.
    el.dataset.cells = String(grid.cells.length);
    el.dataset.fetchMs = String(Math.round(fetched - started));
    el.dataset.drawMs = String(Math.round(performance.now() - fetched));
  });
  const map = {
    chart, drawn, cells: grid.cells.length,
    setValues(next) {
      values = next;
      chart.setOption({ series: [{}, { data: filled() }] });
    },
    pin(point) {
      chart.setOption({ series: [{}, {}, {}, { data: point ? [point] : [] }] });
    },
    highlight(code, point) {
      selected = grid.byCode[code] ? code : null;
      items.selected = selected ? [{ name: selected, value: [0], color: "rgba(11,92,173,.35)" }] : [];
      chart.setOption({ series: [{}, {}, { data: items.selected }, { data: point ? [point] : [] }] });
      const cell = grid.byCode[code];
      if (cell) chart.setOption({ geo: { center: point || [(cell.box[0] + cell.box[2]) / 2, (cell.box[1] + cell.box[3]) / 2], zoom: 5 } });
    },
  };
  return map;
}
