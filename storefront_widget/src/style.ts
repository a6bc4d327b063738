// Shadow-DOM styles. Every colour, radius and font is a CSS custom property the theme may set on
// `loyalty-widget`; the launcher and panel are fixed-position so the page never moves when they appear.
// The text is in the page's own font, in two weights and three sizes (the close button's × aside): every other face
// or size is one more font the browser sets up to lay text out, a large part of what the widget costs the page.

export const STYLE = `
:host{--a:var(--loyalty-accent,#1f5f4a);--at:var(--loyalty-accent-text,#fff);--bg:var(--loyalty-background,#fff);
--fg:var(--loyalty-text,#1f2933);--mu:var(--loyalty-muted,#5f6b76);--ln:var(--loyalty-border,#e3e6e8);
--r:var(--loyalty-radius,12px);font:var(--loyalty-font,inherit);color:var(--fg)}
:host(:not([inline])){position:fixed;z-index:var(--loyalty-z-index,2147483000);bottom:var(--loyalty-offset-y,20px);
right:var(--loyalty-offset-x,20px)}
:host([position=left]){right:auto;left:var(--loyalty-offset-x,20px)}
:host([inline]){display:block;min-height:var(--loyalty-inline-height,480px)}
*{box-sizing:border-box}
button,a{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--loyalty-focus,#2b6cb0);outline-offset:2px}
.launcher{position:relative;display:flex;align-items:center;gap:.4em;height:48px;padding:0 18px;border:0;
border-radius:24px;background:var(--a);color:var(--at);font-weight:700;box-shadow:0 4px 14px rgba(0,0,0,.2)}
.badge{position:absolute;top:-8px;left:-6px;min-width:24px;padding:0 6px;border-radius:12px;background:var(--bg);
color:var(--a);font-size:.9em;line-height:24px;text-align:center;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.panel{display:flex;flex-direction:column;background:var(--bg);border-radius:var(--r);overflow:hidden}
:host(:not([inline])) .panel{position:fixed;bottom:calc(var(--loyalty-offset-y,20px) + 60px);
right:var(--loyalty-offset-x,20px);width:min(380px,calc(100vw - 24px));height:min(600px,calc(100vh - 110px));
box-shadow:0 10px 40px rgba(0,0,0,.25)}
:host([position=left]) .panel{right:auto;left:var(--loyalty-offset-x,20px)}
:host([inline]) .panel{height:var(--loyalty-inline-height,480px);border:1px solid var(--ln)}
.panel[hidden],[hidden]{display:none}
.head{display:flex;align-items:center;justify-content:space-between;padding:14px 18px;background:var(--a);color:var(--at)}
h2{margin:0;font-size:1em}
h3{margin:18px 0 8px;font-size:1em}
.close{border:0;background:none;color:var(--at);font-size:24px;line-height:1;width:36px;height:36px;border-radius:50%}
.body{flex:1;overflow:auto;padding:4px 18px 18px}
.big{font-size:2.2em;font-weight:700;line-height:1.1;margin:14px 0 0}
.mu{color:var(--mu);font-size:.9em;margin:4px 0}
.bar{height:8px;border-radius:4px;background:var(--ln);margin:6px 0}
.bar i{display:block;height:100%;border-radius:4px;background:var(--a)}
ul{list-style:none;margin:0;padding:0}
li{display:flex;justify-content:space-between;align-items:center;gap:10px;padding:9px 0;border-bottom:1px solid var(--ln)}
li div{min-width:0}
.pic{float:left;width:48px;height:48px;margin:2px 10px 0 0;object-fit:cover;border-radius:6px}
.wrap{flex-wrap:wrap}.acts{flex:1 1 auto;display:flex;flex-wrap:wrap;justify-content:flex-end;gap:6px}
li>.act,li>.acts{margin-left:auto}.ask p{margin:0}
.act{flex:none;display:inline-block;line-height:1.4;white-space:nowrap;border:0;border-radius:8px;padding:7px 12px;background:var(--a);color:var(--at);font-weight:700;text-decoration:none}
.act[disabled]{opacity:.45;cursor:default}
label,input{display:block;width:100%;margin:6px 0 0;accent-color:var(--a)}
.alt{background:none;color:var(--a);border:1px solid var(--a)}
.bd{display:flex;gap:8px;align-items:end}.bd div{flex:1}
.bd input{font:inherit}
code{font:inherit;font-weight:700;letter-spacing:.03em}
.plus{color:#1b7f3b;font-weight:700}.minus{color:#a1342a;font-weight:700}
.status{min-height:1.4em;margin:0;padding:0 18px 8px;font-size:.9em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;
