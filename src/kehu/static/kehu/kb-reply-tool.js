// The knowledge base's reply tool (a file: the Content-Security-Policy allows no inline script).
// Put the chosen article's link or text into the reply at the cursor (nothing is sent).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-kb-insert]");
  if (!button) return;
  var area = document.querySelector("form[action$='/reply/'] textarea[name=body]");
  if (!area) return;
  var text = button.getAttribute("data-kb-insert");
  var start = area.selectionStart || 0, end = area.selectionEnd || 0;
  var before = area.value.slice(0, start), after = area.value.slice(end);
  var glue = before && !before.endsWith("\n") ? "\n" : "";
  area.value = before + glue + text + "\n" + after;
  area.focus();
});
