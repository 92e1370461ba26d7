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

// Keep the reader's comment until it is posted. A post can fail because the reader signed out
// meanwhile (in another tab, or the session expired): the server then sends the tab to the
// login page, which comes back to the form. The text waits in this tab's sessionStorage, keyed
// by the article's form, and is put back in the form with a word saying so.
(function () {
  "use strict";

  var PREFIX = "newsroom:draft:";

  function storage(use) {
    try {
      return use(window.sessionStorage);
    } catch (error) {
      return null; // storage disabled or full: the text then stays only in the form, as before
    }
  }

  function key(form) {
    return PREFIX + form.getAttribute("action");
  }

  function commentForm(element) {
    var form = element && element.closest ? element.closest("form") : null;
    return form && form.id === "comment-form" ? form : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = commentForm(event.detail.elt);
    var body = form && form.querySelector("textarea");
    if (!body || !body.value.trim()) return;
    storage(function (store) { store.setItem(key(form), body.value); });
  });

  // Posted, or back with the form's errors and the text still in it: the copy is not needed.
  // An error keeps it, and so does a redirect to sign in (htmx follows HX-Redirect without
  // this event). Before the swap: the form is replaced, and events on it no longer reach here.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = commentForm(event.detail.elt);
    if (!form || event.detail.isError) return;
    storage(function (store) { store.removeItem(key(form)); });
  });

  function restore() {
    var form = document.getElementById("comment-form");
    var body = form && form.querySelector("textarea");
    if (!body || body.value) return;
    var draft = storage(function (store) { return store.getItem(key(form)); });
    if (!draft) return;
    body.value = draft;
    storage(function (store) { store.removeItem(key(form)); });
    var note = document.createElement("p");
    note.className = "notice draft-restored";
    note.setAttribute("role", "status");
    note.textContent = "Your comment was not posted: here it is again. Press “Post comment” to send it.";
    form.insertBefore(note, form.querySelector("label"));
    // After the load event: going to the page's #comment-form moves the focus to the page
    // itself (the form cannot take it), which would undo an earlier focus.
    if (document.readyState === "complete") body.focus();
    else window.addEventListener("load", function () { body.focus(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
  else restore();
})();

// A live character counter under every comment, reply and edit form (textareas with
// data-limit). The textarea has no maxlength on purpose: the browser would cut a long paste
// without a word. Here the reader sees how far over the limit they are and shortens it
// themselves; the server refuses an overlong text with its count. Only the warnings are
// announced (role=status changes at the thresholds), not every keystroke.
(function () {
  "use strict";

  var WARN_AT = 0.9; // of the limit

  function update(textarea) {
    var form = textarea.closest("form");
    var counter = form && form.querySelector("[data-counter]");
    if (!counter) return;
    var limit = parseInt(textarea.getAttribute("data-limit"), 10);
    var length = textarea.value.length;
    var state = length > limit ? "over" : length >= limit * WARN_AT ? "near" : "ok";
    var text = length.toLocaleString() + " / " + limit.toLocaleString() + " characters";
    if (state === "over") {
      text = (length - limit).toLocaleString() + " characters over the " + limit.toLocaleString() +
        "-character limit: shorten it before posting (nothing was cut).";
    } else if (state === "near") {
      text = (limit - length).toLocaleString() + " characters left.";
    }
    counter.textContent = text;
    if (counter.getAttribute("data-state") !== state) {
      counter.setAttribute("data-state", state);
      counter.setAttribute("aria-live", state === "ok" ? "off" : "polite");
    }
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("textarea[data-limit]")) update(target);
  });

  function all() {
    document.querySelectorAll("textarea[data-limit]").forEach(update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  document.addEventListener("htmx:afterSettle", all);
})();
