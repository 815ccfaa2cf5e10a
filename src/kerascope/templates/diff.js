// kerascope diff page: both models' graphs side by side. Matched layers are kept at
// the same place on screen: panning, zooming, opening a fold or choosing a layer on
// one side does the same on the other. Changes are coloured on both sides.
(function () {
  "use strict";
  const { Model, GraphView } = window.KerascopeGraph;
  const data = JSON.parse(document.getElementById("diff-data").textContent);
  const sides = {};
  const match = { a: new Map(), b: new Map() }; // node index -> node index on the other side
  for (const [a, b] of data.pairs) {
    match.a.set(a, b);
    match.b.set(b, a);
  }
  let syncing = false;

  function statusOf(side) {
    const { model } = sides[side];
    const status = data[side].status;
    // A fold's status: its own layer's change, or "inside" when a member changed.
    const folded = new Array(model.units.length).fill("same");
    const changedBelow = new Uint8Array(model.units.length);
    for (let id = model.units.length - 1; id >= 0; id--) {
      const unit = model.units[id];
      const own = unit.node >= 0 ? status[unit.node] : "same";
      folded[id] = own !== "same" ? own : changedBelow[id] ? "inside" : "same";
      if (unit.parent >= 0 && folded[id] !== "same") changedBelow[unit.parent] = 1;
    }
    return (id) => folded[id] || "same";
  }

  // The unit on the other side that shows what `id` shows.
  function counterpart(side, id) {
    const other = side === "a" ? "b" : "a";
    const here = sides[side].model, there = sides[other].model;
    const unit = here.units[id];
    const leaf = unit.node >= 0 ? unit.node : here.leavesOf(id, 1)[0];
    const twin = match[side].get(leaf);
    if (twin === undefined) return -1;
    let found = there.unitOf[twin];
    if (found < 0) return -1;
    if (unit.node < 0) {
      // a fold without a layer: the fold of the same kind and label around the twin
      for (const up of there.ancestors(found)) {
        if (there.units[up].type === unit.type && there.units[up].label === unit.label) return up;
      }
    }
    return found;
  }

  function align(side, id) {
    const other = side === "a" ? "b" : "a";
    const here = sides[side].view, there = sides[other].view;
    const twin = counterpart(side, id);
    if (twin < 0) return false;
    there.reveal(twin);
    const shown = there.shown(twin);
    const at = here.onScreen(id);
    there.view.k = here.view.k;
    there.centre(shown, at || undefined);
    return true;
  }

  function describe(side, id) {
    const info = document.getElementById("diff-info");
    info.replaceChildren();
    const model = sides[side].model;
    const unit = model.units[id];
    const index = unit.node;
    const name = index >= 0 ? model.nodes[index].path || model.nodes[index].name : unit.label;
    const code = document.createElement("code");
    code.textContent = name;
    const status = sides[side].status(id);
    info.append(`${side.toUpperCase()}: `, code, ` — ${status === "same" ? "unchanged" : status === "inside" ? "changes inside" : status}`);
    const lines = index >= 0 ? data[side].changes[String(index)] || [] : [];
    for (const line of lines) {
      const item = document.createElement("div");
      item.textContent = line;
      info.append(item);
    }
  }

  for (const side of ["a", "b"]) {
    const model = new Model(data[side].graph, data[side].nodes, []);
    sides[side] = { model };
    sides[side].status = statusOf(side);
    const other = side === "a" ? "b" : "a";
    const view = new GraphView(document.getElementById("graph-" + side), model, {
      title: side.toUpperCase() + ": " + data[side].title,
      status: (id) => sides[side].status(id),
      onSelect: (id) => {
        view.choose(id);
        describe(side, id);
        const twin = counterpart(side, id);
        if (twin >= 0) {
          syncing = true;
          align(side, id);
          sides[other].view.choose(sides[other].view.shown(twin));
          syncing = false;
        }
      },
      onToggle: (id, open) => {
        if (syncing) return;
        const twin = counterpart(side, id);
        if (twin < 0) return;
        syncing = true;
        sides[other].view.toggle(twin, open);
        align(side, id);
        syncing = false;
      },
      onView: () => {
        if (syncing || !sides[other].view.boxes) return;
        const near = view.nearestToCentre();
        if (near < 0) return;
        syncing = true;
        align(side, near);
        syncing = false;
      },
    });
    sides[side].view = view;
  }
  for (const side of ["a", "b"]) sides[side].view.render();
  syncing = true;
  sides.a.view.start();
  sides.b.view.start();
  syncing = false;
  window.kerascope = { sides, counterpart };
  document.body.dataset.ready = "1";
})();
