// Dashboard glue over the report's charts.js (which draws every [data-chart] from #tw-data).
// When a network link is clicked, charts.js shows its first evidence pairs in the panel; this
// adds a link to the full evidence page of that pair, in the same scope as the groups page.
// Values only ever travel through URLSearchParams and textContent.
(function () {
  "use strict";
  var SCOPE = ["hashtag", "since", "until", "platform"];

  function evidenceHref(a, b) {
    var here = new URLSearchParams(window.location.search), query = new URLSearchParams();
    query.append("a", a);
    query.append("b", b);
    SCOPE.forEach(function (name) {
      here.getAll(name).forEach(function (value) { query.append(name, value); });
    });
    return "/evidence?" + query.toString();
  }

  function addEvidenceLink(panel, a, b) {
    var p = document.createElement("p"), link = document.createElement("a");
    link.setAttribute("href", evidenceHref(a, b));
    link.setAttribute("class", "evidence-page");
    link.textContent = "All the evidence for this link";
    p.appendChild(link);
    panel.appendChild(p);
  }

  document.addEventListener("tw-select", function (event) {
    var panel = document.getElementById("evidence"), detail = event.detail || {};
    if (!panel || detail.kind !== "edge") return;
    // charts.js fills the panel after this listener returns: add the link after it.
    window.setTimeout(function () { addEvidenceLink(panel, detail.a, detail.b); }, 0);
  });
})();
