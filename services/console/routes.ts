/**
 * The web console at /ui (services/console/): three static files, read once, served with headers
 * that keep the page to itself (its own scripts and styles only, no framing, no referrer). The
 * files are public; everything they show comes from the API with the token the user signs in
 * with, so the server's role checks decide what each person may see and do.
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

const FILES = {
  "index.html": "text/html; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
} as const;

const HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

export function registerConsole(app: FastifyInstance): void {
  const content = Object.fromEntries(
    Object.keys(FILES).map((name) => [name, readFileSync(new URL(`./${name}`, import.meta.url))]),
  ) as Record<keyof typeof FILES, Buffer>;
  const serve =
    (name: keyof typeof FILES) => async (_request: unknown, reply: import("fastify").FastifyReply) =>
      reply.headers(HEADERS).type(FILES[name]).send(content[name]);
  app.get("/ui", async (_request, reply) => reply.redirect("/ui/"));
  app.get("/ui/", serve("index.html"));
  app.get("/ui/console.js", serve("console.js"));
  app.get("/ui/console.css", serve("console.css"));
}
