/* Inside the embed's iframe: tell the host page our height, take its sign-in token, and open
 * links that leave the stream in a new tab (our other pages refuse to be framed).
 *
 * Messages go to the host's origin only (data-parent-origin, which the server checked against
 * the allowed sites), and are taken only from that origin and from our parent window. */
(function () {
  "use strict";
  var root = document.getElementById("embed-root");
  if (!root) return;
  var parentOrigin = root.getAttribute("data-parent-origin");
  var status = document.getElementById("embed-sso-status");

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link) return;
    var url = new URL(link.href, location.href);
    if (url.origin === location.origin && url.pathname === location.pathname) return;
    link.target = "_blank";
    link.rel = "noopener";
  });

  if (!parentOrigin || window.parent === window) return;

  function send(message) {
    window.parent.postMessage(message, parentOrigin);
  }

  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      send({ type: "newsroom:height", height: height });
    }
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function signIn(token) {
    var body = new FormData();
    body.append("token", token);
    body.append("parent", parentOrigin);
    fetch(root.getAttribute("data-sso-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) location.reload();
          else status.textContent = "Could not sign you in: " + answer.error;
        });
      })
      .catch(function () {
        status.textContent = "Could not sign you in: the comments site did not answer.";
      });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (data && data.type === "newsroom:sso" && typeof data.token === "string") signIn(data.token);
  });

  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(root);
  send({ type: "newsroom:ready", signedIn: root.getAttribute("data-signed-in") === "true" });
  reportHeight();
})();
