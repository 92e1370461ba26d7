/* Newsroom's comments in any page: put an iframe of the story's comment stream in each
 * <div data-newsroom-story="https://site/story-url">, and size it as the stream asks.
 *
 * Optional on the div: data-newsroom-sso-token="<JWT>" signs the reader in (see the README's
 * "Single sign-on"). Messages are taken only from newsroom's origin and from the frame itself,
 * and the token is sent only to newsroom's origin. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var newsroom = new URL(script.src).origin;
  var mounted = [];

  function metaContent(selector) {
    var element = document.querySelector(selector);
    return element ? element.getAttribute("content") || "" : "";
  }

  function pageTitle() {
    return (metaContent('meta[property="og:title"]') || document.title || "").slice(0, 300);
  }

  function storyUrl(host) {
    var canonical = document.querySelector('link[rel="canonical"]');
    var given = host.getAttribute("data-newsroom-story") || (canonical && canonical.href) || location.href;
    var url = new URL(given, location.href);
    url.hash = "";
    return url.href;
  }

  function mount(host) {
    if (host.hasAttribute("data-newsroom-mounted")) return;
    host.setAttribute("data-newsroom-mounted", "");
    var src = new URL("/embed/stream", newsroom);
    src.searchParams.set("url", storyUrl(host));
    src.searchParams.set("title", pageTitle());
    src.searchParams.set("parent", location.origin);
    var frame = document.createElement("iframe");
    frame.src = src.href;
    frame.title = "Comments";
    frame.style.width = "100%";
    frame.style.height = "480px";
    frame.style.border = "0";
    host.appendChild(frame);
    mounted.push({ host: host, frame: frame });
  }

  function entryFor(source) {
    for (var i = 0; i < mounted.length; i++) {
      if (mounted[i].frame.contentWindow === source) return mounted[i];
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== newsroom) return;
    var entry = entryFor(event.source);
    var data = event.data;
    if (!entry || !data || typeof data !== "object") return;
    if (data.type === "newsroom:height") {
      var height = Number(data.height);
      if (isFinite(height) && height > 0 && height < 100000) {
        entry.frame.style.height = Math.ceil(height) + "px";
      }
    } else if (data.type === "newsroom:ready" && data.signedIn === false) {
      var token = entry.host.getAttribute("data-newsroom-sso-token");
      if (token) event.source.postMessage({ type: "newsroom:sso", token: token }, newsroom);
    }
  });

  var hosts = document.querySelectorAll("[data-newsroom-story]");
  for (var i = 0; i < hosts.length; i++) mount(hosts[i]);
})();
