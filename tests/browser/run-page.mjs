// node run-page.mjs <page url> <ingest origin>: opens the page in headless Chromium (Debian's) and
// prints, as JSON, every response the page got from the ingest origin, once the page says "done".
import { chromium } from "playwright-core";

const [pageUrl, ingestOrigin] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const responses = [];
const pageErrors = [];
try {
  const page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  // the status comes from the response event (Chromium may log an abort after a 200 with a small body)
  page.on("response", (response) => {
    if (response.url().startsWith(ingestOrigin)) {
      responses.push({ url: response.url(), status: response.status(), method: response.request().method(),
                       body: response.request().postData() });
    }
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.title === "done", null, { timeout: 30000 });
  await page.waitForTimeout(300);
} finally {
  await browser.close();
}
console.log(JSON.stringify({ responses, pageErrors }));
