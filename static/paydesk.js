// Paydesk's only script: htmx settings, the time zone, closing in-place forms, panel refreshes,
// printing. No inline script anywhere: the Content-Security-Policy would block it.
(function () {
  // Swap 422 (invalid input) like 200 so field errors appear in place; keep htmx 2's defaults
  // for everything else (204 = nothing to swap, other 4xx/5xx = error, not swapped).
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    // The session ended: the server says so with a session-expired event (below).
    { code: "401", swap: false },
    { code: "[45]..", swap: false, error: true },
  ];

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    // Times are shown in the user's zone; the server learns it once per session.
    if (body.dataset.tzUrl && !body.dataset.tz && window.Intl) {
      var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var data = new FormData();
      data.append("tz", tz);
      fetch(body.dataset.tzUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": body.dataset.csrf },
        credentials: "same-origin",
      });
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
    var close = event.target.closest("[data-close]");
    // Outside a slot (the form's own page, no JavaScript) Cancel is a plain link back.
    if (close && closeSlot(close.closest("[data-slot]"))) event.preventDefault();
  });

  // Escape closes the in-place form that holds the focus.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !document.activeElement) return;
    var slot = document.activeElement.closest("[data-slot]");
    if (slot && slot.firstElementChild) {
      event.preventDefault();
      closeSlot(slot);
    }
  });

  // The link that opened a slot's form gets the focus back when the form closes.
  var openedBy = new WeakMap();
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.matches("[data-slot]")) openedBy.set(target, event.detail.elt);
  });

  function closeSlot(slot) {
    if (!slot) return false;
    slot.innerHTML = "";
    var opener = openedBy.get(slot);
    if (opener && opener.isConnected) opener.focus();
    return true;
  }

  // A panel refreshing after someone else's change must not wipe out a form the user has just
  // opened in it, nor the slot a form is on its way to (a link clicked while the refresh was
  // in flight); the panel refreshes again when that form's own action completes. Only the
  // panel's own refresh yields: a page the user asked for ("Older invoices") is swapped in,
  // though its link is itself a request in flight. (The request's element is the config's:
  // the event's own `elt` is the target the server retargeted to.)
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    var refresh = config && config.verb === "get" && config.elt === target;
    if (!refresh || !target.matches("section.panel")) return;
    if (target.querySelector("form.action-form, a.htmx-request")) {
      event.detail.shouldSwap = false;
    }
  });

  // Keyboard users land in the form they just opened, or on the first field in error.
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.detail.target; // none when htmx restores a page from its history
    if (!root || !root.matches("[data-slot], .action-form")) return;
    var field = root.querySelector(".has-error :is(input, select, textarea)") ||
      root.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus();
  });

  // The sale grid: "Add a line" clones the template row instead of reloading the page (the
  // button still works without JavaScript); "Remove" hides a row and the summary recounts.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-line]");
    if (!add) return;
    var grid = add.closest("[data-lines]");
    var total = grid.querySelector("input[name$='-TOTAL_FORMS']");
    var max = grid.querySelector("input[name$='-MAX_NUM_FORMS']");
    var count = parseInt(total.value, 10);
    if (count >= parseInt(max.value, 10)) return; // the server says there are too many
    event.preventDefault();
    var html = grid.querySelector("template[data-line-template]").innerHTML;
    var body = grid.querySelector("tbody");
    body.insertAdjacentHTML("beforeend", html.replace(/__prefix__/g, String(count)));
    total.value = String(count + 1);
    var row = body.lastElementChild;
    htmx.process(row);
    row.querySelector("select, input:not([type=hidden])").focus();
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches("[data-lines] input[name$='-DELETE']")) return;
    var row = box.closest("tr");
    row.hidden = box.checked;
    if (box.checked) {
      var next = row.parentElement.querySelector("tr:not([hidden]) select");
      var add = row.closest("[data-lines]").querySelector("[data-add-line]");
      (next || add).focus();
    }
  });

  // The live sale summary lists the fields it cannot read; mark them in the grid too.
  document.addEventListener("htmx:afterSettle", function () {
    var summary = document.getElementById("sale-summary");
    if (!summary) return;
    document.querySelectorAll("[data-preview-invalid]").forEach(function (cell) {
      cell.removeAttribute("data-preview-invalid");
      cell.classList.remove("has-error");
      cell.querySelectorAll("[aria-invalid]").forEach(function (el) {
        el.removeAttribute("aria-invalid");
      });
    });
    (summary.dataset.invalid || "").split(" ").forEach(function (id) {
      var field = id && document.getElementById(id);
      var cell = field && field.closest(".cell, .field");
      if (!cell || cell.classList.contains("has-error")) return;
      field.setAttribute("aria-invalid", "true");
      cell.classList.add("has-error");
      cell.setAttribute("data-preview-invalid", "");
    });
  });

  // Say what happened after an action, for everyone (aria-live) and not only sighted users.
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("money-changed", showMessage);
    document.body.addEventListener("money-changed", refreshOtherPanels);
  });

  // The panel that acted has already swapped in its answer; the others refresh. Done here and
  // not with an hx-trigger filter, because filters need eval, which the CSP forbids.
  // Logging in again (in another tab, after the session expired) rotates the CSRF token, so a
  // form rendered before still carries the old one: send the cookie's current token instead.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (!match) return;
    event.detail.headers["X-CSRFToken"] = match[1];
    if (event.detail.parameters.csrfmiddlewaretoken !== undefined) {
      event.detail.parameters.csrfmiddlewaretoken = match[1];
    }
  });

  // The form stays as typed; the rep logs in again in another tab and submits once more.
  document.addEventListener("session-expired", function (event) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    flash.innerHTML = "";
    var p = document.createElement("p");
    p.className = "message error";
    p.setAttribute("role", "alert");
    p.append("Your session has expired. ");
    var link = document.createElement("a");
    link.href = (event.detail && event.detail.login) || "/login/";
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "Log in again in a new tab";
    p.append(link, ", then submit again: what you typed is kept.");
    flash.appendChild(p);
  });

  function refreshOtherPanels(event) {
    var origin = event.detail && event.detail.panel;
    document.querySelectorAll("[data-refresh-on-money]").forEach(function (panel) {
      if (panel.id !== origin) htmx.trigger(panel, "money-changed-elsewhere");
    });
  }
  function showMessage(event) {
    var flash = document.getElementById("flash");
    if (flash && event.detail && event.detail.message) {
      flash.innerHTML = "";
      var p = document.createElement("p");
      p.className = "message success";
      p.textContent = event.detail.message;
      flash.appendChild(p);
    }
  }
})();
