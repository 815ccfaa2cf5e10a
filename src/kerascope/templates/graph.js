// kerascope's model graph: folds that open in place, a layered layout per open level
// (dagre, vendored above), pan, zoom, fit, a minimap, overlays with a legend, and
// export as SVG or PNG. Everything from the file is set as text (textContent), never
// as markup. Used by the report page and, twice, by the diff page.
(function () {
  "use strict";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const NODE_WIDTH = 204, HEAD = 20, LINE = 14, PAD = 7, GROUP_HEAD = 26, GROUP_PAD = 14, GAP = 22;
  const CHARS = 31; // characters that fit on a line of a node
  const RAMP = ["#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548"];
  const FINDING_FILL = { error: "#fda29b", warning: "#fedf89", info: "#b2ddff" };
  const OVERLAYS = {
    kind: { label: "kind of layer" },
    params: { label: "parameters", value: (t) => t.params, text: count },
    flops: { label: "FLOPs", value: (t) => t.flops, text: si },
    memory: { label: "activation memory", value: (t) => t.memory, text: bytes },
    findings: { label: "findings", value: (t) => t.findings, text: count },
    weights: { label: "weight std (values read)", value: (t) => t.std, text: (v) => v.toPrecision(3) },
  };

  function element(tag, attributes, parent) {
    const made = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attributes || {})) made.setAttribute(key, value);
    if (parent) parent.append(made);
    return made;
  }
  function words(parent, x, y, className, content) {
    const text = element("text", { x, y, class: className }, parent);
    text.textContent = content;
    return text;
  }
  function html(tag, className, content) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (content !== undefined) made.textContent = content;
    return made;
  }
  function fit(text, chars) {
    text = String(text);
    return text.length <= chars ? text : text.slice(0, chars - 1) + "…";
  }
  function count(value) {
    return value === null || value === undefined ? "?" : Math.round(value).toLocaleString("en-US");
  }
  function si(value) {
    if (value === null || value === undefined) return "?";
    for (const [factor, unit] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]) {
      if (value >= factor) return `${(value / factor).toPrecision(3)} ${unit}`;
    }
    return String(value);
  }
  function bytes(value) {
    if (value === null || value === undefined) return "?";
    for (const [factor, unit] of [[2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]]) {
      if (value >= factor) return `${(value / factor).toPrecision(3)} ${unit}`;
    }
    return `${value} B`;
  }

  // -- the model: folds, cards, edges and totals, computed once ---------------------
  class Model {
    constructor(graph, nodes, findings) {
      this.nodes = nodes;
      this.cards = graph.cards;
      this.palette = graph.palette;
      this.shapes = graph.shapes;
      this.cut = graph.cut;
      this.units = graph.units.map(([parent, node, type, label, times], id) => ({
        id, parent, node, type, label, times, children: [], depth: 0,
      }));
      for (const unit of this.units) {
        if (unit.parent >= 0) {
          this.units[unit.parent].children.push(unit.id);
          unit.depth = this.units[unit.parent].depth + 1;
        }
      }
      this.unitOf = new Int32Array(nodes.length).fill(-1);
      for (const unit of this.units) if (unit.node >= 0) this.unitOf[unit.node] = unit.id;
      this.edges = [];
      const flat = graph.edges;
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const source = this.unitOf[flat[i]], target = this.unitOf[flat[i + 1]];
        if (source >= 0 && target >= 0 && source !== target) this.edges.push([source, target, flat[i + 2]]);
      }
      this.levels = this.levelPairs();
      this.totals = this.sum(findings);
    }

    // Which children of each fold are joined by a tensor, from one pass over the edges.
    levelPairs() {
      const levels = new Map();
      for (const [source, target] of this.edges) {
        let a = source, b = target;
        while (this.units[a].depth > this.units[b].depth) a = this.units[a].parent;
        while (this.units[b].depth > this.units[a].depth) b = this.units[b].parent;
        if (a === b) continue; // one is inside the other: a layer's own sublayers
        while (this.units[a].parent !== this.units[b].parent) {
          a = this.units[a].parent;
          b = this.units[b].parent;
        }
        const parent = this.units[a].parent;
        if (!levels.has(parent)) levels.set(parent, new Set());
        levels.get(parent).add(a + "," + b);
      }
      return levels;
    }

    // Totals per fold: a node's own (which count its sublayers), else its members' sum.
    sum(findings) {
      const byPath = new Map(this.nodes.map((node, index) => [node.path, index]));
      const found = new Map();
      const worst = new Map();
      for (const finding of findings || []) {
        const index = finding.path === null || finding.path === undefined ? 0 : byPath.get(finding.path);
        if (index === undefined) continue;
        found.set(index, (found.get(index) || 0) + 1);
        if (finding.severity === "error" || !worst.has(index)) worst.set(index, finding.severity);
      }
      const totals = this.units.map(() => ({ params: 0, flops: 0, memory: 0, findings: 0, layers: 0, std: null, nonfinite: 0, worst: null, kinds: new Map() }));
      for (let id = this.units.length - 1; id >= 0; id--) {
        const unit = this.units[id], total = totals[id];
        if (unit.node >= 0) {
          const node = this.nodes[unit.node];
          if (unit.type === "leaf" || unit.type === "layer" || unit.type === "model") {
            total.params = node.total_params || 0;
            total.flops = node.flops || 0;
            total.memory = node.activation_bytes || 0;
          }
          total.findings += found.get(unit.node) || 0;
          total.worst = worst.get(unit.node) || null;
          for (const weight of node.weights || []) {
            if (!weight.stats) continue;
            if (typeof weight.stats.std === "number") total.std = Math.max(total.std || 0, weight.stats.std);
            total.nonfinite += (weight.stats.nan || 0) + (weight.stats.inf || 0);
          }
          if (unit.type === "leaf") {
            total.layers = 1;
            const kind = this.cards[unit.node][0];
            total.kinds.set(kind, 1);
          }
        }
        if (unit.parent >= 0) {
          const up = totals[unit.parent], parent = this.units[unit.parent];
          if (parent.node < 0) {
            up.params += total.params;
            up.flops += total.flops;
            up.memory += total.memory;
          }
          up.findings += total.findings;
          up.layers += total.layers + (unit.type === "layer" || unit.type === "model" ? 1 : 0);
          up.nonfinite += total.nonfinite;
          if (total.std !== null) up.std = Math.max(up.std || 0, total.std);
          if (total.worst === "error" || (total.worst && !up.worst)) up.worst = total.worst;
          for (const [kind, times] of total.kinds) up.kinds.set(kind, (up.kinds.get(kind) || 0) + times);
        }
      }
      return totals;
    }

    kind(id) {
      const unit = this.units[id];
      if (unit.node >= 0 && (unit.type === "leaf" || unit.type === "layer")) return this.cards[unit.node][0];
      if (unit.type === "model") return "model";
      let best = "custom", most = 0;
      for (const [kind, times] of this.totals[id].kinds) if (times > most) [best, most] = [kind, times];
      return best;
    }

    ancestors(id) {
      const found = [];
      for (let up = this.units[id].parent; up >= 0; up = this.units[up].parent) found.push(up);
      return found;
    }

    leavesOf(id, limit) {
      const found = [], stack = [id];
      while (stack.length && found.length < limit) {
        const unit = this.units[stack.pop()];
        if (unit.node >= 0) found.push(unit.node);
        for (let i = unit.children.length - 1; i >= 0; i--) stack.push(unit.children[i]);
      }
      return found;
    }
  }

  // -- one drawing of a model --------------------------------------------------------
  class GraphView {
    constructor(host, model, options) {
      this.host = host;
      this.model = model;
      this.options = options || {};
      this.open = new Set([0]);
      this.layouts = new Map();
      this.overlay = "kind";
      this.view = { x: 20, y: 20, k: 1 };
      this.matches = new Set();
      this.selected = -1;
      this.drawn = new Map(); // unit id -> its <g>
      this.build();
    }

    build() {
      const bar = html("div", "graph-bar");
      if (this.options.title) bar.append(html("span", "title", this.options.title));
      const button = (text, action, name) => {
        const made = html("button", "", text);
        made.dataset.action = name;
        made.addEventListener("click", action);
        bar.append(made);
        return made;
      };
      button("Fit", () => this.fit(), "fit");
      button("+", () => this.zoom(1.25), "zoom-in");
      button("−", () => this.zoom(0.8), "zoom-out");
      button("Fold all", () => this.foldAll(), "fold-all");
      const select = html("select", "overlay");
      for (const [name, overlay] of Object.entries(OVERLAYS)) {
        if (name === "weights" && !this.model.totals.some((total) => total.std !== null)) continue;
        const option = html("option", "", "colour: " + overlay.label);
        option.value = name;
        select.append(option);
      }
      select.addEventListener("change", () => this.setOverlay(select.value));
      this.select = select;
      bar.append(select, html("span", "spacer"));
      button("SVG", () => download(this.fileName("svg"), "data:image/svg+xml;charset=utf-8," + encodeURIComponent(this.exportSVG())), "export-svg");
      button("PNG", () => this.exportPNG().then((url) => download(this.fileName("png"), url)), "export-png");
      const view = html("div", "graph-view");
      this.svg = element("svg", { class: "kgraph", xmlns: SVG_NS });
      const defs = element("defs", {}, this.svg);
      this.arrow = "arrow-" + Math.random().toString(36).slice(2);
      const marker = element("marker", { id: this.arrow, viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      element("path", { d: "M0,0 L8,4 L0,8 z", class: "arrow" }, marker);
      this.viewport = element("g", { class: "viewport" }, this.svg);
      this.minimap = html("canvas", "minimap");
      this.minimap.width = 360;
      this.minimap.height = 260;
      this.legend = html("div", "legend");
      view.append(this.svg, this.legend, this.minimap);
      if (this.model.cut) view.append(html("div", "graph-note", this.model.cut));
      if (!this.model.units[0].children.length) {
        view.append(html("div", "graph-note empty", "The source stores no layers to draw: see the overview for what it does store."));
      }
      this.host.append(bar, view);
      this.viewElement = view;
      this.listen(view);
    }

    fileName(extension) {
      const root = this.model.nodes[0];
      return `${(root && root.name) || "model"}.${extension}`.replace(/[^\w.-]+/g, "_");
    }

    // -- folding ---------------------------------------------------------------------
    isFold(id) {
      return this.model.units[id].children.length > 0;
    }
    toggle(id, open) {
      if (!this.isFold(id) || id === 0) return;
      const wanted = open === undefined ? !this.open.has(id) : open;
      if (wanted === this.open.has(id)) return;
      if (wanted) this.open.add(id); else this.open.delete(id);
      this.forget(id);
      this.render();
      if (this.options.onToggle) this.options.onToggle(id, wanted);
    }
    forget(id) {
      this.layouts.delete(id);
      for (const up of this.model.ancestors(id)) this.layouts.delete(up);
    }
    foldAll() {
      this.open = new Set([0]);
      this.layouts.clear();
      this.render();
      this.fit();
    }
    // Opens every fold above a unit; true when something opened.
    reveal(id) {
      let changed = false;
      for (const up of this.model.ancestors(id)) {
        if (!this.open.has(up)) {
          this.open.add(up);
          this.forget(up);
          changed = true;
        }
      }
      if (changed) this.render();
      return changed;
    }
    // The unit drawn for `id`: itself, or the outermost closed fold holding it.
    shown(id) {
      let result = id;
      for (const up of this.model.ancestors(id)) if (!this.open.has(up)) result = up;
      return result;
    }

    // -- layout, one open level at a time ----------------------------------------------
    cardLines(id) {
      const model = this.model, unit = model.units[id];
      if (unit.type === "leaf") {
        const [, , name, shape, attributes] = model.cards[unit.node];
        return [["name", name], ...(shape ? [["shape", shape]] : []), ...attributes.map((a) => ["attr", a])];
      }
      const total = model.totals[id];
      const lines = [];
      if (unit.node >= 0) {
        const [, , name, shape] = model.cards[unit.node];
        lines.push(["name", name]);
        if (shape) lines.push(["shape", shape]);
      } else if (unit.times > 1) {
        lines.push(["attr", `×${unit.times} identical`]);
      }
      lines.push(["count", `${count(total.layers)} layers · ${si(total.params)} params`]);
      return lines;
    }
    header(id) {
      const model = this.model, unit = model.units[id];
      if (unit.node >= 0) return model.cards[unit.node][1];
      return unit.label;
    }
    size(id) {
      if (this.open.has(id) && this.isFold(id)) {
        const layout = this.layout(id);
        return { width: layout.width + 2 * GROUP_PAD, height: layout.height + GROUP_HEAD + GROUP_PAD };
      }
      const stacked = this.isFold(id) ? 6 : 0;
      return { width: NODE_WIDTH + stacked, height: HEAD + PAD + LINE * this.cardLines(id).length + stacked };
    }
    layout(id) {
      if (this.layouts.has(id)) return this.layouts.get(id);
      const children = this.model.units[id].children;
      const sizes = new Map(children.map((child) => [child, this.size(child)]));
      const pairs = this.model.levels.get(id) || new Set();
      const result = pairs.size ? this.layered(children, sizes, pairs) : this.grid(children, sizes);
      this.layouts.set(id, result);
      if (this.options.onLayout) this.options.onLayout(id, children.length);
      return result;
    }
    layered(children, sizes, pairs) {
      const graph = new dagre.graphlib.Graph();
      graph.setGraph({ rankdir: "TB", nodesep: GAP, ranksep: 42, marginx: 0, marginy: 0 });
      graph.setDefaultEdgeLabel(() => ({}));
      for (const child of children) graph.setNode(String(child), { ...sizes.get(child) });
      for (const [a, b] of this.ranking(children, pairs)) graph.setEdge(String(a), String(b));
      dagre.layout(graph);
      const places = new Map(), routes = new Map();
      for (const child of children) {
        const place = graph.node(String(child));
        const { width, height } = sizes.get(child);
        places.set(child, { x: place.x - width / 2, y: place.y - height / 2, width, height });
      }
      for (const edge of graph.edges()) routes.set(edge.v + "," + edge.w, graph.edge(edge).points);
      const box = graph.graph();
      return { places, routes, width: box.width || 0, height: box.height || 0 };
    }
    // The edges dagre ranks a level by. A dense level (every layer reading every
    // earlier one) would cost dagre a dummy node per rank each long edge spans, so
    // past two inputs per box only each box's two latest inputs rank it; the other
    // edges are drawn all the same, as curves.
    ranking(children, pairs) {
      const edges = [...pairs].map((pair) => pair.split(",").map(Number));
      if (edges.length <= 2 * children.length) return edges;
      const order = new Map(children.map((child, index) => [child, index]));
      const inputs = new Map();
      for (const [a, b] of edges) {
        if (!inputs.has(b)) inputs.set(b, []);
        inputs.get(b).push(a);
      }
      const kept = [];
      for (const [b, sources] of inputs) {
        sources.sort((x, y) => order.get(y) - order.get(x));
        for (const a of sources.slice(0, 2)) kept.push([a, b]);
      }
      return kept;
    }
    grid(children, sizes) {
      const columns = Math.max(1, Math.ceil(Math.sqrt(children.length / 2)));
      const places = new Map();
      let x = 0, y = 0, row = 0, width = 0;
      children.forEach((child, index) => {
        if (index && index % columns === 0) {
          x = 0;
          y += row + GAP;
          row = 0;
        }
        const size = sizes.get(child);
        places.set(child, { x, y, ...size });
        x += size.width + GAP;
        width = Math.max(width, x - GAP);
        row = Math.max(row, size.height);
      });
      return { places, routes: new Map(), width, height: y + row };
    }

    // -- drawing -------------------------------------------------------------------------
    render() {
      const started = performance.now();
      this.viewport.replaceChildren();
      this.drawn.clear();
      this.boxes = new Map(); // unit id -> absolute {x, y, width, height}
      const root = this.layout(0);
      this.bounds = { width: root.width, height: root.height };
      const edges = element("g", { class: "edges" }, this.viewport);
      const labels = element("g", { class: "edge-labels" });
      this.place(0, 0, 0, this.viewport);
      this.drawEdges(edges, labels);
      this.viewport.append(labels);
      this.paint();
      this.applyView();
      this.lastRender = performance.now() - started;
    }
    place(id, x, y, parent) {
      const layout = this.layout(id);
      for (const child of this.model.units[id].children) {
        const box = layout.places.get(child);
        const at = { x: x + box.x, y: y + box.y, width: box.width, height: box.height };
        this.boxes.set(child, at);
        if (this.open.has(child) && this.isFold(child)) this.drawGroup(child, at, parent);
        else this.drawNode(child, at, parent);
      }
    }
    drawGroup(id, at, parent) {
      const unit = this.model.units[id], total = this.model.totals[id];
      const group = element("g", { class: "group", "data-unit": id }, parent);
      element("rect", { class: "frame", x: at.x, y: at.y, width: at.width, height: at.height, rx: 8 }, group);
      const what = unit.node >= 0 ? `${this.model.cards[unit.node][2]} · ${this.model.cards[unit.node][1]}` : unit.label;
      const times = unit.times > 1 ? ` ×${unit.times}` : "";
      const title = words(group, at.x + 10, at.y + 17, "title", `▾ ${fit(what, 60)}${times} · ${count(total.layers)} layers · ${si(total.params)} params`);
      title.addEventListener("click", (event) => {
        event.stopPropagation();
        this.toggle(id, false);
      });
      this.drawn.set(id, group);
      this.place(id, at.x + GROUP_PAD, at.y + GROUP_HEAD, group);
    }
    drawNode(id, at, parent) {
      const unit = this.model.units[id];
      const kind = this.model.kind(id);
      const fold = this.isFold(id);
      const classes = ["node", kind, fold ? "fold" : "leaf"];
      const node = element("g", { class: classes.join(" "), "data-unit": id, transform: `translate(${at.x},${at.y})` }, parent);
      if (unit.node >= 0) node.dataset.path = this.model.nodes[unit.node].path;
      const width = NODE_WIDTH, height = at.height - (fold ? 6 : 0);
      if (fold) {
        element("rect", { class: "stack", x: 6, y: 6, width, height, rx: 5 }, node);
        element("rect", { class: "stack", x: 3, y: 3, width, height, rx: 5 }, node);
      }
      element("rect", { class: "body", width, height, rx: 5 }, node);
      element("path", { class: "head", d: `M0,${HEAD} V5 Q0,0 5,0 H${width - 5} Q${width},0 ${width},5 V${HEAD} Z`, fill: this.model.palette[kind] || "#37474f" }, node);
      const mark = fold ? "▸ " : "";
      words(node, PAD, 14, "cls", mark + fit(this.header(id), CHARS - mark.length));
      if (fold && unit.times > 1) words(node, width - PAD, 14, "cls times", `×${unit.times}`).setAttribute("text-anchor", "end");
      this.cardLines(id).forEach(([type, text], index) => words(node, PAD, HEAD + 13 + index * LINE, type, fit(text, CHARS)));
      const path = unit.node >= 0 ? this.model.nodes[unit.node].path : unit.label;
      element("title", {}, node).textContent = path;
      node.addEventListener("click", (event) => {
        event.stopPropagation();
        if (fold) this.toggle(id, true);
        if (this.options.onSelect) this.options.onSelect(id);
      });
      this.drawn.set(id, node);
    }
    drawEdges(layer, labels) {
      const model = this.model;
      const shown = new Int32Array(model.units.length).fill(-2);
      const visible = (id) => {
        if (shown[id] === -2) {
          const parent = model.units[id].parent;
          if (parent < 0) shown[id] = id;
          else {
            const above = visible(parent);
            shown[id] = above !== parent ? above : this.open.has(parent) ? id : parent;
          }
        }
        return shown[id];
      };
      const drawn = new Map();
      for (const [source, target, shape] of model.edges) {
        const a = visible(source), b = visible(target);
        if (a === b || !this.boxes.has(a) || !this.boxes.has(b)) continue;
        const key = a + "," + b;
        let entry = drawn.get(key);
        if (!entry) drawn.set(key, (entry = { a, b, shapes: new Map(), tensors: 0 }));
        entry.tensors++;
        entry.shapes.set(shape, (entry.shapes.get(shape) || 0) + 1);
      }
      this.edgeCount = drawn.size;
      for (const entry of drawn.values()) {
        const parent = model.units[entry.a].parent;
        const siblings = parent === model.units[entry.b].parent;
        const route = siblings ? this.layout(parent).routes.get(entry.a + "," + entry.b) : null;
        const offset = siblings ? this.origin(parent) : null;
        let points;
        const cross = !siblings;
        if (route && route.length > 1) points = route.map((point) => ({ x: point.x + offset.x, y: point.y + offset.y }));
        else {
          const from = this.boxes.get(entry.a), to = this.boxes.get(entry.b);
          points = [{ x: from.x + from.width / 2, y: from.y + from.height }, { x: to.x + to.width / 2, y: to.y }];
        }
        const path = element("path", { class: "edge" + (cross ? " cross" : ""), d: curve(points), "marker-end": `url(#${this.arrow})` }, layer);
        const [first, times] = [...entry.shapes.entries()][0];
        let text = model.shapes[first] || "?";
        if (entry.shapes.size > 1) text += ` +${entry.tensors - times}`;
        else if (entry.tensors > 1) text += ` ×${entry.tensors}`;
        const middle = points.length > 2 ? points[Math.floor(points.length / 2)] : { x: (points[0].x + points[1].x) / 2, y: (points[0].y + points[1].y) / 2 };
        const label = words(labels, middle.x + 4, middle.y + 3, "edge-label", fit(text, 40));
        label.dataset.edge = entry.a + "," + entry.b;
        path.dataset.edge = label.dataset.edge;
      }
    }
    origin(id) {
      if (id === 0) return { x: 0, y: 0 };
      const box = this.boxes.get(id);
      return { x: box.x + GROUP_PAD, y: box.y + GROUP_HEAD };
    }

    // Colours, highlights and the legend, without laying anything out again.
    paint() {
      const overlay = OVERLAYS[this.overlay];
      const values = [];
      if (overlay.value) {
        for (const [id, drawn] of this.drawn) {
          if (!drawn.classList.contains("node")) continue; // an open fold's total spans its members
          const value = overlay.value(this.model.totals[id]);
          if (value !== null && value > 0) values.push(value);
        }
      }
      const low = Math.log10(Math.min(...values, Infinity)), high = Math.log10(Math.max(...values, -Infinity));
      const kinds = new Map();
      for (const [id, drawn] of this.drawn) {
        const total = this.model.totals[id];
        drawn.classList.toggle("selected", id === this.selected);
        drawn.classList.toggle("match", this.matches.has(id));
        if (this.options.status) {
          for (const name of ["added", "removed", "config", "weights", "inside", "same"]) drawn.classList.remove(name);
          const status = this.options.status(id);
          if (status) drawn.classList.add(status);
        }
        const body = drawn.querySelector(":scope > rect.body");
        if (!body) continue;
        const kind = this.model.kind(id);
        kinds.set(kind, this.model.palette[kind]);
        let fill = "white";
        if (this.overlay === "findings") fill = total.worst ? FINDING_FILL[total.worst] || "white" : "white";
        else if (overlay.value) {
          const value = overlay.value(total);
          if (value !== null && value > 0) {
            const share = high > low ? (Math.log10(value) - low) / (high - low) : 1;
            fill = RAMP[Math.min(RAMP.length - 1, Math.round(share * (RAMP.length - 1)))];
          }
        }
        body.setAttribute("fill", fill);
        body.style.fill = fill;
      }
      this.drawLegend(overlay, values, kinds);
      this.drawMinimap();
    }
    drawLegend(overlay, values, kinds) {
      this.legend.replaceChildren();
      if (this.overlay === "kind") {
        for (const [kind, colour] of kinds) {
          const item = html("span", "item");
          const swatch = html("span", "swatch");
          swatch.style.background = colour;
          item.append(swatch, kind);
          this.legend.append(item);
        }
      } else if (this.overlay === "findings") {
        for (const [severity, colour] of Object.entries(FINDING_FILL)) {
          const swatch = html("span", "swatch");
          swatch.style.background = colour;
          const item = html("span", "item");
          item.append(swatch, severity);
          this.legend.append(item);
        }
      } else {
        const ramp = html("span", "ramp");
        ramp.style.background = `linear-gradient(to right, ${RAMP.join(", ")})`;
        const low = values.length ? overlay.text(Math.min(...values)) : "—";
        const high = values.length ? overlay.text(Math.max(...values)) : "—";
        this.legend.append(html("span", "", `${overlay.label} (log):`), html("span", "", low), ramp, html("span", "", high));
      }
      if (this.options.legendExtra) this.options.legendExtra(this.legend);
    }
    setOverlay(name) {
      this.overlay = OVERLAYS[name] ? name : "kind";
      if (this.select) this.select.value = this.overlay;
      this.paint();
    }
    setMatches(nodeIndexes) {
      this.matches = new Set();
      for (const index of nodeIndexes) {
        const unit = this.model.unitOf[index];
        if (unit >= 0) this.matches.add(this.shown(unit));
      }
      this.paint();
    }
    choose(id) {
      this.selected = id;
      this.paint();
    }

    // -- pan, zoom, fit, minimap ---------------------------------------------------------
    applyView() {
      const { x, y, k } = this.view;
      this.viewport.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
      this.drawMinimap();
    }
    size2() {
      const box = this.viewElement.getBoundingClientRect();
      return { width: box.width || 800, height: box.height || 600 };
    }
    // The view a page opens on: the top of the graph at a scale that reads, its
    // width fitted when it can be (as Netron opens a model).
    start() {
      const { width, height } = this.size2();
      const whole = Math.min(1, (width - 40) / Math.max(1, this.bounds.width), (height - 40) / Math.max(1, this.bounds.height));
      if (whole >= 0.6) return this.fit();
      const k = Math.max(0.6, Math.min(1, (width - 40) / Math.max(1, this.bounds.width)));
      this.view = { k, x: Math.max(20, (width - this.bounds.width * k) / 2), y: 20 };
      this.applyView();
      this.moved();
    }
    fit() {
      const { width, height } = this.size2();
      const k = Math.min(1, (width - 40) / Math.max(1, this.bounds.width), (height - 40) / Math.max(1, this.bounds.height));
      this.view = { k, x: (width - this.bounds.width * k) / 2, y: Math.max(20, (height - this.bounds.height * k) / 2) };
      this.applyView();
      this.moved();
    }
    zoom(factor, at) {
      const { width, height } = this.size2();
      const point = at || { x: width / 2, y: height / 2 };
      const k = Math.min(4, Math.max(0.02, this.view.k * factor));
      this.view.x = point.x - ((point.x - this.view.x) * k) / this.view.k;
      this.view.y = point.y - ((point.y - this.view.y) * k) / this.view.k;
      this.view.k = k;
      this.applyView();
      this.moved();
    }
    // Puts a unit's centre at a point of the view (its middle by default).
    centre(id, point) {
      const box = this.boxes.get(id);
      if (!box) return;
      const { width, height } = this.size2();
      const at = point || { x: width / 2, y: height / 2 };
      if (!point && this.view.k < 0.5) this.view.k = 0.8;
      this.view.x = at.x - (box.x + box.width / 2) * this.view.k;
      this.view.y = at.y - (box.y + box.height / 2) * this.view.k;
      this.applyView();
    }
    // Where a unit's centre is in the view, or null.
    onScreen(id) {
      const box = this.boxes.get(id);
      if (!box) return null;
      return { x: this.view.x + (box.x + box.width / 2) * this.view.k, y: this.view.y + (box.y + box.height / 2) * this.view.k };
    }
    // The drawn unit nearest the middle of the view.
    nearestToCentre() {
      const { width, height } = this.size2();
      let best = -1, distance = Infinity;
      for (const [id] of this.drawn) {
        const at = this.onScreen(id);
        if (!at) continue;
        const d = (at.x - width / 2) ** 2 + (at.y - height / 2) ** 2;
        if (d < distance) [best, distance] = [id, d];
      }
      return best;
    }
    moved() {
      if (this.options.onView) this.options.onView(this);
    }
    listen(view) {
      let drag = null;
      view.addEventListener("pointerdown", (event) => {
        if (event.target.closest && event.target.closest(".node, text.title")) return;
        drag = { x: event.clientX, y: event.clientY, view: { ...this.view } };
        view.classList.add("dragging");
      });
      window.addEventListener("pointermove", (event) => {
        if (!drag) return;
        this.view.x = drag.view.x + event.clientX - drag.x;
        this.view.y = drag.view.y + event.clientY - drag.y;
        this.applyView();
      });
      window.addEventListener("pointerup", () => {
        if (!drag) return;
        drag = null;
        view.classList.remove("dragging");
        this.moved();
      });
      view.addEventListener("wheel", (event) => {
        event.preventDefault();
        const box = view.getBoundingClientRect();
        this.zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, { x: event.clientX - box.left, y: event.clientY - box.top });
      }, { passive: false });
      const jump = (event) => {
        const box = this.minimap.getBoundingClientRect();
        const scale = this.miniScale();
        const x = (event.clientX - box.left) * (this.minimap.width / box.width) / scale.k - scale.x;
        const y = (event.clientY - box.top) * (this.minimap.height / box.height) / scale.k - scale.y;
        const { width, height } = this.size2();
        this.view.x = width / 2 - x * this.view.k;
        this.view.y = height / 2 - y * this.view.k;
        this.applyView();
        this.moved();
      };
      let miniDrag = false;
      this.minimap.addEventListener("pointerdown", (event) => {
        event.stopPropagation();
        miniDrag = true;
        jump(event);
      });
      this.minimap.addEventListener("pointermove", (event) => miniDrag && jump(event));
      window.addEventListener("pointerup", () => (miniDrag = false));
    }
    miniScale() {
      const k = Math.min(this.minimap.width / Math.max(1, this.bounds.width + 40), this.minimap.height / Math.max(1, this.bounds.height + 40));
      return { k, x: 20, y: 20 };
    }
    drawMinimap() {
      if (!this.boxes) return;
      const context = this.minimap.getContext("2d");
      const scale = this.miniScale();
      context.clearRect(0, 0, this.minimap.width, this.minimap.height);
      context.save();
      context.scale(scale.k, scale.k);
      context.translate(scale.x, scale.y);
      for (const [id, box] of this.boxes) {
        const group = this.open.has(id) && this.isFold(id);
        context.fillStyle = group ? "rgba(47,111,223,0.08)" : this.model.palette[this.model.kind(id)] || "#37474f";
        context.fillRect(box.x, box.y, box.width, group ? box.height : Math.max(box.height, 4));
      }
      const { width, height } = this.size2();
      context.strokeStyle = "#f79009";
      context.lineWidth = 2 / scale.k;
      context.strokeRect(-this.view.x / this.view.k, -this.view.y / this.view.k, width / this.view.k, height / this.view.k);
      context.restore();
    }

    // -- export ---------------------------------------------------------------------------
    exportSVG() {
      const rules = [];
      for (const sheet of document.styleSheets) {
        for (const rule of sheet.cssRules) if (rule.selectorText && rule.selectorText.includes(".kgraph")) rules.push(rule.cssText);
      }
      const width = Math.ceil(this.bounds.width + 40), height = Math.ceil(this.bounds.height + 40);
      const copy = element("svg", { xmlns: SVG_NS, class: "kgraph", width, height, viewBox: `-20 -20 ${width} ${height}` });
      const style = element("style", {}, copy);
      style.textContent = rules.join("\n");
      element("rect", { x: -20, y: -20, width, height, fill: "#ffffff" }, copy);
      copy.append(this.svg.querySelector("defs").cloneNode(true));
      const content = this.viewport.cloneNode(true);
      content.removeAttribute("transform");
      copy.append(content);
      return new XMLSerializer().serializeToString(copy);
    }
    exportPNG() {
      const text = this.exportSVG();
      const width = Math.ceil(this.bounds.width + 40), height = Math.ceil(this.bounds.height + 40);
      const scale = Math.min(2, 16000 / Math.max(width, height));
      return new Promise((resolve, reject) => {
        const image = new Image();
        image.onload = () => {
          const canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(width * scale));
          canvas.height = Math.max(1, Math.round(height * scale));
          const context = canvas.getContext("2d");
          context.fillStyle = "white";
          context.fillRect(0, 0, canvas.width, canvas.height);
          context.drawImage(image, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/png"));
        };
        image.onerror = () => reject(new Error("the SVG could not be drawn"));
        image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
      });
    }
  }

  function curve(points) {
    if (points.length === 2) {
      const [a, b] = points;
      const bend = Math.max(20, Math.abs(b.y - a.y) / 2);
      return `M${a.x},${a.y} C${a.x},${a.y + bend} ${b.x},${b.y - bend} ${b.x},${b.y}`;
    }
    let d = `M${points[0].x},${points[0].y}`;
    for (let i = 1; i < points.length - 1; i++) {
      const middle = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
      d += ` Q${points[i].x},${points[i].y} ${i === points.length - 2 ? points[i + 1].x : middle.x},${i === points.length - 2 ? points[i + 1].y : middle.y}`;
    }
    return d;
  }

  function download(name, url) {
    const link = document.createElement("a");
    link.download = name;
    link.href = url;
    document.body.append(link);
    link.click();
    link.remove();
  }

  window.KerascopeGraph = { Model, GraphView, count, si, bytes, fit };
})();
