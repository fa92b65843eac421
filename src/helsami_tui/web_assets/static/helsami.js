// helsami-tui serve-web: the app's web socket is on this page's own server, next to the page
// (ws: or wss: as the page is http: or https:, also behind a proxy that serves it under a path).
(function () {
  "use strict";
  var terminal = document.getElementById("terminal");
  var ws = new URL("ws", window.location.href);
  ws.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  ws.search = "";
  ws.hash = "";
  terminal.dataset.sessionWebsocketUrl = ws.toString();
  function restart() {
    var params = new URLSearchParams(window.location.search);
    params.delete("delay");
    params.delete("ping");
    var query = params.toString();
    window.location.href = window.location.pathname + (query ? "?" + query : "");
  }
  document.querySelectorAll("button.restart").forEach(function (button) {
    button.addEventListener("click", restart);
  });
})();
