// Accessibility basics of the page shown, checked in the browser after it rendered
// (WCAG 2.1 AA where a script can tell): the document's language, a name for every
// control, link and button, no control taken out of the keyboard order, alt text for
// images, and text contrast (4.5:1, or 3:1 for large text) against the background it is
// drawn on. Returns the problems found, one line each.
() => {
  const problems = [];
  const brief = (el) => el.outerHTML.slice(0, 90);
  if (!document.documentElement.lang) problems.push("the page has no lang attribute");
  const hasName = (el) =>
    Boolean(
      el.getAttribute("aria-label") ||
        el.getAttribute("aria-labelledby") ||
        el.title ||
        (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
        el.closest("label")
    );
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, progress")) {
    if (!hasName(el)) problems.push(`a control without a label: ${brief(el)}`);
  }
  for (const el of document.querySelectorAll("button, a[href], summary")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label")))
      problems.push(`a link or button without a name: ${brief(el)}`);
  }
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.getAttribute("tabindex") && Number(el.getAttribute("tabindex")) < 0)
      problems.push(`out of the keyboard order: ${brief(el)}`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`an image without alt text: ${brief(el)}`);
  }
  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return p.length === 3 ? [...p, 1] : p;
  };
  const luminance = ([r, g, b]) => {
    const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const backdrop = (el) => {
    // the first opaque background up the tree, blending translucent ones over it
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    let base = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse())
      base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
    return base;
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("[hidden], :disabled, option, script, style")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.getClientRects().length === 0) continue;
    const fg = rgba(style.color);
    const bg = backdrop(el);
    const blended = fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
    const [hi, lo] = [luminance(blended), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5))
      problems.push(`contrast ${ratio.toFixed(2)}:1 for "${node.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}
