// snapscribe web page: gallery, upload with progress, search, review queue.
// Plain ES module, no dependencies; talks to the JSON API with the key kept in localStorage.

const KEY_STORE = "snapscribe.apiKey";
const $ = (sel) => document.querySelector(sel);
const state = {
  key: localStorage.getItem(KEY_STORE) || "",
  view: "gallery",
  thumbs: new Map(),      // image id -> object URL
  pending: new Map(),     // image id -> source name (uploads not finished yet)
  lastQuery: "",
  timer: null,
  me: null,               // {name, role, sees_all, may_review} from /v1/whoami
};

// -- API -----------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, { method = "GET", body, raw = false } = {}) {
  if (!state.key) throw new ApiError(401, "unauthorized", "no API key");
  const headers = { Authorization: `Bearer ${state.key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) { state.me = null; setConnected(false); showKeybar(true); }
  if (!res.ok) {
    let code = "http_error", message = `${res.status} ${res.statusText}`;
    try { const j = await res.json(); code = j.error?.code || code; message = j.error?.message || message; } catch (_) {}
    throw new ApiError(res.status, code, message);
  }
  setConnected(true);
  if (raw) return res;
  return { status: res.status, data: await res.json() };
}

function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/images");
    xhr.setRequestHeader("Authorization", `Bearer ${state.key}`);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      const body = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body.error?.code || "http_error", body.error?.message || `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "network error"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function thumbnailUrl(id, size = "small") {
  const key = `${id}:${size}`;
  if (state.thumbs.has(key)) return state.thumbs.get(key);
  const res = await api(`/v1/images/${id}/thumbnail?size=${size}`, { raw: true });
  const url = URL.createObjectURL(await res.blob());
  state.thumbs.set(key, url);
  return url;
}

function forgetThumbnails(id) {
  for (const size of ["small", "large"]) {
    const url = state.thumbs.get(`${id}:${size}`);
    if (url) URL.revokeObjectURL(url);
    state.thumbs.delete(`${id}:${size}`);
  }
}

// -- small DOM helpers ---------------------------------------------------------------
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgIcon(paths) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    svg.appendChild(p);
  }
  return svg;
}

const SHIELD = ["M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6l-8-3z", "m9 9 6 6m0-6-6 6"];
const ALERT = ["M12 8v5m0 3.5v.01", "M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"];

function toast(message, kind = "") {
  const t = el("div", `toast ${kind}`, message);
  $("#toasts").appendChild(t);
  setTimeout(() => t.remove(), 4500);
}

function timeAgo(iso) {
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

// -- cards ---------------------------------------------------------------------------
function safetyBadges(rec) {
  const out = [];
  const s = rec.safety || {};
  if (rec.status === "captioned") out.push(["ok", "✓ safe"]);
  if (s.nsfw) out.push(...nsfwBadges(s.nsfw));
  if (s.hash_match) out.push(["bad", `hash match: ${s.hash_match.list_name}`]);
  if (s.injection && s.injection.detected) out.push(["bad", "prompt injection"]);
  else if (s.ocr_text) out.push(["info", "text in image"]);
  if (rec.attributes && rec.attributes.blurry) out.push(["info", "blurry"]);
  if (rec.grounding && rec.grounding.action !== "kept") out.push(["warn", `caption ${rec.grounding.action}`]);
  if (rec.cached) out.push(["info", "cached"]);
  for (const r of (s.reasons || []).slice(0, 2)) out.push(["warn", r]);
  return out;
}

const LIKELIHOOD = { VERY_UNLIKELY: "very unlikely", UNLIKELY: "unlikely", POSSIBLE: "possible",
  LIKELY: "likely", VERY_LIKELY: "very likely" };
const decisionKind = (d) => (d === "block" ? "bad" : d === "review" ? "warn" : "ok");

// The model's score, then each NSFW category from POSSIBLE up ("explicit: likely").
function nsfwBadges(n) {
  const out = [[decisionKind(n.decision), `NSFW ${Math.round(n.score * 100)}%`]];
  for (const c of n.categories || []) {
    if (c.likelihood === "VERY_UNLIKELY" || c.likelihood === "UNLIKELY") continue;
    const kind = c.decision === "allow" ? "info" : decisionKind(c.decision);
    out.push([kind, `${c.name}: ${LIKELIHOOD[c.likelihood] || c.likelihood}`]);
  }
  return out;
}

// For moderators: each signal behind the NSFW decision and what it says; disagreement stands out.
function nsfwSignals(n) {
  const box = el("div", `signals${n.agree === false ? " disagree" : ""}`);
  const title = n.agree === false ? "Signals disagree" : n.agree ? "Signals agree" : "Signals";
  box.appendChild(el("strong", "", title));
  const list = el("ul");
  for (const sig of n.signals || []) {
    const value = sig.name === "open_nsfw" ? `${Math.round(sig.value * 100)}%`
      : sig.name === "skin" ? `${Math.round(sig.value * 100)}% bare skin` : String(sig.value);
    const li = el("li", sig.says.endsWith("not explicit") ? "says-no" : "says-yes");
    li.appendChild(el("b", "", sig.name));
    li.appendChild(document.createTextNode(` ${value}: ${sig.says}`));
    list.appendChild(li);
  }
  box.appendChild(list);
  return box;
}

function placeholder(kind, title, sub) {
  const box = el("div", `placeholder ${kind}`);
  box.appendChild(svgIcon(kind === "error" ? ALERT : SHIELD));
  box.appendChild(el("strong", "", title));
  if (sub) box.appendChild(el("span", "", sub));
  return box;
}

function buildCard(rec, { reviewMode = false } = {}) {
  const card = $("#card-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = rec.id;
  card.dataset.status = rec.status;
  const media = card.querySelector(".media");
  const status = el("span", `status ${rec.status}`, rec.status);
  const caption = card.querySelector(".caption");

  if (rec.status === "blocked") {
    media.appendChild(placeholder("blocked", "Blocked by safety checks", "This image is never shown."));
    caption.textContent = "Hidden";
    caption.classList.add("none");
  } else if (rec.status === "error") {
    const err = rec.error || {};
    media.appendChild(placeholder("error", err.code || "error", err.message || ""));
    caption.textContent = "Could not process this file";
    caption.classList.add("none");
  } else {
    const img = el("img");
    img.alt = rec.alt_text || rec.caption || "uploaded photo";
    img.decoding = "async";
    media.appendChild(img);
    if (rec.status === "review" && !reviewMode) {
      media.classList.add("veiled");
      media.appendChild(el("div", "veil", "Awaiting review"));
    }
    thumbnailUrl(rec.id).then((url) => { img.src = url; }).catch(() => {
      img.remove();
      media.appendChild(placeholder("error", "No preview", ""));
    });
    caption.textContent = rec.caption || "No caption";
    if (!rec.caption) caption.classList.add("none");
  }
  media.appendChild(status);
  media.addEventListener("click", () => openDetail(rec));

  if (rec.status !== "blocked") {
    card.querySelector(".hashtags").textContent = (rec.hashtags || []).map((h) => `#${h}`).join(" ");
    const tags = card.querySelector(".tags");
    for (const t of (rec.tags || []).slice(0, 8)) {
      const li = el("li");
      li.title = `${t.label}: ${t.score.toFixed(2)}`;
      li.appendChild(el("span", "", t.label));
      const bar = el("i"), fill = el("b");
      fill.style.setProperty("width", `${Math.round(Math.min(1, t.score) * 100)}%`);
      bar.appendChild(fill);
      li.appendChild(bar);
      tags.appendChild(li);
    }
  }
  const badges = card.querySelector(".badges");
  for (const [kind, text] of safetyBadges(rec)) badges.appendChild(el("span", `badge ${kind}`, text));

  const nsfw = (rec.safety || {}).nsfw;
  if (reviewMode && nsfw && (nsfw.signals || []).length > 1) badges.after(nsfwSignals(nsfw));
  if (reviewMode && state.me && state.me.may_review) {
    const actions = card.querySelector(".actions");
    actions.hidden = false;
    actions.querySelector(".approve").addEventListener("click", () => decide(rec.id, "approve", card));
    actions.querySelector(".reject").addEventListener("click", () => decide(rec.id, "reject", card));
  }
  card.querySelector(".source").textContent = rec.source;
  card.querySelector(".source").title = rec.source;
  card.querySelector(".when").textContent = timeAgo(rec.created_at);
  return card;
}

function pendingCard(job) {
  const card = $("#card-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = job.id;
  card.dataset.status = job.status;
  const media = card.querySelector(".media");
  const box = el("div", "processing");
  box.appendChild(el("div", "spinner"));
  box.appendChild(el("span", "", job.status === "running" ? "Writing a caption…" : "Queued…"));
  media.appendChild(box);
  media.appendChild(el("span", `status ${job.status}`, job.status));
  const caption = card.querySelector(".caption");
  caption.textContent = "Processing…";
  caption.classList.add("none");
  card.querySelector(".source").textContent = job.source;
  card.querySelector(".when").textContent = timeAgo(job.created_at);
  return card;
}

function fill(container, cards, emptyNode) {
  container.replaceChildren(...cards);
  emptyNode.hidden = cards.length > 0;
}

// -- views ---------------------------------------------------------------------------
async function loadGallery() {
  const { data } = await api("/v1/images?limit=60");
  const queued = new Set(data.pending.map((j) => j.id));
  for (const id of [...state.pending.keys()]) if (!queued.has(id)) state.pending.delete(id);
  const sig = JSON.stringify([data.pending.map((j) => [j.id, j.status]), data.items.map((r) => [r.id, r.status, r.caption])]);
  $("#count-gallery").textContent = data.total ? String(data.total) : "";
  $("#stats").textContent = data.pending.length ? `${data.pending.length} processing` : "";
  if (sig === state.gallerySig) return data.pending.length;
  state.gallerySig = sig;
  const cards = data.pending.map(pendingCard).concat(data.items.map((r) => buildCard(r)));
  fill($("#gallery"), cards, $("#gallery-empty"));
  return data.pending.length;
}

async function loadMe() {
  if (state.me) return state.me;
  const { data } = await api("/v1/whoami");
  state.me = data;
  // uploader keys see their own uploads and never the review queue
  $("#tab-review").hidden = !data.may_review;
  if (!data.may_review && state.view === "review") show("gallery");
  $("#key-label").textContent = `${data.name} · ${data.role}`;
  $("#key-label").title = data.sees_all ? "sees every image" : "sees only its own uploads";
  return data;
}

async function loadReview(force = false) {
  if (!state.me || !state.me.may_review) return;
  const { data } = await api("/v1/review?limit=60");
  $("#count-review").textContent = data.total ? String(data.total) : "";
  const sig = JSON.stringify(data.items.map((r) => [r.id, r.status]));
  if (state.view === "review" && (force || sig !== state.reviewSig)) {
    state.reviewSig = sig;
    fill($("#review"), data.items.map((r) => buildCard(r, { reviewMode: true })), $("#review-empty"));
  }
}

async function runSearch(q) {
  state.lastQuery = q;
  $("#tab-search").hidden = false;
  show("search");
  $("#search-title").replaceChildren("Results for ", el("b", "", `“${q}”`));
  const { data } = await api(`/v1/search?q=${encodeURIComponent(q)}&limit=48`);
  if (q !== state.lastQuery) return;
  $("#count-search").textContent = String(data.hits.length);
  const cards = data.hits.map((h) => {
    const card = buildCard(h.record);
    card.querySelector(".badges").prepend(el("span", "badge match", `match ${Math.round(Math.min(1, h.score) * 100)}%`));
    return card;
  });
  fill($("#results"), cards, $("#results-empty"));
}

async function decide(id, decision, card) {
  for (const b of card.querySelectorAll(".actions .btn")) b.disabled = true;
  try {
    await api(`/v1/review/${id}`, { method: "POST", body: { decision } });
    toast(decision === "approve" ? "Approved" : "Rejected — the image is now blocked", decision === "approve" ? "ok" : "");
    if (decision === "reject") forgetThumbnails(id);
    card.remove();
    await Promise.all([loadReview(true), loadGallery()]);
    $("#review-empty").hidden = $("#review").children.length > 0;
  } catch (e) {
    toast(e.message, "bad");
    for (const b of card.querySelectorAll(".actions .btn")) b.disabled = false;
  }
}

function show(view) {
  state.view = view;
  for (const tab of document.querySelectorAll(".tab")) {
    const on = tab.dataset.view === view;
    tab.classList.toggle("active", on);
    tab.setAttribute("aria-selected", String(on));
  }
  for (const name of ["gallery", "review", "search"]) $(`#view-${name}`).hidden = name !== view;
}

async function refresh() {
  if (!state.key) return;
  clearTimeout(state.timer);
  let busy = 0;
  try {
    await loadMe();
    busy = await loadGallery();
    await loadReview();
  } catch (e) {
    if (e.status !== 401) toast(`Refresh failed: ${e.message}`, "bad");
  }
  state.timer = setTimeout(refresh, busy || state.pending.size ? 1500 : 10000);
}

// -- detail dialog -------------------------------------------------------------------
function captionOptions(options) {
  const list = el("ol", "options");
  for (const text of options) {
    const item = el("li", "option");
    const copy = el("button", "copy", "Copy");
    copy.type = "button";
    copy.title = "Copy this caption";
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(text); toast("Caption copied", "ok"); }
      catch (_) { toast("Could not copy (clipboard not available)", "bad"); }
    });
    item.append(el("span", "", text), copy);
    list.appendChild(item);
  }
  return list;
}

async function openDetail(rec) {
  const body = $("#detail-body");
  const pic = el("div", "pic");
  if (rec.status === "blocked") pic.appendChild(placeholder("blocked", "Blocked by safety checks", "This image is never shown."));
  else if (rec.status === "error") pic.appendChild(placeholder("error", rec.error?.code || "error", rec.error?.message || ""));
  else {
    const img = el("img");
    img.alt = rec.alt_text || rec.caption || "photo";
    pic.appendChild(img);
    thumbnailUrl(rec.id).then((u) => { if (!img.src) img.src = u; }).catch(() => {});
    thumbnailUrl(rec.id, "large").then((u) => { img.src = u; }).catch(() => {});
  }
  const info = el("div", "info");
  info.appendChild(el("h2", "", rec.caption || rec.status));
  if (rec.hashtags?.length) info.appendChild(el("p", "hashtags", rec.hashtags.map((h) => `#${h}`).join(" ")));
  if (rec.alt_text) info.appendChild(el("p", "alt-text", `Alt text: ${rec.alt_text}`));
  if (rec.caption_options?.length) info.appendChild(captionOptions(rec.caption_options));
  const dl = el("dl");
  const total = Object.values(rec.timings_ms || {}).reduce((a, b) => a + b, 0);
  for (const [k, v] of [["id", rec.id], ["status", rec.status], ["source", rec.source],
    ["size", rec.attributes ? `${rec.attributes.width}×${rec.attributes.height} ${rec.attributes.format || ""}` : "–"],
    ["objects", (rec.objects || []).map((o) => `${o.label} ${(o.score * 100).toFixed(0)}%`).join(", ") || "–"],
    ["pipeline", `${total.toFixed(0)} ms · ${rec.provenance?.captioner || ""}`]]) {
    dl.append(el("dt", "", k), el("dd", "", v));
  }
  info.appendChild(dl);
  const pre = el("pre", "", JSON.stringify(rec, null, 2));
  info.appendChild(pre);
  body.replaceChildren(pic, info);
  $("#detail").showModal();
}

// -- upload --------------------------------------------------------------------------
async function handleFiles(files) {
  if (!state.key) { showKeybar(true); toast("Enter an API key first", "bad"); return; }
  for (const file of files) {
    const row = el("li", "upload");
    const line = el("div", "line");
    const name = el("span", "name", file.name);
    const st = el("span", "state", "uploading 0%");
    line.append(name, st);
    const bar = el("div", "bar"), fillBar = el("i");
    bar.appendChild(fillBar);
    row.append(line, bar);
    $("#uploads").prepend(row);
    try {
      const res = await uploadFile(file, (f) => {
        fillBar.style.setProperty("width", `${Math.round(f * 100)}%`);
        st.textContent = `uploading ${Math.round(f * 100)}%`;
      });
      fillBar.style.setProperty("width", "100%");
      row.dataset.id = res.id;
      if (res.status === "pending" || res.status === "running") {
        st.textContent = res.duplicate ? "already queued" : "processing…";
        state.pending.set(res.id, file.name);
        watch(res.id, row, st);
      } else {
        row.classList.add("done");
        st.textContent = res.duplicate ? `already done · ${res.status}` : res.status;
      }
      show("gallery");
      refresh();
    } catch (e) {
      row.classList.add("failed");
      fillBar.style.setProperty("width", "100%");
      st.textContent = e.code === "file_too_large" ? "too large" : e.code;
      toast(`${file.name}: ${e.message}`, "bad");
    }
    setTimeout(() => { if (!row.classList.contains("failed")) row.remove(); }, 15000);
  }
}

async function watch(id, row, st) {
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const { status, data } = await api(`/v1/images/${id}`);
      if (status === 200) {
        state.pending.delete(id);
        row.classList.add(data.status === "error" ? "failed" : "done");
        st.textContent = data.status === "error" ? (data.error?.code || "error") : data.status;
        refresh();
        return;
      }
      st.textContent = data.status === "running" ? "writing caption…" : "queued…";
    } catch (e) {
      if (e.status === 401) return;
    }
  }
}

// -- key ------------------------------------------------------------------------------
function setConnected(ok) {
  $("#conn-dot").className = `dot ${ok ? "ok" : "bad"}`;
  $("#key-label").textContent = !ok ? "API key" : state.me ? `${state.me.name} · ${state.me.role}` : "Connected";
}

function showKeybar(on) {
  $("#keybar").hidden = !on;
  if (on) $("#key-input").focus();
}

function init() {
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.key = $("#key-input").value.trim();
    if (!state.key) return;
    localStorage.setItem(KEY_STORE, state.key);
    state.me = null;
    $("#key-input").value = "";
    showKeybar(false);
    refresh();
  });
  $("#key-button").addEventListener("click", () => showKeybar($("#keybar").hidden));
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      show(tab.dataset.view);
      if (tab.dataset.view === "review") loadReview(true).catch((e) => toast(e.message, "bad"));
    });
  }
  $("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#search-input").value.trim();
    if (!q) { show("gallery"); return; }
    if (!state.key) { showKeybar(true); return; }
    runSearch(q).catch((err) => toast(`Search failed: ${err.message}`, "bad"));
  });
  const input = $("#file-input");
  input.addEventListener("change", () => { handleFiles([...input.files]); input.value = ""; });
  const drop = $("#drop");
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); handleFiles([...e.dataTransfer.files]); });
  $("#detail").addEventListener("click", (e) => { if (e.target === $("#detail")) $("#detail").close(); });

  if (state.key) refresh(); else showKeybar(true);
}

init();
