// The live page redraws itself from its JSON twin every few seconds, without reloading.
// Values from the store are hostile: they only ever reach the page through textContent.
(function () {
  "use strict";
  var EVERY_MS = 5000, LISTS = ["rising", "alerts", "gaps"];
  var box = document.getElementById("live");
  if (!box) return;
  var api = box.getAttribute("data-api"), updates = 0;

  // Times in the page's zone, as the server wrote them (charts.js, loaded first).
  var shown = window.TW && window.TW.shownValue ? window.TW.shownValue : function (v) { return v; };

  function text(tag, value) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "—" : String(shown(value));
    return el;
  }

  function facts(data) {
    var dl = document.createElement("dl");
    dl.setAttribute("class", "facts");
    ["at", "window_s"].forEach(function (name) {
      dl.appendChild(text("dt", name));
      dl.appendChild(text("dd", data[name]));
    });
    return dl;
  }

  function table(name, rows) {
    var t = document.createElement("table"), head = document.createElement("tr");
    var body = document.createElement("tbody"), thead = document.createElement("thead");
    var columns = rows.length ? Object.keys(rows[0]) : [];
    t.setAttribute("data-name", name);
    t.appendChild(text("caption", name + " (" + rows.length + ")"));
    columns.forEach(function (c) { head.appendChild(text("th", c)); });
    thead.appendChild(head);
    t.appendChild(thead);
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      columns.forEach(function (c) { tr.appendChild(text("td", row[c])); });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }

  function redraw(data) {
    var parts = [facts(data)];
    LISTS.forEach(function (name) { parts.push(table(name, data[name] || [])); });
    box.replaceChildren.apply(box, parts);
    updates += 1;
    box.setAttribute("data-updates", String(updates));
  }

  function poll() {
    fetch(api, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) redraw(data); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, EVERY_MS); });
  }
  window.setTimeout(poll, EVERY_MS);
})();
