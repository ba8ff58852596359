// The list of exports follows the builds under way without a reload of the whole page:
// it fetches the page again every few seconds and swaps the list and its summary, until
// nothing is queued or running. Without this script the page has a link that updates it.
(function () {
  "use strict";

  var LIST = "export-jobs";
  var SUMMARY = "export-summary";
  var REFRESH = "export-refresh";

  function busy(list) {
    // Someone about to delete, or moving through the list by keyboard, must not see it
    // change under them (nor lose their place): the swap waits for the next round.
    var focused = document.activeElement;
    return list.querySelector("details[open]") !== null ||
      (focused !== null && list.contains(focused) && keyboardFocus(focused));
  }

  function keyboardFocus(element) {
    try {
      return element.matches(":focus-visible");
    } catch (e) {
      return true;  // a browser that cannot tell: assume the keyboard, and wait
    }
  }

  function swap(fresh) {
    var list = document.getElementById(LIST);
    var newList = fresh.getElementById(LIST);
    if (!list || !newList) {
      return null;
    }
    list.replaceWith(newList);
    var summary = document.getElementById(SUMMARY);
    var newSummary = fresh.getElementById(SUMMARY);
    // Only a changed sentence is written, so screen readers announce changes, not ticks.
    if (summary && newSummary && summary.textContent !== newSummary.textContent) {
      summary.textContent = newSummary.textContent;
    }
    var refresh = document.getElementById(REFRESH);
    if (refresh && !fresh.getElementById(REFRESH)) {
      refresh.remove();
    }
    return newList;
  }

  function schedule(list) {
    var seconds = parseInt(list.getAttribute("data-refresh-seconds") || "", 10);
    if (!seconds || seconds < 1) {
      return;
    }
    window.setTimeout(function () {
      var current = document.getElementById(LIST);
      if (!current) {
        return;
      }
      if (document.hidden || busy(current)) {
        schedule(current);
        return;
      }
      fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var swapped = swap(fresh);
          if (swapped) {
            schedule(swapped);
          }
        })
        .catch(function () {
          // A network hiccup: try again later rather than stop following the build.
          schedule(current);
        });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById(LIST);
    if (list) {
      schedule(list);
    }
  });
})();
