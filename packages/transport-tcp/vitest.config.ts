import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Real sockets on a shared 2-core machine: generous, and no test asserts speed.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
