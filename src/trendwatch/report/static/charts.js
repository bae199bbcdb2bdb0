/* trendwatch charts: timeline, Lorenz curve, force-directed network (vanilla JS, SVG).
 *
 * No library, no network access. Data comes from <script type="application/json" id="...">
 * blocks (or from fetch() in the dashboard) and is only ever written into the page with
 * textContent / setAttribute on elements made by createElement(NS): never innerHTML.
 *
 * Automatic use: any element with data-chart="timeline|lorenz|network" and
 * data-source="<id of a JSON script block>" (optional data-key="a.b" picks a member) is drawn
 * on DOMContentLoaded. Direct use: TW.timeline(el, data), TW.lorenz(el, data),
 * TW.network(el, data, {panel}), TW.evidence(panel, pairs, posts).
 * Shapes: see trendwatch.report.views. Clicking a network link or node fires a bubbling
 * CustomEvent "tw-select" with detail {kind: "edge"|"node"|"group", a, b, id, group, links};
 * unless a listener calls preventDefault(), the panel (.evidence) shows the evidence embedded
 * in the data (edge) or a list of links to choose from (node; group, after a click on a
 * tr[data-group] row of the page, which also dims the other groups' nodes).
 */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var BIDI = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/g;
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

  /* Text for display: bidi controls removed (a handle cannot reorder what follows it). */
  function clean(value) {
    return value === null || value === undefined ? "" : String(value).replace(BIDI, "");
  }

  function svg(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attrs, text, parent) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = clean(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function svgText(parent, x, y, text, attrs) {
    var node = svg("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = clean(text);
    return node;
  }

  function readJSON(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }

  function pick(data, key) {
    (key ? key.split(".") : []).forEach(function (k) { data = data ? data[k] : null; });
    return data;
  }

  /* Times are shown in the page's zone (<html data-tz>, the CLI's --tz), UTC by default;
     the data keeps UTC. */
  var ZONE = document.documentElement.getAttribute("data-tz") || "UTC";
  try { new Intl.DateTimeFormat("en-US", { timeZone: ZONE }); } catch (e) { ZONE = "UTC"; }

  function zoneParts(ms) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short" }).formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }

  function fmtTime(ms, seconds) {
    if (ZONE === "UTC") return new Date(ms).toISOString().slice(0, seconds ? 19 : 16).replace("T", " ");
    var p = zoneParts(ms);
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute +
      (seconds ? ":" + p.second : "");
  }

  /* The zone's name at that time: UTC, or the browser's short name (GMT+1, CEST...). */
  function zoneLabel(ms) {
    return ZONE === "UTC" ? "UTC" : zoneParts(ms).timeZoneName;
  }

  /* A value of the data as the pages show it: a UTC time in another zone with its name
     (as the server's pages do); anything else, and every value in UTC, as it is. */
  var UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;
  function shownValue(value) {
    if (ZONE === "UTC" || typeof value !== "string" || !UTC_ISO.test(value)) return value;
    var ms = Date.parse(value);
    return fmtTime(ms, true) + " " + zoneLabel(ms);
  }

  function fmtNum(v) {
    if (v === null || v === undefined) return "–";
    return typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 1 }) : v;
  }

  function color(group) {
    return PALETTE[(Math.abs(Number(group) || 0)) % PALETTE.length];
  }

  function tooltip(container) {
    var tip = container.querySelector(":scope > .tw-tooltip");
    if (!tip) tip = html("div", { "class": "tw-tooltip", hidden: "" }, null, container);
    return {
      show: function (lines, x, y) {
        while (tip.firstChild) tip.removeChild(tip.firstChild);
        lines.forEach(function (line) { html("div", {}, line, tip); });
        tip.style.left = x + 12 + "px";
        tip.style.top = y + 12 + "px";
        tip.hidden = false;
      },
      hide: function () { tip.hidden = true; }
    };
  }

  function pointer(container, event) {
    var box = container.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  /* ---- timeline -------------------------------------------------------------------------- */

  function timeline(container, data) {
    var W = 720, H = 260, M = { l: 50, r: 12, t: 24, b: 36 };
    var times = (data.times || []).map(Date.parse);
    var root = svg("svg", { "class": "timeline", viewBox: "0 0 " + W + " " + H,
      role: "img", "aria-label": "timeline" }, container);
    if (!times.length) { svgText(root, W / 2, H / 2, "no data", { "class": "empty" }); return root; }
    var t0 = times[0], t1 = times[times.length - 1] > t0 ? times[times.length - 1] : t0 + 1;
    var ymax = 1;
    data.series.forEach(function (s) { s.values.forEach(function (v) { ymax = Math.max(ymax, v); }); });
    var x = function (t) { return M.l + (t - t0) / (t1 - t0) * (W - M.l - M.r); };
    var y = function (v) { return H - M.b - v / ymax * (H - M.t - M.b); };
    axes(root, W, H, M, x, y, t0, t1, ymax);
    data.series.forEach(function (s, i) {
      var pts = s.values.map(function (v, k) { return x(times[k]).toFixed(1) + "," + y(v).toFixed(1); });
      svg("polyline", { "class": "series series-" + i, points: pts.join(" "),
        fill: "none", stroke: PALETTE[i % PALETTE.length] }, root);
      svgText(root, M.l + 8 + i * 200, 14, "— " + s.label,
        { "class": "legend", fill: PALETTE[i % PALETTE.length] });
    });
    (data.annotations || []).forEach(function (a, i) { annotate(root, x(Date.parse(a.time)), a.label, i, H, M); });
    hoverTimeline(container, root, data, times, x, W);
    return root;
  }

  function axes(root, W, H, M, x, y, t0, t1, ymax) {
    svg("line", { "class": "axis", x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b }, root);
    svg("line", { "class": "axis", x1: M.l, y1: M.t, x2: M.l, y2: H - M.b }, root);
    for (var i = 0; i <= 4; i++) {
      var t = t0 + (t1 - t0) * i / 4;
      svgText(root, x(t), H - M.b + 16, fmtTime(t), { "class": "tick", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" });
      var v = ymax * i / 4;
      svgText(root, M.l - 6, y(v) + 4, fmtNum(Math.round(v)), { "class": "tick", "text-anchor": "end" });
    }
    svgText(root, W - M.r, H - 4, "times in " + ZONE, { "class": "tick axis-zone", "text-anchor": "end" });
  }

  function annotate(root, px, label, i, H, M) {
    var g = svg("g", { "class": "annotation", "data-label": clean(label) }, root);
    svg("line", { x1: px, y1: M.t, x2: px, y2: H - M.b }, g);
    svgText(g, px + 3, M.t + 12 + 12 * i, label, { "class": "annotation-label" });
  }

  function hoverTimeline(container, root, data, times, x, W) {
    var tip = tooltip(container);
    root.addEventListener("mousemove", function (event) {
      var box = root.getBoundingClientRect();
      var px = (event.clientX - box.left) / box.width * W, best = 0;
      times.forEach(function (t, k) { if (Math.abs(x(t) - px) < Math.abs(x(times[best]) - px)) best = k; });
      var lines = [fmtTime(times[best]) + " " + zoneLabel(times[best])].concat(data.series.map(function (s) {
        return s.label + ": " + fmtNum(s.values[best]);
      }));
      var p = pointer(container, event);
      tip.show(lines, p[0], p[1]);
    });
    root.addEventListener("mouseleave", tip.hide);
  }

  /* ---- Lorenz curve ---------------------------------------------------------------------- */

  function lorenz(container, data) {
    var S = 240, M = 30, side = S - 2 * M;
    var root = svg("svg", { "class": "lorenz", viewBox: "0 0 " + S + " " + S,
      role: "img", "aria-label": "Lorenz curve" }, container);
    var px = function (p) { return (M + p[0] * side).toFixed(1) + "," + (S - M - p[1] * side).toFixed(1); };
    svg("rect", { "class": "frame", x: M, y: M, width: side, height: side, fill: "none" }, root);
    svg("line", { "class": "equality", x1: M, y1: S - M, x2: S - M, y2: M }, root);
    svg("polyline", { "class": "curve", fill: "none", points: (data.points || []).map(px).join(" ") }, root);
    svgText(root, M, S - 8, "share of accounts →", { "class": "tick" });
    svgText(root, 4, M - 8, "share of posts ↑", { "class": "tick" });
    var gini = data.gini === null || data.gini === undefined ? "–" : data.gini.toFixed(2);
    svgText(root, M + 6, M + 16, "Gini " + gini, { "class": "legend" });
    return root;
  }

  /* ---- network --------------------------------------------------------------------------- */

  function layout(nodes, edges, W, H) {
    var n = nodes.length, seed = 7, index = {};
    var rand = function () { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    var groups = {};
    nodes.forEach(function (d, i) { index[d.id] = i; groups[d.group] = true; d.deg = 0; });
    var keys = Object.keys(groups), centre = {};
    keys.forEach(function (g, i) {
      var a = 2 * Math.PI * i / keys.length, r = keys.length > 1 ? Math.min(W, H) / 3 : 0;
      centre[g] = [W / 2 + r * Math.cos(a), H / 2 + r * Math.sin(a)];
    });
    nodes.forEach(function (d) { var c = centre[d.group]; d.x = c[0] + rand() * 40 - 20; d.y = c[1] + rand() * 40 - 20; });
    var links = edges.filter(function (e) { return e.a in index && e.b in index; });
    links.forEach(function (e) { nodes[index[e.a]].deg++; nodes[index[e.b]].deg++; });
    var k = Math.sqrt(W * H / Math.max(n, 1)) * 0.5, steps = n > 600 ? 80 : 300;
    for (var s = 0; s < steps; s++) step(nodes, links, index, k, W, H, 1 - s / steps);
    return links;
  }

  /* One Fruchterman-Reingold step; attraction is divided by the ends' degrees so that a dense
     clique spreads out instead of collapsing, and gravity keeps small groups near the centre. */
  function step(nodes, links, index, k, W, H, heat) {
    var n = nodes.length, i, j;
    nodes.forEach(function (d) { d.dx = 0; d.dy = 0; });
    for (i = 0; i < n; i++) {
      for (j = i + 1; j < n; j++) {
        var a = nodes[i], b = nodes[j], dx = a.x - b.x, dy = a.y - b.y;
        var d2 = Math.max(dx * dx + dy * dy, 0.01), f = k * k / d2;
        a.dx += dx * f; a.dy += dy * f; b.dx -= dx * f; b.dy -= dy * f;
      }
    }
    links.forEach(function (e) {
      var a = nodes[index[e.a]], b = nodes[index[e.b]], dx = a.x - b.x, dy = a.y - b.y;
      var d = Math.sqrt(dx * dx + dy * dy) || 0.01, f = d / k * 4 / Math.sqrt(a.deg * b.deg);
      a.dx -= dx * f; a.dy -= dy * f; b.dx += dx * f; b.dy += dy * f;
    });
    nodes.forEach(function (d) {
      d.dx += (W / 2 - d.x) * 0.15 * Math.sqrt(n); d.dy += (H / 2 - d.y) * 0.15 * Math.sqrt(n);
      var len = Math.sqrt(d.dx * d.dx + d.dy * d.dy) || 1, lim = Math.min(len, 12 * heat + 0.3);
      d.x = Math.min(W - 12, Math.max(12, d.x + d.dx / len * lim));
      d.y = Math.min(H - 12, Math.max(12, d.y + d.dy / len * lim));
    });
  }

  function nodeLines(d) {
    return ["@" + clean(d.handle || d.id), "group " + fmtNum(d.group),
      "account age: " + (d.age_days === null || d.age_days === undefined ? "unknown" : fmtNum(d.age_days) + " days"),
      "posts: " + fmtNum(d.posts), "followers: " + fmtNum(d.followers)];
  }

  function network(container, data, options) {
    var W = 720, H = 480, nodes = (data.nodes || []).map(function (d) { return Object.assign({}, d); });
    var panel = (options && options.panel) || findPanel(container);
    var root = svg("svg", { "class": "network", viewBox: "0 0 " + W + " " + H,
      role: "img", "aria-label": "coordination network" }, container);
    if (!nodes.length) { svgText(root, W / 2, H / 2, "no coordinated group found", { "class": "empty" }); return root; }
    var links = layout(nodes, data.edges || [], W, H), byId = {}, tip = tooltip(container);
    nodes.forEach(function (d) { byId[d.id] = d; });
    var wmax = Math.max.apply(null, links.map(function (e) { return e.weight || 1; }).concat([1]));
    var edgeLayer = svg("g", { "class": "edges" }, root), nodeLayer = svg("g", { "class": "nodes" }, root);
    links.forEach(function (e) { drawEdge(edgeLayer, e, byId, wmax, container, data, panel); });
    nodes.forEach(function (d) { drawNode(nodeLayer, d, tip, container, data, panel, links, byId); });
    document.querySelectorAll("tr[data-group]").forEach(function (row) {
      row.classList.add("selectable");
      row.addEventListener("click", function () {
        var group = row.getAttribute("data-group");
        highlight(root, group);
        select(container, { kind: "group", group: group, links: links.filter(function (e) {
          return String(byId[e.a].group) === group && String(byId[e.b].group) === group;
        }) }, data, panel, byId);
      });
    });
    return root;
  }

  /* Dim every node outside ``group`` (null: none dimmed). */
  function highlight(root, group) {
    root.querySelectorAll("circle.node").forEach(function (c) {
      c.classList.toggle("dim", group !== null && c.getAttribute("data-group") !== group);
    });
  }

  function drawEdge(layer, e, byId, wmax, container, data, panel) {
    var a = byId[e.a], b = byId[e.b];
    var g = svg("g", { "class": "edge", "data-a": clean(e.a), "data-b": clean(e.b), tabindex: "0" }, layer);
    var pos = { x1: a.x.toFixed(1), y1: a.y.toFixed(1), x2: b.x.toFixed(1), y2: b.y.toFixed(1) };
    svg("line", Object.assign({ "class": "edge-line", "stroke-width": (0.6 + 3 * (e.weight || 1) / wmax).toFixed(2) }, pos), g);
    svg("line", Object.assign({ "class": "edge-hit" }, pos), g);
    var title = svg("title", {}, g);
    title.textContent = "@" + clean(a.handle || a.id) + " – @" + clean(b.handle || b.id) +
      ": weight " + fmtNum(e.weight) + " (" + (e.methods || []).map(clean).join(", ") + ")";
    g.addEventListener("click", function () { select(container, { kind: "edge", a: e.a, b: e.b }, data, panel, byId); });
  }

  function drawNode(layer, d, tip, container, data, panel, links, byId) {
    var r = 3 + Math.sqrt(Math.max(d.posts || 0, 0)) * 0.6;
    var c = svg("circle", { "class": "node", cx: d.x.toFixed(1), cy: d.y.toFixed(1), r: Math.min(r, 16).toFixed(1),
      fill: color(d.group), "data-id": clean(d.id), "data-group": clean(d.group), tabindex: "0" }, layer);
    c.addEventListener("mousemove", function (event) { var p = pointer(container, event); tip.show(nodeLines(d), p[0], p[1]); });
    c.addEventListener("mouseleave", tip.hide);
    c.addEventListener("click", function () {
      select(container, { kind: "node", id: d.id, links: links.filter(function (e) { return e.a === d.id || e.b === d.id; }) }, data, panel, byId);
    });
  }

  function findPanel(container) {
    var id = container.getAttribute("data-evidence");
    if (id) return document.getElementById(id);
    return (container.parentNode && container.parentNode.querySelector(".evidence")) || null;
  }

  function select(container, detail, data, panel, byId) {
    var event = new CustomEvent("tw-select", { bubbles: true, cancelable: true, detail: detail });
    if (!container.dispatchEvent(event) || !panel) return;
    if (detail.kind === "edge") {
      var a = detail.a < detail.b ? detail.a : detail.b, b = detail.a < detail.b ? detail.b : detail.a;
      evidence(panel, (data.evidence || {})[a + "|" + b] || [], data.posts || {}, byId[a], byId[b]);
    } else if (detail.kind === "group") {
      linkList(panel, "Group " + clean(detail.group) + ": its strongest links", detail.links,
        container, data, byId, null);
    } else {
      nodePanel(panel, byId[detail.id], detail.links, container, data, byId);
    }
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function nodePanel(panel, d, links, container, data, byId) {
    linkList(panel, "@" + clean(d.handle || d.id), links, container, data, byId, d);
  }

  /* A heading, the node's facts (if any) and up to 30 links, heaviest first, as buttons that
     show each link's evidence. */
  function linkList(panel, heading, links, container, data, byId, d) {
    clear(panel);
    html("h4", {}, heading, panel);
    if (d) html("p", { "class": "node-facts" }, nodeLines(d).slice(1).join(" · "), panel);
    var list = html("ul", { "class": "node-links" }, null, panel);
    links.slice().sort(function (x, y) { return (y.weight || 0) - (x.weight || 0); }).slice(0, 30)
      .forEach(function (e) {
        var a = byId[e.a], b = byId[e.b], item = html("li", {}, null, list);
        var label = d ? "@" + clean((d.id === e.a ? b : a).handle || (d.id === e.a ? e.b : e.a))
          : "@" + clean(a.handle || a.id) + " – @" + clean(b.handle || b.id);
        var button = html("button", { type: "button", "class": "link-button" },
          label + " (weight " + fmtNum(e.weight) + ")", item);
        button.addEventListener("click", function () {
          select(container, { kind: "edge", a: e.a, b: e.b }, data, panel, byId);
        });
      });
  }

  /* Evidence pairs: each post's time and text, the shared key, the gap. Texts as text only. */
  function evidence(panel, pairs, posts, nodeA, nodeB) {
    clear(panel);
    var name = function (n, fallback) { return "@" + clean(n ? n.handle || n.id : fallback); };
    var first = pairs[0] || {};
    html("h4", {}, name(nodeA, first.account_a) + " – " + name(nodeB, first.account_b) +
      ": " + pairs.length + " post pair" + (pairs.length === 1 ? "" : "s"), panel);
    html("p", { "class": "note" }, "Each row: two posts acting on the same key (the reposted " +
      "post, text, URL...) within the window.", panel);
    if (!pairs.length) { html("p", {}, "No stored evidence for this link.", panel); return; }
    var table = html("table", { "class": "evidence-table" }, null, panel);
    var head = html("tr", {}, null, html("thead", {}, null, table));
    ["method", "key", "post A", "post B", "gap (s)"].forEach(function (h) { html("th", {}, h, head); });
    var body = html("tbody", {}, null, table);
    pairs.forEach(function (p) {
      var row = html("tr", {}, null, body);
      html("td", {}, p.method, row);
      var keyCell = html("td", { "class": "key" }, null, row), keyHref = webHref(p.key_url);
      if (keyHref) {
        html("a", { href: keyHref, rel: "noopener noreferrer nofollow" }, p.key, keyCell);
      } else {
        keyCell.textContent = clean(p.key);
      }
      postCell(row, p.url_a || p.post_a, p.time_a, p.text_a !== undefined ? p.text_a : posts[p.post_a]);
      postCell(row, p.url_b || p.post_b, p.time_b, p.text_b !== undefined ? p.text_b : posts[p.post_b]);
      html("td", { "class": "num" }, fmtNum(p.gap_s), row);
    });
  }

  /* A post: a link to it on its platform (http(s) addresses only) or its id, time and text. */
  function postCell(row, id, time, text) {
    var cell = html("td", { "class": "post" }, null, row);
    var ms = Date.parse(time);
    var when = time ? fmtTime(ms, true) + " " + zoneLabel(ms) : "";
    var meta = html("div", { "class": "post-meta" }, null, cell);
    var href = webHref(id);
    if (href) {
      html("a", { href: href, rel: "noopener noreferrer nofollow" }, clean(id), meta);
    } else {
      meta.appendChild(document.createTextNode(clean(id)));
    }
    meta.appendChild(document.createTextNode(" · " + when));
    html("bdi", { "class": "post-text" }, text === undefined || text === null ? "(text not stored)" : text, cell);
  }

  /* ``s`` when it is an http(s) URL with a host (the server sends no other), else null. */
  function webHref(s) {
    if (typeof s !== "string" || /[\s\u0000-\u001f\u007f-\u009f]/.test(s)) return null;
    try {
      var u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.host && !u.username
        ? s : null;
    } catch (e) { return null; }
  }

  /* ---- wiring ---------------------------------------------------------------------------- */

  var CHARTS = { timeline: timeline, lorenz: lorenz, network: network };

  function renderAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-rendered")) return;
      var draw = CHARTS[el.getAttribute("data-chart")];
      var data = pick(readJSON(el.getAttribute("data-source")), el.getAttribute("data-key"));
      if (draw && data) { draw(el, data); el.setAttribute("data-rendered", "1"); }
    });
  }

  window.TW = { clean: clean, timeline: timeline, lorenz: lorenz, network: network,
    evidence: evidence, renderAll: renderAll, readJSON: readJSON, shownValue: shownValue };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
})();
