// Say so when an htmx request fails. htmx swaps nothing on an error response or a network
// failure, so without this a failed post or moderator action would look like a click that did
// nothing. The form is left as it was: the reader's text is never lost.
(function () {
  "use strict";

  var MESSAGES = {
    0: "The server could not be reached. Check your connection and try again.",
    403: "This page is out of date or your session has expired. Copy your text, reload the page and try again.",
    404: "This no longer exists: it may have been removed. Reload the page.",
    429: "Too many requests. Wait a moment and try again.",
    503: "The site is briefly unavailable. Your text is still here: try again in a minute.",
  };

  function host(element) {
    return element.closest("form") || element;
  }

  function notice(element) {
    return host(element).querySelector(":scope > .request-error");
  }

  function show(event, status) {
    var box = notice(event.detail.elt);
    if (!box) {
      box = document.createElement("p");
      box.className = "request-error form-errors";
      box.setAttribute("role", "alert");
      host(event.detail.elt).prepend(box);
    }
    box.textContent =
      MESSAGES[status] || "Something went wrong (error " + status + "). Please try again.";
  }

  document.addEventListener("htmx:responseError", function (event) {
    show(event, event.detail.xhr.status);
  });
  document.addEventListener("htmx:sendError", function (event) {
    show(event, 0);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = notice(event.detail.elt);
    if (box) box.remove();
  });
})();
