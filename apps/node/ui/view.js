// @ts-check
/* global document, location, URL */
/**
 * Drawing: the ring of nodes (SVG) with election timers and message dots, the status table,
 * the logs side by side, the event feed and the controls' outcomes. Everything is drawn from
 * the model (model.js) and the UI state (controls.js), on animation frames, never per event.
 *
 * Elements are created once and kept (keyed by node id, by column, by pool slot); a frame only
 * writes the attributes and texts that changed, so buttons stay clickable and hover titles stay
 * up while a busy cluster reports ten times a second.
 */

import {
  busyLinks,
  clusterLeader,
  dotsInFlight,
  electionTimer,
  formatClock,
  formatDuration,
  logGrid,
  sortedNodes,
  votesSeen,
} from "./model.js";
import { ACTIONS } from "./controls.js";

/** @import { Model, NodeView, LogCell, LogColumn, MessageKind } from "./model.js" */
/** @import { Controls, UiState, Action } from "./controls.js" */

const SVG_NS = "http://www.w3.org/2000/svg";
const CX = 300;
const CY = 262;
const RING_R = 165;
const NODE_R = 40;
const TIMER_R = 48;
/** Messages keep to the right of their link, so the two directions do not overlap. */
const LANE = 7;

/* ------------------------------------------------------------------------------------------ */
/* Small DOM helpers that only touch what changed.                                            */
/* ------------------------------------------------------------------------------------------ */

/** @type {WeakMap<Element, Map<string, string | null>>} */
const written = new WeakMap();

/**
 * @param {Element} el
 * @param {string} name
 * @param {string | number | boolean | null} value   null removes the attribute
 */
function attr(el, name, value) {
  let cache = written.get(el);
  if (cache === undefined) {
    cache = new Map();
    written.set(el, cache);
  }
  const v = value === null ? null : String(value);
  if (cache.has(name) && cache.get(name) === v) return;
  cache.set(name, v);
  if (v === null) el.removeAttribute(name);
  else el.setAttribute(name, v);
}

/**
 * @param {Element} el
 * @param {string} s
 */
function text(el, s) {
  if (el.textContent !== s) el.textContent = s;
}

/**
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number>} attrs
 * @param {Element | null} [parent]
 * @returns {SVGElementTagNameMap[K]}
 */
function svg(tag, attrs, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  parent?.appendChild(el);
  return el;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number>} attrs
 * @param {Element | null} [parent]
 * @returns {HTMLElementTagNameMap[K]}
 */
function html(tag, attrs, parent = null) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  parent?.appendChild(el);
  return el;
}

/**
 * @template {Element} T
 * @param {string} selector
 * @returns {T}
 */
function $(selector) {
  const el = document.querySelector(selector);
  if (el === null) throw new Error(`the page has no ${selector}`);
  return /** @type {T} */ (el);
}

/* ------------------------------------------------------------------------------------------ */
/* Colours and shapes.                                                                         */
/* ------------------------------------------------------------------------------------------ */

/** Pastel, distinguishable fills for terms, cycled. */
const TERM_COLORS = ["#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#fb9a99", "#ffff99", "#8dd3c7", "#bebada", "#fccde5", "#d9d9d9"];

/** @param {number} term */
export function termColor(term) {
  const n = TERM_COLORS.length;
  return TERM_COLORS[((term % n) + n) % n] ?? "#ddd";
}

/** @param {number} r */
const circlePath = (r) => `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;

/** @type {Record<MessageKind, string>} */
const SHAPES = {
  "vote-request": circlePath(5.5),
  "vote-response": circlePath(4.5),
  "prevote-request": circlePath(5.5),
  "prevote-response": circlePath(4.5),
  append: circlePath(5.5),
  "append-response": circlePath(4.5),
  heartbeat: circlePath(3.5),
  "heartbeat-response": circlePath(3),
  snapshot: "M-5.5,-5.5h11v11h-11z",
  "snapshot-response": "M-4.5,-4.5h9v9h-9z",
  "timeout-now": "M0,-7l7,7l-7,7l-7,-7z",
  other: circlePath(4),
};

/* ------------------------------------------------------------------------------------------ */
/* The view.                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/**
 * @typedef {object} NodeEls
 * @property {SVGGElement} g
 * @property {SVGCircleElement} track
 * @property {SVGCircleElement} arc
 * @property {SVGCircleElement} body
 * @property {SVGTextElement} role
 * @property {SVGTextElement} name
 * @property {SVGTextElement} term
 * @property {SVGTextElement} info
 * @property {SVGTextElement} timer
 * @property {SVGTextElement} report
 * @property {SVGTitleElement} title
 */

/**
 * @typedef {object} StatusRow
 * @property {HTMLTableRowElement} tr
 * @property {Record<"node" | "stream" | "role" | "term" | "vote" | "leader" | "commit" | "applied" | "last" | "report", HTMLTableCellElement>} td
 * @property {Record<Action, HTMLButtonElement>} buttons
 * @property {HTMLElement} result
 */

/**
 * @typedef {object} LogRowEls
 * @property {HTMLTableRowElement} tr
 * @property {HTMLTableCellElement} head
 * @property {HTMLElement} headName
 * @property {HTMLElement} headInfo
 * @property {HTMLElement} headProgress
 * @property {HTMLTableCellElement[]} cells
 */

export class View {
  #controls;
  #ui;

  // ring
  #svg = $("#ring");
  #links = $("#links");
  #nodesG = $("#nodes");
  #dotsG = $("#dots");
  #ratesG = $("#rates");
  #ringEmpty = $("#ring-empty");
  /** @type {Map<number, NodeEls>} */
  #nodeEls = new Map();
  /** @type {Map<number, { x: number, y: number }>} */
  #pos = new Map();
  #layoutKey = "";
  /** @type {SVGPathElement[]} */
  #dotPool = [];
  /** @type {Map<string, SVGTextElement>} */
  #rateEls = new Map();

  // header
  #clusterId = $("#cluster-id");
  #leader = $("#leader");
  #term = $("#term");
  #streams = $("#streams");
  #clock = $("#clock");
  /** @type {HTMLElement} */
  #originHint = $("#origin-hint");

  // status
  /** @type {HTMLTableSectionElement} */
  #statusBody = $("#status tbody");
  /** @type {Map<number, StatusRow>} */
  #statusRows = new Map();

  // logs
  /** @type {HTMLTableRowElement} */
  #logsHead = $("#logs thead tr");
  /** @type {HTMLTableSectionElement} */
  #logsBody = $("#logs tbody");
  #logsEmpty = $("#logs-empty");
  /** @type {HTMLTableCellElement[]} */
  #logsHeadCells = [];
  /** @type {Map<number, LogRowEls>} */
  #logRows = new Map();

  // feed and controls
  /** @type {HTMLOListElement} */
  #feed = $("#feed");
  #feedSeq = 0;
  #writeResult = $("#write-result");
  /** @type {HTMLFormElement} */
  #tokenForm = $("#token-form");
  #tokenNote = $("#token-note");
  /** @type {HTMLInputElement} */
  #tokenInput = $("#token-input");

  /**
   * @param {Controls} controls
   * @param {UiState} ui
   */
  constructor(controls, ui) {
    this.#controls = controls;
    this.#ui = ui;
    const corner = html("th", { scope: "col", class: "corner" }, this.#logsHead);
    corner.textContent = "index →";
  }

  /* ---------------------------------- every frame: the ring ---------------------------------- */

  /**
   * @param {Model} model
   * @param {number} now
   */
  frame(model, now) {
    const nodes = sortedNodes(model);
    this.#layout(nodes);
    attr(this.#ringEmpty, "display", nodes.length === 0 ? null : "none");
    const leaderId = clusterLeader(model);
    for (const node of nodes) this.#drawNode(model, node, now, leaderId);
    this.#drawDots(model, now);
    this.#drawRates(model, now);
  }

  /** @param {NodeView[]} nodes */
  #layout(nodes) {
    const key = nodes.map((n) => n.id).join(",");
    if (key === this.#layoutKey) return;
    this.#layoutKey = key;
    this.#pos.clear();
    nodes.forEach((node, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, nodes.length);
      const r = nodes.length === 1 ? 0 : RING_R;
      this.#pos.set(node.id, { x: CX + r * Math.cos(angle), y: CY + r * Math.sin(angle) });
    });
    for (const [id, els] of this.#nodeEls) {
      if (!this.#pos.has(id)) {
        els.g.remove();
        this.#nodeEls.delete(id);
      }
    }
    for (const [id, p] of this.#pos) {
      let els = this.#nodeEls.get(id);
      if (els === undefined) {
        els = this.#createNode(id);
        this.#nodeEls.set(id, els);
      }
      attr(els.g, "transform", `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
      const above = p.y < CY - RING_R * 0.25;
      const ys = above ? [-TIMER_R - 36, -TIMER_R - 22, -TIMER_R - 8] : [TIMER_R + 17, TIMER_R + 31, TIMER_R + 45];
      // Nodes on the sides push their lines outwards too, away from the links to the others.
      const dx = ((p.x - CX) / RING_R) * 46;
      for (const [i, line] of [els.info, els.timer, els.report].entries()) {
        attr(line, "x", dx.toFixed(1));
        attr(line, "y", ys[i] ?? 0);
      }
    }
    // Fit the picture to the nodes and their lines of detail (3 nodes need less height than 5).
    if (this.#pos.size > 0) {
      let top = Infinity;
      let bottom = -Infinity;
      for (const p of this.#pos.values()) {
        const above = p.y < CY - RING_R * 0.25;
        top = Math.min(top, p.y - TIMER_R - (above ? 50 : 6));
        bottom = Math.max(bottom, p.y + TIMER_R + (above ? 6 : 52));
      }
      attr(this.#svg, "viewBox", `0 ${Math.floor(top - 6)} 600 ${Math.ceil(bottom - top + 12)}`);
    }
    this.#links.replaceChildren();
    const ids = [...this.#pos.keys()];
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = this.#pos.get(/** @type {number} */ (ids[i]));
        const b = this.#pos.get(/** @type {number} */ (ids[j]));
        if (a === undefined || b === undefined) continue;
        svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: "link" }, this.#links);
      }
    }
  }

  /** @param {number} id @returns {NodeEls} */
  #createNode(id) {
    const g = svg("g", { class: "node", "data-node": id }, this.#nodesG);
    const title = svg("title", {}, g);
    const track = svg("circle", { class: "timer-track", r: TIMER_R }, g);
    const arc = svg("circle", { class: "timer-arc", r: TIMER_R, pathLength: 100, transform: "rotate(-90)" }, g);
    const body = svg("circle", { class: "body", r: NODE_R }, g);
    const role = svg("text", { class: "n-role", y: -15, "text-anchor": "middle" }, g);
    const name = svg("text", { class: "n-name", y: 8, "text-anchor": "middle" }, g);
    const term = svg("text", { class: "n-term", y: 24, "text-anchor": "middle" }, g);
    // The three lines of detail sit outside the ring (above the upper nodes, below the
    // others), clear of the links and the messages on them; #layout places them.
    const info = svg("text", { class: "n-info", "text-anchor": "middle" }, g);
    const timer = svg("text", { class: "n-timer", "text-anchor": "middle" }, g);
    const report = svg("text", { class: "n-report", "text-anchor": "middle" }, g);
    text(name, `n${id}`);
    return { g, track, arc, body, role, name, term, info, timer, report, title };
  }

  /**
   * @param {Model} model
   * @param {NodeView} node
   * @param {number} now
   * @param {number | null} leaderId
   */
  #drawNode(model, node, now, leaderId) {
    const els = this.#nodeEls.get(node.id);
    if (els === undefined) return;
    const st = node.state;
    const role = st?.role ?? "unknown";
    attr(els.g, "class", `node role-${role}${node.up ? "" : " down"}${node.id === leaderId ? " is-leader" : ""}`);
    attr(els.g, "data-role", role);
    attr(els.g, "data-term", st === null ? "" : st.term);
    attr(els.g, "data-up", node.up);
    attr(els.g, "data-leader", st?.leader ?? "");
    attr(els.g, "data-vote", st?.vote ?? "");

    const learner = node.memberRole === "learner" ? " (learner)" : "";
    const notMember = node.member ? "" : " (not a member)";
    text(els.role, `${st === null ? "no report" : role}${learner}${notMember}`);
    text(els.term, st === null ? "term –" : `term ${st.term}`);

    if (st === null) {
      text(els.info, "");
    } else if (st.role === "candidate") {
      const voters = [...model.nodes.values()].filter((n) => n.memberRole !== "learner").length;
      text(els.info, `votes seen ${votesSeen(model, node)}/${voters} · vote ${st.vote ?? "–"}`);
    } else if (st.role === "leader") {
      text(els.info, `commit ${st.commit} · last ${st.lastIndex}`);
    } else {
      text(els.info, `vote ${st.vote ?? "–"} · leader ${st.leader ?? "–"}`);
    }

    const timer = electionTimer(node, now, model.limits);
    if (timer === null) {
      attr(els.arc, "stroke-dasharray", "0 100");
      attr(els.track, "display", "none");
      attr(els.arc, "data-stale", null);
      if (st?.role === "leader") {
        const active = st.peers.filter((p) => p.active).length;
        text(els.timer, `peers active ${active}/${st.peers.length}`);
      } else {
        text(els.timer, "");
      }
    } else {
      attr(els.track, "display", null);
      attr(els.arc, "stroke-dasharray", `${(timer.fraction * 100).toFixed(1)} 100`);
      attr(els.arc, "data-stale", timer.stale);
      attr(els.g, "data-timer-ms", Math.round(timer.remainingMs));
      text(
        els.timer,
        timer.stale
          ? `timer stale: ${Math.round(timer.remainingMs)} ms at report`
          : `timeout in ${Math.round(timer.remainingMs)} ms`,
      );
    }
    attr(els.g, "data-stale", timer?.stale ?? false);

    const when = formatClock(node.lastReportAt);
    const full = st?.storageFull === true ? "storage full · " : "";
    text(els.report, node.up ? `${full}report ${when}` : node.lastReportAt === null ? "down, never reported" : `down, last report ${when}`);
    attr(els.report, "class", node.up && full === "" ? "n-report" : "n-report down-text");
    const err = node.error === null ? "" : `\n${node.error}`;
    text(els.title, `node ${node.id}${node.http === null ? "" : ` at ${node.http}`}${node.origin ? " (served this page)" : ""}${err}`);
  }

  /**
   * @param {Model} model
   * @param {number} now
   */
  #drawDots(model, now) {
    const flying = dotsInFlight(model, now);
    let used = 0;
    for (const { dot, progress } of flying) {
      const a = this.#pos.get(dot.from);
      const b = this.#pos.get(dot.to);
      if (a === undefined || b === undefined) continue;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy);
      if (len < 2 * NODE_R) continue;
      const ux = dx / len;
      const uy = dy / len;
      // Start and end at the circles' edges, in the sender's right-hand lane.
      const sx = a.x + ux * NODE_R - uy * LANE;
      const sy = a.y + uy * NODE_R + ux * LANE;
      const travel = len - 2 * NODE_R;
      const x = sx + ux * travel * progress;
      const y = sy + uy * travel * progress;
      let el = this.#dotPool[used];
      if (el === undefined) {
        el = svg("path", { class: "dot" }, this.#dotsG);
        this.#dotPool.push(el);
      }
      used++;
      attr(el, "display", null);
      attr(el, "d", SHAPES[dot.kind]);
      attr(el, "class", `dot k-${dot.kind}${dot.rejected ? " rejected" : ""}`);
      attr(el, "data-dot", dot.id);
      attr(el, "data-type", dot.type);
      attr(el, "data-from", dot.from);
      attr(el, "data-to", dot.to);
      el.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
    }
    for (let i = used; i < this.#dotPool.length; i++) {
      const el = this.#dotPool[i];
      if (el !== undefined) attr(el, "display", "none");
    }
    attr(this.#dotsG, "data-count", used);
  }

  /**
   * @param {Model} model
   * @param {number} now
   */
  #drawRates(model, now) {
    const busy = busyLinks(model, now);
    /** @type {Set<string>} */
    const seen = new Set();
    for (const link of busy) {
      const a = this.#pos.get(link.from);
      const b = this.#pos.get(link.to);
      if (a === undefined || b === undefined) continue;
      const key = `${link.from}>${link.to}`;
      seen.add(key);
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy) || 1;
      // In the sender's lane, a third of the way along: the two directions get two labels.
      const x = a.x + dx * 0.36 - (dy / len) * (LANE + 10);
      const y = a.y + dy * 0.36 + (dx / len) * (LANE + 10);
      let el = this.#rateEls.get(key);
      if (el === undefined) {
        el = svg("text", { class: "rate", "text-anchor": "middle", "data-link": key }, this.#ratesG);
        svg("title", {}, el);
        el.appendChild(document.createTextNode(""));
        this.#rateEls.set(key, el);
      }
      attr(el, "x", x.toFixed(1));
      attr(el, "y", y.toFixed(1));
      const label = `${link.perSec >= 1000 ? `${(link.perSec / 1000).toFixed(1)}k` : Math.round(link.perSec)}/s`;
      const last = el.lastChild;
      if (last !== null && last.textContent !== label) last.textContent = label;
      const detail = Object.entries(link.byType).map(([t, n]) => `${t} ${n}`).join(", ");
      const title = el.firstChild;
      if (title !== null) text(/** @type {Element} */ (title), `node ${link.from} → node ${link.to}: ${link.n} messages in the last window (${detail})`);
    }
    for (const [key, el] of this.#rateEls) {
      if (!seen.has(key)) {
        el.remove();
        this.#rateEls.delete(key);
      }
    }
  }

  /* ------------------------------- a few times a second: tables ------------------------------- */

  /**
   * @param {Model} model
   * @param {number} now
   */
  tables(model, now) {
    const nodes = sortedNodes(model);
    const leaderId = clusterLeader(model);
    const leader = leaderId === null ? null : model.nodes.get(leaderId)?.state ?? null;
    text(this.#clusterId, model.clusterId ?? "…");
    text(this.#leader, leaderId === null ? "none known" : `node ${leaderId}`);
    attr(this.#leader, "data-leader", leaderId ?? "");
    document.body.dataset.leader = leaderId === null ? "" : String(leaderId);
    text(this.#term, leader !== null ? String(leader.term) : model.maxTerm > 0 ? `${model.maxTerm} (highest seen)` : "–");
    const up = nodes.filter((n) => n.up).length;
    text(this.#streams, `${up} / ${nodes.length}`);
    text(this.#clock, formatClock(now));

    this.#drawOriginHint(model);
    this.#drawStatus(model, nodes, leaderId, now);
    this.#drawLogs(model);
    this.#drawFeed(model);
    this.#drawControls();
  }

  /**
   * The other nodes accept cross-origin requests only from the members' own addresses: say so
   * when the page was opened under another name (localhost for 127.0.0.1, say).
   * @param {Model} model
   */
  #drawOriginHint(model) {
    const http = model.originId === null ? null : model.nodes.get(model.originId)?.http ?? null;
    let hint = "";
    if (http !== null) {
      const want = URL.canParse(http) ? new URL(http).origin : "";
      if (want !== "" && want !== location.origin) {
        hint = `This page was opened at ${location.origin}, but the cluster knows this node as ${want}. ` +
          `The other nodes answer the page only at their members' addresses: if their streams stay down, open ${want}/ui.`;
      }
    }
    this.#originHint.hidden = hint === "";
    text(this.#originHint, hint);
  }

  /**
   * @param {Model} model
   * @param {NodeView[]} nodes
   * @param {number | null} leaderId
   * @param {number} now
   */
  #drawStatus(model, nodes, leaderId, now) {
    const ids = new Set(nodes.map((n) => n.id));
    for (const [id, row] of this.#statusRows) {
      if (!ids.has(id)) {
        row.tr.remove();
        this.#statusRows.delete(id);
      }
    }
    let prev = /** @type {Element | null} */ (null);
    for (const node of nodes) {
      let row = this.#statusRows.get(node.id);
      if (row === undefined) {
        row = this.#createStatusRow(node.id);
        this.#statusRows.set(node.id, row);
      }
      // Keep the rows in id order without moving rows that are already in place.
      const want = prev === null ? this.#statusBody.firstElementChild : prev.nextElementSibling;
      if (want !== row.tr) this.#statusBody.insertBefore(row.tr, want);
      prev = row.tr;

      const st = node.state;
      const stale = st !== null && node.up && node.stateReceivedAt !== null && now - node.stateReceivedAt > 5000;
      attr(row.tr, "class", `${node.up ? "up" : "down"}${node.id === leaderId ? " is-leader" : ""}`);
      attr(row.tr, "data-up", node.up);
      attr(row.tr, "data-role", st?.role ?? "");
      const tags = [node.origin ? "page" : "", node.memberRole === "learner" ? "learner" : "", node.member ? "" : "not a member"].filter(Boolean);
      text(row.td.node, `n${node.id}${tags.length > 0 ? ` (${tags.join(", ")})` : ""}`);
      attr(row.td.node, "title", node.http ?? "");
      text(row.td.stream, node.up ? "up" : "down");
      attr(row.td.stream, "title", node.error ?? (node.up ? "event stream open" : node.downSince === null ? "" : `down since ${formatClock(node.downSince)} (page clock)`));
      text(row.td.role, st === null ? "–" : `${st.role}${st.storageFull ? " (storage full)" : ""}`);
      attr(row.td.role, "class", st === null ? "" : `role-text role-${st.role}`);
      text(row.td.term, st === null ? "–" : String(st.term));
      text(row.td.vote, st?.vote == null ? "–" : String(st.vote));
      text(row.td.leader, st?.leader == null ? "–" : String(st.leader));
      text(row.td.commit, st === null ? "–" : String(st.commit));
      text(row.td.applied, st === null ? "–" : String(st.applied));
      text(row.td.last, st === null ? "–" : String(st.lastIndex));
      text(row.td.report, formatClock(node.lastReportAt) + (stale ? " (quiet)" : ""));
      const age = node.stateReceivedAt === null ? "" : `state received ${formatDuration(now - node.stateReceivedAt)} ago`;
      attr(row.td.report, "title", stale ? `${age}: the node reports its state only when something changed` : age);

      for (const action of ACTIONS) {
        const btn = row.buttons[action];
        const launcherAction = action === "stop" || action === "start";
        btn.hidden = launcherAction && model.launcher === null;
        const why = this.#controls.blocked(action, node.id);
        const busy = this.#ui.busy.has(`${action}:${node.id}`);
        btn.disabled = why !== null || busy;
        attr(btn, "title", why ?? this.#actionTitle(action, node.id));
        attr(btn, "data-busy", busy);
      }
      const result = this.#ui.results.get(node.id);
      text(row.result, result?.text ?? "");
      attr(row.result, "class", `row-result ${result === undefined ? "" : result.pending ? "pending" : result.ok ? "ok" : "err"}`);
      attr(row.result, "data-status", result?.status ?? "");
    }
  }

  /** @param {Action} action @param {number} id */
  #actionTitle(action, id) {
    switch (action) {
      case "transfer":
        return `ask the leader to hand leadership to node ${id}`;
      case "snapshot":
        return `snapshot node ${id}'s state machine and compact its log`;
      case "stop":
        return `stop node ${id}'s process (launcher)`;
      case "start":
        return `start node ${id}'s process (launcher)`;
    }
    return "";
  }

  /** @param {number} id @returns {StatusRow} */
  #createStatusRow(id) {
    const tr = html("tr", { "data-status-node": id });
    /** @param {string} cls */
    const cell = (cls) => html("td", { class: cls }, tr);
    const td = {
      node: cell("c-node"),
      stream: cell("c-stream"),
      role: cell("c-role"),
      term: cell("num"),
      vote: cell("num"),
      leader: cell("num"),
      commit: cell("num"),
      applied: cell("num"),
      last: cell("num"),
      report: cell("c-time"),
    };
    const actions = cell("c-actions");
    const labels = { transfer: "lead", snapshot: "snapshot", stop: "stop", start: "start" };
    /** @type {Partial<Record<Action, HTMLButtonElement>>} */
    const buttons = {};
    for (const action of ACTIONS) {
      const b = html("button", { type: "button", class: `act act-${action}`, "data-action": action, "data-target": id }, actions);
      b.textContent = labels[action];
      buttons[action] = b;
    }
    const result = html("div", { class: "row-result", "data-action-result": id, role: "status" }, actions);
    return { tr, td, buttons: /** @type {Record<Action, HTMLButtonElement>} */ (buttons), result };
  }

  /** @param {Model} model */
  #drawLogs(model) {
    const grid = logGrid(model);
    attr(this.#logsEmpty, "hidden", grid.columns.length === 0 ? null : "");

    // Header: one cell per column after the corner; long indexes are written upwards.
    this.#resize(this.#logsHeadCells, grid.columns.length, () => html("th", { scope: "col" }, this.#logsHead));
    const widest = grid.columns.reduce((m, c) => (c.gap ? m : Math.max(m, c.index)), 0);
    attr(this.#logsHead, "class", widest >= 1000 ? "long-index" : null);
    grid.columns.forEach((col, i) => {
      const th = /** @type {HTMLTableCellElement} */ (this.#logsHeadCells[i]);
      this.#columnHead(th, col);
    });

    const ids = new Set(grid.rows.map((r) => r.id));
    for (const [id, row] of this.#logRows) {
      if (!ids.has(id)) {
        row.tr.remove();
        this.#logRows.delete(id);
      }
    }
    let prev = /** @type {Element | null} */ (null);
    for (const r of grid.rows) {
      let row = this.#logRows.get(r.id);
      if (row === undefined) {
        const tr = html("tr", { "data-log-row": r.id });
        const head = html("th", { scope: "row", class: "log-head" }, tr);
        const headName = html("span", { class: "log-name" }, head);
        const headInfo = html("span", { class: "log-info" }, head);
        html("br", {}, head);
        const headProgress = html("span", { class: "log-info log-progress" }, head);
        row = { tr, head, headName, headInfo, headProgress, cells: [] };
        this.#logRows.set(r.id, row);
      }
      const want = prev === null ? this.#logsBody.firstElementChild : prev.nextElementSibling;
      if (want !== row.tr) this.#logsBody.insertBefore(row.tr, want);
      prev = row.tr;

      const st = r.state;
      attr(row.tr, "class", `${r.up ? "up" : "down"}${r.leader ? " is-leader" : ""}`);
      attr(row.tr, "data-up", r.up);
      attr(row.tr, "data-match", r.progress?.match ?? "");
      attr(row.tr, "data-next", r.progress?.next ?? "");
      text(row.headName, `n${r.id}${r.leader ? " ★" : ""}`);
      const parts = st === null ? ["no report"] : [`commit ${st.commit}`, `last ${st.lastIndex}`];
      if (st !== null && st.firstIndex > 1) parts.push(`snapshot ≤ ${st.firstIndex - 1}`);
      text(row.headInfo, parts.join(" · "));
      text(
        row.headProgress,
        r.progress !== null
          ? `leader's view: match ${r.progress.match} · next ${r.progress.next}${r.progress.active ? "" : " (inactive)"}`
          : r.leader ? "leader" : "",
      );
      attr(row.head, "title", r.progress === null ? "" : `the leader's progress for node ${r.id}: ${r.progress.state}`);

      const tr = row.tr;
      this.#resize(row.cells, r.cells.length, () => html("td", {}, tr));
      r.cells.forEach((cell, i) => {
        const td = /** @type {HTMLTableCellElement} */ (row.cells[i]);
        const col = /** @type {LogColumn} */ (grid.columns[i]);
        this.#logCell(td, r.id, cell, col);
      });
    }
  }

  /**
   * @param {HTMLTableCellElement} th
   * @param {LogColumn} col
   */
  #columnHead(th, col) {
    if (col.gap) {
      th.firstElementChild?.remove();
      text(th, "…");
      attr(th, "class", "gap");
      attr(th, "data-col-index", null);
      attr(th, "title", `indexes ${col.from}–${col.to}: in no node's reported tail`);
    } else {
      if (th.firstElementChild === null) {
        th.textContent = "";
        html("span", {}, th);
      }
      text(/** @type {Element} */ (th.firstElementChild), String(col.index));
      attr(th, "class", "");
      attr(th, "data-col-index", col.index);
      attr(th, "title", null);
    }
  }

  /**
   * @param {HTMLTableCellElement} td
   * @param {number} id
   * @param {LogCell | null} cell
   * @param {LogColumn} col
   */
  #logCell(td, id, cell, col) {
    attr(td, "data-log-node", id);
    if (cell === null || col.gap) {
      attr(td, "class", "cell gap");
      attr(td, "data-index", null);
      attr(td, "data-term", null);
      attr(td, "data-committed", null);
      attr(td, "data-state", "gap");
      attr(td, "style", null);
      attr(td, "title", null);
      text(td, "");
      return;
    }
    const classes = ["cell", `s-${cell.state}`];
    if (cell.state === "entry" || cell.state === "unreported") classes.push(cell.committed ? "committed" : "uncommitted");
    if (cell.match) classes.push("match");
    if (cell.next) classes.push("next");
    if (cell.type === "noop" || cell.type === "config") classes.push(`t-${cell.type}`);
    attr(td, "class", classes.join(" "));
    attr(td, "data-index", cell.index);
    attr(td, "data-term", cell.term);
    attr(td, "data-committed", cell.state === "entry" || cell.state === "unreported" || cell.state === "compacted" ? cell.committed : null);
    attr(td, "data-state", cell.state);
    attr(td, "data-match", cell.match ? "true" : null);
    attr(td, "data-next", cell.next ? "true" : null);
    attr(td, "style", cell.term === null ? null : `--term:${termColor(cell.term)}`);
    text(td, cell.state === "entry" ? String(cell.term) : cell.state === "unreported" ? "·" : "");
    /** @type {string[]} */
    const lines = [`node ${id}, index ${cell.index}`];
    switch (cell.state) {
      case "entry":
        lines.push(`term ${cell.term} · ${cell.type} · ${cell.committed ? "committed" : "not committed"}`, cell.text ?? "");
        break;
      case "unreported":
        lines.push(`held, older than the reported tail · ${cell.committed ? "committed" : "not committed"}`);
        break;
      case "compacted":
        lines.push("compacted into the node's snapshot");
        break;
      case "missing":
        lines.push("not in this node's log");
        break;
      case "unknown":
        lines.push("no report from this node");
        break;
    }
    if (cell.match) lines.push("the leader's match index for this node");
    if (cell.next) lines.push("the leader's next index for this node");
    attr(td, "title", lines.join("\n"));
  }

  /**
   * Grow or shrink a list of kept elements to `n`.
   * @template {Element} T
   * @param {T[]} list
   * @param {number} n
   * @param {() => T} make
   */
  #resize(list, n, make) {
    while (list.length < n) list.push(make());
    while (list.length > n) list.pop()?.remove();
  }

  /** @param {Model} model */
  #drawFeed(model) {
    const fresh = model.feed.filter((f) => f.seq > this.#feedSeq);
    for (const item of fresh) {
      const li = html("li", { "data-kind": item.kind, "data-feed-node": item.node ?? "", "data-seq": item.seq });
      const time = html("time", {}, li);
      time.textContent = formatClock(item.at);
      const span = html("span", {}, li);
      const ref = item.kind === "down" ? (item.ref === null ? " (never reported)" : ` (last report ${formatClock(item.ref)})`) : "";
      span.textContent = `${item.text}${ref}`;
      this.#feed.insertBefore(li, this.#feed.firstChild);
      this.#feedSeq = item.seq;
    }
    while (this.#feed.children.length > model.limits.maxFeed) this.#feed.lastElementChild?.remove();
  }

  #drawControls() {
    const ui = this.#ui;
    const w = ui.write;
    text(this.#writeResult, w?.text ?? "");
    attr(this.#writeResult, "class", `result ${w === null ? "" : w.pending ? "pending" : w.ok ? "ok" : "err"}`);
    attr(this.#writeResult, "data-status", w?.status ?? "");
    attr(this.#writeResult, "data-ok", w === null || w.pending ? null : w.ok);
    const wasHidden = this.#tokenForm.hidden;
    this.#tokenForm.hidden = !ui.tokenPrompt;
    text(this.#tokenNote, ui.tokenNote);
    if (wasHidden && ui.tokenPrompt) this.#tokenInput.focus();
  }
}
