// Kehu's only script of its own, loaded from a file: the Content-Security-Policy allows no inline
// script. Switch language as soon as a choice is made; the button stays for use without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-switch");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
});
