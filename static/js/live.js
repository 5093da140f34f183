// Live updates for the dashboard, the device list and the device page (no inline script: CSP).
// A page opts in with an element carrying data-live-url (the tenant's SSE stream,
// /t/<tenant>/live/); status labels come from a json_script block (#device-status-labels).
// The server sends only devices this user may see: {"devices": [{id, site, status, cpu,
// last_seen, changed}]}. The page updates what it shows:
//   [data-device-id=<id>] [data-live=status]     the status badge
//   [data-device-id=<id>] [data-live=last-seen]  "last seen" time
//   [data-device-id=<id>] [data-live=cpu]        a CPU number or a <meter> row (.meter)
//   [data-device-id=<id>] [data-live=sampled]    "sampled HH:MM:SS UTC"
//   [data-device-id=<id>] gets a "mikman:device-update" DOM event (detail: the update)
//   [data-live-summary-url]                      counts by status, re-read (debounced) from the
//                                                fleet summary API when a status changed:
//                                                [data-live-count=<status>|total], rows
//                                                [data-live-count-row=<status>] hidden at 0.
// EventSource reconnects by itself after the server ends a stream (it sends retry:).
(function () {
  "use strict";

  var BADGE = {
    online: "badge-success",
    offline: "badge-danger",
    unreachable: "badge-danger",
    auth_failed: "badge-danger",
    degraded: "badge-warning",
  };
  var BADGE_CLASSES = ["badge-success", "badge-danger", "badge-warning"];

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function labels() {
    var node = document.getElementById("device-status-labels");
    if (!node) return {};
    try { return JSON.parse(node.textContent); } catch (e) { return {}; }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function utc(iso, withDate) {
    // The pages print times in UTC ("Y-m-d H:i" / "Y-m-d H:i:s"); keep that format.
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var date = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    var time = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return withDate === "seconds" ? date + " " + time + ":" + pad(d.getUTCSeconds()) : date + " " + time;
  }

  function setBadge(badge, status, names) {
    BADGE_CLASSES.forEach(function (c) { badge.classList.remove(c); });
    if (BADGE[status]) badge.classList.add(BADGE[status]);
    badge.textContent = names[status] || status;
    badge.setAttribute("data-status", status);
  }

  function setCpu(node, cpu) {
    var meter = node.querySelector("meter");
    if (meter) {
      meter.value = cpu;
      meter.textContent = cpu + " %";
      node.classList.toggle("meter-danger", cpu >= 90);
      node.classList.toggle("meter-warning", cpu >= 70 && cpu < 90);
      var value = node.querySelector(".meter-value");
      if (value) value.textContent = cpu + " %";
    } else {
      node.textContent = cpu + " %";
    }
  }

  function Live(root) {
    this.root = root;
    this.names = labels();
    this.summaryUrl = document.querySelector("[data-live-summary-url]");
    this.summaryTimer = null;
    var self = this;
    this.source = new EventSource(root.getAttribute("data-live-url"));
    this.source.addEventListener("open", function () { self.state("live"); });
    this.source.addEventListener("error", function () { self.state("reconnecting"); });
    this.source.addEventListener("devices", function (event) {
      var body;
      try { body = JSON.parse(event.data); } catch (e) { return; }
      self.apply(body.devices || []);
    });
  }

  Live.prototype.state = function (state) {
    this.root.setAttribute("data-live-state", state);
    var note = this.root.querySelector("[data-live-note]");
    if (note) note.textContent = state === "live" ? "live" : "reconnecting…";
  };

  Live.prototype.apply = function (updates) {
    var self = this;
    var statusChanged = false;
    updates.forEach(function (u) {
      if (u.changed) statusChanged = true;
      document.querySelectorAll('[data-device-id="' + u.id + '"]').forEach(function (scope) {
        scope.querySelectorAll('[data-live="status"]').forEach(function (b) { setBadge(b, u.status, self.names); });
        if (u.last_seen) {
          scope.querySelectorAll('[data-live="last-seen"]').forEach(function (n) {
            n.textContent = utc(u.last_seen, n.getAttribute("data-format"));
          });
        }
        if (u.cpu !== null && u.cpu !== undefined) {
          scope.querySelectorAll('[data-live="cpu"]').forEach(function (n) { setCpu(n, u.cpu); });
          if (u.last_seen) {
            scope.querySelectorAll('[data-live="sampled"]').forEach(function (n) {
              n.textContent = "sampled " + utc(u.last_seen, "seconds").slice(11) + " UTC";
            });
          }
        }
        scope.setAttribute("data-live-updated", String(Date.now()));
        // e.g. static/js/device-charts.js redraws when a new sample arrived
        scope.dispatchEvent(new CustomEvent("mikman:device-update", { detail: u }));
      });
    });
    if (statusChanged && this.summaryUrl) this.refreshCounts();
  };

  Live.prototype.refreshCounts = function () {
    var self = this;
    clearTimeout(this.summaryTimer);
    this.summaryTimer = setTimeout(function () {
      fetch(self.summaryUrl.getAttribute("data-live-summary-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (summary) { self.showCounts(summary); })
        .catch(function () { /* the counts stay as they are until the next change */ });
    }, 800);
  };

  Live.prototype.showCounts = function (summary) {
    var byStatus = summary.by_status || {};
    document.querySelectorAll("[data-live-count]").forEach(function (node) {
      var key = node.getAttribute("data-live-count");
      node.textContent = String(key === "total" ? summary.devices || 0 : byStatus[key] || 0);
    });
    document.querySelectorAll("[data-live-count-row]").forEach(function (row) {
      row.hidden = !byStatus[row.getAttribute("data-live-count-row")];
    });
  };

  ready(function () {
    var root = document.querySelector("[data-live-url]");
    if (root && window.EventSource) window.mikmanLive = new Live(root);
  });
})();
