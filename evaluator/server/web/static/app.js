// Progressive enhancement only: every page works without this file (no build step).
// Scoring form: autosave per leaf (saved / offline / conflict), an offline queue kept in
// the browser and sent when the connection returns; tables: filter and sort; bars.
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const zh = document.documentElement.lang.startsWith("zh");
  const T = (c, e) => (zh ? c : e);
  const QUEUE = "evaluator-offline-scores";

  // -- bars and tables -------------------------------------------------------------------
  document.querySelectorAll(".bar .fill[data-share]").forEach((el) => {
    el.style.width = Math.max(0, Math.min(1, parseFloat(el.dataset.share) || 0)) * 100 + "%";
  });
  document.querySelectorAll("input[data-filter]").forEach((input) => {
    const table = document.getElementById(input.dataset.filter);
    input.addEventListener("input", () => {
      const q = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody tr").forEach((tr) => {
        tr.hidden = q !== "" && !tr.textContent.toLowerCase().includes(q);
      });
    });
  });
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, col) => {
      th.tabIndex = 0;
      th.setAttribute("role", "button");
      const sort = () => {
        const body = table.tBodies[0];
        const up = th.dataset.dir !== "asc";
        th.dataset.dir = up ? "asc" : "desc";
        const key = (tr) => {
          const text = tr.cells[col].textContent.trim();
          const n = parseFloat(text.replace(/[^0-9.\-]/g, ""));
          return isNaN(n) ? text : n;
        };
        [...body.rows]
          .sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (up ? 1 : -1))
          .forEach((tr) => body.appendChild(tr));
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && sort());
    });
  });

  // -- the scoring form ------------------------------------------------------------------
  const form = document.getElementById("scoring");
  if (!form) return;
  const round = form.dataset.round;
  const unit = form.dataset.unit;
  const net = document.getElementById("net");

  function show(status, text) {
    net.hidden = !text;
    net.className = "net " + status;
    net.textContent = text || "";
  }
  function mark(box, status, text) {
    const out = box.querySelector(".saved");
    out.className = "saved " + status;
    out.textContent = text;
    box.dataset.status = status;
  }
  function payload(box) {
    const body = {};
    const kind = (k) => box.querySelector(`[data-kind="${k}"]`);
    if (kind("check")) body.value = kind("check").checked ? 1 : 0;
    const level = box.querySelector('[data-kind="level"]:checked');
    if (level) body.value = parseFloat(level.value);
    else if (box.querySelector('[data-kind="level"]')) body.value = null;
    if (kind("number")) body.value = kind("number").value === "" ? null : parseFloat(kind("number").value);
    if (kind("target") && kind("target").value !== "") body.target = parseFloat(kind("target").value);
    if (kind("n") && kind("n").value !== "") body.n = parseInt(kind("n").value, 10);
    if (kind("comment")) body.comment = kind("comment").value;
    if (box.dataset.version) body.version = parseInt(box.dataset.version, 10);
    return body;
  }
  function url(leaf, item) {
    const base = `/api/v1/rounds/${round}/scores/${encodeURIComponent(unit)}/${encodeURIComponent(leaf)}`;
    return item ? `${base}?item=${encodeURIComponent(item)}` : base;
  }
  function queue() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "{}"); } catch (e) { return {}; }
  }
  function keep(key, entry) {
    const q = queue();
    q[key] = entry;
    localStorage.setItem(QUEUE, JSON.stringify(q));
  }
  function forget(key) {
    const q = queue();
    delete q[key];
    localStorage.setItem(QUEUE, JSON.stringify(q));
  }
  function boxOf(leaf, item) {
    return form.querySelector(`.control[data-leaf="${CSS.escape(leaf)}"][data-item="${CSS.escape(item)}"]`);
  }

  async function save(box, body) {
    const leaf = box.dataset.leaf, item = box.dataset.item;
    const key = [round, unit, leaf, item].join("|");
    if (!navigator.onLine) {
      keep(key, { round, unit, leaf, item, body });
      mark(box, "offline", T("离线：已暂存在本机，联网后自动提交", "offline: kept on this device, sent when back online"));
      show("offline", T("当前离线，填写内容暂存在本机。", "You are offline; your entries are kept on this device."));
      return;
    }
    mark(box, "saving", T("保存中…", "saving…"));
    let response;
    try {
      response = await fetch(url(leaf, item), {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (e) {
      keep(key, { round, unit, leaf, item, body });
      mark(box, "offline", T("离线：已暂存在本机，联网后自动提交", "offline: kept on this device, sent when back online"));
      show("offline", T("连接中断，填写内容暂存在本机。", "The connection dropped; your entries are kept on this device."));
      return;
    }
    if (response.ok) {
      const saved = await response.json();
      box.dataset.version = saved.version;
      forget(key);
      mark(box, "saved", T("已保存", "saved"));
      progress();
      return;
    }
    const problem = await response.json().catch(() => ({}));
    if (response.status === 409) {
      await conflict(box, body);
      return;
    }
    const text = (problem.problems || []).map((p) => (zh ? p.zh : p.en)).join("；") || problem.title || response.status;
    mark(box, "error", T("未保存：", "not saved: ") + text);
  }

  async function conflict(box, mine) {
    const leaf = box.dataset.leaf, item = box.dataset.item;
    const found = await fetch(`/api/v1/rounds/${round}/scores?unit=${encodeURIComponent(unit)}&leaf=${encodeURIComponent(leaf)}&per_page=100`, { credentials: "same-origin" })
      .then((r) => r.json()).catch(() => ({ items: [] }));
    const me = document.querySelector(".who") ? document.querySelector(".who").textContent : "";
    const theirs = (found.items || []).find((s) => (s.item || "") === item && s.rater_username === me) ||
      (found.items || []).find((s) => (s.item || "") === item);
    const out = box.querySelector(".saved");
    out.className = "saved conflict";
    out.textContent = T("冲突：另一处已保存 ", "conflict: saved elsewhere as ") + (theirs ? theirs.value : "?") + " ";
    box.dataset.status = "conflict";
    const keepMine = document.createElement("button");
    keepMine.type = "button";
    keepMine.textContent = T("保留我的值", "keep mine");
    keepMine.addEventListener("click", () => {
      if (theirs) box.dataset.version = theirs.version;
      save(box, Object.assign({}, mine, { version: theirs ? theirs.version : undefined }));
    });
    const takeTheirs = document.createElement("button");
    takeTheirs.type = "button";
    takeTheirs.textContent = T("采用另一处的值", "take theirs");
    takeTheirs.addEventListener("click", () => {
      if (!theirs) return;
      box.dataset.version = theirs.version;
      const number = box.querySelector('[data-kind="number"]');
      if (number) number.value = theirs.value === null ? "" : theirs.value;
      const check = box.querySelector('[data-kind="check"]');
      if (check) check.checked = theirs.value === 1;
      box.querySelectorAll('[data-kind="level"]').forEach((r) => (r.checked = parseFloat(r.value) === theirs.value));
      mark(box, "saved", T("已采用另一处的值", "took the other value"));
    });
    out.append(keepMine, " ", takeTheirs);
  }

  function progress() {
    const done = form.querySelectorAll('.leaf').length &&
      [...form.querySelectorAll(".leaf")].filter((fs) =>
        [...fs.querySelectorAll(".control")].every((c) => c.dataset.version)).length;
    const el = document.getElementById("progress");
    if (el) el.textContent = `${done} / ${el.dataset.total}`;
  }

  async function flush() {
    const q = queue();
    const keys = Object.keys(q);
    if (!keys.length) return;
    show("saving", T("已联网，正在提交暂存的内容…", "Back online: sending what was kept…"));
    for (const key of keys) {
      const entry = q[key];
      if (entry.round !== round || entry.unit !== unit) continue;
      const box = boxOf(entry.leaf, entry.item);
      if (box) await save(box, entry.body);
    }
    show("", Object.keys(queue()).length ? T("仍有内容未提交。", "Some entries are still waiting.") : "");
  }

  form.querySelectorAll(".control").forEach((box) => {
    const go = () => save(box, payload(box));
    box.querySelectorAll('[data-kind="check"], [data-kind="level"]').forEach((el) => el.addEventListener("change", go));
    box.querySelectorAll('[data-kind="number"], [data-kind="target"], [data-kind="n"], [data-kind="comment"]').forEach((el) =>
      el.addEventListener("change", go));
  });
  // a HEIC photo picked on a system that does not know the type: the server converts it
  const mediaType = (file) =>
    file.type || (/\.hei[cf]$/i.test(file.name) ? "image/heic" : "application/octet-stream");
  // evidence from the phone camera or a file: uploaded to the round, then cited on the leaf
  form.querySelectorAll(".upload input[type=file]").forEach((input) => {
    input.addEventListener("change", async () => {
      const box = input.closest(".upload");
      const out = box.querySelector(".uploaded");
      const leaf = box.dataset.leaf;
      for (const file of input.files) {
        out.className = "uploaded saving";
        out.textContent = T("上传中…", "uploading…");
        const station = form.dataset.station ? `&station=${form.dataset.station}` : "";
        try {
          const up = await fetch(`/api/v1/rounds/${round}/evidence?name=${encodeURIComponent(file.name)}${station}`, {
            method: "POST",
            headers: { "Content-Type": mediaType(file), "X-CSRF-Token": csrf() },
            body: file,
            credentials: "same-origin",
          });
          const record = await up.json();
          if (!up.ok) throw new Error((record.problems || []).map((p) => (zh ? p.zh : p.en)).join("；") || up.status);
          const cite = await fetch(`/api/v1/rounds/${round}/citations`, {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
            body: JSON.stringify({ unit, leaf, evidence: record.id }),
            credentials: "same-origin",
          });
          if (!cite.ok) throw new Error(String(cite.status));
          out.className = "uploaded saved";
          out.textContent = T("已上传并引用：", "uploaded and cited: ") + file.name;
          box.dataset.status = "cited";
        } catch (e) {
          out.className = "uploaded error";
          out.textContent = T("上传失败：", "upload failed: ") + e.message;
          box.dataset.status = "error";
        }
      }
    });
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", () => show("offline", T("当前离线，填写内容将暂存在本机。", "You are offline; entries will be kept on this device.")));
  // entries kept while the page was closed offline: put them back in the form, then send
  const waiting = queue();
  Object.values(waiting).forEach((entry) => {
    if (entry.round !== round || entry.unit !== unit) return;
    const box = boxOf(entry.leaf, entry.item);
    if (box) mark(box, "offline", T("离线暂存，待提交", "kept offline, waiting to be sent"));
  });
  if (navigator.onLine) flush();
})();
