// The loyalty page in customer accounts: what the storefront widget shows a member (balance, pending points,
// tier and progress, codes, rewards to redeem, history), from the same member API, in Shopify's components.
// A member may leave the program here as easily as they joined.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {callMemberApi} from '../../../shared/member-api.js';

// A code still being made (202) is asked for again with the same request id, every 3 s for half a minute.
const POLL_MS = 3000;
const POLLS = 10;

export default function extension() {
  render(<LoyaltyPage />, document.body);
}

const t = (key, options) => shopify.i18n.translate(key, options);
const number = (value) => shopify.i18n.formatNumber(value);
const date = (iso) => shopify.i18n.formatDate(new Date(iso), {dateStyle: 'medium'});
const money = (value, currency) => shopify.i18n.formatCurrency(value, {currency});
// A text about a number of points: its plural form by the number, the number as the customer's locale writes it.
const points = (key, count, options = {}) => t(key, {count, points: number(count), ...options});

function requestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

// A variable reward's points to spend (what the customer chose, within what they may spend now) and what they buy.
function choice(reward, chosen) {
  const spent = Math.max(reward.least, Math.min(chosen ?? reward.least, reward.most));
  const value = (Number(reward.amount) * spent) / reward.points;
  let offer = t('off', {value: money(value, reward.currency)});
  if (reward.order_share) {
    offer += `, ${t('minOrder', {value: money((value * 100) / Number(reward.order_share), reward.currency)})}`;
  }
  return {spent, offer};
}

function LoyaltyPage() {
  const language = shopify.localization.extensionLanguage.value.isoCode;
  const [card, setCard] = useState(null);
  const [failed, setFailed] = useState(false);
  const [notice, setNotice] = useState(null); // what the customer's last action came to: {tone, text}
  const [asking, setAsking] = useState(null); // the reward whose spending waits for the customer's yes
  const [busy, setBusy] = useState(null); // the reward being redeemed: one click makes one code
  const [chosen, setChosen] = useState({}); // the points chosen on each variable reward
  const [leaving, setLeaving] = useState(false); // leaving waits for the customer's yes

  useEffect(() => {
    callMemberApi('member', {language}).then((answer) => {
      if (answer?.status === 200) setCard(answer.data);
      else setFailed(true);
    });
  }, []);

  async function join() {
    setBusy('join');
    const answer = await callMemberApi('opt-in', {body: {consent: true}, language});
    setBusy(null);
    if (answer?.status === 200) setCard(answer.data);
    setNotice(answer?.status === 200 ? {tone: 'success', text: t('joined')} : {tone: 'critical', text: t('error')});
  }

  async function leave() {
    setLeaving(false);
    setBusy('leave');
    const answer = await callMemberApi('opt-out', {body: {consent: false}, language});
    setBusy(null);
    if (answer?.status === 200) setCard(answer.data); // no longer a member: the page offers joining again
    setNotice(answer?.status === 200 ? {tone: 'success', text: t('left')} : {tone: 'critical', text: t('error')});
  }

  async function redeem(reward) {
    setAsking(null);
    setBusy(reward.id);
    // A variable reward takes exactly the points chosen; a fixed one its own.
    const variable = reward.least !== undefined ? choice(reward, chosen[reward.id]) : null;
    const spent = variable ? variable.spent : reward.points;
    const click = {reward_id: reward.id, request_id: requestId(), points: variable?.spent};
    let answer = await callMemberApi('redeem', {body: click, language});
    // 202: the platform is still making the code. The same request again only reads what became of it.
    const waited = answer?.status === 202;
    if (waited) setNotice({tone: 'info', text: points('codeComing', spent)});
    for (let poll = 0; answer?.status === 202 && poll < POLLS; poll++) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      answer = await callMemberApi('redeem', {body: click, language});
    }
    setBusy(null);
    if (answer?.data?.state) setCard(answer.data.state);
    if (answer?.status === 200) {
      setNotice({tone: 'success', text: points('yourCode', spent, {code: answer.data.redemption.code})});
    } else if (answer?.status === 502) {
      setNotice({tone: 'critical', text: t('refused')});
    } else if (waited) {
      setNotice({tone: 'info', text: t('codeLater')}); // the codes list shows it once it is there
    } else {
      setNotice({tone: 'critical', text: t(answer?.status === 409 ? 'notEnough' : 'error')});
    }
  }

  let content;
  if (failed) content = <s-banner tone="critical">{t('failed')}</s-banner>;
  else if (!card) content = <s-text>{t('loading')}</s-text>;
  // Shopify names the customer in the token only to apps allowed to see protected customer data.
  else if (!card.signed_in) content = <s-banner tone="warning">{t('unavailable')}</s-banner>;
  else if (!card.member) {
    // A member who left keeps the codes they made (valid until their end date): shown under the offer to join.
    content = (
      <s-stack gap="base">
        <Join card={card} busy={busy === 'join'} onJoin={join} />
        <Codes card={card} />
      </s-stack>
    );
  } else {
    content = (
      <s-stack gap="base">
        <Balance card={card} />
        <Codes card={card} />
        <Rewards
          card={card}
          asking={asking}
          busy={busy}
          chosen={chosen}
          onAsk={setAsking}
          onChoose={(reward, spent) => setChosen({...chosen, [reward.id]: spent})}
          onRedeem={redeem}
        />
        <History card={card} />
        <Leave
          card={card}
          asking={leaving}
          busy={busy}
          onAsk={() => setLeaving(true)}
          onCancel={() => setLeaving(false)}
          onLeave={leave}
        />
      </s-stack>
    );
  }
  return (
    <s-page heading={t('heading')}>
      <s-stack gap="base">
        {notice && <s-banner tone={notice.tone}>{notice.text}</s-banner>}
        {content}
      </s-stack>
    </s-page>
  );
}

function Join({card, busy, onJoin}) {
  return (
    <s-section heading={t('joinTitle')}>
      <s-stack gap="base">
        {/* The card offers the welcome bonus only when joining now pays it: not again to a member who had it. */}
        {card.join.signup_bonus > 0 && <s-text>{points('joinBonus', card.join.signup_bonus)}</s-text>}
        <s-text color="subdued">{card.join.consent}</s-text>
        <s-button variant="primary" loading={busy} onClick={onJoin}>
          {t('join')}
        </s-button>
      </s-stack>
    </s-section>
  );
}

function Balance({card}) {
  const next = card.next_tier;
  const toNext = next && points('toNext', next.to_go, {tier: next.name});
  return (
    <s-section heading={t('balance')}>
      <s-stack gap="small-200">
        <s-text type="strong">{points('available', card.available)}</s-text>
        {card.pending > 0 && <s-text color="subdued">{points('pending', card.pending)}</s-text>}
        {card.expiring && (
          <s-text color="subdued">{points('expiring', card.expiring.points, {date: date(card.expiring.date)})}</s-text>
        )}
        {card.tier && <s-text>{t('tier', {tier: card.tier})}</s-text>}
        {next && <s-progress value={card.lifetime} max={card.lifetime + next.to_go} accessibilityLabel={toNext} />}
        {next && <s-text color="subdued">{toNext}</s-text>}
      </s-stack>
    </s-section>
  );
}

function Codes({card}) {
  if (!card.codes.length) return null;
  return (
    <s-section heading={t('codes')}>
      <s-stack gap="base">
        {!card.member && <s-text color="subdued">{t('keptCodes')}</s-text>}
        {card.codes.map((code) => (
          <s-stack key={code.redemption} gap="small-200">
            {/* No text before the platform has made the code, nor for store credit: nothing to type or copy. */}
            {code.code && <s-text type="strong">{code.code}</s-text>}
            <s-text color="subdued">
              {code.title} ·{' '}
              {code.status === 'reserved' ? t('onItsWay') : t('validUntil', {date: date(code.expires_at)})}
            </s-text>
            {code.code && (
              <s-stack direction="inline">
                <s-clipboard-item
                  id={`code-${code.redemption}`}
                  text={code.code}
                  onCopy={() => shopify.toast.show(t('copied'))}
                />
                <s-button variant="secondary" command="--copy" commandFor={`code-${code.redemption}`}>
                  {t('copy')}
                </s-button>
              </s-stack>
            )}
          </s-stack>
        ))}
      </s-stack>
    </s-section>
  );
}

function Rewards({card, asking, busy, chosen, onAsk, onChoose, onRedeem}) {
  if (!card.rewards.length) return null;
  return (
    <s-section heading={t('rewards')}>
      <s-stack gap="base">
        {card.rewards.map((reward) => {
          const variable = reward.least !== undefined ? choice(reward, chosen[reward.id]) : null;
          const spent = variable ? variable.spent : reward.points;
          const name = variable ? variable.offer : reward.title;
          if (asking === reward.id) {
            return (
              <s-stack key={reward.id} gap="small-200">
                <s-text>{points('confirmSpend', spent, {reward: name})}</s-text>
                <s-stack direction="inline" gap="small-200">
                  <s-button variant="primary" onClick={() => onRedeem(reward)}>
                    {t('confirm')}
                  </s-button>
                  <s-button variant="secondary" onClick={() => onAsk(null)}>
                    {t('cancel')}
                  </s-button>
                </s-stack>
              </s-stack>
            );
          }
          const short = Math.max(0, (reward.least ?? reward.points) - card.available);
          return (
            <s-stack key={reward.id} gap="small-200">
              <s-text type="strong">{reward.title}</s-text>
              {variable && reward.affordable && (
                <s-number-field
                  label={t('choose')}
                  min={reward.least}
                  max={reward.most}
                  step={reward.points}
                  value={String(spent)}
                  onChange={(event) => onChoose(reward, Number(event.currentTarget.value))}
                />
              )}
              <s-text color="subdued">
                {variable && !reward.affordable
                  ? points('from', reward.least)
                  : `${points('cost', spent)}${variable ? ` = ${variable.offer}` : ''}`}
              </s-text>
              {!reward.affordable && <s-text color="subdued">{points('needMore', short)}</s-text>}
              <s-button
                disabled={!reward.affordable || busy !== null}
                loading={busy === reward.id}
                onClick={() => onAsk(reward.id)}
              >
                {t('redeem')}
              </s-button>
            </s-stack>
          );
        })}
      </s-stack>
    </s-section>
  );
}

// What leaving does (members.opt_out): the points stay, but none are earned or spent until the customer joins
// again; they still expire as the program says, and codes already made stay valid.
function Leave({card, asking, busy, onAsk, onCancel, onLeave}) {
  if (!asking) {
    return (
      <s-button tone="critical" disabled={busy !== null} loading={busy === 'leave'} onClick={onAsk}>
        {t('leave')}
      </s-button>
    );
  }
  const expiring = card.expiring;
  return (
    <s-section heading={t('leaveTitle')}>
      <s-stack gap="base">
        {card.available > 0 && <s-text>{points('leaveKeeps', card.available)}</s-text>}
        <s-text>{t('leaveStops')}</s-text>
        {expiring && <s-text>{points('leaveExpiry', expiring.points, {date: date(expiring.date)})}</s-text>}
        {card.codes.some((code) => code.code) && <s-text>{t('leaveCodes')}</s-text>}
        <s-stack direction="inline" gap="small-200">
          <s-button variant="primary" tone="critical" onClick={onLeave}>
            {t('leaveConfirm')}
          </s-button>
          <s-button variant="secondary" onClick={onCancel}>
            {t('cancel')}
          </s-button>
        </s-stack>
      </s-stack>
    </s-section>
  );
}

function History({card}) {
  return (
    <s-section heading={t('history')}>
      {card.history.length ? (
        <s-stack gap="base">
          {card.history.map((entry, index) => (
            <s-stack key={index} direction="inline" justifyContent="space-between" gap="base">
              <s-stack gap="none">
                <s-text>{entry.reason}</s-text>
                <s-text color="subdued">{date(entry.date)}</s-text>
              </s-stack>
              {entry.points !== 0 && (
                <s-text tone={entry.points > 0 ? 'success' : 'critical'}>
                  {entry.points > 0 ? '+' : '−'}
                  {number(Math.abs(entry.points))}
                </s-text>
              )}
            </s-stack>
          ))}
        </s-stack>
      ) : (
        <s-text color="subdued">{t('noHistory')}</s-text>
      )}
    </s-section>
  );
}
