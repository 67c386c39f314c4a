// The account's org chart: collapse branches, find people, and (for editors) drag a person onto
// their new manager. The server decides: a reporting loop or a stale version comes back as an
// error message in the user's language and the chart stays as it was.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setup(chart) {
    var tree = chart.querySelector(".orgchart-tree");
    var message = chart.querySelector(".orgchart-message");
    var moveUrl = chart.getAttribute("data-move-url");
    var dragged = null;

    function say(text, isError) {
      message.textContent = text;
      message.classList.toggle("error", !!isError);
    }

    function setCollapsed(li, collapsed) {
      li.classList.toggle("collapsed", collapsed);
      var toggle = li.querySelector(":scope > .orgchart-card > .orgchart-toggle");
      if (toggle) {
        toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
        toggle.textContent = collapsed ? "+" : "−";
      }
    }

    tree.addEventListener("click", function (event) {
      var toggle = event.target.closest(".orgchart-toggle");
      if (!toggle) return;
      var li = toggle.closest("li");
      setCollapsed(li, !li.classList.contains("collapsed"));
    });

    function all(state) {
      tree.querySelectorAll("li").forEach(function (li) {
        if (li.querySelector(":scope > ul")) setCollapsed(li, state);
      });
    }
    chart.querySelector(".orgchart-collapse-all").addEventListener("click", function () { all(true); });
    chart.querySelector(".orgchart-expand-all").addEventListener("click", function () { all(false); });

    var search = chart.querySelector(".orgchart-search");
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var needle = search.value.trim().toLowerCase();
        var items = tree.querySelectorAll("li");
        items.forEach(function (li) { li.classList.remove("match", "hidden"); });
        if (!needle) return;
        var keep = new Set();
        items.forEach(function (li) {
          if (li.getAttribute("data-search").indexOf(needle) !== -1) {
            li.classList.add("match");
            for (var up = li; up && up !== tree; up = up.parentElement.closest("li")) {
              keep.add(up);
              if (up !== li) setCollapsed(up, false);
            }
          }
        });
        items.forEach(function (li) { if (!keep.has(li)) li.classList.add("hidden"); });
      }, 120);
    });

    if (!moveUrl) return;

    function move(li, managerLi) {
      var body = new URLSearchParams();
      body.set("version", li.getAttribute("data-version"));
      body.set("reports_to", managerLi ? managerLi.getAttribute("data-person") : "");
      var url = moveUrl.replace("/0/", "/" + li.getAttribute("data-person") + "/");
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { say(result.data.error || "", true); return; }
        li.setAttribute("data-version", String(result.data.version));
        var target = tree;
        if (managerLi) {
          target = managerLi.querySelector(":scope > ul");
          if (!target) {
            target = document.createElement("ul");
            managerLi.appendChild(target);
          }
          setCollapsed(managerLi, false);
        }
        var oldList = li.parentElement;
        target.appendChild(li);
        if (oldList !== tree && !oldList.children.length) oldList.remove();
        say(chart.getAttribute("data-saved") || "", false);
        li.setAttribute("data-saved", "1");
      }).catch(function () { say(chart.getAttribute("data-failed") || "", true); });
    }

    tree.addEventListener("dragstart", function (event) {
      var card = event.target.closest(".orgchart-card");
      if (!card) return;
      dragged = card.parentElement;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.getAttribute("data-person"));
    });
    function targetOf(event) {
      var top = event.target.closest("[data-drop-top]");
      if (top) return top;
      var card = event.target.closest(".orgchart-card");
      return card && card.parentElement !== dragged ? card : null;
    }
    chart.addEventListener("dragover", function (event) {
      if (dragged && targetOf(event)) event.preventDefault();
    });
    chart.addEventListener("dragenter", function (event) {
      var target = dragged && targetOf(event);
      if (target) target.classList.add("drop-target");
    });
    chart.addEventListener("dragleave", function (event) {
      var target = targetOf(event);
      if (target) target.classList.remove("drop-target");
    });
    chart.addEventListener("drop", function (event) {
      var target = dragged && targetOf(event);
      if (!target) return;
      event.preventDefault();
      target.classList.remove("drop-target");
      move(dragged, target.hasAttribute("data-drop-top") ? null : target.parentElement);
      dragged = null;
    });
  }

  document.querySelectorAll(".orgchart").forEach(setup);
})();
