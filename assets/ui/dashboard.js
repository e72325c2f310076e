// Live updates for the server-rendered dashboard; every page reads without it.
(function () {
  "use strict";
  var H = { "x-mock-dashboard": "1" };
  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }
  if (document.getElementById("rps-chart")) {
    var samples = [], last = null;
    var tick = function () {
      fetch("/ui/overview.json", { headers: H }).then(function (r) { return r.json(); }).then(function (m) {
        var now = Date.now();
        if (last) { samples.push(Math.max(0, (m.total - last.total) * 1000 / (now - last.at))); }
        last = { total: m.total, at: now };
        if (samples.length > 60) samples.shift();
        text("total", m.total); text("errors", m.error_rate); text("uptime", m.uptime); text("clock-now", m.clock); text("clock", m.clock);
        if (samples.length) text("rps", samples[samples.length - 1].toFixed(1));
        var max = Math.max.apply(null, samples.concat([1]));
        var n = samples.length;
        var pts = samples.map(function (v, i) { return (600 - (n - 1 - i) * 10).toFixed(1) + "," + (158 - v * 140 / max).toFixed(1); });
        document.getElementById("rps-line").setAttribute("points", pts.join(" "));
        if (n) document.getElementById("rps-area").setAttribute("points", (600 - (n - 1) * 10) + ",159 " + pts.join(" ") + " 600,159");
        text("rps-max", "peak " + max.toFixed(1) + " /s");
        document.getElementById("latency").innerHTML = m.latency_svg;
        var rowsEl = document.getElementById("routes-rows"); if (rowsEl) rowsEl.innerHTML = m.routes_html;
      }).catch(function () {});
    };
    tick(); setInterval(tick, 2000);
  }
  var rows = document.getElementById("rows");
  if (rows && window.EventSource) {
    var form = document.getElementById("filters");
    var want = new FormData(form);
    var es = new EventSource("/ui/requests/stream?" + new URLSearchParams(want).toString());
    es.onopen = function () { document.getElementById("live").classList.add("on"); };
    es.onerror = function () { document.getElementById("live").classList.remove("on"); };
    es.addEventListener("request", function (ev) {
      var e = JSON.parse(ev.data);
      var tr = document.createElement("tr");
      var cell = function (content, cls) { var td = document.createElement("td"); if (cls) td.className = cls; if (content instanceof Node) td.appendChild(content); else td.textContent = content; tr.appendChild(td); return td; };
      cell(e.time, "mono");
      var m = document.createElement("span"); m.className = "method"; m.textContent = e.method; cell(m);
      var c = document.createElement("code"); c.textContent = e.path; cell(c);
      var s = document.createElement("span"); s.className = "status s" + Math.floor(e.status / 100); s.textContent = e.status; cell(s, "num");
      cell(String(e.duration_ms), "num");
      cell(e.user || "–");
      var toks = cell("");
      (e.tokens.issued || []).forEach(function (t) { var a = document.createElement("a"); a.className = "tok"; a.href = "/ui/requests?token=" + encodeURIComponent(t); a.textContent = "…" + t.slice(-8); toks.appendChild(a); toks.appendChild(document.createTextNode(" ")); });
      if (rows.firstElementChild && rows.firstElementChild.querySelector("td[colspan]")) rows.innerHTML = "";
      rows.insertBefore(tr, rows.firstChild);
      while (rows.children.length > 200) rows.removeChild(rows.lastChild);
    });
  }
  // Confirm destructive forms (without JS they simply submit). Delegated,
  // since live panels replace their forms.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f.matches && f.matches("form[data-confirm]") && !window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
  });
  // Server-rendered panels marked data-live are refreshed in place from the
  // same page, so hit counts, users and keys move without a reload. A panel
  // being edited (focus inside, an open editor) is left alone.
  var panels = document.querySelectorAll("[data-live][id]");
  if (panels.length && window.DOMParser) {
    var busy = function (el) { return el.contains(document.activeElement) || el.querySelector("details[open]"); };
    var refresh = function () {
      var url = new URL(location.href); url.searchParams.delete("flash"); url.searchParams.delete("error");
      fetch(url.toString(), { headers: H }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        panels.forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh && !busy(el) && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        });
        var clock = doc.getElementById("clock"); if (clock) text("clock", clock.textContent);
      }).catch(function () {});
    };
    setInterval(refresh, 2000);
  }
})();
