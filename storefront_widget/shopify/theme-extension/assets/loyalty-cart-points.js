// The cart block's script (blocks/cart-points.liquid): a signed-in member's balance and its worth, a button per
// reward they can pay for, and the code the app makes for the chosen one applied to this cart with the Ajax API.
// The app is asked through the app proxy (`<proxy>/api/checkout/...`), which Shopify signs with the customer.
(function () {
  'use strict';

  // A code still being made (202) is asked for again with the same request id, as the widget does.
  var POLLS = 10;
  var POLL_MS = 3000;

  function say(text, values) {
    return text.replace(/\[(\w+)\]/g, function (_, name) {
      return String(values[name]);
    });
  }

  function mount(root) {
    var texts = JSON.parse(root.querySelector('[data-texts]').textContent);
    var proxy = root.dataset.proxy.replace(/\/$/, '');
    var cart = root.dataset.cart.replace(/\/$/, '');
    var lang = root.dataset.lang;
    var plural = new Intl.PluralRules(lang);
    var note = root.querySelector('[data-note]');
    var busy = false;

    function ask(action, body) {
      return fetch(proxy + '/api/checkout/' + action + '?lang=' + encodeURIComponent(lang), {
        method: body ? 'POST' : 'GET',
        headers: body ? {'Content-Type': 'application/json', Accept: 'application/json'} : {Accept: 'application/json'},
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'same-origin',
      }).then(function (response) {
        return response.json().then(function (answer) {
          return {status: response.status, body: answer};
        });
      });
    }

    function show(offer) {
      if (!offer.member) {
        root.hidden = true; // not in the program: nothing to spend
        return;
      }
      var count = offer.available;
      var form = plural.select(count) === 'one' ? '_one' : '_other';
      root.querySelector('[data-balance]').textContent = offer.value
        ? say(texts['balance' + form], {count: count, value: offer.value.text})
        : say(texts['balance_only' + form], {count: count});
      var list = root.querySelector('[data-rewards]');
      list.replaceChildren();
      offer.rewards
        .filter(function (reward) {
          return reward.affordable && (reward.kind !== 'variable_amount' || reward.most >= reward.least);
        })
        .forEach(function (reward) {
          list.appendChild(reward.kind === 'variable_amount' ? anyAmount(reward) : button(reward));
        });
      root.hidden = false;
    }

    function button(reward) {
      var spend = document.createElement('button');
      spend.type = 'button';
      spend.className = 'button button--secondary';
      spend.textContent = say(texts.spend, {points: reward.points, title: reward.title});
      spend.addEventListener('click', function () {
        use(reward);
      });
      return spend;
    }

    function anyAmount(reward) {
      var box = document.createElement('p');
      var label = document.createElement('label');
      var field = document.createElement('input');
      field.type = 'number';
      field.min = reward.least;
      field.max = reward.most;
      field.step = reward.points;
      field.value = reward.least;
      label.append(say(texts.choose_points, {least: reward.least, most: reward.most, step: reward.points}), ' ', field);
      var spend = document.createElement('button');
      spend.type = 'button';
      spend.className = 'button button--secondary';
      spend.textContent = texts.spend_chosen;
      spend.addEventListener('click', function () {
        use(reward, Number(field.value));
      });
      box.append(label, ' ', spend);
      return box;
    }

    function use(reward, points) {
      if (busy) return;
      busy = true;
      root.setAttribute('aria-busy', 'true');
      var click = {reward_id: reward.id, request_id: requestId(), points: points};
      var polls = 0;
      function attempt() {
        return ask('code', click).then(function (answer) {
          if (answer.status === 202 && polls++ < POLLS) {
            return new Promise(function (done) {
              setTimeout(done, POLL_MS);
            }).then(attempt);
          }
          return answer;
        });
      }
      attempt()
        .then(function (answer) {
          if (answer.body.offer) show(answer.body.offer);
          if (answer.status === 202) return texts.making;
          if (answer.status !== 200) return texts.failed;
          var code = answer.body.redemption.code;
          return applyToCart(code).then(function (applied) {
            var hours = answer.body.offer.code_hours;
            return say(applied ? texts.applied : texts.not_applied, {code: code, hours: hours});
          });
        })
        .catch(function () {
          return texts.failed;
        })
        .then(function (text) {
          note.textContent = text;
          busy = false;
          root.removeAttribute('aria-busy');
        });
    }

    // `discount` replaces the cart's codes: the ones already on it are sent along. The cart answers whether
    // the new one applies (a minimum order, say, may not be met yet).
    function applyToCart(code) {
      return fetch(cart + '.js', {headers: {Accept: 'application/json'}})
        .then(function (response) {
          return response.json();
        })
        .then(function (current) {
          var codes = (current.discount_codes || []).map(function (discount) {
            return discount.code;
          });
          return fetch(cart + '/update.js', {
            method: 'POST',
            headers: {'Content-Type': 'application/json', Accept: 'application/json'},
            body: JSON.stringify({discount: codes.concat([code]).join(',')}),
          });
        })
        .then(function (response) {
          return response.ok ? response.json() : {discount_codes: []};
        })
        .then(function (updated) {
          return (updated.discount_codes || []).some(function (discount) {
            return discount.code.toUpperCase() === code.toUpperCase() && discount.applicable;
          });
        });
    }

    ask('offer').then(
      function (answer) {
        if (answer.status === 200) show(answer.body);
      },
      function () {
        root.hidden = true;
      },
    );
  }

  function requestId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map
      .call(bytes, function (byte) {
        return byte.toString(16).padStart(2, '0');
      })
      .join('');
  }

  document.querySelectorAll('.loyalty-cart-points').forEach(mount);
})();
