export { sqliteCode, StorageOpenError, StorageWriteError, type OpenFailure } from "./errors.js";
export { APPLICATION_ID, LATEST_VERSION, migrate, MIGRATIONS, type Migration } from "./schema.js";
export { DATABASE_FILE, SqliteStorage, type PersistStats, type SqliteStorageOptions } from "./sqlite-storage.js";
