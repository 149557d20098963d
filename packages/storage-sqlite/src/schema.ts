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
