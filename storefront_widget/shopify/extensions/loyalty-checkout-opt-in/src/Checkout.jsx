// The loyalty opt-in checkbox in checkout: writes the cart attribute the order webhook reads.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useState} from 'preact/hooks';

const ATTRIBUTE = 'loyalty_opt_in';

export default function extension() {
  render(<OptIn />, document.body);
}

function OptIn() {
  const [failed, setFailed] = useState(false);
  // Accelerated checkouts and some draft flows cannot take attributes: show nothing rather than a dead box.
  if (!shopify.instructions.value.attributes.canUpdateAttributes) {
    return null;
  }
  const current = shopify.attributes.value.find((attribute) => attribute.key === ATTRIBUTE);
  const checked = current?.value === 'yes';

  async function change(event) {
    const result = await shopify.applyAttributeChange({
      type: 'updateAttribute',
      key: ATTRIBUTE,
      value: event.currentTarget.checked ? 'yes' : 'no',
    });
    setFailed(result.type === 'error');
  }

  return (
    <s-stack gap="small-200">
      <s-checkbox checked={checked} label={shopify.i18n.translate('label')} onChange={change} />
      <s-text color="subdued">{shopify.i18n.translate('details')}</s-text>
      {failed && <s-banner tone="critical">{shopify.i18n.translate('failed')}</s-banner>}
    </s-stack>
  );
}
