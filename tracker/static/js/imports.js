// An import's page (and the history's line of one) follows the worker without a reload:
// every few seconds it asks the import's status, moves the progress bar, and says every
// tenth of the way to screen readers; once the preview or the import has ended (the phase
// changed) it loads the page again to show the result. Without this script the page has a
// link that updates it, and reloads itself.
(function () {
  "use strict";

  function setProgress(box, status) {
    var bar = box.querySelector("[role=progressbar]");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(status.progress));
      bar.setAttribute("aria-valuetext", status.percent);
      if (bar.firstElementChild) {
        bar.firstElementChild.style.width = status.progress + "%";
      }
    }
    var percent = box.querySelector("[data-percent]");
    if (percent) {
      percent.textContent = status.percent;
    }
    var announce = box.querySelector("[data-progress-announce]");
    var step = Math.floor(status.progress / 10);
    // Only each tenth of the way is said, so a screen reader is not read every tick.
    if (announce && announce.getAttribute("data-step") !== String(step)) {
      announce.setAttribute("data-step", String(step));
      announce.textContent = status.label + ": " + status.percent;
    }
  }

  function follow(box) {
    var url = box.getAttribute("data-status-url");
    var phase = box.getAttribute("data-phase");
    var seconds = parseInt(box.getAttribute("data-refresh-seconds") || "3", 10);
    if (!url || !seconds || seconds < 1) {
      return;
    }

    function later() {
      window.setTimeout(look, seconds * 1000);
    }

    function look() {
      if (document.hidden) {
        later();
        return;
      }
      fetch(url, {credentials: "same-origin", cache: "no-store",
                  headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (status) {
          if (status.phase !== phase) {
            window.location.reload();
            return;
          }
          setProgress(box, status);
          later();
        })
        .catch(function () {
          // A network hiccup: look again later rather than stop following the work.
          later();
        });
    }

    later();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-status-url]");
    for (var i = 0; i < boxes.length; i++) {
      follow(boxes[i]);
    }
  });
})();
