// linkwatch: "Check now" shows the verdict when the check lands, without a page reload.
// The page works without this file: the form posts and the page refreshes itself while a check is queued.
(function () {
  "use strict";
  var box = document.getElementById("recheck-status");
  if (!box || !box.dataset.link || !box.dataset.queued) { return; }
  var queued = Date.parse(box.dataset.queued);
  var tries = 0;
  function poll() {
    tries += 1;
    fetch("/api/v1/links/" + encodeURIComponent(box.dataset.link), {credentials: "same-origin",
      headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (link) {
        if (link && link.last_checked && Date.parse(link.last_checked) >= queued) {
          box.className = "ok";
          box.textContent = "Checked: " + (link.verdict_words || link.state) + ". " + (link.verdict_reason || "");
          var state = document.getElementById("current-state");
          if (state) { state.textContent = link.verdict_words || link.state; state.className = "state state-" + link.state; }
          var reason = document.getElementById("current-reason");
          if (reason) { reason.textContent = link.verdict_reason || ""; }
          return;
        }
        if (tries < 120) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { if (tries < 120) { window.setTimeout(poll, 4000); } });
  }
  window.setTimeout(poll, 1000);
}());
