// The sandbox's live inbox: lists from the inspection API, refreshed on server-sent events.
// Everything sent by users is shown with textContent, never parsed as HTML.
"use strict";

const LIMIT = 500;
const state = { view: "messages", items: [], selected: null, filter: "" };
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

const when = (seconds) => new Date(seconds * 1000).toLocaleString();
const badge = (text, tone) => el("span", { class: "badge " + (tone || "") }, text);
const toneOf = (s) =>
  ({ delivered: "ok", accepted: "ok", completed: "ok", answered: "ok", machine: "ok",
     failed: "bad", rejected: "bad", expired: "bad", unknown: "bad", blocked: "bad",
     busy: "bad", timeout: "bad", cancelled: "bad", unanswered: "bad",
     pending: "wait", ringing: "wait", buffered: "wait" })[s] || "";

function webhookBadges(hooks, label) {
  return hooks.map((h) => badge(`${label} ${h.state}`, toneOf(h.state)));
}

function messageBadges(m) {
  const badges = [badge(m.encoding), badge(`${m.parts} part${m.parts === 1 ? "" : "s"}`)];
  if (m.status !== "0") badges.push(badge(`status ${m.status}`, "bad"));
  const outcome = m.segments.find((s) => s["delivery-status"]);
  if (outcome) badges.push(badge(outcome["delivery-status"], toneOf(outcome["delivery-status"])));
  const states = [...new Set(m.receipts.map((r) => r.state))];
  return badges.concat(states.map((s) => badge(`receipt ${s}`, toneOf(s))));
}

function callBadges(c) {
  const badges = [badge(c.state, toneOf(c.state))];
  if (c.api === "voice") badges.push(badge("voice api", ""));
  if (c.state === "completed" && c.outcome) badges.push(badge(c.outcome, toneOf(c.outcome)));
  return badges.concat(webhookBadges(c.callbacks.slice(-1), "callback"));
}

const keyOf = (item) =>
  ({ messages: () => item["message-ids"][0], calls: () => item["call-id"],
     conversations: () => item.key })[state.view]();

// A conversation is one handset and one of our numbers (or sender ids), both ways.
function conversations(messages, inbound) {
  const threads = new Map();
  const add = (handset, ours, entry) => {
    const key = `${handset}~${ours}`;
    if (!threads.has(key)) threads.set(key, { key, handset, ours, entries: [] });
    threads.get(key).entries.push(entry);
  };
  for (const m of messages) {
    add(m.to, m.from, { out: true, text: m.text ?? `(${m.type})`, at: m["created-at"],
                        badges: messageBadges(m) });
  }
  for (const i of inbound) {
    add(i.from, i.to, { out: false, text: i.text, at: i["created-at"],
                        badges: webhookBadges(i.deliveries.slice(0, 1), "delivery") });
  }
  const list = [...threads.values()];
  for (const t of list) {
    t.entries.sort((a, b) => a.at - b.at);
    const last = t.entries[t.entries.length - 1];
    Object.assign(t, { to: t.handset, from: t.ours, text: last.text, "created-at": last.at });
  }
  return list.sort((a, b) => b["created-at"] - a["created-at"]);
}

function matches(item) {
  if (!state.filter) return true;
  const haystack = [item.to, item.from, item.text, item["client-ref"], keyOf(item)]
    .filter(Boolean).join(" ").toLowerCase();
  return haystack.includes(state.filter);
}

function renderList() {
  const list = $("list");
  const shown = state.items.filter(matches);
  if (!shown.length) {
    const what = state.view;
    list.replaceChildren(el("p", { class: "empty" },
      state.items.length ? `No ${what} match the filter.` : `No ${what} yet.`));
    return;
  }
  list.replaceChildren(...shown.map((item) => {
    const key = keyOf(item);
    if (state.view === "conversations") return threadItem(item, key);
    const isMessage = state.view === "messages";
    return el("button", {
      class: "item" + (key === state.selected ? " selected" : ""), "data-key": key, type: "button",
      onclick: () => { location.hash = `${state.view}/${encodeURIComponent(key)}`; },
    },
      el("div", { class: "top" },
        el("span", { class: "who" }, `To ${item.to}`),
        el("span", { class: "when" }, when(item["created-at"]))),
      el("div", { class: "preview" }, item.from ? `From ${item.from}: ` : "", item.text ?? `(${item.type})`),
      el("div", { class: "badges" }, isMessage ? messageBadges(item) : callBadges(item)));
  }));
}

function threadItem(thread, key) {
  return el("button", {
    class: "item" + (key === state.selected ? " selected" : ""), "data-key": key, type: "button",
    onclick: () => { location.hash = `conversations/${encodeURIComponent(key)}`; },
  },
    el("div", { class: "top" },
      el("span", { class: "who" }, `${thread.handset} ↔ ${thread.ours}`),
      el("span", { class: "when" }, when(thread["created-at"]))),
    el("div", { class: "preview" }, thread.text),
    el("div", { class: "badges" }, badge(`${thread.entries.length} message${
      thread.entries.length === 1 ? "" : "s"}`)));
}

function conversationDetail(t) {
  const canReply = /^\d{7,15}$/.test(t.ours);
  const input = el("input", { id: "reply-text", type: "text", maxlength: "3200",
    placeholder: `Reply as ${t.handset}`, "aria-label": `Reply as ${t.handset}` });
  const error = el("div", { class: "error", id: "reply-error", role: "alert" });
  const send = async () => {
    const text = input.value.trim();
    if (!text) return;
    const response = await fetch("/_sandbox/inbound", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ from: t.handset, to: t.ours, text }),
    });
    if (response.ok) {
      input.value = "";
      error.textContent = "";
    } else {
      const body = await response.json().catch(() => ({}));
      error.textContent = `Not sent: ${body.detail ?? "HTTP " + response.status}`;
    }
    schedule();
  };
  input.addEventListener("keydown", (event) => { if (event.key === "Enter") send(); });
  return [
    el("h2", {}, `${t.handset} ↔ ${t.ours}`),
    el("div", { class: "sub" }, "Outbound on the right, the handset's messages on the left."),
    el("div", { class: "thread", id: "thread" }, t.entries.map((e) =>
      el("div", { class: "bubble " + (e.out ? "out" : "in") }, e.text,
        el("div", { class: "meta" }, `${e.out ? "sent" : "received"} ${when(e.at)}`),
        el("div", { class: "badges" }, e.badges)))),
    canReply
      ? [el("div", { class: "reply" }, input,
           el("button", { type: "button", id: "reply-send", onclick: send }, "Send")), error]
      : el("p", { class: "sub" }, `A handset can only answer a number: ${t.ours} is a sender id.`),
  ];
}

function fields(rows) {
  return el("table", {}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

function grid(headings, rows) {
  return el("table", {},
    el("tr", {}, headings.map((h) => el("th", {}, h))),
    rows.map((r) => el("tr", {}, r.map((v) => el("td", {}, v ?? "")))));
}

function webhookSection(title, hooks) {
  if (!hooks.length) return [el("h3", {}, title), el("p", { class: "sub" }, "None owed.")];
  return [el("h3", {}, title), ...hooks.map((h) => el("div", { class: "webhook" },
    fields([["for", h.ref], ["to", `${h.method} ${h.url}`], ["state", h.state],
            ["due", when(h["due-at"])]]),
    h.attempts.length ? grid(["attempt", "at", "answer"], h.attempts.map((a, i) =>
      [i + 1, when(a.at), a["status-code"] ? `HTTP ${a["status-code"]}` : a.error])) : null,
    el("pre", {}, JSON.stringify(h.payload, null, 2))))];
}

function messageDetail(m) {
  return [
    el("h2", {}, `To ${m.to}`),
    el("div", { class: "sub" }, `From ${m.from} · ${when(m["created-at"])}`),
    el("div", { class: "bubble", id: "text" }, m.text ?? `(${m.type} message)`),
    m["delivered-text"] !== null && m["delivered-text"] !== m.text
      ? [el("h3", {}, "As the handset shows it"),
         el("div", { class: "bubble", id: "delivered-text" }, m["delivered-text"])]
      : null,
    el("h3", {}, "Message"),
    fields([["type", m.type], ["encoding", m.encoding], ["parts", m.parts],
            ["price", `€${m.price}`], ["network", m.network], ["client-ref", m["client-ref"]],
            ["status", m.status], ["account", m["api-key"]]]),
    el("h3", {}, "Parts"),
    grid(["message-id", "status", "price", "delivery", "err-code", "text"],
      m.segments.map((s) => [s["message-id"], s["error-text"] || s.status, s.price,
                             s["delivery-status"], s["err-code"], s.text])),
    ...webhookSection("Delivery receipts", m.receipts),
    el("h3", {}, "Parameters as sent"),
    el("pre", {}, JSON.stringify(m.params, null, 2)),
  ];
}

function callDetail(c) {
  return [
    el("h2", {}, `Call to ${c.to}`),
    el("div", { class: "sub" }, `${c.from ? "From " + c.from + " · " : ""}${when(c["created-at"])}`),
    el("div", { class: "bubble", id: "text" }, c.text),
    el("h3", {}, "Call"),
    fields([["api", c.api === "voice" ? "Voice API (/v1/calls)" : "/tts/json"],
            ["call-id", c["call-id"]], ["uuid", c.uuid], ["status", c.status],
            ["application", c["application-id"]], ["state", c.state], ["outcome", c.outcome],
            ["duration", c.duration === null ? null : `${c.duration} s`], ["rate", c.rate],
            ["price", c.price], ["network", c.network], ["ends", when(c["ends-at"])],
            ["account", c["api-key"]]]),
    ...webhookSection("Callbacks", c.callbacks),
    el("h3", {}, "Parameters as sent"),
    el("pre", {}, JSON.stringify(c.params, null, 2)),
  ];
}

function renderDetail() {
  const item = state.items.find((i) => keyOf(i) === state.selected);
  const detail = $("detail");
  if (!item) {
    detail.replaceChildren(el("p", { class: "empty" },
      "Pick one on the left. New ones show up as they are sent."));
    return;
  }
  const typed = document.activeElement?.id === "reply-text" ? document.activeElement.value : null;
  const parts = { messages: messageDetail, calls: callDetail,
                  conversations: conversationDetail }[state.view](item);
  detail.replaceChildren(...parts.flat().filter((part) => part !== null));
  if (typed !== null && $("reply-text")) {  // a refresh keeps what is being typed
    $("reply-text").value = typed;
    $("reply-text").focus();
  }
}

function render() {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === state.view));
  }
  renderList();
  renderDetail();
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

let callTimer = null;
async function refresh() {
  const [summary, messages, calls, inbound] = await Promise.all([
    getJson("/_sandbox"),
    getJson(`/_sandbox/messages?order=newest&limit=${LIMIT}`),
    getJson("/_sandbox/calls"),
    getJson("/_sandbox/inbound"),
  ]);
  $("count-messages").textContent = summary.messages;
  $("count-calls").textContent = summary.calls;
  const newestCalls = calls.calls.reverse().slice(0, LIMIT);
  const threads = conversations(messages.messages, inbound.inbound.slice(-LIMIT));
  $("count-conversations").textContent = threads.length;
  state.items = { messages: messages.messages, calls: newestCalls,
                  conversations: threads }[state.view];
  render();
  // A call ends on its own: look again when the next ringing one is due to end.
  clearTimeout(callTimer);
  const ends = newestCalls.filter((c) => c.state === "ringing").map((c) => c["ends-at"]);
  if (ends.length) {
    const wait = Math.max(0, Math.min(...ends) * 1000 - Date.now()) + 100;
    callTimer = setTimeout(schedule, wait);
  }
}

let pending = null;
function schedule() {
  // Many events in a burst (a bulk send) cost one refresh.
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    refresh().catch((error) => console.error(error));
  }, 150);
}

function setLive(on) {
  const live = $("live");
  live.className = "live " + (on ? "on" : "off");
  live.textContent = on ? "live" : "reconnecting…";
}

function connect() {
  const source = new EventSource("/_sandbox/events");
  source.onopen = () => { setLive(true); schedule(); };
  source.onerror = () => setLive(false);
  for (const kind of ["message", "receipt", "call", "inbound", "cleared", "resync"]) {
    source.addEventListener(kind, schedule);
  }
}

// The address says what is shown: #messages, #calls/<call-id>, #messages/<message-id>,
// #conversations/<handset>~<number>.
// Returns whether the view changed (its list must be fetched).
function fromHash() {
  const [view, key] = location.hash.slice(1).split("/");
  if (!["messages", "calls", "conversations"].includes(view)) return false;
  const changed = view !== state.view;
  state.view = view;
  state.selected = key ? decodeURIComponent(key) : null;
  if (changed) state.items = [];
  return changed;
}

function setup() {
  fromHash();
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => { location.hash = tab.dataset.view; });
  }
  $("filter").addEventListener("input", (event) => {
    state.filter = event.target.value.trim().toLowerCase();
    renderList();
  });
  $("clear").addEventListener("click", async () => {
    const kinds = { messages: ["messages"], calls: ["calls"],
                    conversations: ["messages", "inbound"] }[state.view];
    if (!confirm(`Forget every ${kinds.join(" and ")}?`)) return;
    await Promise.all(kinds.map((kind) => fetch(`/_sandbox/${kind}`, { method: "DELETE" })));
    state.selected = null;
    schedule();
  });
  window.addEventListener("hashchange", () => {
    if (fromHash()) schedule();
    render();
  });
  render();
  refresh().catch((error) => console.error(error));
  connect();
}

setup();
