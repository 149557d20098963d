// @ts-check
/* global fetch, Headers, URL */
/**
 * The controls: write a key through the leader, transfer leadership, snapshot a node, and stop
 * or start a node through the launcher (only when the nodes' hello names one). Every outcome is
 * kept in the UI state and drawn inline by the view; nothing uses alert().
 *
 * With an `apiToken` set, writes and /admin answer 401: the page then asks for the token once
 * (a password input), retries the request with `Authorization: Bearer <token>`, and sends it
 * with every later request. A refused token is forgotten, and the next 401 asks again.
 */

import { leaderTarget } from "./model.js";

/** @import { Model } from "./model.js" */

/**
 * @typedef {object} ActionResult
 * @property {boolean} pending
 * @property {boolean} ok
 * @property {number | null} status   the HTTP status, null for a network error or a refusal here
 * @property {string} text
 * @property {number} at              page time
 */

/** @typedef {"stop" | "start" | "transfer" | "snapshot"} Action */

/**
 * What the view draws besides the model: outcomes, busy buttons, the token prompt.
 * @typedef {object} UiState
 * @property {Map<number, ActionResult>} results   per node: its last action's outcome
 * @property {ActionResult | null} write
 * @property {Set<string>} busy                    `${action}:${id}` in flight
 * @property {boolean} tokenPrompt
 * @property {string} tokenNote
 * @property {boolean} hasToken
 * @property {number} version
 */

/** @returns {UiState} */
export function createUiState() {
  return { results: new Map(), write: null, busy: new Set(), tokenPrompt: false, tokenNote: "", hasToken: false, version: 0 };
}

/** @type {readonly Action[]} */
export const ACTIONS = ["transfer", "snapshot", "stop", "start"];

/**
 * @param {string} s
 * @param {number} max
 */
function clip(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * A short account of an HTTP answer: status, then the error message or the body.
 * @param {Response} res
 * @param {string} body
 */
function describe(res, body) {
  const head = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  let detail = body.trim();
  try {
    const parsed = /** @type {unknown} */ (JSON.parse(body));
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const e = /** @type {{ error: unknown }} */ (parsed).error;
      if (typeof e === "object" && e !== null) {
        const { code, message } = /** @type {{ code?: unknown, message?: unknown }} */ (e);
        detail = `${String(code ?? "error")}: ${String(message ?? "")}`;
      }
    } else if (typeof parsed === "object" && parsed !== null && "key" in parsed && "index" in parsed) {
      const { key, index } = /** @type {{ key: unknown, index: unknown }} */ (parsed);
      detail = `${JSON.stringify(key)} written at index ${String(index)}`;
    } else if (typeof parsed === "object" && parsed !== null && "from" in parsed && "to" in parsed && "term" in parsed) {
      const { from, to, term } = /** @type {{ from: unknown, to: unknown, term: unknown }} */ (parsed);
      detail = `node ${String(from)} handed leadership to node ${String(to)} (term ${String(term)})`;
    } else if (typeof parsed === "object" && parsed !== null && "index" in parsed && "term" in parsed) {
      const { index, term } = /** @type {{ index: unknown, term: unknown }} */ (parsed);
      detail = `snapshot at index ${String(index)} (term ${String(term)})`;
    } else {
      detail = JSON.stringify(parsed);
    }
  } catch {
    // not JSON: keep the text
  }
  const via = res.redirected ? ` (answered by ${new URL(res.url).origin})` : "";
  return clip(detail.length > 0 ? `${head}: ${detail}${via}` : `${head}${via}`, 200);
}

export class Controls {
  #model;
  #ui;
  #now;
  /** @type {string | null} */
  #token = null;
  /** @type {Promise<string | null> | null} */
  #asking = null;
  /** @type {((token: string | null) => void) | null} */
  #answer = null;

  /**
   * @param {Model} model
   * @param {UiState} ui
   * @param {() => number} now
   */
  constructor(model, ui, now) {
    this.#model = model;
    this.#ui = ui;
    this.#now = now;
  }

  /**
   * Write `value` at `key` through the current leader.
   * @param {string} key
   * @param {string} value
   */
  async write(key, value) {
    const ui = this.#ui;
    if (key.length === 0) {
      ui.write = this.#local("enter a key first");
      ui.version++;
      return;
    }
    const leader = leaderTarget(this.#model);
    if (leader === null) {
      ui.write = this.#local("no leader is known right now (no up node reports one); try again shortly");
      ui.version++;
      return;
    }
    ui.write = { pending: true, ok: false, status: null, text: `PUT to node ${leader.id}…`, at: this.#now() };
    ui.version++;
    const started = this.#now();
    ui.write = await this.#send(`${leader.http}/kv/${encodeURIComponent(key)}`, {
      method: "PUT",
      body: value,
      headers: { "content-type": "text/plain;charset=utf-8" },
    }, `node ${leader.id}`, started);
    ui.version++;
  }

  /**
   * Run a per-node action.
   * @param {Action} action
   * @param {number} id
   */
  async run(action, id) {
    const ui = this.#ui;
    const key = `${action}:${id}`;
    if (ui.busy.has(key)) return;
    const target = this.#target(action, id);
    if (typeof target === "string") {
      ui.results.set(id, this.#local(target));
      ui.version++;
      return;
    }
    ui.busy.add(key);
    ui.results.set(id, { pending: true, ok: false, status: null, text: `${action}…`, at: this.#now() });
    ui.version++;
    const started = this.#now();
    try {
      const result = await this.#send(target.url, { method: "POST" }, target.who, started);
      result.text = `${action}: ${result.text}`;
      ui.results.set(id, result);
    } finally {
      ui.busy.delete(key);
      ui.version++;
    }
  }

  /**
   * Whether an action can run now, and why not (for the button's disabled state and title).
   * @param {Action} action
   * @param {number} id
   * @returns {string | null}   null when it can
   */
  blocked(action, id) {
    const target = this.#target(action, id);
    return typeof target === "string" ? target : null;
  }

  /** The token the user typed (or null: cancelled). @param {string | null} token */
  provideToken(token) {
    const answer = this.#answer;
    this.#answer = null;
    this.#asking = null;
    this.#ui.tokenPrompt = false;
    this.#ui.version++;
    answer?.(token === null || token.length === 0 ? null : token);
  }

  /**
   * @param {Action} action
   * @param {number} id
   * @returns {{ url: string, who: string } | string}   a string says why it cannot run
   */
  #target(action, id) {
    const model = this.#model;
    const node = model.nodes.get(id);
    if (node === undefined) return `node ${id} is not known`;
    switch (action) {
      case "transfer": {
        const leader = leaderTarget(model);
        if (leader === null) return "no leader is known";
        if (leader.id === id) return `node ${id} is the leader`;
        if (node.memberRole === "learner") return `node ${id} is a learner`;
        return { url: `${leader.http}/admin/leadership-transfer?to=${id}`, who: `leader ${leader.id}` };
      }
      case "snapshot":
        if (node.http === null) return `no HTTP address known for node ${id}`;
        if (!node.up) return `node ${id} is down`;
        return { url: `${node.http}/admin/snapshot`, who: `node ${id}` };
      case "stop":
      case "start":
        if (model.launcher === null) return "no launcher: this cluster was not started by pnpm start";
        return { url: `${model.launcher}/nodes/${id}/${action}`, who: "the launcher" };
    }
    return `unknown action ${String(action)}`;
  }

  /** @param {string} text @returns {ActionResult} */
  #local(text) {
    return { pending: false, ok: false, status: null, text, at: this.#now() };
  }

  /**
   * @param {string} url
   * @param {RequestInit} init
   * @param {string} who
   * @param {number} started
   * @returns {Promise<ActionResult>}
   */
  async #send(url, init, who, started) {
    try {
      let res = await fetch(url, this.#withToken(init, this.#token));
      if (res.status === 401) {
        const refused = this.#token !== null;
        this.#token = null;
        this.#ui.hasToken = false;
        const token = await this.#askToken(refused ? "The API token was refused: enter it again" : `${who} needs the cluster's API token`);
        if (token !== null) {
          res = await fetch(url, this.#withToken(init, token));
          if (res.status !== 401) {
            this.#token = token;
            this.#ui.hasToken = true;
          }
        }
      }
      const body = await res.text();
      const ms = Math.round(this.#now() - started);
      return { pending: false, ok: res.ok, status: res.status, text: `${describe(res, body)} (${ms} ms)`, at: this.#now() };
    } catch {
      return {
        pending: false,
        ok: false,
        status: null,
        text: `network error: ${who} did not answer (down, or the request was refused by CORS)`,
        at: this.#now(),
      };
    }
  }

  /**
   * @param {RequestInit} init
   * @param {string | null} token
   * @returns {RequestInit}
   */
  #withToken(init, token) {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set("authorization", `Bearer ${token}`);
    return { ...init, headers, mode: "cors" };
  }

  /**
   * Show the token prompt (once, however many requests wait on it).
   * @param {string} note
   * @returns {Promise<string | null>}
   */
  #askToken(note) {
    if (this.#asking !== null) return this.#asking;
    this.#ui.tokenPrompt = true;
    this.#ui.tokenNote = note;
    this.#ui.version++;
    this.#asking = new Promise((resolve) => {
      this.#answer = resolve;
    });
    return this.#asking;
  }
}
