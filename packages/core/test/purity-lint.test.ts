import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The core must stay pure: these tests lint snippets as if they lived in packages/core/src
// with the repository's real ESLint config, so loosening a rule there makes them fail.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const eslint = new ESLint({ cwd: root });
const CORE_FILE = `${root}packages/core/src/__purity_probe__.ts`;

async function ruleIdsFor(code: string, filePath = CORE_FILE): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(filePath)) as { rules: Record<string, unknown> };
  const rules = Object.fromEntries(
    ["no-restricted-imports", "no-restricted-globals", "no-restricted-properties", "no-restricted-syntax"]
      .filter((r) => r in config.rules)
      .map((r) => [r, config.rules[r]]),
  );
  // Lint with the purity rules the real config applies to that path (type-aware rules off, since
  // the probe file is not part of any tsconfig).
  const linter = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: (await import("typescript-eslint")).parser },
        rules: rules as never,
      },
    ],
  });
  const [result] = await linter.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? "parse-error");
}

describe("packages/core purity lint", () => {
  const forbidden: [string, string][] = [
    ['import { readFileSync } from "node:fs";\nreadFileSync("x");', "no-restricted-imports"],
    ['import * as net from "net";\nvoid net;', "no-restricted-imports"],
    ['import { EventEmitter } from "events";\nvoid EventEmitter;', "no-restricted-imports"],
    ["export const t = Date.now();", "no-restricted-properties"],
    ["export const d = new Date();", "no-restricted-syntax"],
    ["export const r = Math.random();", "no-restricted-properties"],
    ["setTimeout(() => {}, 10);", "no-restricted-globals"],
    ["export const id = setInterval(() => {}, 10);", "no-restricted-globals"],
    ["queueMicrotask(() => {});", "no-restricted-globals"],
    ["export const p = performance.now();", "no-restricted-globals"],
    ["export const e = process.env;", "no-restricted-globals"],
    ["export const g = globalThis.setTimeout;", "no-restricted-properties"],
  ];
  for (const [code, rule] of forbidden) {
    it(`rejects ${JSON.stringify(code.split("\n")[0])}`, async () => {
      expect(await ruleIdsFor(code)).toContain(rule);
    });
  }

  it("accepts pure code: injected randomness and ticks", async () => {
    const code = [
      'import type { Rng } from "./rng.js";',
      "export function timeout(rng: Rng, ticks: number): number {",
      "  return ticks + rng.int(ticks);",
      "}",
    ].join("\n");
    expect(await ruleIdsFor(code)).toEqual([]);
  });

  it("applies to the core, not to other packages", async () => {
    const elsewhere = `${root}apps/node/src/__purity_probe__.ts`;
    expect(await ruleIdsFor("export const t = Date.now();", elsewhere)).toEqual([]);
  });
});
