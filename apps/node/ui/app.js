// @ts-check
/* global window, document, requestAnimationFrame, Element, HTMLFormElement, HTMLInputElement, HTMLElement */
/**
 * raft-ts live cluster view: the page served at GET /ui (docs/ui.md). Plain ES2022 modules, no
 * build step, no dependencies:
 *
 *   model.js     pure: folds the nodes' events (hello, state, messages) into a view model
 *   streams.js   one EventSource per member, reopened while the member stays in the config
 *   controls.js  write a key, transfer leadership, snapshot, launcher stop/start, API token
 *   view.js      draws the model on animation frames (SVG ring, status, logs, feed)
 *   app.js       wires them together
 *
 * Events only change the model; drawing happens on requestAnimationFrame: the ring (timers,
 * dots) at most every 40 ms, the tables at most every 200 ms and only when something changed
 * (and every 500 ms anyway, for the clocks); on a busy cluster 100 ms and 500 ms (QUIET, BUSY). Every list is bounded: dots (60), feed (100), log
 * columns (32).
 *
 * Test hooks (stable; also listed in docs/ui.md, "Test hooks"):
 *
 *   [data-node="1"]                   the node in the ring (SVG <g>), with data-role
 *                                     (follower|candidate|leader|unknown), data-term,
 *                                     data-up="true|false", data-stale="true|false",
 *                                     data-vote, data-leader, data-timer-ms (followers/candidates)
 *   [data-status-node="1"]            its row in the status table, with data-up, data-role
 *   [data-log-row="1"]                its row of the logs, with data-up, data-match, data-next
 *                                     (the leader's progress for it; empty when none)
 *   [data-log-node="1"][data-index="12"]  a log cell, with data-term, data-committed="true|false",
 *                                     data-state (entry|unreported|compacted|missing|unknown),
 *                                     data-match="true" / data-next="true" where the leader's
 *                                     match / next index for that node falls
 *   #logs th[data-col-index="12"]     the column heads
 *   #write-key, #write-value, #write-submit, #write-result (data-status = HTTP status,
 *                                     data-ok="true|false" once answered)
 *   [data-action="stop|start|transfer|snapshot"][data-target="1"]  per-node buttons (stop/start
 *                                     are hidden when no launcher is known; disabled ones say
 *                                     why in their title)
 *   [data-action-result="1"]          the outcome of the last action on node 1 (data-status)
 *   #token-form, #token-input, #token-submit, #token-cancel   the API token prompt (hidden
 *                                     until a request answers 401)
 *   #feed > li                        the event feed, newest first, with data-kind
 *                                     (leader|election|stepdown|term|up|down|member),
 *                                     data-feed-node
 *   #dots[data-count]                 dots in flight; each dot has data-type, data-from, data-to
 *   #leader[data-leader], body[data-leader]   the leader as reported ("" when none is known)
 *   window.raftView.model             the live model (read only), for debugging
 */

import { busyLinks, createModel, pruneDots } from "./model.js";
import { Streams } from "./streams.js";
import { ACTIONS, Controls, createUiState } from "./controls.js";
import { View } from "./view.js";

/**
 * How often the page redraws, by how busy the cluster is. Every frame the page skips is one the
 * browser need not paint, and on a small machine that also runs the cluster the page's painting
 * competes with the nodes for the CPU (`pnpm bench ui --browser` measures it). A quiet cluster,
 * the one people watch to learn, gets smooth motion (the ring 25 times a second, the tables 5);
 * once some link carries more than manyPerSec messages a second, the ring is drawn 10 times a
 * second and the tables twice: nobody follows single dots at that rate, and the rates show.
 */
const QUIET = { ringMs: 40, tablesMinMs: 200, tablesMaxMs: 500 };
const BUSY = { ringMs: 100, tablesMinMs: 500, tablesMaxMs: 1000 };

const now = () => Date.now();
const model = createModel();
const ui = createUiState();
const controls = new Controls(model, ui, now);
const view = new View(controls, ui);
const streams = new Streams(model, { now });

/** @type {Window & { raftView?: unknown }} */ (window).raftView = { model, ui };

/* ------------------------------------------ controls ------------------------------------------ */

/**
 * @template {Element} T
 * @param {string} selector
 * @param {{ new (): T, prototype: T }} type
 * @returns {T}
 */
function el(selector, type) {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`the page has no ${selector}`);
  return found;
}

const writeForm = el("#write-form", HTMLFormElement);
const writeKey = el("#write-key", HTMLInputElement);
const writeValue = el("#write-value", HTMLInputElement);
writeForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void controls.write(writeKey.value, writeValue.value);
});

const tokenForm = el("#token-form", HTMLFormElement);
const tokenInput = el("#token-input", HTMLInputElement);
tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const token = tokenInput.value;
  tokenInput.value = "";
  controls.provideToken(token);
});
el("#token-cancel", HTMLElement).addEventListener("click", () => {
  tokenInput.value = "";
  controls.provideToken(null);
});

el("#status", HTMLElement).addEventListener("click", (e) => {
  const target = e.target instanceof Element ? e.target.closest("button[data-action]") : null;
  if (target === null) return;
  const action = ACTIONS.find((a) => a === target.getAttribute("data-action"));
  const id = Number(target.getAttribute("data-target"));
  if (action === undefined || !Number.isSafeInteger(id)) return;
  void controls.run(action, id);
});

/* ------------------------------------------ drawing ------------------------------------------- */

let drawnVersion = -1;
let drawnUiVersion = -1;
let tablesAt = 0;
let ringAt = 0;

function frame() {
  const t = now();
  const pace = busyLinks(model, t).length > 0 ? BUSY : QUIET;
  if (t - ringAt >= pace.ringMs) {
    ringAt = t;
    pruneDots(model, t);
    view.frame(model, t);
  }
  const changed = model.version !== drawnVersion || ui.version !== drawnUiVersion;
  const since = t - tablesAt;
  if ((changed && since >= pace.tablesMinMs) || since >= pace.tablesMaxMs || ui.version !== drawnUiVersion) {
    drawnVersion = model.version;
    drawnUiVersion = ui.version;
    tablesAt = t;
    view.tables(model, t);
  }
  requestAnimationFrame(frame);
}

streams.start();
window.addEventListener("pagehide", () => streams.stop());
window.addEventListener("pageshow", (e) => {
  if (e.persisted) streams.start();
});
requestAnimationFrame(frame);
