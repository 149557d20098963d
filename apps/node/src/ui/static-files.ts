import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** The live view's page and assets: apps/node/ui. */
export const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

/**
 * A file the view may serve: path segments of letters, digits, `.`, `_` and `-` that start
 * with no dot (no dotfiles, no `..`), ending in one of the page's kinds of file.
 */
const SERVABLE = /^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.(?:html|js|css|svg|png|json)$/;

/** In the folder but not the page's: the mock cluster under dev/ and the type-checking configs. */
const DEVELOPMENT_ONLY = /^\/dev\/|(?:^|\/)tsconfig\.json$/;

/**
 * GET /ui serves the page (index.html); GET /ui/<file> the files beside it, by an allowlist of
 * names and extensions, with their content types. No directory listing, nothing outside the
 * folder: anything else is 404 (or 403 for a path that tries to leave it). A missing folder
 * or file is a 404 too, so the node runs while the page is still being written.
 */
export function registerUiFiles(app: FastifyInstance, dir: string = UI_DIR): void {
  void app.register(fastifyStatic, {
    root: dir,
    prefix: "/ui/",
    index: ["index.html"],
    list: false,
    redirect: false,
    dotfiles: "deny",
    // Revalidated each load (ETag), so an edited page shows at once.
    cacheControl: false,
    allowedPath: (pathname) => pathname === "/" || (SERVABLE.test(pathname) && !DEVELOPMENT_ONLY.test(pathname)),
    setHeaders: (reply) => {
      reply.header("cache-control", "no-cache");
      reply.header("x-content-type-options", "nosniff");
    },
    // The folder may not exist yet; every request is then a 404.
    suppressWarning: true,
  });
  // The page itself, at /ui as well as /ui/ (it refers to its files as /ui/<file>).
  app.get("/ui", (_req, reply) => reply.sendFile("/index.html"));
}
