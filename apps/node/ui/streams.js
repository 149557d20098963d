// @ts-check
/* global EventSource, setTimeout, clearTimeout */
/**
 * One EventSource per node. The page first opens the stream of the node that served it
 * (`/events`, same origin), learns the members from its `state`, and opens `${http}/events` for
 * every other member; it follows members being added and removed (see model.applyMembership).
 *
 * A node whose stream is not open is down. The browser reconnects an EventSource that lost its
 * connection by itself; one it gave up on (an answer other than 200 text/event-stream, e.g.
 * 503 when the node has too many stream clients) is reopened here with a backoff, for as long
 * as the node is a member.
 */

import {
  applyHello,
  applyMessages,
  applyState,
  parseHello,
  parseMessages,
  parseState,
  setNodeError,
  streamClosed,
  streamOpened,
} from "./model.js";

/** @import { Model } from "./model.js" */

/**
 * @typedef {object} Stream
 * @property {string} key
 * @property {string} url
 * @property {number | null} id       null for the origin until its hello
 * @property {boolean} origin
 * @property {EventSource | null} es
 * @property {ReturnType<typeof setTimeout> | null} retry
 * @property {number} failures
 */

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
/** A stream that reports another node's id than the configuration says is retried this slowly. */
const MISMATCH_RETRY_MS = 10_000;

/**
 * @param {MessageEvent} e
 * @returns {unknown}
 */
function json(e) {
  try {
    return JSON.parse(String(e.data));
  } catch {
    return null;
  }
}

export class Streams {
  /** @type {Map<string, Stream>} */
  #streams = new Map();
  #model;
  #now;
  #originUrl;
  #onEvent;

  /**
   * @param {Model} model
   * @param {{ now: () => number, originUrl?: string, onEvent?: () => void }} opts
   */
  constructor(model, opts) {
    this.#model = model;
    this.#now = opts.now;
    this.#originUrl = opts.originUrl ?? "/events";
    this.#onEvent = opts.onEvent ?? (() => {});
  }

  /** Open the origin's stream; the others follow from its `members`. */
  start() {
    this.#open({ key: "origin", url: this.#originUrl, id: null, origin: true, es: null, retry: null, failures: 0 });
  }

  /** Open a stream for every member not followed yet; close those of nodes that left. */
  sync() {
    const model = this.#model;
    for (const node of model.nodes.values()) {
      if (node.origin || node.http === null) continue;
      const key = `node:${node.id}`;
      const url = `${node.http}/events`;
      const existing = this.#streams.get(key);
      if (existing !== undefined && existing.url === url) continue;
      if (existing !== undefined) this.#close(existing);
      this.#open({ key, url, id: node.id, origin: false, es: null, retry: null, failures: 0 });
    }
    for (const s of [...this.#streams.values()]) {
      if (s.origin || s.id === null) continue;
      const node = model.nodes.get(s.id);
      if (node === undefined || node.origin) this.#close(s);
    }
  }

  /** Close every stream (page unload). */
  stop() {
    for (const s of [...this.#streams.values()]) this.#close(s);
  }

  /** @param {Stream} s */
  #open(s) {
    this.#streams.set(s.key, s);
    s.retry = null;
    const es = new EventSource(s.url);
    s.es = es;
    const model = this.#model;

    es.onopen = () => {
      if (s.es !== es) return;
      s.failures = 0;
      if (s.id !== null) streamOpened(model, s.id, this.#now());
      this.#onEvent();
    };
    es.onerror = () => {
      if (s.es !== es) return;
      if (s.id !== null) streamClosed(model, s.id, this.#now());
      if (es.readyState === EventSource.CLOSED) this.#reopenLater(s, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** s.failures++));
      this.#onEvent();
    };
    es.addEventListener("hello", (e) => {
      if (s.es !== es) return;
      const hello = parseHello(json(e));
      if (hello === null) return;
      if (s.origin) {
        s.id = hello.id;
        applyHello(model, hello, true, this.#now());
      } else if (hello.id !== s.id) {
        if (s.id !== null) {
          setNodeError(model, s.id, `${s.url} reports node ${hello.id}, not node ${s.id}`);
          streamClosed(model, s.id, this.#now());
        }
        es.close();
        this.#reopenLater(s, MISMATCH_RETRY_MS);
      } else {
        applyHello(model, hello, false, this.#now());
      }
      this.#onEvent();
    });
    es.addEventListener("state", (e) => {
      if (s.es !== es || s.id === null) return;
      const st = parseState(json(e));
      if (st === null || st.id !== s.id) return;
      applyState(model, st, this.#now());
      this.sync();
      this.#onEvent();
    });
    es.addEventListener("messages", (e) => {
      if (s.es !== es || s.id === null) return;
      const ev = parseMessages(json(e));
      if (ev === null || ev.id !== s.id) return;
      applyMessages(model, ev, this.#now());
      this.#onEvent();
    });
  }

  /**
   * @param {Stream} s
   * @param {number} delayMs
   */
  #reopenLater(s, delayMs) {
    if (s.retry !== null) return;
    s.es?.close();
    s.es = null;
    s.retry = setTimeout(() => {
      s.retry = null;
      if (this.#streams.get(s.key) === s) this.#open(s);
    }, delayMs);
  }

  /** @param {Stream} s */
  #close(s) {
    if (s.retry !== null) clearTimeout(s.retry);
    s.retry = null;
    s.es?.close();
    s.es = null;
    if (this.#streams.get(s.key) === s) this.#streams.delete(s.key);
  }
}
