#!/usr/bin/env node
// Entry point of the `agentwatch` command. The sources are TypeScript, run directly by Node 24's
// type stripping (the project's own node_modules/.bin/node when started through npm or npx).
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `agentwatch needs Node.js 24 or later; this is ${process.version}.\n` +
      "Run it through npm (npm start, npx agentwatch) after npm ci: the project installs Node 24 itself.\n",
  );
  process.exit(1);
}
const { main } = await import("../services/cli.ts");
const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
