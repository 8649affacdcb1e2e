// node run-widget-refusals.mjs <page url>: in headless Chromium (Debian's), the report widget meets
// refusals: a report with an e-mail address the server refuses (400), the same report corrected
// (stored), then one more from the same address (429). Prints what the widget showed each time, as JSON.
import { chromium } from "playwright-core";

const [pageUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.title === "ready" && window.pgwardenReport, null, { timeout: 30000 });
  const send = async (email) => {
    await page.evaluate(() => window.pgwardenReport.open());
    await page.fill("#pgw-title", "Coupon field is gone");
    await page.fill("#pgw-description", "The coupon field disappeared after login");
    await page.fill("#pgw-reporter_email", email);
    await page.click("button[type=submit]");
    await page.waitForFunction(() => !/^Sending/.test(document.querySelector(".pgw-status").textContent) &&
                                     document.querySelector(".pgw-status").textContent !== "", null, { timeout: 30000 });
    return page.evaluate(() => {
      const status = document.querySelector(".pgw-status");
      return { text: status.textContent, role: status.getAttribute("role"), focus: document.activeElement.id,
               invalid: [...document.querySelectorAll("[aria-invalid=true]")].map((c) => c.name) };
    });
  };
  const refused = await send("jane at example");
  const corrected = await send("jane@example.com");
  const limited = await send("jane@example.com");
  console.log(JSON.stringify({ refused, corrected, limited }));
} finally {
  await browser.close();
}
