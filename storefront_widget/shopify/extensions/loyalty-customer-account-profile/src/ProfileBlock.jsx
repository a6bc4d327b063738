// The points balance on the customer's profile page, and the way to the loyalty page (loyalty-customer-account).
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {callMemberApi} from '../../../shared/member-api.js';

// The full-page extension's address, by its handle.
const LOYALTY_PAGE = 'extension://loyalty-customer-account';

export default function extension() {
  render(<ProfileBlock />, document.body);
}

const t = (key, options) => shopify.i18n.translate(key, options);

function ProfileBlock() {
  const [card, setCard] = useState(null);

  useEffect(() => {
    const language = shopify.localization.extensionLanguage.value.isoCode;
    callMemberApi('member', {language}).then((answer) => {
      if (answer?.status === 200) setCard(answer.data);
    });
  }, []);

  // The profile page is about the customer's details: while the points load, or if they cannot be loaded or
  // shown, the block stays away rather than showing a spinner or an error there.
  if (!card?.signed_in) return null;
  const available = card.available;
  return (
    <s-section heading={t('heading')}>
      <s-stack gap="small-200">
        {card.member ? (
          <s-text>{t('balance', {count: available, points: shopify.i18n.formatNumber(available)})}</s-text>
        ) : (
          <s-text>{t('invitation')}</s-text>
        )}
        {card.member && card.tier && <s-text color="subdued">{t('tier', {tier: card.tier})}</s-text>}
        <s-link href={LOYALTY_PAGE}>{t(card.member ? 'open' : 'join')}</s-link>
      </s-stack>
    </s-section>
  );
}
