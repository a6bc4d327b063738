// The app's member API for customer accounts (storefront_widget/customer_account.py): the widget's calls,
// with the extension's session token as the customer's proof. The loyalty page and the profile block both
// import it: each extension's bundle (Shopify CLI's esbuild, build.mjs) takes it in from here.

// The app's origin: shopify.app.toml's application_url (a test keeps them equal).
export const APP_URL = 'https://loyalty.example.com';

// {status, data} of one call, or null when the line dropped. The server writes texts (reward titles, history
// reasons) in the language asked for.
export async function callMemberApi(path, {body, language} = {}) {
  try {
    const token = await shopify.sessionToken.get(); // a fresh one when the last has expired
    const response = await fetch(`${APP_URL}/customer-account/api/${path}?lang=${encodeURIComponent(language)}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : {'Content-Type': 'application/json'}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {status: response.status, data: await response.json()};
  } catch {
    return null;
  }
}
