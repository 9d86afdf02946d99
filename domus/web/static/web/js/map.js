/* The search map: Leaflet drawing the API's server-side clusters (GET /api/v1/properties/map/)
   for the box in view and the search's filters; moving the map searches that box (the results
   list is refreshed through the search form, by htmx). Tiles only when a tile server is set
   (WEB_MAP_TILE_URL); otherwise a plain background: no request leaves this site. */
(function () {
  "use strict";
  function base(el) {
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }
  function box(map) {
    var b = map.getBounds();
    var f = function (n) { return Math.max(-180, Math.min(180, n)).toFixed(5); };
    var lat = function (n) { return Math.max(-90, Math.min(90, n)).toFixed(5); };
    return [f(b.getWest()), lat(b.getSouth()), f(b.getEast()), lat(b.getNorth())].join(",");
  }
  function formQuery(form) {
    var data = new FormData(form), out = new URLSearchParams(), features = [];
    data.forEach(function (value, key) {
      if (!value || key === "bbox" || key === "page" || key === "sort" || key === "csrfmiddlewaretoken") return;
      if (key === "features") { features.push(value); return; }
      out.append(key === "q" ? "search" : key, value);
    });
    if (features.length) out.append("features", features.join(","));
    return out.toString();
  }
  function searchMap(el) {
    var map = base(el), layer = L.layerGroup().addTo(map), form = document.getElementById("search-form");
    var listingUrl = el.dataset.listingUrl, query = el.dataset.query || "", ready = false, pending = null;
    function draw(answer) {
      layer.clearLayers();
      answer.clusters.forEach(function (c) {
        var size = Math.min(60, 24 + Math.round(Math.log(c.count + 1) * 6));
        var icon = L.divIcon({ className: "cluster", html: String(c.count), iconSize: [size, size] });
        var marker = L.marker([c.latitude, c.longitude], { icon: icon, keyboard: true, title: c.count + " listings" });
        marker.on("click", function () { map.setView([c.latitude, c.longitude], Math.min(map.getZoom() + 2, 18)); });
        layer.addLayer(marker);
      });
      answer.points.forEach(function (p) {
        var marker = L.circleMarker([p.latitude, p.longitude], { radius: 7, color: "#fff", weight: 2, fillColor: "#0b5d4b", fillOpacity: 1 });
        var link = document.createElement("a");
        link.href = listingUrl.replace("00000000-0000-0000-0000-000000000000", p.id);
        link.textContent = p.title + " · " + p.currency + " " + Number(p.price).toLocaleString();
        marker.bindPopup(link);
        marker.bindTooltip(p.title);
        layer.addLayer(marker);
      });
      el.dataset.clusters = answer.clusters.length;
      el.dataset.points = answer.points.length;
      el.dataset.total = answer.total;
      el.dataset.state = "loaded";
    }
    function load() {
      el.dataset.state = "loading";
      var url = el.dataset.api + "?bbox=" + box(map) + "&zoom=" + Math.max(0, Math.min(22, Math.round(map.getZoom()))) + (query ? "&" + query : "");
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(draw)
        .catch(function () { el.dataset.state = "error"; });
    }
    var start = (el.dataset.bbox || "").split(",").map(Number);
    if (start.length === 4 && start.every(isFinite)) {
      if (start[0] === start[2] && start[1] === start[3]) map.setView([start[1], start[0]], 13);
      else map.fitBounds([[start[1], start[0]], [start[3], start[2]]], { padding: [20, 20] });
    } else {
      map.setView([0.0236, 37.9062], 6);
    }
    load();
    map.on("moveend", function () {
      load();
      if (!ready || !form) return;
      form.elements.bbox.value = box(map);
      if (form.elements.page) form.elements.page.value = "";
      if (window.htmx) window.htmx.trigger(form, "submit");
    });
    setTimeout(function () { ready = true; }, 0);
    if (form) {
      document.body.addEventListener("htmx:afterSwap", function (event) {
        if (event.detail.target.id !== "results") return;
        var next = formQuery(form);
        if (next !== query) { query = next; load(); }
      });
    }
  }
  function listingMap(el) {
    var map = base(el), at = [Number(el.dataset.lat), Number(el.dataset.lng)];
    map.setView(at, 15);
    L.circleMarker(at, { radius: 9, color: "#fff", weight: 2, fillColor: "#0b5d4b", fillOpacity: 1 }).addTo(map);
  }
  function init() {
    if (!window.L) return;
    var search = document.getElementById("map"), one = document.getElementById("listing-map");
    if (search) searchMap(search);
    if (one) listingMap(one);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
