/* A payment's status, live: the status part (#payment-status) carries a short-lived access
   token; this opens the WebSocket (/ws/) with it, subscribes to the signed-in person's
   notifications, and refreshes the part (htmx) when the payment's notification arrives.
   While the socket is subscribed, window.domusLive stops the part's htmx polling; without
   WebSocket, or when the socket closes, the polling carries on. */
(function () {
  "use strict";
  var socket = null, payment = null;
  function refresh(el) {
    if (window.htmx) window.htmx.ajax("GET", el.dataset.statusUrl, { target: "#payment-status", swap: "outerHTML" });
  }
  function stop() {
    window.domusLive = false;
    document.body.dataset.live = "off";
    if (socket) { var s = socket; socket = null; s.close(); }
  }
  function connect(el) {
    if (!window.WebSocket || !el.dataset.liveToken || !window.htmx) return;
    payment = el.dataset.payment;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/", ["bearer", el.dataset.liveToken]);
    } catch (error) { socket = null; return; }
    var mine = socket;
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      var current = document.getElementById("payment-status");
      if (frame.type === "welcome") {
        mine.send(JSON.stringify({ type: "subscribe", channel: "notifications" }));
      } else if (frame.type === "subscribed") {
        window.domusLive = true;
        document.body.dataset.live = "on";
        if (current) refresh(current);  // it may have been answered before the subscription
      } else if (frame.type === "notification" && frame.data && frame.data.id === payment && current) {
        refresh(current);
      }
    };
    socket.onclose = function () {
      if (socket === mine) { socket = null; window.domusLive = false; document.body.dataset.live = "off"; }
    };
  }
  function check() {
    var el = document.getElementById("payment-status");
    if (!el || el.dataset.final) { if (socket) stop(); return; }
    if (!socket || el.dataset.payment !== payment) { if (socket) stop(); connect(el); }
  }
  document.addEventListener("htmx:afterSettle", check);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", check);
  else check();
})();
