/* Draws a case graph from the JSON the server embedded in the page (vis-network, loaded locally).
 * Every caption and tooltip is set as text (textContent), never parsed as HTML. */
(function () {
  "use strict";

  function textLines(lines, into) {
    (lines || []).forEach(function (pair) {
      var row = document.createElement("div");
      var key = document.createElement("strong");
      key.textContent = pair[0] + ": ";
      row.appendChild(key);
      row.appendChild(document.createTextNode(pair[1]));
      into.appendChild(row);
    });
    return into;
  }

  function tooltip(lines) {
    var div = document.createElement("div");
    div.className = "cg-tip";
    return textLines(lines, div);
  }

  function personHref(container, personId) {
    var template = container.getAttribute("data-person-url");
    return template ? template.replace("__PERSON__", encodeURIComponent(personId)) : null;
  }

  function showDetails(container, details, node) {
    details.textContent = "";
    textLines(node.tip, details);
    var href = node.person_id && !node.subject ? personHref(container, node.person_id) : null;
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = "Open this person's profile";
      a.className = "cg-open";
      details.appendChild(a);
    }
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-source"));
    var details = document.getElementById(container.getAttribute("data-details"));
    var data = JSON.parse(source.textContent);
    var started = performance.now();
    var nodes = new vis.DataSet(
      data.nodes.map(function (n) {
        return Object.assign({}, n, { title: tooltip(n.tip) });
      })
    );
    var edges = new vis.DataSet(
      data.edges.map(function (e) {
        return Object.assign({}, e, { title: tooltip(e.tip) });
      })
    );
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
    var state = { network: network, nodes: nodes, settled: false, settledMs: null, clicked: null };
    window.sprGraph = state;

    function settled() {
      if (state.settled) return;
      state.settled = true;
      state.settledMs = Math.round(performance.now() - started);
      container.setAttribute("data-settled", String(state.settledMs));
      container.setAttribute("data-settled-at", String(Math.round(performance.now())));
      container.setAttribute("aria-busy", "false");
    }

    if (data.options.physics && data.options.physics.enabled) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({ physics: { enabled: false } });
        network.fit({ animation: false });
        settled();
      });
    } else {
      network.once("afterDrawing", function () {
        network.fit({ animation: false });
        settled();
      });
    }

    network.on("click", function (params) {
      if (!params.nodes.length) return;
      var node = nodes.get(params.nodes[0]);
      state.clicked = node.id;
      if (details) showDetails(container, details, node);
      var href = node.person_id && !node.subject ? personHref(container, node.person_id) : null;
      if (href) window.location.assign(href);
    });
  }

  function start() {
    var all = document.querySelectorAll("[data-case-graph]");
    for (var i = 0; i < all.length; i++) draw(all[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
