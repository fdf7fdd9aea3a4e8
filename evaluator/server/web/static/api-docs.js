// The /docs viewer: the live OpenAPI document rendered as grouped operations, built with
// DOM calls and textContent only (no innerHTML, nothing fetched from another site).
"use strict";
(async function () {
  const main = document.getElementById("main");
  const spec = await fetch(main.dataset.spec).then((r) => r.json());
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  document.getElementById("title").textContent = `${spec.info.title} ${spec.info.version}`;
  document.getElementById("description").textContent = spec.info.description || "";
  const groups = {};
  for (const [path, methods] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags || ["other"])[0];
      (groups[tag] = groups[tag] || []).push({ path, method: method.toUpperCase(), op });
    }
  }
  const out = document.getElementById("operations");
  for (const tag of Object.keys(groups).sort()) {
    const section = el("section");
    section.append(el("h2", tag));
    for (const { path, method, op } of groups[tag]) {
      const details = el("details", undefined, "family");
      const summary = el("summary");
      summary.append(el("code", `${method} ${path}`), document.createTextNode(` — ${op.summary || ""}`));
      details.append(summary);
      if (op.description) details.append(el("p", op.description));
      const params = op.parameters || [];
      if (params.length) {
        const list = el("ul");
        for (const p of params) {
          list.append(el("li", `${p.name} (${p.in}${p.required ? ", required" : ""}) ${p.description || ""}`));
        }
        details.append(list);
      }
      if (op.requestBody) details.append(el("p", "body: " + Object.keys(op.requestBody.content || {}).join(", ")));
      details.append(el("p", "responses: " + Object.keys(op.responses || {}).join(", ")));
      section.append(details);
    }
    out.append(section);
  }
})();
