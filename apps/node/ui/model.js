// @ts-check
/**
 * The live view's model: pure functions that fold what the nodes report (the `hello`, `state`
 * and `messages` events of docs/ui.md) into one view model, and derive what the page draws
 * from it.
 *
 * No DOM, no clock, no timers, no randomness: every function that depends on time takes `now`
 * (ms since the epoch, the page's clock), so the tests drive it exactly like the page does.
 * Nothing here invents state: a node's fields are the ones it last reported, and the only
 * value computed between reports is the election timer countdown (see `electionTimer`), which
 * says how old the report it counts from is.
 */

/** @typedef {"follower" | "candidate" | "leader"} Role */

/**
 * @typedef {object} Hello
 * @property {number} v
 * @property {number} id
 * @property {string | null} clusterId
 * @property {number | null} tickMs
 * @property {[number, number] | null} electionTimeoutMs
 * @property {number | null} heartbeatMs
 * @property {string | null} launcher
 */

/**
 * @typedef {object} PeerProgress
 * @property {number} id
 * @property {boolean} voter
 * @property {number} match
 * @property {number} next
 * @property {string} state
 * @property {boolean} active
 */

/**
 * @typedef {object} Member
 * @property {number} id
 * @property {string} role   "voter" or "learner"
 * @property {string} http   the member's HTTP base URL
 */

/**
 * @typedef {object} LogEntry
 * @property {number} index
 * @property {number} term
 * @property {string} type   "normal", "noop" or "config"
 * @property {string} text
 */

/**
 * @typedef {object} Election
 * @property {number} elapsedMs
 * @property {number} timeoutMs
 */

/**
 * @typedef {object} NodeState
 * @property {number} id
 * @property {number} at
 * @property {Role} role
 * @property {number} term
 * @property {number | null} vote
 * @property {number | null} leader
 * @property {number} commit
 * @property {number} applied
 * @property {number} firstIndex
 * @property {number} lastIndex
 * @property {number} lastTerm
 * @property {Election | null} election
 * @property {PeerProgress[]} peers
 * @property {Member[]} members
 * @property {boolean} storageFull
 * @property {LogEntry[]} log   oldest first
 */

/**
 * @typedef {object} SampleMessage
 * @property {number} to
 * @property {string} type
 * @property {number} term
 * @property {number} at
 * @property {number | null} entries
 * @property {boolean | null} prevote
 * @property {boolean | null} granted
 * @property {boolean | null} success
 */

/**
 * @typedef {object} MessageCount
 * @property {number} to
 * @property {string} type
 * @property {number} n
 */

/**
 * @typedef {object} MessagesEvent
 * @property {number} id
 * @property {number} at
 * @property {number} windowMs
 * @property {SampleMessage[]} sample
 * @property {MessageCount[]} counts
 */

/**
 * @typedef {"vote-request" | "vote-response" | "prevote-request" | "prevote-response" |
 *   "append" | "append-response" | "heartbeat" | "heartbeat-response" | "snapshot" |
 *   "snapshot-response" | "timeout-now" | "other"} MessageKind
 */

/**
 * One node as the page knows it: what it last reported, and whether its stream is open.
 * @typedef {object} NodeView
 * @property {number} id
 * @property {string | null} http         from the configuration's members
 * @property {string | null} memberRole   "voter" / "learner", from the configuration
 * @property {boolean} member             in the configuration the page follows
 * @property {boolean} origin             the node that served the page
 * @property {boolean} up                 its event stream is open
 * @property {boolean} everUp
 * @property {number | null} downSince    page time the stream closed (or was first missed)
 * @property {Hello | null} hello
 * @property {NodeState | null} state     the last state it reported
 * @property {number | null} stateReceivedAt   page time that state arrived
 * @property {number | null} lastReportAt      the node's `at` of its latest state or messages
 * @property {string | null} error        a problem with its stream (e.g. it reports another id)
 */

/**
 * @typedef {"leader" | "election" | "stepdown" | "term" | "up" | "down" | "member"} FeedKind
 */

/**
 * @typedef {object} FeedItem
 * @property {number} seq
 * @property {number} at           page time it was observed
 * @property {FeedKind} kind
 * @property {number | null} node
 * @property {string} text
 * @property {number | null} ref   a related node time (the last report, for `down`)
 */

/**
 * A sampled message travelling from `from` to `to` between page times `start` and `end`.
 * @typedef {object} Dot
 * @property {number} id
 * @property {number} from
 * @property {number} to
 * @property {string} type
 * @property {MessageKind} kind
 * @property {number} term
 * @property {number | null} entries
 * @property {boolean} rejected
 * @property {number} start
 * @property {number} end
 */

/**
 * Messages sent on one link (from -> to) in the sender's last window.
 * @typedef {object} LinkRate
 * @property {number} from
 * @property {number} to
 * @property {number} n
 * @property {number} perSec
 * @property {Record<string, number>} byType
 * @property {number} at           page time the window was reported
 */

/**
 * @typedef {object} Limits
 * @property {number} maxDots        sampled messages animated at once
 * @property {number} maxDotsPerLink  sampled messages animated per link and window (the rate label tells the rest)
 * @property {number} maxFeed        feed items kept
 * @property {number} maxLogColumns  log indexes shown
 * @property {number} staleMs        a report older than this freezes the election timer
 * @property {number} dotMs          how long a dot travels (slowed down to be seen)
 * @property {number} linkRateMs     a link's rate is shown this long after its window
 * @property {number} manyPerSec     a link's rate label shows from this rate up
 * @property {number} skewMs         a report whose `at` is this far from the page's clock is timed by its arrival
 */

/**
 * @typedef {object} Model
 * @property {Map<number, NodeView>} nodes
 * @property {number | null} originId
 * @property {string | null} clusterId
 * @property {string | null} launcher
 * @property {boolean} membersKnown
 * @property {number} maxTerm
 * @property {FeedItem[]} feed     oldest first, at most limits.maxFeed
 * @property {number} feedSeq
 * @property {Dot[]} dots          at most limits.maxDots
 * @property {number} dotSeq
 * @property {number} droppedDots  sampled messages not drawn because the cap was reached
 * @property {Map<string, LinkRate>} links
 * @property {number} version      bumped on every change that the tables show
 * @property {Limits} limits
 */

/** @type {Readonly<Limits>} */
export const DEFAULT_LIMITS = Object.freeze({
  maxDots: 60,
  maxDotsPerLink: 2,
  maxFeed: 100,
  maxLogColumns: 32,
  staleMs: 1000,
  dotMs: 700,
  linkRateMs: 1000,
  manyPerSec: 50,
  skewMs: 1000,
});

const ROLES = /** @type {const} */ (["follower", "candidate", "leader"]);

/* ------------------------------------------------------------------------------------------ */
/* Parsing: the events arrive as JSON from other processes; take only well-formed fields.     */
/* ------------------------------------------------------------------------------------------ */

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** @param {unknown} v */
function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * @param {unknown} v
 * @param {number} fallback
 */
function numOr(v, fallback) {
  return isNum(v) ? /** @type {number} */ (v) : fallback;
}

/** @param {unknown} v */
function idOrNull(v) {
  return isNum(v) ? /** @type {number} */ (v) : null;
}

/** @param {unknown} v */
function boolOrNull(v) {
  return typeof v === "boolean" ? v : null;
}

/** @param {unknown} v */
function strOrNull(v) {
  return typeof v === "string" ? v : null;
}

/**
 * @param {unknown} v
 * @returns {Hello | null}
 */
export function parseHello(v) {
  if (!isObject(v) || !isNum(v.id)) return null;
  const range = v.electionTimeoutMs;
  const timeouts = Array.isArray(range) && range.length === 2 && isNum(range[0]) && isNum(range[1])
    ? /** @type {[number, number]} */ ([range[0], range[1]])
    : null;
  return {
    v: numOr(v.v, 0),
    id: /** @type {number} */ (v.id),
    clusterId: strOrNull(v.clusterId),
    tickMs: isNum(v.tickMs) ? /** @type {number} */ (v.tickMs) : null,
    electionTimeoutMs: timeouts,
    heartbeatMs: isNum(v.heartbeatMs) ? /** @type {number} */ (v.heartbeatMs) : null,
    launcher: typeof v.launcher === "string" && v.launcher.length > 0 ? v.launcher : null,
  };
}

/**
 * @param {unknown} v
 * @returns {PeerProgress | null}
 */
function parsePeer(v) {
  if (!isObject(v) || !isNum(v.id)) return null;
  return {
    id: /** @type {number} */ (v.id),
    voter: v.voter !== false,
    match: numOr(v.match, 0),
    next: numOr(v.next, 0),
    state: typeof v.state === "string" ? v.state : "",
    active: v.active === true,
  };
}

/**
 * @param {unknown} v
 * @returns {Member | null}
 */
function parseMember(v) {
  if (!isObject(v) || !isNum(v.id)) return null;
  return {
    id: /** @type {number} */ (v.id),
    role: typeof v.role === "string" ? v.role : "voter",
    http: typeof v.http === "string" ? v.http.replace(/\/+$/, "") : "",
  };
}

/**
 * @param {unknown} v
 * @returns {LogEntry | null}
 */
function parseEntry(v) {
  if (!isObject(v) || !isNum(v.index) || !isNum(v.term)) return null;
  return {
    index: /** @type {number} */ (v.index),
    term: /** @type {number} */ (v.term),
    type: typeof v.type === "string" ? v.type : "normal",
    text: typeof v.text === "string" ? v.text : "",
  };
}

/**
 * @template T
 * @param {unknown} v
 * @param {(x: unknown) => T | null} parse
 * @returns {T[]}
 */
function parseList(v, parse) {
  if (!Array.isArray(v)) return [];
  /** @type {T[]} */
  const out = [];
  for (const x of v) {
    const p = parse(x);
    if (p !== null) out.push(p);
  }
  return out;
}

/**
 * @param {unknown} v
 * @returns {NodeState | null}
 */
export function parseState(v) {
  if (!isObject(v) || !isNum(v.id) || !isNum(v.at) || !isNum(v.term)) return null;
  const role = ROLES.find((r) => r === v.role);
  if (role === undefined) return null;
  const e = v.election;
  const election = isObject(e) && isNum(e.elapsedMs) && isNum(e.timeoutMs)
    ? { elapsedMs: /** @type {number} */ (e.elapsedMs), timeoutMs: /** @type {number} */ (e.timeoutMs) }
    : null;
  const log = parseList(v.log, parseEntry).sort((a, b) => a.index - b.index);
  const lastIndex = numOr(v.lastIndex, log.length > 0 ? /** @type {LogEntry} */ (log[log.length - 1]).index : 0);
  return {
    id: /** @type {number} */ (v.id),
    at: /** @type {number} */ (v.at),
    role,
    term: /** @type {number} */ (v.term),
    vote: idOrNull(v.vote),
    leader: idOrNull(v.leader),
    commit: numOr(v.commit, 0),
    applied: numOr(v.applied, 0),
    firstIndex: numOr(v.firstIndex, 1),
    lastIndex,
    lastTerm: numOr(v.lastTerm, 0),
    election,
    peers: parseList(v.peers, parsePeer),
    members: parseList(v.members, parseMember),
    storageFull: v.storageFull === true,
    log,
  };
}

/**
 * @param {unknown} v
 * @returns {SampleMessage | null}
 */
function parseSample(v) {
  if (!isObject(v) || !isNum(v.to) || typeof v.type !== "string") return null;
  return {
    to: /** @type {number} */ (v.to),
    type: v.type,
    term: numOr(v.term, 0),
    at: numOr(v.at, 0),
    entries: isNum(v.entries) ? /** @type {number} */ (v.entries) : null,
    prevote: boolOrNull(v.prevote),
    granted: boolOrNull(v.granted),
    success: boolOrNull(v.success),
  };
}

/**
 * @param {unknown} v
 * @returns {MessageCount | null}
 */
function parseCount(v) {
  if (!isObject(v) || !isNum(v.to) || typeof v.type !== "string" || !isNum(v.n)) return null;
  return { to: /** @type {number} */ (v.to), type: v.type, n: /** @type {number} */ (v.n) };
}

/**
 * @param {unknown} v
 * @returns {MessagesEvent | null}
 */
export function parseMessages(v) {
  if (!isObject(v) || !isNum(v.id) || !isNum(v.at)) return null;
  const windowMs = numOr(v.windowMs, 100);
  return {
    id: /** @type {number} */ (v.id),
    at: /** @type {number} */ (v.at),
    windowMs: windowMs > 0 ? windowMs : 100,
    sample: parseList(v.sample, parseSample),
    counts: parseList(v.counts, parseCount),
  };
}

/* ------------------------------------------------------------------------------------------ */
/* The model and the folds.                                                                    */
/* ------------------------------------------------------------------------------------------ */

/**
 * @param {Partial<Limits>} [limits]
 * @returns {Model}
 */
export function createModel(limits) {
  return {
    nodes: new Map(),
    originId: null,
    clusterId: null,
    launcher: null,
    membersKnown: false,
    maxTerm: 0,
    feed: [],
    feedSeq: 0,
    dots: [],
    dotSeq: 0,
    droppedDots: 0,
    links: new Map(),
    version: 0,
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
}

/**
 * @param {Model} model
 * @param {number} id
 * @returns {NodeView}
 */
export function ensureNode(model, id) {
  let node = model.nodes.get(id);
  if (node === undefined) {
    node = {
      id,
      http: null,
      memberRole: null,
      member: false,
      origin: false,
      up: false,
      everUp: false,
      downSince: null,
      hello: null,
      state: null,
      stateReceivedAt: null,
      lastReportAt: null,
      error: null,
    };
    model.nodes.set(id, node);
    model.version++;
  }
  return node;
}

/**
 * @param {Model} model
 * @param {number} now
 * @param {FeedKind} kind
 * @param {number | null} node
 * @param {string} text
 * @param {number | null} [ref]
 */
export function pushFeed(model, now, kind, node, text, ref = null) {
  model.feed.push({ seq: ++model.feedSeq, at: now, kind, node, text, ref });
  const over = model.feed.length - model.limits.maxFeed;
  if (over > 0) model.feed.splice(0, over);
  model.version++;
}

/**
 * @param {Model} model
 * @param {NodeView} node
 * @param {number} now
 */
function markUp(model, node, now) {
  if (node.up) return;
  node.up = true;
  if (node.everUp) {
    const away = node.downSince === null ? "" : ` after ${formatDuration(now - node.downSince)}`;
    pushFeed(model, now, "up", node.id, `node ${node.id} up: stream open again${away}`);
  } else {
    pushFeed(model, now, "up", node.id, `node ${node.id} up: stream open`);
  }
  node.everUp = true;
  node.downSince = null;
  model.version++;
}

/**
 * @param {Model} model
 * @param {NodeView} node
 * @param {number} now
 */
function markDown(model, node, now) {
  if (node.up) {
    node.up = false;
    node.downSince = now;
    pushFeed(model, now, "down", node.id, `node ${node.id} down: stream closed`, node.lastReportAt);
  } else if (node.downSince === null) {
    // Never reached yet: say so once, not at every retry.
    node.downSince = now;
    pushFeed(model, now, "down", node.id, `node ${node.id} unreachable: no stream`, node.lastReportAt);
  }
  model.version++;
}

/**
 * The `hello` event: the first on every stream. `origin` is true for the stream of the node
 * that served the page.
 * @param {Model} model
 * @param {Hello} hello
 * @param {boolean} origin
 * @param {number} now
 * @returns {NodeView}
 */
export function applyHello(model, hello, origin, now) {
  const node = ensureNode(model, hello.id);
  node.hello = hello;
  node.error = null;
  if (origin) {
    model.originId = hello.id;
    node.origin = true;
  }
  if (hello.launcher !== null && (origin || model.launcher === null)) model.launcher = hello.launcher;
  if (hello.clusterId !== null && (origin || model.clusterId === null)) model.clusterId = hello.clusterId;
  markUp(model, node, now);
  model.version++;
  return node;
}

/**
 * A node's stream opened (before its hello: the origin's id is only known from its hello).
 * @param {Model} model
 * @param {number} id
 * @param {number} now
 */
export function streamOpened(model, id, now) {
  const node = model.nodes.get(id);
  if (node !== undefined) markUp(model, node, now);
}

/**
 * A node's stream closed or could not open: the node shows as down, with its last report.
 * @param {Model} model
 * @param {number} id
 * @param {number} now
 */
export function streamClosed(model, id, now) {
  const node = model.nodes.get(id);
  if (node !== undefined) markDown(model, node, now);
}

/**
 * Record a problem with a node's stream (shown beside it).
 * @param {Model} model
 * @param {number} id
 * @param {string | null} error
 */
export function setNodeError(model, id, error) {
  const node = model.nodes.get(id);
  if (node !== undefined && node.error !== error) {
    node.error = error;
    model.version++;
  }
}

/**
 * The `state` event.
 * @param {Model} model
 * @param {NodeState} st
 * @param {number} now
 */
export function applyState(model, st, now) {
  const node = ensureNode(model, st.id);
  const prev = node.state;

  if (st.term > model.maxTerm) {
    const was = model.maxTerm > 0 ? ` (was ${model.maxTerm})` : "";
    pushFeed(model, now, "term", st.id, `term ${st.term}${was}, first seen at node ${st.id} (${st.role})`);
    model.maxTerm = st.term;
  }
  if (st.role === "leader" && (prev === null || prev.role !== "leader" || prev.term !== st.term)) {
    const verb = prev === null ? "is" : "became";
    pushFeed(model, now, "leader", st.id, `node ${st.id} ${verb} leader in term ${st.term}`);
  } else if (st.role === "candidate" && prev !== null && (prev.role !== "candidate" || prev.term !== st.term)) {
    pushFeed(model, now, "election", st.id, `node ${st.id} campaigns in term ${st.term}`);
  }
  if (prev !== null && prev.role === "leader" && st.role !== "leader") {
    pushFeed(model, now, "stepdown", st.id, `node ${st.id} stepped down (term ${st.term}, now ${st.role})`);
  }

  node.state = st;
  node.stateReceivedAt = now;
  node.lastReportAt = node.lastReportAt === null ? st.at : Math.max(node.lastReportAt, st.at);
  markUp(model, node, now);

  if (isMembershipSource(model, st)) applyMembership(model, st.members, now);
  model.version++;
}

/**
 * Whose `members` the page follows: the current leader's (a leader whose term is the highest
 * seen), else the origin's while no live leader is known, else anyone's until some are known.
 * @param {Model} model
 * @param {NodeState} st
 */
function isMembershipSource(model, st) {
  if (st.members.length === 0) return false;
  if (st.role === "leader" && st.term >= model.maxTerm) return true;
  if (!model.membersKnown) return true;
  return st.id === model.originId && clusterLeader(model) === null;
}

/**
 * Follow a configuration: add the members not known yet, drop the nodes that left it (the
 * origin is kept, marked as not a member).
 * @param {Model} model
 * @param {Member[]} members
 * @param {number} now
 */
export function applyMembership(model, members, now) {
  const ids = new Set(members.map((m) => m.id));
  for (const m of members) {
    const known = model.nodes.get(m.id);
    const node = ensureNode(model, m.id);
    if (model.membersKnown && (known === undefined || !known.member)) {
      pushFeed(model, now, "member", m.id, `node ${m.id} joined the configuration (${m.role})`);
    }
    if (!node.member || node.http !== (m.http || null) || node.memberRole !== m.role) {
      node.member = true;
      node.http = m.http || null;
      node.memberRole = m.role;
      model.version++;
    }
  }
  for (const node of [...model.nodes.values()]) {
    if (ids.has(node.id)) continue;
    if (model.membersKnown && node.member) {
      pushFeed(model, now, "member", node.id, `node ${node.id} left the configuration`);
    }
    if (node.origin) {
      node.member = false;
    } else {
      model.nodes.delete(node.id);
      model.dots = model.dots.filter((d) => d.from !== node.id && d.to !== node.id);
      for (const [key, link] of model.links) {
        if (link.from === node.id || link.to === node.id) model.links.delete(key);
      }
    }
    model.version++;
  }
  model.membersKnown = true;
}

/**
 * @param {SampleMessage} m
 * @returns {MessageKind}
 */
export function messageKind(m) {
  switch (m.type) {
    case "VoteRequest":
    case "PreVoteRequest":
      return m.prevote === true || m.type === "PreVoteRequest" ? "prevote-request" : "vote-request";
    case "VoteResponse":
    case "PreVoteResponse":
      return m.prevote === true || m.type === "PreVoteResponse" ? "prevote-response" : "vote-response";
    case "AppendEntries":
      return "append";
    case "AppendEntriesResponse":
      return "append-response";
    case "Heartbeat":
      return "heartbeat";
    case "HeartbeatResponse":
      return "heartbeat-response";
    case "InstallSnapshot":
      return "snapshot";
    case "InstallSnapshotResponse":
      return "snapshot-response";
    case "TimeoutNow":
      return "timeout-now";
    default:
      return "other";
  }
}

/**
 * The `messages` event: sampled messages become dots (at most `limits.maxDotsPerLink` per link
 * and window, the link's rate label telling the rest; at most `limits.maxDots` at once, the
 * rest counted in `droppedDots`), and the counts become per-link rates.
 * @param {Model} model
 * @param {MessagesEvent} ev
 * @param {number} now
 */
export function applyMessages(model, ev, now) {
  const node = model.nodes.get(ev.id);
  if (node === undefined) return;
  node.lastReportAt = node.lastReportAt === null ? ev.at : Math.max(node.lastReportAt, ev.at);
  markUp(model, node, now);

  const { maxDots, maxDotsPerLink, dotMs } = model.limits;
  /** @type {Map<number, number>} */
  const perLink = new Map();
  for (const m of ev.sample) {
    if (m.to === ev.id || !model.nodes.has(m.to)) continue;
    const onLink = perLink.get(m.to) ?? 0;
    if (onLink >= maxDotsPerLink) continue;
    perLink.set(m.to, onLink + 1);
    if (model.dots.length >= maxDots) {
      model.droppedDots++;
      continue;
    }
    // Replay the window at its own pace: a message sent late in the window leaves later.
    const offset = Math.min(ev.windowMs, Math.max(0, m.at - ev.at + ev.windowMs));
    const start = now + offset;
    model.dots.push({
      id: ++model.dotSeq,
      from: ev.id,
      to: m.to,
      type: m.type,
      kind: messageKind(m),
      term: m.term,
      entries: m.entries,
      rejected: m.granted === false || m.success === false,
      start,
      end: start + dotMs,
    });
  }

  /** @type {Map<number, LinkRate>} */
  const byTo = new Map();
  for (const c of ev.counts) {
    if (c.to === ev.id) continue;
    let link = byTo.get(c.to);
    if (link === undefined) {
      link = { from: ev.id, to: c.to, n: 0, perSec: 0, byType: {}, at: now };
      byTo.set(c.to, link);
    }
    link.n += c.n;
    link.byType[c.type] = (link.byType[c.type] ?? 0) + c.n;
  }
  for (const [key, link] of model.links) {
    if (link.from === ev.id && !byTo.has(link.to)) model.links.delete(key);
  }
  for (const link of byTo.values()) {
    link.perSec = (link.n * 1000) / ev.windowMs;
    model.links.set(`${link.from}>${link.to}`, link);
  }
  model.version++;
}

/**
 * Drop the dots that have arrived.
 * @param {Model} model
 * @param {number} now
 */
export function pruneDots(model, now) {
  if (model.dots.some((d) => d.end <= now)) model.dots = model.dots.filter((d) => d.end > now);
}

/**
 * The dots in flight at `now`, with how far along they are (0 at the sender, 1 at the receiver).
 * @param {Model} model
 * @param {number} now
 * @returns {{ dot: Dot, progress: number }[]}
 */
export function dotsInFlight(model, now) {
  /** @type {{ dot: Dot, progress: number }[]} */
  const out = [];
  for (const dot of model.dots) {
    if (dot.start > now || dot.end <= now) continue;
    out.push({ dot, progress: (now - dot.start) / (dot.end - dot.start) });
  }
  return out;
}

/**
 * The links whose last window had many messages (the rate label), while that window is recent.
 * @param {Model} model
 * @param {number} now
 * @returns {LinkRate[]}
 */
export function busyLinks(model, now) {
  const { linkRateMs, manyPerSec } = model.limits;
  return [...model.links.values()].filter((l) => now - l.at <= linkRateMs && l.perSec >= manyPerSec);
}

/* ------------------------------------------------------------------------------------------ */
/* Derived views.                                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * The leader as the nodes report it: an up node that says it leads, with the highest term.
 * @param {Model} model
 * @returns {number | null}
 */
export function clusterLeader(model) {
  /** @type {NodeView | null} */
  let best = null;
  for (const node of model.nodes.values()) {
    const st = node.state;
    if (!node.up || st === null || st.role !== "leader") continue;
    if (best === null || /** @type {NodeState} */ (best.state).term < st.term) best = node;
  }
  return best === null ? null : best.id;
}

/**
 * Where to send the leader's controls: the leader's own report, else the leader named by the
 * up follower with the highest term (its stream may be closed while it still answers).
 * @param {Model} model
 * @returns {{ id: number, http: string } | null}
 */
export function leaderTarget(model) {
  const id = clusterLeader(model);
  if (id !== null) {
    const http = model.nodes.get(id)?.http ?? null;
    if (http !== null) return { id, http };
  }
  let term = -1;
  /** @type {number | null} */
  let named = null;
  for (const node of model.nodes.values()) {
    const st = node.state;
    if (!node.up || st === null || st.leader === null || st.term <= term) continue;
    term = st.term;
    named = st.leader;
  }
  if (named === null) return null;
  const http = model.nodes.get(named)?.http ?? null;
  return http === null ? null : { id: named, http };
}

/**
 * @typedef {object} TimerView
 * @property {number} remainingMs
 * @property {number} timeoutMs
 * @property {number} fraction       remaining / timeout, in [0, 1]
 * @property {number} ageMs          how old the report it counts from is
 * @property {boolean} stale         frozen at the reported value (report too old, or node down)
 */

/**
 * A follower's or candidate's election timer, counted down locally from its last report:
 * remaining = timeout - (elapsed + age of the report), the age taken from the report's `at`
 * (the node's clock) unless that clock is more than `skewMs` away from the page's, then from
 * the report's arrival. Past `staleMs` (or with the stream closed) it is frozen at the
 * reported value and marked stale. `null` for a leader or a node with no report.
 * @param {NodeView} node
 * @param {number} now
 * @param {Limits} [limits]
 * @returns {TimerView | null}
 */
export function electionTimer(node, now, limits = DEFAULT_LIMITS) {
  const st = node.state;
  if (st === null || st.role === "leader" || st.election === null) return null;
  const received = node.stateReceivedAt ?? now;
  const base = Math.abs(received - st.at) > limits.skewMs ? received : st.at;
  const ageMs = Math.max(0, now - base);
  const stale = ageMs > limits.staleMs || !node.up;
  const { elapsedMs, timeoutMs } = st.election;
  const elapsed = stale ? elapsedMs : elapsedMs + ageMs;
  const remainingMs = Math.max(0, timeoutMs - elapsed);
  const fraction = timeoutMs > 0 ? Math.min(1, remainingMs / timeoutMs) : 0;
  return { remainingMs, timeoutMs, fraction, ageMs, stale };
}

/**
 * Votes a candidate can see in the reports: up-or-not nodes whose last report has the
 * candidate's term and a vote for it (its own included).
 * @param {Model} model
 * @param {NodeView} candidate
 */
export function votesSeen(model, candidate) {
  const st = candidate.state;
  if (st === null) return 0;
  let n = 0;
  for (const node of model.nodes.values()) {
    const o = node.state;
    if (o !== null && o.term === st.term && o.vote === candidate.id) n++;
  }
  return n;
}

/**
 * @typedef {"entry" | "unreported" | "compacted" | "missing" | "unknown"} CellState
 *   entry: in the node's reported tail; unreported: the node has it, older than its tail;
 *   compacted: below its firstIndex (in its snapshot); missing: beyond its lastIndex;
 *   unknown: the node has not reported.
 */

/**
 * @typedef {object} LogCell
 * @property {number} index
 * @property {CellState} state
 * @property {number | null} term
 * @property {string | null} text
 * @property {string | null} type
 * @property {boolean} committed
 * @property {boolean} match         the leader reports this node's match index here
 * @property {boolean} next          the leader reports this node's next index here
 */

/**
 * @typedef {{ gap: false, index: number } | { gap: true, from: number, to: number }} LogColumn
 */

/**
 * @typedef {object} LogRow
 * @property {number} id
 * @property {boolean} up
 * @property {boolean} leader        this row is the leader's
 * @property {NodeState | null} state
 * @property {PeerProgress | null} progress   the leader's progress for this node
 * @property {(LogCell | null)[]} cells        one per column, null under a gap column
 */

/**
 * @typedef {object} LogGrid
 * @property {LogColumn[]} columns
 * @property {LogRow[]} rows
 */

/**
 * The logs side by side: columns over the union of the reported tails (the highest
 * `limits.maxLogColumns` indexes, with a gap column wherever indexes are skipped), one row per
 * node, and the leader's match and next index for each follower.
 * @param {Model} model
 * @returns {LogGrid}
 */
export function logGrid(model) {
  /** @type {Set<number>} */
  const indexes = new Set();
  for (const node of model.nodes.values()) {
    for (const e of node.state?.log ?? []) indexes.add(e.index);
  }
  let sorted = [...indexes].sort((a, b) => a - b);
  if (sorted.length > model.limits.maxLogColumns) sorted = sorted.slice(sorted.length - model.limits.maxLogColumns);

  /** @type {LogColumn[]} */
  const columns = [];
  /** @type {number | null} */
  let prev = null;
  for (const index of sorted) {
    if (prev !== null && index > prev + 1) columns.push({ gap: true, from: prev + 1, to: index - 1 });
    columns.push({ gap: false, index });
    prev = index;
  }

  const leaderId = clusterLeader(model);
  const leaderState = leaderId === null ? null : model.nodes.get(leaderId)?.state ?? null;
  /** @type {Map<number, PeerProgress>} */
  const progress = new Map((leaderState?.peers ?? []).map((p) => [p.id, p]));

  /** @type {LogRow[]} */
  const rows = [];
  for (const node of sortedNodes(model)) {
    const st = node.state;
    const p = node.id === leaderId ? null : progress.get(node.id) ?? null;
    /** @type {Map<number, LogEntry>} */
    const entries = new Map((st?.log ?? []).map((e) => [e.index, e]));
    const cells = columns.map((col) => {
      if (col.gap) return null;
      return cellAt(st, entries, col.index, p);
    });
    rows.push({ id: node.id, up: node.up, leader: node.id === leaderId, state: st, progress: p, cells });
  }
  return { columns, rows };
}

/**
 * @param {NodeState | null} st
 * @param {Map<number, LogEntry>} entries
 * @param {number} index
 * @param {PeerProgress | null} p
 * @returns {LogCell}
 */
function cellAt(st, entries, index, p) {
  const match = p !== null && p.match === index;
  const next = p !== null && p.next === index;
  if (st === null) return { index, state: "unknown", term: null, text: null, type: null, committed: false, match, next };
  const e = entries.get(index);
  if (e !== undefined) {
    return { index, state: "entry", term: e.term, text: e.text, type: e.type, committed: index <= st.commit, match, next };
  }
  if (index < st.firstIndex) return { index, state: "compacted", term: null, text: null, type: null, committed: true, match, next };
  if (index <= st.lastIndex) {
    return { index, state: "unreported", term: null, text: null, type: null, committed: index <= st.commit, match, next };
  }
  return { index, state: "missing", term: null, text: null, type: null, committed: false, match, next };
}

/**
 * @param {Model} model
 * @returns {NodeView[]}
 */
export function sortedNodes(model) {
  return [...model.nodes.values()].sort((a, b) => a.id - b.id);
}

/* ------------------------------------------------------------------------------------------ */
/* Formatting (pure: same input, same output in one time zone).                               */
/* ------------------------------------------------------------------------------------------ */

/** @param {number} n @param {number} width */
function pad(n, width) {
  return String(n).padStart(width, "0");
}

/**
 * hh:mm:ss.mmm in the page's local time.
 * @param {number | null} ms
 */
export function formatClock(ms) {
  if (ms === null || !Number.isFinite(ms)) return "never";
  const d = new Date(ms);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
}

/** @param {number} ms */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
