// Keyboard shortcuts for reviewers. Loaded from /static (the CSP allows no inline script).
// Queue: j/k move the selection, Enter or o opens it. Item: c confirm, r reject, n note, j/k next/previous.
(function () {
  "use strict";
  function typing(ev) {
    var t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.getAttribute("href")); }
  }
  function queueKeys(ev) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
    if (!rows.length) { return; }
    var i = rows.findIndex(function (r) { return r.classList.contains("selected"); });
    if (ev.key === "j" || ev.key === "k") {
      if (i >= 0) { rows[i].classList.remove("selected"); }
      i = ev.key === "j" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
      rows[i].classList.add("selected");
      rows[i].scrollIntoView({block: "nearest"});
    } else if ((ev.key === "Enter" || ev.key === "o") && i >= 0) {
      window.location.assign(rows[i].getAttribute("data-href"));
    } else { return; }
    ev.preventDefault();
  }
  function itemKeys(ev) {
    var buttons = {c: "btn-confirm", r: "btn-reject"};
    if (buttons[ev.key]) {
      document.getElementById(buttons[ev.key]).click();
    } else if (ev.key === "n") {
      document.getElementById("note").focus();
    } else if (ev.key === "j") {
      go("next-link");
    } else if (ev.key === "k") {
      go("prev-link");
    } else { return; }
    ev.preventDefault();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (typing(ev)) {
      if (ev.key === "Escape") { ev.target.blur(); }
      return;
    }
    var page = document.body.getAttribute("data-page");
    if (page === "queue") { queueKeys(ev); } else if (page === "item") { itemKeys(ev); }
  });
}());
