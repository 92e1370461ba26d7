// Live updates on an article page (see comments/live.py). The poll pauses while the tab is
// hidden, and an answer equal to what is shown is not swapped again: the browser turns the
// server's 304 into the same 200 it had, and swapping it would make screen readers repeat it.
(function () {
  "use strict";

  if (window.newsroomLive) return; // the partial may be swapped in again with its script tag
  window.newsroomLive = true;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var poll = event.detail.elt;
    if (poll.id === "live-news" && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "live-news" && target.innerHTML === event.detail.serverResponse) {
      event.detail.shouldSwap = false;
    }
  });
})();
