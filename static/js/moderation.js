// The moderation queue from the keyboard: j/k move between comments, a approves (or restores),
// r rejects, x checks for a bulk action, u undoes, / searches, ? shows the shortcuts.
// Plain script, no build step. Everything it drives is an ordinary form that works without it;
// cards are looked up afresh on every key because htmx replaces them as moderators act.
(function () {
  "use strict";

  var lastUndo = null; // selector of the Undo button of the moderator's last decision, for "u"

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  }

  function currentCard() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-card]") : null;
  }

  function focusCard(card) {
    if (!card) return;
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = cards();
    if (!list.length) return;
    var index = list.indexOf(currentCard());
    var next = index < 0 ? (step > 0 ? 0 : list.length - 1) : index + step;
    focusCard(list[Math.min(Math.max(next, 0), list.length - 1)]);
  }

  // The card to focus when `card` is done with: the next one still to decide, else the previous.
  function neighbour(card) {
    var list = cards().filter(function (c) { return c === card || c.hasAttribute("data-actionable"); });
    var index = list.indexOf(card);
    return list[index + 1] || list[index - 1] || null;
  }

  function announce(text) {
    var live = document.getElementById("queue-live");
    if (live && text) live.textContent = text;
  }

  // A key can arrive between htmx swapping a card in and processing its forms; a click then
  // would submit the plain form and reload the page. Processing first is idempotent.
  function press(button) {
    if (window.htmx && button.form) window.htmx.process(button.form);
    button.click();
  }

  function click(card, selector) {
    var button = card && card.querySelector(selector);
    if (button) press(button);
    return Boolean(button);
  }

  function reject(card) {
    var reason = card && card.querySelector("[data-reason]");
    if (!reason) return;
    if (!reason.value) {
      reason.focus();
      announce("Choose a reason, then press Enter to reject.");
      return;
    }
    click(card, "[data-action=reject]");
  }

  function toggleCheck(card) {
    var box = card && card.querySelector("[data-select]");
    if (!box) return;
    box.checked = !box.checked;
    updateSelectedCount();
    if (box.checked) openBulk();
  }

  // The bulk actions are folded until used: checking a comment is using them.
  function openBulk() {
    var details = document.querySelector(".bulk-bar__details");
    if (details) details.open = true;
  }

  function undo() {
    var button = lastUndo && document.querySelector(lastUndo);
    if (button) press(button);
    else announce("Nothing to undo.");
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    help.open = !help.open;
    if (help.open) help.querySelector("summary").focus();
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]")) return true;
    var input = target.closest("input");
    return Boolean(input) && !/^(checkbox|radio|button|submit|reset)$/.test(input.type);
  }

  var KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    a: function () { click(currentCard(), "[data-action=approve], [data-action=restore], [data-action=dismiss]"); },
    r: function () { reject(currentCard()); },
    x: function () { toggleCheck(currentCard()); },
    u: undo,
    "/": function () {
      var search = document.querySelector("#queue-filters input[name=q]");
      if (search) search.focus();
    },
    "?": toggleHelp,
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Enter on a card's reason list rejects: a <select> never submits its form by itself.
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-reason]")) {
      event.preventDefault();
      reject(event.target.closest("[data-card]"));
      return;
    }
    if (isTyping(event.target) || !KEYS[event.key]) return;
    event.preventDefault();
    KEYS[event.key]();
  });

  function updateSelectedCount() {
    var count = document.querySelectorAll("[data-select]:checked").length;
    document.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = String(count);
    });
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select]")) return;
    updateSelectedCount();
    if (event.target.checked) openBulk();
  });

  // Check the cards on this page whose highest score lies in the range.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-check-range], [data-check-all], [data-check-none]");
    if (!button) return;
    var low = parseFloat(document.getElementById("range-min").value);
    var high = parseFloat(document.getElementById("range-max").value);
    cards().forEach(function (card) {
      var box = card.querySelector("[data-select]");
      if (!box) return;
      if (button.hasAttribute("data-check-all")) box.checked = true;
      else if (button.hasAttribute("data-check-none")) box.checked = false;
      else {
        var risk = parseFloat(card.getAttribute("data-risk"));
        box.checked = !isNaN(risk) && risk >= (isNaN(low) ? 0 : low) && risk <= (isNaN(high) ? 1 : high);
      }
    });
    updateSelectedCount();
  });

  // The author drawer's Close button. Delegated listeners, here and below, stand in for htmx's
  // hx-on and trigger filters: htmx evaluates those as code, which the CSP forbids.
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-close-drawer]");
    var drawer = close && close.closest("#drawer");
    if (drawer) drawer.replaceChildren();
  });

  // The live refresh pauses while the tab is hidden.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var poll = event.detail.elt;
    if (poll.hasAttribute("data-poll-while-visible") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  // Where focus should go after htmx replaces the card the moderator acted on: the replaced
  // element took the focus with it, so without this the next "j" would start from the top.
  // The card is found from each swap's own request (the element that sent it sits in the old
  // card, which names the new one), never from a variable another request may have overwritten.
  function requester(detail) {
    return (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
  }
  function swappedCard(detail) {
    var elt = requester(detail);
    var old = elt && elt.closest && elt.closest("[data-card]");
    return old ? document.getElementById(old.id) : null;
  }
  // After settling, not swapping: htmx itself moves focus back to an element with the id that
  // had it (the card just decided) while it swaps, and that must not win over the move below.
  document.addEventListener("htmx:afterSettle", function (event) {
    var card = swappedCard(event.detail);
    if (!card) {
      if (!event.detail.target || event.detail.target.id !== "queue-results") return;
      // A bulk decision re-renders the whole list, with its own Undo.
      if (document.querySelector("[data-action=undo-bulk]")) lastUndo = "[data-action=undo-bulk]";
      var summary = document.querySelector(".queue-summary strong");
      if (summary) announce(summary.textContent.trim());
      return;
    }
    var notice = card.querySelector(".queue-card__notice, .form-errors");
    if (notice) announce(notice.textContent.trim());
    // htmx puts the focus back on an element with the same id (here the new card), or it is
    // lost with the old one; either way it moves on from a decided card.
    var active = document.activeElement;
    var lost = !active || active === document.body || card.contains(active);
    // An undone decision brings its card back to decide again: the focus goes back to it,
    // wherever the decision had moved it on to.
    var undone = requester(event.detail).closest("[data-undo]");
    if (!card.hasAttribute("data-actionable")) {
      lastUndo = "#" + card.id + " [data-action=undo]";
      if (lost) focusCard(neighbour(card) || card);
    } else if (lost || undone) {
      focusCard(card);
    }
  });

  // The live refresh removes cards others decided; keep the focus on a neighbour of the one
  // that goes, and the checked count true.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target.hasAttribute || !target.hasAttribute("data-card")) return;
    if (target.contains(document.activeElement)) {
      var next = neighbour(target);
      setTimeout(function () { focusCard(next); }, 0);
    }
  });
  document.addEventListener("htmx:afterSettle", updateSelectedCount);

  // Undo is offered for a few seconds only (the server refuses it after that anyway).
  function expireUndo(root) {
    root.querySelectorAll("[data-undo]").forEach(function (form) {
      var seconds = parseInt(form.getAttribute("data-undo-seconds"), 10) || 10;
      setTimeout(function () { form.remove(); }, seconds * 1000);
    });
  }

  function start() {
    var range = document.querySelector("[data-score-range]");
    if (range) range.hidden = false;
    updateSelectedCount();
  }

  if (window.htmx) {
    window.htmx.onLoad(function (elt) {
      if (elt.querySelectorAll) expireUndo(elt);
      if (elt.querySelector && elt.querySelector("[data-score-range]")) start();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
