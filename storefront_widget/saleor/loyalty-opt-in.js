/*
 * Loyalty opt-in for a Saleor checkout page. No framework, no build step.
 *
 * Shows a checkbox; ticking it writes the checkout's public metadata `loyalty_opt_in` ("true"/"false")
 * with Saleor's `updateMetadata` (public checkout metadata needs no login). Saleor copies checkout
 * metadata into the order, where the loyalty app reads it. Then it asks the loyalty app for the points
 * estimate; the app computes it from Saleor's own checkout and writes `loyalty_points_estimate` on the
 * checkout, so the order-confirmation e-mail can show it.
 *
 *   LoyaltySaleorOptIn.mount(document.getElementById("loyalty-opt-in"), {
 *     saleorApiUrl: "https://shop.example.com/graphql/",
 *     loyaltyUrl: "https://loyalty.example.com",
 *     checkoutId: "Q2hlY2tvdXQ6...",
 *     locale: "nl",               // "nl" or "en"
 *   });
 *
 * Call `.refresh()` on the returned handle after the cart changes, so the estimate follows the cart.
 */
(function (global) {
  "use strict";

  var OPT_IN_KEY = "loyalty_opt_in";

  var TEXTS = {
    en: {
      label: "Yes, I want to save loyalty points with this order",
      estimate: function (points) { return "You will earn " + points + " points with this order."; },
      failed: "Your choice could not be saved. Please try again."
    },
    nl: {
      label: "Ja, ik wil spaarpunten sparen met deze bestelling",
      estimate: function (points) { return "Je verdient " + points + " punten met deze bestelling."; },
      failed: "Je keuze kon niet worden opgeslagen. Probeer het opnieuw."
    }
  };

  var UPDATE_METADATA =
    "mutation LoyaltyOptIn($id: ID!, $input: [MetadataInput!]!) {" +
    " updateMetadata(id: $id, input: $input) { errors { field code message } } }";

  function saveOptIn(options, optedIn) {
    return fetch(options.saleorApiUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        query: UPDATE_METADATA,
        variables: { id: options.checkoutId, input: [{ key: OPT_IN_KEY, value: optedIn ? "true" : "false" }] }
      })
    }).then(function (response) { return response.json(); }).then(function (body) {
      var errors = (body.errors || []).concat((body.data && body.data.updateMetadata.errors) || []);
      if (errors.length) { throw new Error(errors[0].message); }
    });
  }

  function fetchEstimate(options) {
    return fetch(options.loyaltyUrl.replace(/\/$/, "") + "/saleor/checkout-estimate", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Saleor-Api-Url": options.saleorApiUrl },
      body: JSON.stringify({ checkoutId: options.checkoutId })
    }).then(function (response) {
      if (!response.ok) { throw new Error("estimate unavailable"); }
      return response.json();
    });
  }

  function mount(container, options) {
    var texts = TEXTS[options.locale] || TEXTS.en;
    var label = document.createElement("label");
    var box = document.createElement("input");
    var note = document.createElement("p");
    box.type = "checkbox";
    box.name = OPT_IN_KEY;
    box.checked = Boolean(options.checked);
    note.setAttribute("aria-live", "polite");
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + texts.label));
    container.appendChild(label);
    container.appendChild(note);

    function refresh() {
      // The app removes the estimate from the checkout when the box is not ticked.
      return fetchEstimate(options).then(function (answer) {
        note.textContent = answer.opted_in ? texts.estimate(answer.points) : "";
      }, function () { note.textContent = ""; });
    }

    box.addEventListener("change", function () {
      box.disabled = true;
      saveOptIn(options, box.checked).then(refresh, function () {
        box.checked = !box.checked;
        note.textContent = texts.failed;
      }).then(function () { box.disabled = false; });
    });

    if (box.checked) { saveOptIn(options, true).then(refresh); }
    return { refresh: refresh };
  }

  global.LoyaltySaleorOptIn = { mount: mount };
})(window);
