// Alert page: the alert's metric around its firing time, drawn with uPlot (vendored) from the
// device metrics API — the same API and look as the device page's charts (device-charts.js).
// The container carries everything in data-* attributes (no inline script): the API URL, the
// series, the alert kind, the time range (ISO), the firing/resolution times (epoch seconds) and
// the threshold. Firing and resolution are drawn as vertical lines, the threshold as a dashed one.
(function () {
  "use strict";

  var COLORS = { value: "#1d4ed8", threshold: "#b91c1c", fired: "#b91c1c", resolved: "#15803d", grey: "#8792a2" };

  function col(series, names) {
    for (var i = 0; i < names.length; i++) {
      var at = series.columns.indexOf(names[i]);
      if (at !== -1) return at + 1; // points are [ts, ...columns]
    }
    return -1;
  }

  function pick(p, at) { return at === -1 || p[at] === null || p[at] === undefined ? null : Number(p[at]); }

  // alert kind -> [label, function(series) -> value per point]
  function extractor(kind, s) {
    var ratio = function (used, total) {
      var u = col(s, used), t = col(s, total);
      return function (p) { var a = pick(p, u), b = pick(p, t); return a === null || !b ? null : (a * 100) / b; };
    };
    switch (kind) {
      case "memory": return ["Memory %", ratio(["mem_used", "mem_used_avg"], ["mem_total"])];
      case "disk": return ["Disk %", ratio(["disk_used"], ["disk_total"])];
      case "temperature": { var t = col(s, ["temperature", "temperature_max", "temperature_avg"]); return ["Temperature °C", function (p) { return pick(p, t); }]; }
      case "wireless_signal": { var w = col(s, ["signal_min"]); return ["Weakest client dBm", function (p) { return pick(p, w); }]; }
      case "wireless_clients": { var c = col(s, ["clients", "clients_max"]); return ["Clients", function (p) { return pick(p, c); }]; }
      case "interface_traffic": {
        var rx = col(s, ["rx_bps", "rx_bps_max"]), tx = col(s, ["tx_bps", "tx_bps_max"]);
        return ["Traffic Mbit/s", function (p) { var a = pick(p, rx), b = pick(p, tx); return a === null && b === null ? null : Math.max(a || 0, b || 0) / 1e6; }];
      }
      case "interface_down": { var r = col(s, ["running", "running_ratio"]); return ["Link up (1) / down (0)", function (p) { var v = p[r]; return v === true ? 1 : v === false ? 0 : pick(p, r); }]; }
      default: { var u = col(s, ["cpu", "cpu_max", "cpu_avg"]); return ["CPU %", function (p) { return pick(p, u); }]; }
    }
  }

  function markers(started, resolved) {
    return function (u) {
      var ctx = u.ctx;
      [[started, COLORS.fired], [resolved, COLORS.resolved]].forEach(function (m) {
        if (!m[0]) return;
        var x = u.valToPos(m[0], "x", true);
        ctx.save();
        ctx.strokeStyle = m[1];
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      });
    };
  }

  function draw(root, body) {
    var status = root.querySelector(".charts-status");
    var grid = root.querySelector(".chart-grid");
    var name = root.getAttribute("data-series");
    var s = (body.series || {})[name];
    if (!s || !s.points.length) { status.textContent = "No samples in this period."; return; }
    var kind = root.getAttribute("data-kind");
    var ex = extractor(kind, s);
    var x = s.points.map(function (p) { return Date.parse(p[0]) / 1000; });
    var y = s.points.map(ex[1]);
    var threshold = root.getAttribute("data-threshold");
    var data = [x, y];
    var series = [{}, { label: ex[0], stroke: COLORS.value, width: 1.5 }];
    if (threshold !== "") {
      data.push(x.map(function () { return Number(threshold); }));
      series.push({ label: "Threshold", stroke: COLORS.threshold, dash: [6, 4], width: 1 });
    }
    var started = Number(root.getAttribute("data-started")) || null;
    var resolved = Number(root.getAttribute("data-resolved")) || null;
    var since = Date.parse(root.getAttribute("data-since")) / 1000;
    var until = Date.parse(root.getAttribute("data-until")) / 1000;
    status.textContent = body.resolution !== "raw" ? "(" + body.resolution + " averages) red line: fired, green: resolved" : "red line: fired, green: resolved";
    new uPlot({
      width: Math.max(300, grid.clientWidth),
      height: 220,
      series: series,
      scales: { x: { time: true, range: function () { return [since, until]; } } },
      axes: [{ stroke: COLORS.grey }, { stroke: COLORS.grey, size: 70 }],
      hooks: { draw: [markers(started, resolved)] },
    }, data, grid);
  }

  function load(root) {
    var params = new URLSearchParams();
    params.set("series", root.getAttribute("data-series"));
    params.set("since", root.getAttribute("data-since"));
    params.set("until", root.getAttribute("data-until"));
    params.set("resolution", "auto");
    var status = root.querySelector(".charts-status");
    status.textContent = "Loading…";
    fetch(root.getAttribute("data-metrics-url") + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (body) { draw(root, body); })
      .catch(function (e) { status.textContent = "Could not load the metrics (" + e.message + ")."; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".alert-chart").forEach(load);
  });
})();
