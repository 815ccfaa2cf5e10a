// kerascope report page: tree, search, layer details and graph. No network, no libraries.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const nodes = data.nodes;
  const byPath = new Map(nodes.map((node) => [node.path, node]));
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

  function count(value) {
    return value === null || value === undefined ? "?" : value.toLocaleString("en-US");
  }

  function bytes(value) {
    if (value === null || value === undefined) return "?";
    for (const [factor, unit] of [[2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]]) {
      if (value >= factor) return `${(value / factor).toPrecision(3)} ${unit}`;
    }
    return `${value} B`;
  }

  function estimate(node, fact) {
    return (node.estimated || []).includes(fact) ? " (estimate)" : "";
  }

  // -- tree ---------------------------------------------------------------------
  for (const node of nodes.slice(1)) {
    const depth = node.path.split("/").length;
    const row = text("div", "row " + node.role);
    row.dataset.path = node.path;
    row.style.paddingLeft = 4 + (depth - 1) * 16 + "px";
    const toggle = text("span", "toggle", node.children.length ? "▾" : "");
    row.append(toggle, text("span", "name", node.name), text("span", "cls", node.class_name || "?"));
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
    tree.append(row);
  }

  const haystack = new Map(
    nodes.map((node) => [node.path, [node.path, node.name, node.class_name || "", JSON.stringify(node.config)].join(" ").toLowerCase()])
  );
  let query = "";

  function ancestors(path) {
    const parts = path.split("/");
    const found = [];
    for (let i = 1; i < parts.length; i++) found.push(parts.slice(0, i).join("/"));
    return found;
  }

  function applyVisibility() {
    const matching = new Set();
    if (query) {
      for (const [path, words] of haystack) {
        if (path && words.includes(query)) {
          matching.add(path);
          for (const ancestor of ancestors(path)) matching.add(ancestor);
        }
      }
    }
    for (const [path, row] of rows) {
      const folded = !query && ancestors(path).some((ancestor) => collapsed.has(ancestor));
      row.classList.toggle("hidden", folded || (query !== "" && !matching.has(path)));
    }
    document.getElementById("match-count").textContent = query ? `${[...matching].filter((p) => haystack.get(p).includes(query)).length} matching` : "";
  }

  document.getElementById("search").addEventListener("input", (event) => {
    query = event.target.value.trim().toLowerCase();
    applyVisibility();
  });

  // -- details ------------------------------------------------------------------
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

  function linkTo(path) {
    const link = text("a", "link", path || "(model)");
    link.addEventListener("click", () => select(path));
    return link;
  }

  function select(path) {
    const node = byPath.get(path);
    if (!node) return;
    if (selected && rows.get(selected)) rows.get(selected).classList.remove("selected");
    selected = path;
    const row = rows.get(path);
    if (row) {
      row.classList.add("selected");
      for (const ancestor of ancestors(path)) collapsed.delete(ancestor);
      applyVisibility();
      row.scrollIntoView({ block: "nearest" });
    }
    const detail = document.getElementById("detail");
    detail.replaceChildren();
    detail.append(text("h2", "", path || node.name));
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    detail.append(tableOf([
      ["class", node.class_name || "unknown (not stored in the file)"],
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
    if (node.inbound && node.inbound.length) {
      detail.append(text("h3", "", "Inbound"));
      const list = text("div");
      node.inbound.forEach((call, index) => {
        const line = text("div", "", `call ${index}: `);
        call.forEach((link, position) => {
          if (position) line.append(", ");
          line.append(linkTo(link.layer), ` [${link.node_index}][${link.tensor_index}]`);
        });
        list.append(line);
      });
      detail.append(list);
    }
    if (node.weights.length) {
      detail.append(text("h3", "", "Weights"));
      detail.append(tableOf(node.weights.map((weight, index) => [weight.name || `vars/${index}`, `${weight.dtype} (${weight.shape.join(", ")})`])));
    }
    detail.append(text("h3", "", "Config"));
    if (node.config === null) detail.append(text("p", "error", node.config_error || "no config"));
    else detail.append(text("pre", "config", JSON.stringify(node.config, null, 2)));
    showTab("detail");
    markGraph(path);
  }

  // -- graph --------------------------------------------------------------------
  const levels = document.querySelectorAll("#graph .level");
  function showLevel(path) {
    let shown = false;
    for (const level of levels) {
      const match = level.dataset.model === path;
      level.hidden = !match;
      shown = shown || match;
    }
    return shown;
  }
  for (const group of document.querySelectorAll("#graph g.node")) {
    group.addEventListener("click", () => {
      const path = group.dataset.path;
      if (group.classList.contains("model") && showLevel(path)) return;
      select(path);
    });
  }
  for (const link of document.querySelectorAll("#graph a.level-link")) {
    link.addEventListener("click", () => showLevel(link.dataset.model));
  }
  function markGraph(path) {
    for (const group of document.querySelectorAll("#graph g.node.selected")) group.classList.remove("selected");
    for (const group of document.querySelectorAll(`#graph g.node[data-path="${CSS.escape(path)}"]`)) group.classList.add("selected");
  }

  // -- tabs ---------------------------------------------------------------------
  function showTab(name) {
    for (const button of document.querySelectorAll("nav.tabs button")) button.classList.toggle("active", button.dataset.tab === name);
    for (const panel of document.querySelectorAll(".panel")) panel.classList.toggle("active", panel.id === name);
  }
  for (const button of document.querySelectorAll("nav.tabs button")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  showLevel("");
  select(nodes.length > 1 ? nodes[1].path : "");
  showTab("detail");
})();
