// Spend points on this checkout: a logged-in member sees their balance and what it is worth, picks a reward, the
// app makes a code for it (through the reservation: the points go once the code exists) and it is applied here.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {APP_URL} from './app.js';

// A code still being made (202) is asked for again with the same request id, as the widget does.
const POLLS = 10;
const POLL_MS = 3000;

export default function extension() {
  render(<SpendPoints />, document.body);
}

function SpendPoints() {
  const [offer, setOffer] = useState(null);
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);
  const t = shopify.i18n.translate;

  useEffect(() => {
    call('GET', 'offer').then(
      (answer) => (answer.ok ? setOffer(answer.body) : setNote({tone: 'critical', text: t('unavailable')})),
      () => setNote({tone: 'critical', text: t('unavailable')}),
    );
  }, []);

  // Accelerated checkouts cannot take discount codes: show nothing rather than buttons that fail.
  if (!shopify.instructions.value.discounts.canUpdateDiscountCodes) return null;
  if (offer && !offer.member) return null; // not logged in, or not in the program: nothing to spend
  if (!offer) return note ? <s-banner tone="critical">{note.text}</s-banner> : null;

  async function spend(reward, points) {
    setBusy(true);
    try {
      setNote(await applyCode(reward, points, setOffer));
    } finally {
      setBusy(false);
    }
  }

  const count = offer.available;
  const rewards = offer.rewards.filter((reward) => reward.affordable);
  return (
    <s-stack gap="small-200">
      <s-heading>{t('heading')}</s-heading>
      <s-text>
        {offer.value ? t('balance', {count, value: offer.value.text}) : t('balanceOnly', {count})}
      </s-text>
      {rewards.map((reward) =>
        reward.kind === 'variable_amount' ? (
          <AnyAmount key={reward.id} reward={reward} busy={busy} onSpend={spend} />
        ) : (
          <s-button key={reward.id} disabled={busy} onClick={() => spend(reward)}>
            {t('spend', {points: reward.points, title: reward.title})}
          </s-button>
        ),
      )}
      {note && <s-banner tone={note.tone}>{note.text}</s-banner>}
    </s-stack>
  );
}

function AnyAmount({reward, busy, onSpend}) {
  const [points, setPoints] = useState(reward.least);
  const t = shopify.i18n.translate;
  if (reward.most < reward.least) return null;
  return (
    <s-stack gap="small-100">
      <s-number-field
        label={t('choosePoints', {least: reward.least, most: reward.most, step: reward.points})}
        min={reward.least}
        max={reward.most}
        step={reward.points}
        value={String(points)}
        onChange={(event) => setPoints(Number(event.currentTarget.value))}
      />
      <s-button disabled={busy} onClick={() => onSpend(reward, points)}>
        {t('spendChosen')}
      </s-button>
    </s-stack>
  );
}

// Make the code and apply it; what the buyer is told.
async function applyCode(reward, points, setOffer) {
  const t = shopify.i18n.translate;
  const click = {reward_id: reward.id, request_id: crypto.randomUUID(), points};
  let answer = await call('POST', 'code', click).catch(() => null);
  for (let poll = 0; answer?.status === 202 && poll < POLLS; poll++) {
    await new Promise((done) => setTimeout(done, POLL_MS));
    answer = await call('POST', 'code', click).catch(() => null);
  }
  if (answer?.body?.offer) setOffer(answer.body.offer);
  if (answer?.status === 202) return {tone: 'warning', text: t('making')};
  if (answer?.status !== 200) return {tone: 'critical', text: t('failed')};
  const {code} = answer.body.redemption;
  const applied = await shopify.applyDiscountCodeChange({type: 'addDiscountCode', code});
  if (applied.type !== 'success') return {tone: 'warning', text: t('notApplied', {code})};
  return {tone: 'success', text: t('applied', {code, hours: answer.body.offer.code_hours})};
}

async function call(method, action, body) {
  const token = await shopify.sessionToken.get();
  const language = shopify.localization.extensionLanguage.value.isoCode;
  const response = await fetch(`${APP_URL}/checkout/api/${action}?lang=${encodeURIComponent(language)}`, {
    method,
    headers: {Authorization: `Bearer ${token}`, ...(body ? {'Content-Type': 'application/json'} : {})},
    body: body ? JSON.stringify(body) : undefined,
  });
  return {ok: response.ok, status: response.status, body: await response.json()};
}
