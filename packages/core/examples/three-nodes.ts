// Three in-memory Raft nodes elect a leader and commit an entry. Run: pnpm --filter @raft-ts/core example
import { MemoryStorage, RaftNode, SeededRng, type Message, type NodeId } from "@raft-ts/core";

export function runThreeNodes(): Map<NodeId, string[]> {
  const ids: NodeId[] = [1, 2, 3];
  const storage = new Map(ids.map((id) => [id, new MemoryStorage()]));
  const nodes = new Map(
    ids.map((id) => [
      id,
      new RaftNode(
        { id, voters: ids, electionTicks: 10, heartbeatTicks: 2, rng: new SeededRng(id) },
        storage.get(id)!,
      ),
    ]),
  );
  const applied = new Map<NodeId, string[]>(ids.map((id) => [id, []]));
  const network: Message[] = [];

  // The driver's loop: carry out each Ready in order, then advance().
  function drive(id: NodeId): void {
    const node = nodes.get(id)!;
    while (node.hasReady()) {
      const rd = node.ready();
      network.push(...rd.messages); // may leave before persisting
      storage.get(id)!.persist(rd.hardState, rd.entries); // durable first...
      network.push(...rd.persistedMessages); // ...then votes and acknowledgements
      for (const e of rd.committedEntries) {
        if (e.type === "normal") applied.get(id)!.push(new TextDecoder().decode(e.data));
      }
      node.advance();
    }
  }

  // Time passes only when we say so: one tick for everyone, then deliver what was sent.
  function round(): void {
    for (const id of ids) {
      nodes.get(id)!.tick();
      drive(id);
    }
    while (network.length > 0) {
      const m = network.shift()!;
      nodes.get(m.to)!.step(m);
      drive(m.to);
    }
  }

  let leader: NodeId | undefined;
  for (let i = 0; i < 100 && leader === undefined; i++) {
    round();
    leader = ids.find((id) => nodes.get(id)!.status().role === "leader");
  }
  if (leader === undefined) throw new Error("no leader after 100 rounds");

  const result = nodes.get(leader)!.propose(new TextEncoder().encode("hello"));
  if (!result.ok) throw new Error(`not leader: ${result.error.type}`);
  drive(leader);
  for (let i = 0; i < 3; i++) round(); // replicate, commit, tell the followers

  console.log(`leader: node ${leader}, term ${nodes.get(leader)!.status().term}`);
  for (const id of ids) console.log(`node ${id} applied ${JSON.stringify(applied.get(id))}`);
  return applied;
}

if (import.meta.url === `file://${process.argv[1]}`) runThreeNodes();
