// The card capture widget (templates/billing/_card_capture.html). Submitting a form that holds
// one first gives the card to the processor from the browser (Stripe: Elements and
// confirmCardSetup, which runs 3-D Secure itself; sandbox: its stand-in endpoint), then submits
// the form with only the setup id. The card fields have no name, so no submit ever carries them.
// Included with each widget (pages swapped in by htmx too): it sets itself up once.
(function () {
  if (window.paydeskCardCapture) {
    window.paydeskCardCapture.mountAll();
    return;
  }
  var STRIPE_JS = "https://js.stripe.com/v3/";
  var stripeLoaded = null;

  function loadStripe() {
    if (!stripeLoaded) {
      stripeLoaded = new Promise(function (resolve, reject) {
        if (window.Stripe) return resolve();
        var script = document.createElement("script");
        script.src = STRIPE_JS;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("Stripe could not be reached.")); };
        document.head.appendChild(script);
      });
    }
    return stripeLoaded;
  }

  // Each widget's confirm(): a promise of the setup id.
  var confirms = new WeakMap();

  function mount(box) {
    if (confirms.has(box) || !box.dataset.processor) return;
    if (box.dataset.processor === "stripe") {
      var ready = loadStripe().then(function () {
        var stripe = window.Stripe(box.dataset.public);
        var card = stripe.elements().create("card");
        card.mount(box.querySelector("[data-stripe-element]"));
        return function () {
          return stripe
            .confirmCardSetup(box.dataset.secret, { payment_method: { card: card } })
            .then(function (result) {
              if (result.error) throw new Error(result.error.message);
              return result.setupIntent.id;
            });
        };
      });
      confirms.set(box, function () {
        return ready.then(function (confirm) { return confirm(); });
      });
    } else {
      confirms.set(box, function () { return sandboxConfirm(box); });
    }
  }

  function mountAll() {
    document.querySelectorAll("[data-card-capture]").forEach(mount);
  }

  // The stand-in processor answers as Stripe's API does: JSON, an `error` when it refuses.
  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "omit", // the processor's domain: no Paydesk cookie goes with the card
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (answer.error) throw new Error(answer.error.message);
        return answer;
      });
    });
  }

  function sandboxConfirm(box) {
    var value = function (name) { return box.querySelector('[data-card="' + name + '"]').value.trim(); };
    var expiry = value("expiry").split("/");
    return post(box.dataset.public, {
      client_secret: box.dataset.secret,
      number: value("number"),
      exp_month: (expiry[0] || "").trim(),
      exp_year: (expiry[1] || "").trim(),
      cvc: value("cvc"),
    }).then(function (answer) {
      if (answer.status === "requires_action") return challenge(box, answer.next_action.url);
      return answer.id;
    });
  }

  // The sandbox's 3-D Secure: the cardholder completes or fails the bank's challenge.
  function challenge(box, url) {
    var panel = box.querySelector("[data-challenge]");
    panel.hidden = false;
    return new Promise(function (resolve, reject) {
      panel.addEventListener("click", function answer(event) {
        var button = event.target.closest("[data-challenge-answer]");
        if (!button) return;
        panel.removeEventListener("click", answer);
        panel.hidden = true;
        post(url, { client_secret: box.dataset.secret, outcome: button.dataset.challengeAnswer })
          .then(function (state) { resolve(state.id); }, reject);
      });
    });
  }

  function showError(box, message) {
    var error = box.querySelector("[data-card-error]");
    error.textContent = message;
    error.hidden = !message;
  }

  // Capture phase on the document: runs before htmx's own submit handler on the form.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var box = form.querySelector("[data-card-capture]");
      if (!box) return;
      var setup = box.querySelector("input[type=hidden]");
      if (setup.value) return; // confirmed: let the form go with the setup id
      event.preventDefault();
      event.stopPropagation();
      mount(box);
      var confirm = confirms.get(box);
      if (!confirm || box.dataset.busy) return;
      box.dataset.busy = "1";
      showError(box, "");
      var submitter = event.submitter;
      confirm()
        .then(function (id) {
          setup.value = id;
          // The typed card is not needed any more: do not leave it in the page.
          box.querySelectorAll("[data-card]").forEach(function (input) { input.value = ""; });
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        })
        .catch(function (error) { showError(box, error.message); })
        .finally(function () { delete box.dataset.busy; });
    },
    true
  );

  document.addEventListener("htmx:load", mountAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
  window.paydeskCardCapture = { mountAll: mountAll };
})();
