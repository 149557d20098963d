// The real thing for `pnpm bench ui --browser`: Debian's Chromium, driven by playwright-core,
// with the live view open on the cluster's first node. The page opens its own stream to every
// node and draws on every animation frame, on the same machine as the cluster.
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export class LiveViewBrowser {
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<LiveViewBrowser> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root there is no sandbox; and nothing of Chromium's own may reach the network.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    return new LiveViewBrowser(browser);
  }

  /** Opens /ui on `origin` and waits until it shows `nodes` nodes up (bounded). */
  async open(origin: string, nodes: number): Promise<Page> {
    const page = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${origin}/ui`);
    await page.locator(`[data-node][data-up="true"] >> nth=${nodes - 1}`).waitFor({ timeout: 30_000 });
    return page;
  }

  /** How many nodes the page shows up right now. */
  static async nodesUp(page: Page): Promise<number> {
    return page.locator('[data-node][data-up="true"]').count();
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
