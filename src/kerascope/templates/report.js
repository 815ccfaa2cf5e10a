// kerascope report page: the overview, the graph, the layer tree with search, and
// each layer's panel. No network; every value from the file is set as text.
(function () {
  "use strict";
  const { Model, GraphView, count, si, bytes } = window.KerascopeGraph;
  const started = performance.now();
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const nodes = data.nodes;
  const byPath = new Map(nodes.map((node, index) => [node.path, index]));
  const model = new Model(data.graph, nodes, data.findings);
  const rows = new Map();
  const collapsed = new Set();
  const tree = document.getElementById("tree");
  let selected = null;

  function text(tag, className, content) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined) element.textContent = content;
    return element;
  }

  function shapeText(shapes) {
    if (!shapes || !shapes.length) return "";
    const first = JSON.stringify(shapes[0]);
    const same = shapes.every((shape) => JSON.stringify(shape) === first);
    return same ? first.replace(/null/g, "None").replace(/\[/g, "(").replace(/\]/g, ")") : "multiple";
  }

  function estimate(node, fact) {
    return (node.estimated || []).includes(fact) ? " (estimate)" : "";
  }

  // -- graph ----------------------------------------------------------------------
  const graph = new GraphView(document.getElementById("center"), model, {
    title: "Graph",
    onSelect: (unit) => {
      const index = model.units[unit].node;
      if (index >= 0) select(nodes[index].path, { fromGraph: true });
      else showFold(unit);
    },
  });
  graph.render();
  graph.start();

  // -- tree -----------------------------------------------------------------------
  const fragment = document.createDocumentFragment();
  nodes.slice(1).forEach((node, offset) => {
    const depth = node.path.split("/").length;
    const row = text("div", "row " + node.role);
    row.dataset.path = node.path;
    row.style.paddingLeft = 4 + (depth - 1) * 14 + "px";
    const toggle = text("span", "toggle", node.children.length ? "▾" : "");
    const dot = text("span", "dot");
    dot.style.background = data.graph.palette[data.graph.cards[offset + 1][0]];
    row.append(toggle, dot, text("span", "name", node.name), text("span", "cls", node.class_name || "?"));
    row.append(text("span", "shape", shapeText(node.output_shapes)), text("span", "params", count(node.total_params)));
    toggle.addEventListener("click", (event) => {
      event.stopPropagation();
      if (!node.children.length) return;
      if (collapsed.has(node.path)) collapsed.delete(node.path); else collapsed.add(node.path);
      toggle.textContent = collapsed.has(node.path) ? "▸" : "▾";
      applyVisibility();
    });
    row.addEventListener("click", () => select(node.path));
    rows.set(node.path, row);
    fragment.append(row);
  });
  tree.append(fragment);

  let haystack = null; // built on the first search
  let query = "";

  function ancestors(path) {
    const parts = path.split("/");
    const found = [];
    for (let i = 1; i < parts.length; i++) found.push(parts.slice(0, i).join("/"));
    return found;
  }

  function applyVisibility() {
    const matching = new Set();
    const hits = [];
    if (query) {
      if (!haystack) {
        haystack = nodes.map((node) => [node.path, node.name, node.class_name || "", JSON.stringify(node.config)].join(" ").toLowerCase());
      }
      haystack.forEach((words, index) => {
        if (index && words.includes(query)) {
          hits.push(index);
          matching.add(nodes[index].path);
          for (const ancestor of ancestors(nodes[index].path)) matching.add(ancestor);
        }
      });
    }
    for (const [path, row] of rows) {
      const folded = !query && ancestors(path).some((ancestor) => collapsed.has(ancestor));
      row.classList.toggle("hidden", folded || (query !== "" && !matching.has(path)));
    }
    document.getElementById("match-count").textContent = query ? `${hits.length} matching, highlighted in the graph` : "";
    graph.setMatches(hits);
  }

  document.getElementById("search").addEventListener("input", (event) => {
    query = event.target.value.trim().toLowerCase();
    applyVisibility();
  });

  // -- panels ---------------------------------------------------------------------
  function tableOf(pairs) {
    const table = text("table");
    for (const [key, value] of pairs) {
      const row = text("tr");
      row.append(text("th", "", key));
      const cell = text("td");
      if (value instanceof Node) cell.append(value); else cell.textContent = value;
      row.append(cell);
      table.append(row);
    }
    return table;
  }

  function linkTo(path, label) {
    const link = text("a", "link", label || path || "(model)");
    link.addEventListener("click", () => select(path));
    return link;
  }

  function showInGraph(unit) {
    const link = text("a", "link show-in-graph", "Show in graph");
    link.addEventListener("click", () => {
      graph.reveal(unit);
      graph.choose(graph.shown(unit));
      graph.centre(graph.shown(unit));
    });
    return link;
  }

  function select(path, how) {
    const index = byPath.get(path);
    if (index === undefined) return;
    const node = nodes[index];
    if (selected && rows.get(selected)) rows.get(selected).classList.remove("selected");
    selected = path;
    const row = rows.get(path);
    if (row) {
      row.classList.add("selected");
      let opened = false;
      for (const ancestor of ancestors(path)) opened = collapsed.delete(ancestor) || opened;
      if (opened) applyVisibility();
      row.scrollIntoView({ block: "nearest" });
    }
    const unit = model.unitOf[index];
    if (unit >= 0) {
      if (!(how && how.fromGraph)) {
        graph.reveal(unit);
        graph.centre(graph.shown(unit));
      }
      graph.choose(graph.shown(unit));
    }
    const detail = document.getElementById("detail");
    detail.replaceChildren();
    detail.append(text("h2", "", path || node.name));
    if (unit >= 0) detail.append(showInGraph(unit));
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const card = data.graph.cards[index];
    detail.append(tableOf([
      ["class", node.class_name || "unknown (not stored in the file)"],
      ["kind", card[0]],
      ["module", node.module || ""],
      ["role", node.role],
      ["parent", path ? linkTo(parent) : ""],
      ["output shape", shapeText(node.output_shapes)],
      ["build input shape", node.build_input_shape ? JSON.stringify(node.build_input_shape) : ""],
      ["params", `${count(node.total_params)} (trainable ${count(node.trainable_params)})`],
      ["FLOPs, one forward pass", count(node.flops) + estimate(node, "flops")],
      ["multiply-adds", count(node.macs)],
      ["weight memory", bytes(node.weight_bytes)],
      ["activation memory", bytes(node.activation_bytes) + estimate(node, "activation_bytes")],
      ["facts from", Object.entries(node.origin).map(([fact, source]) => `${fact}: ${source}`).join(", ")],
    ]));
    const own = data.findings.filter((finding) => finding.path === path);
    if (own.length) detail.append(text("p", "error", `${own.length} finding(s) at this layer: see the overview`));
    if (node.inbound && node.inbound.length) {
      detail.append(text("h3", "", "Inbound"));
      const list = text("div");
      node.inbound.forEach((call, position) => {
        const line = text("div", "", `call ${position}: `);
        call.forEach((link, place) => {
          if (place) line.append(", ");
          line.append(linkTo(link.layer), ` [${link.node_index}][${link.tensor_index}]`);
        });
        list.append(line);
      });
      detail.append(list);
    }
    if (node.children.length) {
      detail.append(text("h3", "", `Inside (${node.children.length})`));
      const list = text("div");
      node.children.slice(0, 200).forEach((child, place) => {
        if (place) list.append(", ");
        list.append(linkTo(child, nodes[byPath.get(child)].name));
      });
      detail.append(list);
    }
    if (node.weights.length) {
      detail.append(text("h3", "", "Weights"));
      detail.append(tableOf(node.weights.map((weight, position) => {
        let line = `${weight.dtype} (${weight.shape.join(", ")})`;
        const stats = weight.stats;
        if (stats) line += ` · mean ${fixed(stats.mean)} std ${fixed(stats.std)} min ${fixed(stats.min)} max ${fixed(stats.max)}` + (stats.nan || stats.inf ? ` · NaN ${stats.nan} Inf ${stats.inf}` : "");
        return [weight.name || `vars/${position}`, line];
      })));
    }
    detail.append(text("h3", "", "Config"));
    if (node.config === null) detail.append(text("p", "error", node.config_error || "no config"));
    else detail.append(text("pre", "config", JSON.stringify(node.config, null, 2)));
    showTab("detail");
  }

  function fixed(value) {
    return typeof value === "number" ? value.toPrecision(4) : "?";
  }

  // A fold that is no layer: a block named alike, identical repeats, or a slice.
  function showFold(unit) {
    const fold = model.units[unit], total = model.totals[unit];
    graph.choose(graph.shown(unit));
    const detail = document.getElementById("detail");
    detail.replaceChildren();
    const what = { block: "block of layers named alike", repeat: `${fold.times} identical blocks`, slice: "a slice of a long run" }[fold.type] || fold.type;
    detail.append(text("h2", "", fold.label), showInGraph(unit));
    detail.append(tableOf([
      ["fold", what],
      ["layers inside", count(total.layers)],
      ["params", count(total.params)],
      ["FLOPs, one forward pass", si(total.flops)],
      ["activation memory", bytes(total.memory)],
      ["findings inside", count(total.findings)],
    ]));
    detail.append(text("h3", "", "Layers"));
    const list = text("div");
    model.leavesOf(unit, 200).forEach((index, place) => {
      if (place) list.append(", ");
      list.append(linkTo(nodes[index].path, nodes[index].name));
    });
    detail.append(list);
    showTab("detail");
  }

  // -- tabs and the overview ------------------------------------------------------
  function showTab(name) {
    for (const button of document.querySelectorAll("nav.tabs button")) button.classList.toggle("active", button.dataset.tab === name);
    for (const panel of document.querySelectorAll("#right .panel")) panel.classList.toggle("active", panel.id === name);
  }
  for (const button of document.querySelectorAll("nav.tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  for (const link of document.querySelectorAll("a.finding-link")) {
    const finding = data.findings[Number(link.dataset.finding)];
    link.addEventListener("click", () => finding && select(finding.path));
  }
  showTab("overview");
  window.kerascope = { graph, model, select, started, ready: performance.now() - started, readyAt: performance.now() };
  document.body.dataset.ready = "1";
})();
