import type Database from "better-sqlite3";

/** Marks a SQLite file as raft-ts storage (PRAGMA application_id): "RAFT" in ASCII. */
export const APPLICATION_ID = 0x52414654;

export interface Migration {
  /** The schema version this migration produces. */
  readonly version: number;
  readonly description: string;
  up(db: Database.Database): void;
}

/**
 * Forward migrations, in order. Never edit a released one: add the next version. The schema
 * version lives in PRAGMA user_version and moves in the same transaction as the migration.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "hard state, log, log anchor and snapshot",
    up(db) {
      db.exec(`
        CREATE TABLE hard_state (
          id INTEGER PRIMARY KEY CHECK (id = 0),
          term INTEGER NOT NULL,
          vote INTEGER NOT NULL,
          commit_index INTEGER NOT NULL
        );
        INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0, 0, 0, 0);

        -- The entry just before the first stored one: compacted away, or (0, 0).
        CREATE TABLE log_anchor (
          id INTEGER PRIMARY KEY CHECK (id = 0),
          idx INTEGER NOT NULL,
          term INTEGER NOT NULL
        );
        INSERT INTO log_anchor (id, idx, term) VALUES (0, 0, 0);

        -- idx is the rowid: range reads and max(idx) walk the table's own b-tree.
        CREATE TABLE log (
          idx INTEGER PRIMARY KEY,
          term INTEGER NOT NULL,
          type INTEGER NOT NULL,
          data BLOB NOT NULL
        );

        CREATE TABLE snapshot (
          id INTEGER PRIMARY KEY CHECK (id = 0),
          idx INTEGER NOT NULL,
          term INTEGER NOT NULL,
          data BLOB NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    description: "snapshot membership, index of configuration entries",
    up(db) {
      // membership: the snapshot's configuration (SnapshotMeta.membership), NULL when it has
      // none (every snapshot written at version 1). Stored as TEXT holding the core's own
      // versioned JSON document (encodeMembership, the payload of a config entry), not a
      // format of ours: one definition of the serialized form, validated on read by the
      // core's decodeMembership, and readable with the sqlite3 shell and json_extract() when
      // an operator needs to see who a node thinks the members are. It is a few hundred bytes
      // read once at open, so JSON's size and parse cost do not matter.
      //
      // log_config: configEntries() reads the config entries (type code 2, "config" in
      // sqlite-storage.ts) at start-up; a partial index holds only their indexes, so that read
      // costs a few rows however long the log is, and ordinary appends do not touch it. The 2
      // is written out: a migration never changes, whatever the code's constants become.
      db.exec(`
        ALTER TABLE snapshot ADD COLUMN membership TEXT;
        CREATE INDEX log_config ON log (idx) WHERE type = 2;
      `);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Bring `db` from `current` to the latest version, each step in its own transaction so a crash
 * leaves a whole version behind. Returns the versions applied.
 */
export function migrate(db: Database.Database, current: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
