// Device page: CPU, memory, wireless-client and per-interface traffic charts, drawn with uPlot
// (static/vendor/uPlot.iife.min.js) from the metrics API. The container carries the API URL
// (data-metrics-url) and the interface names (data-interfaces, comma-separated); the range
// buttons (data-range) ask for 1 h, 6 h, 24 h or 7 d with resolution=auto. No inline script.
(function () {
  "use strict";

  var RANGES = { "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 24 * 3600 };
  var LABELS = { "1h": "1 hour", "6h": "6 hours", "24h": "24 hours", "7d": "7 days" };
  var COLORS = { blue: "#1d4ed8", green: "#15803d", amber: "#a16207", red: "#b91c1c", grey: "#8792a2" };
  var HEIGHT = 180;
  var LIVE_REDRAW_MS = 30000;

  function column(series, names) {
    // index of the first of `names` present in the series' columns, or -1
    for (var i = 0; i < names.length; i++) {
      var at = series.columns.indexOf(names[i]);
      if (at !== -1) return at;
    }
    return -1;
  }

  function times(series) {
    return series.points.map(function (p) { return Date.parse(p[0]) / 1000; });
  }

  function values(series, names, scale) {
    var at = column(series, names);
    return series.points.map(function (p) {
      var v = at === -1 ? null : p[at];
      return v === null || v === undefined ? null : scale ? scale(v, p) : Number(v);
    });
  }

  function bits(v) {
    if (v === null || v === undefined) return "—";
    var units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
    var i = 0;
    v = Math.abs(v);
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }

  function percent(v) {
    if (v === null || v === undefined) return "—";
    return v.toFixed(v % 1 && v < 10 ? 1 : 0) + " %";
  }
  function count(v) { return v === null || v === undefined ? "—" : v.toFixed(v % 1 ? 1 : 0); }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clock(t, long) {
    // local 24-hour time; with the day for ranges longer than a day
    var d = new Date(t * 1000);
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return long ? pad(d.getDate()) + "." + pad(d.getMonth() + 1) + ". " + hm : hm;
  }

  function bytes(v) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(i ? 1 : 0) + " " + units[i];
  }

  function Charts(root) {
    this.root = root;
    this.card = root.closest("section") || root;
    this.url = root.getAttribute("data-metrics-url");
    this.interfaces = (root.getAttribute("data-interfaces") || "").split(",").filter(Boolean);
    this.grid = root.querySelector(".chart-grid");
    this.empty = root.querySelector(".charts-empty");
    this.status = root.querySelector(".charts-status");
    this.plots = [];
    this.request = 0;
    var self = this;
    this.card.addEventListener("click", function (event) {
      var button = event.target.closest("[data-range]");
      if (!button || !self.card.contains(button) || button === root) return;
      self.select(button.getAttribute("data-range"));
    });
    // Live updates (static/js/live.js): a new sample of this device redraws the 1 h range — at
    // once while nothing is drawn yet, otherwise at most every LIVE_REDRAW_MS.
    var scope = root.closest("[data-device-id]");
    this.loaded = 0;
    if (scope) {
      scope.addEventListener("mikman:device-update", function (event) {
        if (event.detail.cpu === null || event.detail.cpu === undefined) return;
        if (!self.plots.length || (self.range === "1h" && Date.now() - self.loaded > LIVE_REDRAW_MS)) self.load();
      });
    }
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.resize(); }, 150);
    });
    this.select(root.getAttribute("data-range") || "1h");
  }

  Charts.prototype.select = function (range) {
    if (!RANGES[range]) return;
    this.range = range;
    this.card.querySelectorAll("button[data-range]").forEach(function (b) {
      var on = b.getAttribute("data-range") === range;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    this.load();
  };

  Charts.prototype.load = function () {
    var self = this;
    var until = Math.floor(Date.now() / 1000);
    var since = until - RANGES[this.range];
    var params = new URLSearchParams();
    params.append("series", "cpu,memory,wireless");
    this.interfaces.forEach(function (name) { params.append("series", "interface:" + name); });
    params.set("since", new Date(since * 1000).toISOString());
    params.set("until", new Date(until * 1000).toISOString());
    params.set("resolution", "auto");
    var request = ++this.request;
    this.loaded = Date.now();
    this.status.textContent = "Loading…";
    this.root.setAttribute("aria-busy", "true");
    fetch(this.url + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (request !== self.request) return; // a newer range was picked meanwhile
        self.draw(body, since, until);
      })
      .catch(function (error) {
        if (request !== self.request) return;
        self.clear();
        self.status.textContent = "Could not load the metrics (" + error.message + ").";
      })
      .then(function () { self.root.removeAttribute("aria-busy"); });
  };

  Charts.prototype.clear = function () {
    this.plots.forEach(function (p) { p.destroy(); });
    this.plots = [];
    this.grid.textContent = "";
  };

  function width(el) {
    // the plot's box is sized by the CSS grid (minmax(0, 1fr) columns)
    return Math.max(200, Math.floor(el.clientWidth));
  }

  Charts.prototype.resize = function () {
    this.plots.forEach(function (p) { p.setSize({ width: width(p.root.parentNode), height: HEIGHT }); });
  };

  Charts.prototype.chart = function (title, note, x, lines, format, yRange) {
    var figure = document.createElement("figure");
    figure.className = "chart";
    var caption = document.createElement("figcaption");
    var strong = document.createElement("strong");
    strong.textContent = title;
    caption.appendChild(strong);
    if (note) {
      var small = document.createElement("span");
      small.className = "muted small";
      small.textContent = " " + note;
      caption.appendChild(small);
    }
    figure.appendChild(caption);
    var plot = document.createElement("div");
    figure.appendChild(plot);
    this.grid.appendChild(figure);
    var range = this.bounds;
    var long = range[1] - range[0] > 24 * 3600;
    var series = [{ value: function (u, v) { return v === null || v === undefined ? "—" : clock(v, true); } }].concat(lines.map(function (l) {
      return {
        label: l.label,
        stroke: l.color,
        fill: l.fill ? l.color + "1f" : undefined,
        width: 1.5,
        value: function (u, v) { return format(v); },
      };
    }));
    var opts = {
      width: width(plot),
      height: HEIGHT,
      series: series,
      scales: {
        x: { time: true, range: function () { return range; } },
        y: yRange ? { range: yRange } : { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } },
      },
      axes: [
        {
          stroke: COLORS.grey,
          grid: { stroke: "#e2e8f0", width: 1 },
          ticks: { stroke: "#e2e8f0" },
          values: function (u, ticks) { return ticks.map(function (t) { return clock(t, long); }); },
        },
        {
          stroke: COLORS.grey,
          size: 86,
          grid: { stroke: "#e2e8f0", width: 1 },
          ticks: { stroke: "#e2e8f0" },
          values: function (u, ticks) { return ticks.map(format); },
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    var data = [x].concat(lines.map(function (l) { return l.data; }));
    this.plots.push(new window.uPlot(opts, data, plot));
  };

  Charts.prototype.draw = function (body, since, until) {
    this.clear();
    this.bounds = [since, until];
    var s = body.series || {};
    var rollup = body.resolution !== "raw";
    var note = rollup ? "(" + body.resolution + " averages)" : "";
    var drawn = 0;

    if (s.cpu && s.cpu.points.length) {
      var cpuLines = [{ label: rollup ? "avg" : "CPU", color: COLORS.blue, fill: true, data: values(s.cpu, ["cpu", "cpu_avg"]) }];
      if (column(s.cpu, ["cpu_max"]) !== -1) {
        cpuLines.push({ label: "max", color: COLORS.red, data: values(s.cpu, ["cpu_max"]) });
      }
      this.chart("CPU load", note, times(s.cpu), cpuLines, percent, [0, 100]);
      drawn++;
    }

    if (s.memory && s.memory.points.length) {
      var total = column(s.memory, ["mem_total"]);
      var used = values(s.memory, ["mem_used", "mem_used_avg"], function (v, p) {
        var t = total === -1 ? null : p[total];
        return t ? (100 * v) / t : null;
      });
      var last = s.memory.points[s.memory.points.length - 1];
      var memNote = total !== -1 && last[total] ? "of " + bytes(last[total]) : "";
      this.chart("Memory used", memNote, times(s.memory), [{ label: "used", color: COLORS.green, fill: true, data: used }], percent, [0, 100]);
      drawn++;
    }

    if (s.wireless && s.wireless.points.length) {
      var wLines = [{ label: "clients", color: COLORS.amber, fill: true, data: values(s.wireless, ["clients", "clients_avg"]) }];
      if (column(s.wireless, ["clients_max"]) !== -1) {
        wLines.push({ label: "max", color: COLORS.red, data: values(s.wireless, ["clients_max"]) });
      }
      this.chart("Wireless clients", note, times(s.wireless), wLines, count);
      drawn++;
    }

    var self = this;
    this.interfaces.forEach(function (name) {
      var series = s["interface:" + name];
      if (!series || !series.points.length) return;
      self.chart("Traffic " + name, note, times(series), [
        { label: "rx", color: COLORS.blue, fill: true, data: values(series, ["rx_bps", "rx_bps_avg"]) },
        { label: "tx", color: COLORS.green, fill: true, data: values(series, ["tx_bps", "tx_bps_avg"]) },
      ], bits);
      drawn++;
    });

    this.empty.hidden = drawn > 0;
    this.status.textContent = drawn ? "" : "No samples in the last " + LABELS[this.range] + ".";
  };

  function start() {
    if (!window.uPlot) return;
    document.querySelectorAll(".device-charts[data-metrics-url]").forEach(function (root) {
      if (!root.chartsStarted) {
        root.chartsStarted = true;
        new Charts(root);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
