// The pipeline board's drag and drop (a file: the Content-Security-Policy allows no inline
// script; URLs and the message come from the board's data attributes).
(function () {
  var status = document.getElementById("board-status");
  var csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  var board = document.querySelector(".pipeline-board");
  var dragged = null;
  document.querySelectorAll(".pipeline-board .card").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.setData("text/plain", card.dataset.id);
    });
  });
  document.querySelectorAll(".pipeline-column").forEach(function (column) {
    column.addEventListener("dragover", function (event) { event.preventDefault(); column.classList.add("over"); });
    column.addEventListener("dragleave", function () { column.classList.remove("over"); });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      column.classList.remove("over");
      var card = dragged;
      if (!card || card.closest(".pipeline-column") === column) return;
      var url = board.dataset.moveUrl.replace("/0/", "/" + card.dataset.id + "/");
      if (column.dataset.closed) {  // won and lost need a reason: the opportunity's page asks
        window.location = board.dataset.opportunityUrl.replace("/0/", "/" + card.dataset.id + "/") + "?move_to=" + column.dataset.stage + "#move";
        return;
      }
      var body = new URLSearchParams({stage: column.dataset.stage, version: card.dataset.version});
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
        .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (result) {
          var data = result[1];
          status.textContent = data.message;
          status.className = result[0] ? "notice success" : "notice warning";
          if (result[0]) {
            var from = card.closest(".pipeline-column");
            card.dataset.version = data.version;
            column.querySelector(".cards").appendChild(card);
            [[from, -1], [column, 1]].forEach(function (pair) {
              var count = pair[0].querySelector(".column-count");
              count.textContent = parseInt(count.textContent, 10) + pair[1];
            });
          }
        })
        .catch(function () { status.textContent = board.dataset.moveFailed; status.className = "notice warning"; });
    });
  });
})();
