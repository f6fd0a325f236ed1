// Keyboard shortcuts for reviewers. Loaded from /static (the CSP allows no inline script).
// Queue: j/k move the selection, Enter or o opens it, x ticks it for a bulk action, / searches, u undoes.
// Item: c confirm, r reject, 1-4 severity (0 as flagged), Shift+1-6 target (Shift+0 as flagged), e evidence from
// the selected words, n note (Ctrl+Enter saves it), u undo the last decision, g guideline, j/k next/previous.
// The final-adjudication confirmation page has no keys: it takes a deliberate click (or Tab and Enter).
(function () {
  "use strict";
  function typing(ev) {
    var t = ev.target;
    return t && ((t.tagName === "INPUT" && t.type !== "checkbox") || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
                 t.isContentEditable);
  }
  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.getAttribute("href")); }
  }
  function press(id) {
    var button = document.getElementById(id);
    if (button) { button.click(); }
    return Boolean(button);
  }
  function choose(id, index) {
    var select = document.getElementById(id);
    if (select && index < select.options.length) { select.selectedIndex = index; }
  }
  function queueKeys(ev) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
    var i = rows.findIndex(function (r) { return r.classList.contains("selected"); });
    if (ev.key === "/") {
      document.getElementById("search").focus();
    } else if (ev.key === "u") {
      if (!press("btn-undo")) { return; }
    } else if (!rows.length) {
      return;
    } else if (ev.key === "j" || ev.key === "k") {
      if (i >= 0) { rows[i].classList.remove("selected"); }
      i = ev.key === "j" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
      rows[i].classList.add("selected");
      rows[i].scrollIntoView({block: "nearest"});
    } else if ((ev.key === "Enter" || ev.key === "o") && i >= 0) {
      window.location.assign(rows[i].getAttribute("data-href"));
    } else if (ev.key === "x" && i >= 0) {
      var pick = rows[i].querySelector("input.pick");
      pick.checked = !pick.checked;
    } else { return; }
    ev.preventDefault();
  }
  // The selected words of the item's text (or title) become the corrected evidence, with their offset.
  function takeSelection() {
    var sel = window.getSelection();
    var words = sel ? sel.toString() : "";
    if (!words.trim() || !sel.rangeCount) { return false; }
    var range = sel.getRangeAt(0);
    var text = document.querySelector("article.item .text");
    var title = document.querySelector("article.item .title");
    var start = "";
    if (text && text.contains(range.startContainer)) {
      var before = document.createRange();
      before.setStart(text, 0);
      before.setEnd(range.startContainer, range.startOffset);
      start = String(before.toString().length + (words.length - words.replace(/^\s+/, "").length));
    } else if (!(title && title.contains(range.startContainer))) {
      return false;
    }
    document.getElementById("evidence").value = words.trim();
    document.getElementById("evidence-start").value = start;
    return true;
  }
  function digitKeys(ev) {
    var digit = /^Digit([0-9])$/.exec(ev.code || "");
    if (!digit) { return false; }
    var n = Number(digit[1]);
    if (ev.shiftKey) { choose("target", n); } else if (n <= 4) { choose("severity", n); } else { return false; }
    return true;
  }
  function itemKeys(ev) {
    var buttons = {c: "btn-confirm", r: "btn-reject", u: "btn-undo"};
    if (digitKeys(ev)) {
      ev.preventDefault();
      return;
    }
    if (buttons[ev.key]) {
      if (!press(buttons[ev.key])) { return; }
    } else if (ev.key === "n") {
      document.getElementById("note").focus();
    } else if (ev.key === "e") {
      if (!takeSelection()) { document.getElementById("evidence").focus(); }
    } else if (ev.key === "g") {
      var guide = document.getElementById("guideline");
      guide.open = !guide.open;
      if (guide.open) { guide.scrollIntoView({block: "nearest"}); }
    } else if (ev.key === "j") {
      go("next-link");
    } else if (ev.key === "k") {
      go("prev-link");
    } else { return; }
    ev.preventDefault();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && ev.target && ev.target.id === "note") {
      if (ev.target.value.trim()) { press("btn-note"); }
      ev.preventDefault();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (typing(ev)) {
      if (ev.key === "Escape") { ev.target.blur(); }
      return;
    }
    var page = document.body.getAttribute("data-page");
    if (page === "queue") { queueKeys(ev); } else if (page === "item") { itemKeys(ev); }
  });
  document.addEventListener("mouseup", function () {
    if (document.body.getAttribute("data-page") === "item") { takeSelection(); }
  });
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "pick-all") {
      document.querySelectorAll("input.pick").forEach(function (box) { box.checked = ev.target.checked; });
    }
  });
}());
