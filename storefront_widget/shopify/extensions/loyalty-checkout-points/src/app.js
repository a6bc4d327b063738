// The app's address: the origin of shopify.app.toml's application_url (a test keeps the two equal).
// A checkout extension runs on Shopify's servers and cannot read the app's settings.
export const APP_URL = 'https://loyalty.example.com';
