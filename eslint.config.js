// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * What "pure" means for packages/core (and the deterministic simulator): no I/O, no clock,
 * no ambient randomness, no timers. Time arrives as tick() calls and randomness from an
 * injected seeded RNG, so one seed replays one run exactly.
 */
const NODE_BUILTINS = [
  "assert", "async_hooks", "buffer", "child_process", "cluster", "crypto", "dgram", "dns",
  "events", "fs", "fs/promises", "http", "http2", "https", "net", "os", "path", "perf_hooks",
  "process", "readline", "stream", "timers", "timers/promises", "tls", "url", "util", "v8",
  "vm", "worker_threads", "zlib",
];

const purityRules = {
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        { group: ["node:*"], message: "packages/core is pure: no node:* imports." },
        ...NODE_BUILTINS.map((name) => ({
          group: [name],
          message: "packages/core is pure: no Node.js built-in modules.",
        })),
      ],
    },
  ],
  "no-restricted-globals": [
    "error",
    ...["setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval",
      "clearImmediate", "queueMicrotask", "requestAnimationFrame"].map((name) => ({
      name,
      message: "packages/core is pure: no timers; time arrives as tick().",
    })),
    { name: "performance", message: "packages/core is pure: no clock; time arrives as tick()." },
    { name: "process", message: "packages/core is pure: no process access." },
    { name: "crypto", message: "packages/core is pure: randomness comes from the injected Rng." },
    { name: "require", message: "packages/core is pure: no dynamic loading." },
  ],
  "no-restricted-properties": [
    "error",
    { object: "Math", property: "random", message: "packages/core is pure: use the injected Rng." },
    { object: "Date", property: "now", message: "packages/core is pure: no clock; time arrives as tick()." },
    { object: "globalThis", property: "setTimeout", message: "packages/core is pure: no timers." },
    { object: "globalThis", property: "setInterval", message: "packages/core is pure: no timers." },
    { object: "globalThis", property: "process", message: "packages/core is pure: no process access." },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date']", message: "packages/core is pure: no clock." },
    { selector: "CallExpression[callee.name='Date']", message: "packages/core is pure: no clock." },
    { selector: "ImportExpression", message: "packages/core is pure: no dynamic import." },
  ],
};

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "**/data/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    // The core and the simulator's engine: deterministic by construction.
    files: ["packages/core/src/**/*.ts", "packages/core/sim/**/*.ts"],
    ignores: ["**/*.test.ts", "packages/core/sim/cli.ts", "packages/core/sim/worker.ts"],
    rules: purityRules,
  },
);

export { purityRules };
