/*
 * Spend loyalty points on a Saleor checkout. No framework, no build step.
 *
 * For a signed-in customer: shows their balance and what it is worth, a button per reward they can pay for, and
 * on a click asks the loyalty app for a code for this checkout (with the customer's Saleor access token; the
 * points are taken with the code), then applies it to the checkout with Saleor's `checkoutAddPromoCode`.
 * Left unused, the code expires after the program's checkout hours and the points come back. The sentences
 * come from the app, in the page's language.
 *
 *   LoyaltySaleorPoints.mount(document.getElementById("loyalty-points"), {
 *     saleorApiUrl: "https://shop.example.com/graphql/",
 *     loyaltyUrl: "https://loyalty.example.com",
 *     checkoutId: "Q2hlY2tvdXQ6...",
 *     accessToken: customerAccessToken,  // the signed-in customer's, from tokenCreate or tokenRefresh
 *     channel: "default-channel",
 *     locale: "nl",
 *     onApplied: function (checkout) { ... },  // optional: the checkout as Saleor answered, to show its new total
 *   });
 *
 * `LoyaltySaleorPoints.ADD_PROMO_CODE` is the mutation it sends, for a storefront that applies the code itself.
 */
(function (global) {
  "use strict";

  // A code still being made (202) is asked for again with the same request id, as the widget does.
  var POLLS = 10;
  var POLL_MS = 3000;

  var ADD_PROMO_CODE =
    "mutation LoyaltyApplyCode($id: ID!, $code: String!) {" +
    " checkoutAddPromoCode(id: $id, promoCode: $code) {" +
    " checkout { id voucherCode giftCards { last4CodeChars } totalPrice { gross { amount currency } } }" +
    " errors { field code message } } }";

  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function requestId() {
    var bytes = global.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function mount(container, options) {
    var base = options.loyaltyUrl.replace(/\/$/, "") + "/storefront/api/checkout/";
    var query = "?lang=" + encodeURIComponent(options.locale || "en") +
      (options.channel ? "&channel=" + encodeURIComponent(options.channel) : "");
    var plural = new Intl.PluralRules(options.locale || "en");
    var texts = null;
    var busy = false;
    var heading = document.createElement("h2");
    var balance = document.createElement("p");
    var rewards = document.createElement("div");
    var note = document.createElement("p");
    note.setAttribute("role", "status");
    container.hidden = true;
    container.append(heading, balance, rewards, note);

    function ask(action, body) {
      return fetch(base + action + query, {
        method: body ? "POST" : "GET",
        headers: {
          "Authorization": "Bearer " + options.accessToken,
          "Saleor-Api-Url": options.saleorApiUrl,
          "Content-Type": "application/json"
        },
        body: body ? JSON.stringify(body) : undefined
      }).then(function (response) {
        return response.json().then(function (answer) { return { status: response.status, body: answer }; });
      });
    }

    function show(offer) {
      if (!offer.member) { container.hidden = true; return; }
      var form = plural.select(offer.available) === "one" ? ".one" : ".other";
      heading.textContent = texts.heading;
      balance.textContent = offer.value
        ? say(texts["balance" + form], { count: offer.available, value: offer.value.text })
        : say(texts["balance_only" + form], { count: offer.available });
      rewards.replaceChildren();
      offer.rewards.forEach(function (reward) {
        if (!reward.affordable) { return; }
        if (reward.kind === "variable_amount") {
          if (reward.most >= reward.least) { rewards.appendChild(anyAmount(reward)); }
        } else {
          rewards.appendChild(button(say(texts.spend, { points: reward.points, title: reward.title }), function () {
            use(reward);
          }));
        }
      });
      container.hidden = false;
    }

    function button(label, onClick) {
      var spend = document.createElement("button");
      spend.type = "button";
      spend.textContent = label;
      spend.addEventListener("click", onClick);
      return spend;
    }

    function anyAmount(reward) {
      var line = document.createElement("p");
      var label = document.createElement("label");
      var field = document.createElement("input");
      field.type = "number";
      field.min = reward.least;
      field.max = reward.most;
      field.step = reward.points;
      field.value = reward.least;
      label.append(say(texts.choose_points, { least: reward.least, most: reward.most, step: reward.points }), " ", field);
      line.append(label, " ", button(texts.spend_chosen, function () { use(reward, Number(field.value)); }));
      return line;
    }

    function use(reward, points) {
      if (busy) { return; }
      busy = true;
      var click = { reward_id: reward.id, request_id: requestId(), points: points };
      var polls = 0;
      function attempt() {
        return ask("code", click).then(function (answer) {
          if (answer.status === 202 && polls++ < POLLS) {
            return new Promise(function (done) { setTimeout(done, POLL_MS); }).then(attempt);
          }
          return answer;
        });
      }
      attempt().then(function (answer) {
        if (answer.body.offer) { show(answer.body.offer); }
        if (answer.status === 202) { return texts.making; }
        if (answer.status !== 200) { return texts.failed; }
        var code = answer.body.redemption.code;
        var hours = answer.body.offer.code_hours;
        return applyToCheckout(code).then(function (applied) {
          return say(applied ? texts.applied : texts.not_applied, { code: code, hours: hours });
        });
      }).catch(function () { return texts.failed; }).then(function (text) {
        note.textContent = text;
        busy = false;
      });
    }

    // The checkout belongs to the signed-in customer: Saleor is asked with their token.
    function applyToCheckout(code) {
      return fetch(options.saleorApiUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + options.accessToken },
        body: JSON.stringify({ query: ADD_PROMO_CODE, variables: { id: options.checkoutId, code: code } })
      }).then(function (response) { return response.json(); }).then(function (body) {
        var added = body.data && body.data.checkoutAddPromoCode;
        if (options.onApplied && added && added.checkout) { options.onApplied(added.checkout); }
        return Boolean(added && added.checkout && !(body.errors || []).length && !added.errors.length);
      }, function () { return false; });
    }

    ask("offer").then(function (answer) {
      if (answer.status !== 200) { return; }
      texts = answer.body.texts;
      show(answer.body);
    }, function () { container.hidden = true; });
  }

  global.LoyaltySaleorPoints = { mount: mount, ADD_PROMO_CODE: ADD_PROMO_CODE };
})(window);
