// The exact points an order earned, from the $app order metafield the app writes after processing it.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';

export default function extension() {
  render(<OrderPoints />, document.body);
}

function OrderPoints() {
  // App-owned metafields arrive with the namespace written as `$app`, as the extension's TOML asks for them.
  const entry = shopify.appMetafields.value.find(
    ({metafield}) => metafield.namespace === '$app' && metafield.key === 'points_earned',
  );
  const points = entry ? Number(entry.metafield.value) : null;
  if (points === 0) {
    return null; // not opted in, or nothing to earn
  }
  return (
    <s-banner heading={shopify.i18n.translate('heading')}>
      <s-text>
        {points === null
          ? shopify.i18n.translate('pending')
          : shopify.i18n.translate('earned', {count: points})}
      </s-text>
    </s-banner>
  );
}
