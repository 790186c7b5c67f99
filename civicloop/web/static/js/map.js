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
 *  under the district and its cell count; an import through the admin screen clears it. */
async function gridGeojson(district) {
  const path = `/api/v1/districts/${district}/grids`;
  if (!window.caches) return request(path);
  const { cells } = await request(`/api/v1/districts/${district}`);
  const key = `/cached${path}?cells=${cells}`;
  const cache = await caches.open(GRID_CACHE);
  const hit = await cache.match(key);
  if (hit) return hit.json();
  const answer = await request(path, { raw: true });
  await cache.put(key, answer.clone());
  return answer.json();
}

/** The district's cells, fetched once per page: {cells, byCode, cellAt(point), bounds}. */
export function loadGrid(district) {
  loaded[district] ||= gridGeojson(district).then((geojson) => {
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
    geo: { map: `bounds-${district}`, roam: true, silent: true, itemStyle: { areaColor: "transparent", borderWidth: 0 } },
    series: [
      { type: "lines", coordinateSystem: "geo", polyline: true, large: true, largeThreshold: 100, silent: true,
        lineStyle: { color: "#9aa6b2", width: 0.5 }, data: grid.cells.map((c) => ({ coords: c.ring })) },
      { type: "custom", coordinateSystem: "geo", renderItem: polygon("filled"), data: filled() },
      { type: "custom", coordinateSystem: "geo", silent: true, renderItem: polygon("selected", "#0b5cad"), data: [] },
      { type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 28, itemStyle: { color: "#d93b2b" }, data: [], silent: true },
    ],
  });
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
