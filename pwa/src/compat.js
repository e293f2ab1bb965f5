// Fallbacks for the older engines the app targets (Chrome 78-era WebViews:
// WeChat's, UC's, QQ's, the phone makers' browsers). Imported first by
// app.js. Only what the app calls and those engines lack; check-target.mjs
// refuses the rest at build time.

// Element.replaceChildren: Chrome 86.
function replaceChildren(...nodes) {
  while (this.lastChild) this.removeChild(this.lastChild);
  if (nodes.length) this.append(...nodes);
}
for (const proto of [typeof Element !== 'undefined' && Element.prototype,
  typeof Document !== 'undefined' && Document.prototype,
  typeof DocumentFragment !== 'undefined' && DocumentFragment.prototype]) {
  if (proto && !proto.replaceChildren) proto.replaceChildren = replaceChildren;
}
