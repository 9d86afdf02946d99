/* The search map: Leaflet drawing the API's server-side clusters (GET /api/v1/properties/map/)
   for the box in view and the search's filters; moving the map (a drag or a zoom, not a new
   size of the window) searches that box (the results list is refreshed through the search
   form, by htmx). Tiles only when a tile server is set
   (WEB_MAP_TILE_URL); otherwise a plain background with place labels: no request leaves this site. */
(function () {
  "use strict";
  /* Place labels for the plain background (no tiles): the region's cities and towns,
     [name, latitude, longitude, from which zoom it is shown]. */
  var PLACES = [
    ["Nairobi", -1.2864, 36.8172, 4], ["Mombasa", -4.0435, 39.6682, 4], ["Kampala", 0.3476, 32.5825, 4],
    ["Dar es Salaam", -6.7924, 39.2083, 4], ["Kigali", -1.9441, 30.0619, 4], ["Addis Ababa", 9.0054, 38.7636, 4],
    ["Kisumu", -0.0917, 34.7680, 6], ["Nakuru", -0.3031, 36.0800, 6], ["Eldoret", 0.5143, 35.2698, 6],
    ["Arusha", -3.3869, 36.6830, 6], ["Malindi", -3.2192, 40.1169, 6], ["Dodoma", -6.1630, 35.7516, 6],
    ["Garissa", -0.4532, 39.6461, 6], ["Lamu", -2.2717, 40.9020, 6], ["Lodwar", 3.1191, 35.5973, 6],
    ["Thika", -1.0333, 37.0693, 8], ["Kiambu", -1.1714, 36.8356, 9], ["Machakos", -1.5177, 37.2634, 8],
    ["Kilifi", -3.6305, 39.8499, 8], ["Naivasha", -0.7167, 36.4333, 8], ["Nanyuki", 0.0167, 37.0667, 8],
    ["Nyeri", -0.4201, 36.9476, 8], ["Meru", 0.0463, 37.6559, 8], ["Kakamega", 0.2827, 34.7519, 8],
    ["Kitale", 1.0157, 35.0062, 8], ["Kericho", -0.3677, 35.2831, 8], ["Embu", -0.5388, 37.4596, 8],
    ["Voi", -3.3961, 38.5561, 8], ["Isiolo", 0.3546, 37.5822, 8], ["Entebbe", 0.0512, 32.4637, 8]
  ];
  function labels(map) {
    var layer = L.layerGroup().addTo(map);
    function draw() {
      layer.clearLayers();
      var zoom = map.getZoom(), bounds = map.getBounds().pad(0.1);
      PLACES.forEach(function (p) {
        if (zoom < p[3] || !bounds.contains([p[1], p[2]])) return;
        var icon = L.divIcon({ className: "place", html: "<span>" + p[0] + "</span>", iconSize: null });
        layer.addLayer(L.marker([p[1], p[2]], { icon: icon, interactive: false, keyboard: false, zIndexOffset: -1000 }));
      });
      map.getContainer().dataset.places = layer.getLayers().length;
    }
    map.on("zoomend moveend", draw);
    map.whenReady(draw);
  }
  function base(el) {
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    } else {
      labels(map);  // no tiles: a plain background with the names of places
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
    /* A new size of the map (the window resized, a full-page screenshot) is not the visitor
       moving it: the clusters follow the new box, the results keep theirs. Leaflet fires
       "resize" before the (debounced) "moveend" of a new size, and "movestart" on every
       drag or zoom. */
    var resized = false;
    map.on("resize", function () { resized = true; });
    map.on("movestart", function () { resized = false; });
    map.on("moveend", function () {
      load();
      if (resized) { resized = false; return; }
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
    map.setView(at, el.dataset.tiles ? 15 : 12);  // no tiles: wide enough to show the town's name
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
