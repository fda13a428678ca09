// The web chat's only script, served from the app's own origin (the CSP allows no eval and
// no remote scripts). It opens a citation in the source panel instead of a new tab: the link's
// target goes into a hidden field whose change the server answers with the panel; the marked
// passage is then scrolled into view. On a phone it closes the sidebar into a drawer.
(function () {
  "use strict";
  function openSource(ref) {
    var box = document.querySelector("#source-ref textarea, #source-ref input");
    if (!box) return;
    box.value = ref + "?" + Date.now(); // the same citation twice is still a change
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest ? event.target.closest('a[href*="#fd-src/"]') : null;
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      var href = link.getAttribute("href");
      openSource(href.slice(href.indexOf("#") + 1));
    },
    true
  );
  // On a phone the chat comes first: the sidebar stays closed, as a drawer, until the user
  // opens it (Gradio may open it again while the page mounts, so this checks until then).
  var userOpened = false;
  document.addEventListener(
    "click",
    function (event) {
      if (event.isTrusted && event.target.closest && event.target.closest("#sidebar .toggle-button")) {
        userOpened = true;
      }
    },
    true
  );
  function phoneDrawer() {
    if (userOpened || !window.matchMedia("(max-width: 640px)").matches) return;
    var toggle = document.querySelector("#sidebar.open > .toggle-button");
    if (toggle) toggle.click();
  }
  var checks = 0;
  var timer = setInterval(function () {
    phoneDrawer();
    if (++checks > 50) clearInterval(timer);
  }, 100);
  new MutationObserver(function () {
    phoneDrawer();
    var hit = document.querySelector("#source-panel mark.fd-hit:not([data-seen])");
    if (hit) {
      hit.setAttribute("data-seen", "1");
      hit.scrollIntoView({ block: "center" });
    }
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["class"],
  });
})();
