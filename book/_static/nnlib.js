/* Keyboard and screen-reader help for typeset formulas (see book/_ext/page_assets.py).
   MathJax hides its visual markup from screen readers (aria-hidden) but an equation reference
   such as \eqref{eq:layer} is a link inside it: a focusable element nobody can hear. Each such
   link leaves the Tab order and its formula becomes one link, named by its visible text. */
(function () {
  function fix() {
    document.querySelectorAll("mjx-container").forEach(function (box) {
      var links = box.querySelectorAll("a[href]");
      if (!links.length) return;
      links.forEach(function (a) { a.setAttribute("tabindex", "-1"); });
      if (links.length !== 1 || box.hasAttribute("role")) return;
      var href = links[0].getAttribute("href");
      box.setAttribute("role", "link");
      box.setAttribute("tabindex", "0");
      var spoken = box.querySelector("mjx-assistive-mml");  // the visual glyphs are CSS
      var name = (spoken ? spoken.textContent : links[0].textContent).trim();
      box.setAttribute("aria-label", "Equation " + name);
      box.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { location.hash = href.replace(/^#/, ""); }
      });
    });
  }
  // A box that scrolls sideways (a wide formula or figure on a phone) must be reachable with
  // the keyboard to be scrolled: a Tab stop exactly while it overflows (as the theme does for
  // code cells and tables).
  var SCROLLERS = "div.math, mjx-container[display='true'], .nnlib-figure-box";
  function scrollStops() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls) { box.setAttribute("tabindex", "0"); }
      else if (box.getAttribute("tabindex") === "0" && box.getAttribute("role") !== "link") {
        box.removeAttribute("tabindex");
      }
    });
  }
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer); timer = setTimeout(scrollStops, 200);
  });
  window.addEventListener("load", scrollStops);
  var tries = 0;
  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(function () { fix(); scrollStops(); });
    } else if (++tries < 100) { setTimeout(whenTypeset, 100); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", whenTypeset);
  } else { whenTypeset(); }
})();
