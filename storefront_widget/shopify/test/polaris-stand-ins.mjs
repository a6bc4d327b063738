// Stand-ins for the Polaris web components the spend-points checkout extension renders (s-stack, s-heading,
// s-text, s-button, s-number-field, s-banner). Shopify's host draws them with polaris.js, from its CDN and out
// of reach here; unknown to Chromium, they would show bare text, no button and no field. Each stand-in puts in
// its shadow root the native element Polaris does, so a browser test (tests/browser) sees, operates and checks
// with axe-core what a buyer would: the attributes and events the extension uses, nothing more.
const styles = `
  :host {display: block; font: 16px/1.5 system-ui, sans-serif; color: #202223}
  h2 {font-size: 1.125rem; margin: 0}
  button {font: inherit; padding: 0.5rem 1rem; border: 1px solid #202223; border-radius: 0.5rem; background: #fff;
    color: #202223; min-height: 44px; max-width: 100%; text-align: start}
  label {display: grid; gap: 0.25rem}
  input {font: inherit; padding: 0.5rem; border: 1px solid #5c5f62; border-radius: 0.5rem; max-width: 12rem}
  [role] {padding: 0.75rem; border-radius: 0.5rem; border-inline-start: 0.25rem solid #5c5f62; background: #f6f6f7}
  [data-tone='success'] {border-color: #007f5f}
  [data-tone='warning'] {border-color: #b98900}
  [data-tone='critical'] {border-color: #d72c0d}
`;

class Drawn extends HTMLElement {
  constructor(html) {
    super();
    this.attachShadow({mode: 'open'}).innerHTML = `<style>${styles}</style>${html}`;
  }

  part(selector) {
    return this.shadowRoot.querySelector(selector);
  }
}

class Stack extends Drawn {
  constructor() {
    super('<style>:host {display: flex; flex-direction: column; gap: 0.75rem}</style><slot></slot>');
  }
}

class Heading extends Drawn {
  constructor() {
    super('<h2><slot></slot></h2>');
  }
}

class Text extends Drawn {
  constructor() {
    super('<slot></slot>');
  }
}

// A click on the inner button reaches the extension's listener on the element itself (click is composed).
class Button extends Drawn {
  static observedAttributes = ['disabled'];

  constructor() {
    super('<button type="button"><slot></slot></button>');
  }

  get disabled() {
    return this.hasAttribute('disabled');
  }

  set disabled(value) {
    this.toggleAttribute('disabled', Boolean(value));
  }

  attributeChangedCallback() {
    this.part('button').disabled = this.disabled;
  }
}

// The buyer's typing is reported as a `change` of the element, whose `value` is the field's.
class NumberField extends Drawn {
  static observedAttributes = ['label', 'min', 'max', 'step'];

  constructor() {
    super('<label><span></span><input type="number" inputmode="numeric"></label>');
    this.part('input').addEventListener('change', () => this.dispatchEvent(new Event('change', {bubbles: true})));
  }

  get value() {
    return this.part('input').value;
  }

  set value(value) {
    this.part('input').value = value;
  }

  attributeChangedCallback(name, _old, value) {
    if (name === 'label') this.part('span').textContent = value;
    else this.part('input').setAttribute(name, value);
  }
}

// Critical news interrupts (alert); the rest is read out when the screen reader is free (status).
class Banner extends Drawn {
  static observedAttributes = ['tone'];

  constructor() {
    super('<div role="status"><slot></slot></div>');
  }

  attributeChangedCallback(_name, _old, tone) {
    const box = this.part('div');
    box.dataset.tone = tone;
    box.setAttribute('role', tone === 'critical' ? 'alert' : 'status');
  }
}

const components = {
  's-stack': Stack,
  's-heading': Heading,
  's-text': Text,
  's-button': Button,
  's-number-field': NumberField,
  's-banner': Banner,
};
for (const [name, component] of Object.entries(components)) customElements.define(name, component);
