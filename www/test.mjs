// End-to-end tests of the storefront in headless Chromium (Debian's, through playwright-core),
// against the page `make demo` serves: a shopper's interest shows in the rail, the live grid
// re-orders only what was not yet seen, the profile survives a reload and reaches another tab,
// a forgotten product stays forgotten until the shopper acts on it, clearing and corrupt storage
// bring back the cold start, and no request leaves the page's origin. Saves a screenshot to
// target/e2e/. Run from the repository root after `make pkg` and the catalog build
// (`make pkg catalog`): `node www/test.mjs`.
//
// No test depends on the machine's speed. Each shopper's pages run on Playwright's clock, paused:
// their timers, animation frames, idle callbacks, `Date` and `performance.now` move only when a
// test advances them (`advance`), so what the page does over time — an impression after a second
// on screen, the time spent on a product page, the save after a change, the redraws — happens
// the same on a loaded machine as on a quiet one. What runs on real time (rendering, intersection
// observers, IndexedDB, messages between tabs) is waited for as a condition, never for so long.
import { mkdirSync } from "node:fs";
import { launch } from "../bindings/js/browser.mjs";
import { serve } from "./serve.mjs";

const SCREENSHOT = "target/e2e/storefront.png";
/** Candle holders: the kind of product the shopper is after. */
const HOLDER = /\b(T-?LIGHT|TEA ?LIGHT|CANDLE|VOTIVE|LANTERN)\b.*\bHOLDER\b|\bLANTERN\b/;
/** How long a condition that depends on real work only (not on the page's clock) may take before
 * the test fails: far more than any machine needs, so not a measure of speed. */
const PATIENCE_MS = 60_000;

mkdirSync("target/e2e", { recursive: true });
const server = await serve({ port: 0 });
const origin = new URL(server.url).origin;
const browser = await launch();
const requests = [];
const problems = [];
let failed = false;

/** A fresh shopper: a new context (its own storage and clock, paused) and the shop open in it. */
async function shopper() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(PATIENCE_MS);
  context.on("request", (request) => requests.push(request.url()));
  const start = Date.now();
  await context.clock.install({ time: start });
  await context.clock.pauseAt(start + 1000);
  const page = await open(context);
  return { context, page };
}

/** The shop in a new tab of `context`, once it has drawn its rail. */
async function open(context) {
  const page = await context.newPage();
  watch(page);
  await page.goto(server.url);
  await ready(page);
  return page;
}

const warnings = [];
function watch(page) {
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    if (message.type() === "warning") warnings.push(message.text());
  });
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]');
}

/** Waits until the page has rendered what the test did last (a scroll, a click, a dialog) and
 * its intersection observers — tastebud's, which see products come on screen — have been told:
 * an observer made now is told at the next rendering, with or after those made before it. */
function rendered(page) {
  return page.evaluate(
    () =>
      new Promise((done) => {
        const probe = new IntersectionObserver(() => {
          probe.disconnect();
          const after = new MessageChannel();
          after.port1.onmessage = () => done();
          after.port2.postMessage(0);
        });
        probe.observe(document.body);
      }),
  );
}

/** Moves the shopper's clock on by `ms` once the page has caught up with what the test did: the
 * timers due run (an impression after a second on screen, a save, a redraw) and the time spent
 * on an open product page grows by exactly `ms`. */
async function advance(page, ms) {
  await rendered(page);
  await page.clock.runFor(ms);
  await rendered(page);
}

/** Advances the clock a little at a time until `predicate(arg)` holds in `page`: for what also
 * waits on real work, such as another tab's save reaching this one. */
async function eventually(page, predicate, arg, what) {
  const deadline = Date.now() + PATIENCE_MS;
  while (!(await page.evaluate(predicate, arg))) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await advance(page, 50);
  }
}

/** Polls `condition()` (in Node) until it holds: for work on real time only. */
async function until(condition, what) {
  const deadline = Date.now() + PATIENCE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** The rail's product ids and titles, in order. */
function rail(page) {
  return page.$$eval('[data-testid="rail"] [data-tastebud-item]', (cards) =>
    cards.map((c) => ({ id: c.dataset.tastebudItem, title: c.dataset.tastebudTitle })),
  );
}

const holders = (cards) => cards.filter((c) => HOLDER.test(c.title)).length;

/** Does `action` and runs the clock until the rail has been redrawn after it. */
async function afterRailRedraw(page, action) {
  const version = await page.evaluate(() => Number(document.body.dataset.railVersion ?? 0));
  await action();
  await eventually(page, (v) => Number(document.body.dataset.railVersion ?? 0) > v, version, "the rail redrawn");
}

/** Opens a product's page from a card, stays `ms` on the shopper's clock, closes it. */
async function dwell(page, card, ms) {
  await card.locator(".card-open").click();
  await page.waitForSelector("[data-tastebud-detail]");
  await advance(page, ms);
  await page.keyboard.press("Escape");
  await page.waitForSelector("[data-tastebud-detail]", { state: "detached" });
}

/** The grid's cards as `{ id, title, visible }`, in order. */
function grid(page) {
  return page.$$eval('[data-testid="grid"] > [data-tastebud-item]', (cards) =>
    cards.map((c) => {
      const box = c.getBoundingClientRect();
      const visible = box.height > 0 && box.bottom > 0 && box.top < innerHeight;
      return { id: c.dataset.tastebudItem, title: c.dataset.tastebudTitle, visible };
    }),
  );
}

/** What the panel's "Show everything stored" shows (the profile now), opened and closed again. */
async function shown(page) {
  const toggled = page.evaluate(
    () => new Promise((done) => document.querySelector("#stored").addEventListener("toggle", done, { once: true })),
  );
  await page.click("#stored summary");
  await toggled;
  const json = await page.locator("#stored-json").textContent();
  await page.click("#stored summary");
  return json;
}

/** The profile stored in this browser's IndexedDB, read back by the package as JSON. */
function stored(page) {
  return page.evaluate(async () => {
    const record = await new Promise((done, fail) => {
      const request = indexedDB.open("tastebud");
      request.onsuccess = () => {
        const get = request.result.transaction("profiles").objectStore("profiles").get("hearth-and-twine");
        get.onsuccess = () => {
          request.result.close();
          done(get.result);
        };
        get.onerror = () => fail(get.error);
      };
      request.onerror = () => fail(request.error);
    });
    if (!record) return undefined;
    const { Personalizer } = await import("/pkg/index.js");
    const profile = await Personalizer.import(record.bytes);
    const json = profile.exportJson();
    profile.free();
    return json;
  });
}

/** Runs the clock past the save that follows a change and waits until the profile stored is the
 * one the page holds. */
async function saved(page) {
  await advance(page, 200);
  const now = await shown(page);
  await until(async () => (await stored(page)) === now, "the profile saved");
}

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}

let coldRail;

await test("a new shopper gets the cold-start rail", async () => {
  const { context, page } = await shopper();
  coldRail = await rail(page);
  check(coldRail.length === 10, `a rail of 10, got ${coldRail.length}`);
  await context.close();
});

await test("dwelling on candle holders brings more of them into the rail; reload keeps it; clear resets it", async () => {
  const { context, page } = await shopper();
  const before = holders(await rail(page));
  // The shopper searches for candle holders and looks at several, one after another.
  await page.fill("[data-tastebud-query]", "t-light holder");
  await page.press("[data-tastebud-query]", "Enter");
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="grid"] > [data-tastebud-item]')?.dataset.tastebudTitle.includes("HOLDER"),
  );
  const cards = page.locator('[data-testid="grid"] > [data-tastebud-item]');
  const shownTitles = await cards.evaluateAll((all) => all.map((c) => c.getClientRects().length > 0 && c.dataset.tastebudTitle));
  const picks = shownTitles.flatMap((title, i) => (title && HOLDER.test(title) ? [i] : [])).slice(0, 4);
  check(picks.length === 4, `four candle holders among the results, found ${picks.length}`);
  for (const i of picks) await dwell(page, cards.nth(i), 1500);
  await advance(page, 500); // the rail is redrawn in the next frame, the profile panel when idle
  const after = await rail(page);
  console.log(`     candle holders in the rail's top 10: ${before} before, ${holders(after)} after`);
  check(holders(after) >= before + 3, `at least 3 more candle holders (${before} → ${holders(after)})`);

  // Reload: the same profile, the same rail.
  const events = await page.locator('[data-testid="recent-events"] li').allTextContents();
  await saved(page);
  await page.reload();
  await ready(page);
  check(JSON.stringify(await rail(page)) === JSON.stringify(after), "the rail is as it was before the reload");
  const reloaded = await page.locator('[data-testid="recent-events"] li').allTextContents();
  check(
    JSON.stringify(reloaded) === JSON.stringify(events) && reloaded.length > 1,
    `recent events kept (${events.length} → ${reloaded.length})`,
  );

  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: SCREENSHOT });

  // Clear: back to the cold start.
  await afterRailRedraw(page, () => page.click('[data-testid="clear"]'));
  check(JSON.stringify(await rail(page)) === JSON.stringify(coldRail), "after clear, the cold-start rail");
  await context.close();
});

await test("the live grid re-orders only what the shopper has not seen", async () => {
  const { context, page } = await shopper();
  await rendered(page); // the package knows which cards have been on screen
  const before = await grid(page);
  const seen = before.filter((c) => c.visible);
  const unseen = before.filter((c) => !c.visible);
  check(seen.length > 0 && unseen.length > 20, `some cards on screen (${seen.length}), many below (${unseen.length})`);
  const target = seen.find((c) => HOLDER.test(c.title));
  check(target, "a candle holder on screen to click");
  // A click on the card (it opens the product page; closed again at once).
  await page.locator(`[data-testid="grid"] > [data-tastebud-item="${target.id}"] .card-open`).click();
  await page.keyboard.press("Escape");
  await page.waitForSelector("[data-tastebud-detail]", { state: "detached" });
  await advance(page, 300); // the re-ordering runs in the idle time after the click's frame
  const after = await grid(page);
  check(
    JSON.stringify(after.slice(0, seen.length).map((c) => c.id)) === JSON.stringify(seen.map((c) => c.id)),
    "the cards on screen did not move",
  );
  const top = (cards) => holders(cards.slice(seen.length, seen.length + 20));
  console.log(`     candle holders in the next 20 unseen cards: ${top(before)} before, ${top(after)} after`);
  check(top(after) > top(before), "the unseen part moved towards candle holders");
  await context.close();
});

await test("an event in one tab shows in the other", async () => {
  const { context, page } = await shopper();
  const other = await open(context);
  const card = page.locator('[data-testid="grid"] > [data-tastebud-item]').first();
  const name = await card.locator(".card-name").textContent();
  const events = '[data-testid="recent-events"]';
  check(!(await other.locator(events).textContent()).includes(name), "the other tab has no event yet");
  await card.locator(".add").click();
  await eventually(
    other,
    ([events, name]) => document.querySelector(events).textContent.includes(name),
    [events, name],
    "the add in one tab listed in the other",
  );
  await context.close();
});

await test("privacy controls: pause records nothing; a forgotten product stays out until the shopper acts on it; the export shows what is stored", async () => {
  const { context, page } = await shopper();
  const cards = page.locator('[data-testid="grid"] > [data-tastebud-item]');
  const profile = async () => JSON.parse(await shown(page));
  const ids = (json) => json.items.map((i) => i.item.id);
  const acted = (json) =>
    json.items.filter(({ counts: c }) => c.view + c.click + c.add_to_cart + c.purchase + c.dwell > 0).map((i) => i.item.id);
  const impressions = (json, id) => json.items.find((i) => i.item.id === id)?.counts.impression ?? 0;
  const forgottenNote = page.locator('[data-testid="forgotten"]');

  // Paused: an add, and products on screen for two seconds, leave nothing.
  await page.click('[data-testid="pause"]');
  await cards.nth(0).locator(".add").click();
  await advance(page, 2000);
  let json = await profile();
  check(json.items.length === 0 && json.recentEvents.length === 0, `nothing recorded while paused: ${ids(json)}`);
  await page.click('[data-testid="pause"]');

  // Two products added; the first is then forgotten while it is still on screen.
  const [first, second, neighbour] = await cards.evaluateAll((all) => all.slice(0, 3).map((c) => c.dataset.tastebudItem));
  const name = await cards.nth(0).locator(".card-name").textContent();
  await cards.nth(0).locator(".add").click();
  await cards.nth(1).locator(".add").click();
  await advance(page, 1500);
  json = await profile();
  check(JSON.stringify(acted(json).sort()) === JSON.stringify([first, second].sort()), `two products remembered: ${acted(json)}`);
  await page.click(`[data-forget="${first}"]`);
  await advance(page, 500);
  json = await profile();
  check(!ids(json).includes(first) && ids(json).includes(second), `forgotten: ${first} gone, ${second} kept (${ids(json)})`);
  check(await forgottenNote.isVisible(), "the panel says the product is forgotten");
  const note = await forgottenNote.textContent();
  check(note.includes(name) && note.includes("won’t bring it back"), `the panel's note names it and says it stays out: ${note}`);

  // Seen again: scrolled away and back, on screen for over a second; the product beside it is
  // counted as seen, the forgotten one is not.
  const seenBefore = impressions(json, neighbour);
  await page.evaluate(() => scrollTo({ top: document.body.scrollHeight, behavior: "instant" }));
  await advance(page, 1500);
  await cards.nth(0).evaluate((card) => card.scrollIntoView({ block: "center", behavior: "instant" }));
  await advance(page, 1500);
  json = await profile();
  check(impressions(json, neighbour) > seenBefore, `the product beside it was seen again (${neighbour})`);
  check(!ids(json).includes(first), "an impression does not bring a forgotten product back");

  // Its product page, by its link (no click on the product): viewed, and stayed on for 3 s.
  await page.evaluate((id) => (location.hash = `#product/${id}`), first);
  await page.waitForSelector(`[data-tastebud-detail][data-tastebud-item="${first}"]`);
  await advance(page, 3000);
  await page.keyboard.press("Escape");
  await page.waitForSelector("[data-tastebud-detail]", { state: "detached" });
  await advance(page, 500);
  json = await profile();
  check(!ids(json).includes(first), "a view and a dwell do not bring a forgotten product back");
  check(!json.recentEvents.some((e) => e.itemId === first), "no event of the forgotten product is stored");
  check(await forgottenNote.isVisible(), "the panel still says it is forgotten");

  // The shopper adds it to the basket: acting on it brings it back.
  await page.locator(`[data-testid="grid"] > [data-tastebud-item="${first}"] .add`).click();
  await advance(page, 500);
  json = await profile();
  check(acted(json).includes(first), "an add to the basket brings the forgotten product back");
  check(await page.locator(`[data-forget="${first}"]`).isVisible(), "it is listed among the products remembered again");
  check(!(await forgottenNote.isVisible()), "the panel no longer says it is forgotten");
  await context.close();
});

await test("a corrupt stored profile is replaced by a fresh one, with a warning", async () => {
  const { context, page } = await shopper();
  await page.locator('[data-testid="grid"] > [data-tastebud-item] .add').first().click();
  await saved(page);
  check((await stored(page)) !== undefined, "a profile stored");
  for (const junk of ["bytes", "foreign"]) {
    // The shop's timers are paused, so nothing saves over the junk before the reload.
    await page.evaluate(
      (junk) =>
        new Promise((done, fail) => {
          const request = indexedDB.open("tastebud");
          request.onsuccess = () => {
            const tx = request.result.transaction("profiles", "readwrite");
            const value =
              junk === "bytes"
                ? { bytes: new Uint8Array([84, 66, 80, 70, 1, 0, 9, 9, 9]), savedAt: Date.now(), paused: false }
                : "<html>not a profile</html>";
            tx.objectStore("profiles").put(value, "hearth-and-twine");
            tx.oncomplete = () => {
              request.result.close();
              done();
            };
            tx.onerror = () => fail(tx.error);
          };
          request.onerror = () => fail(request.error);
        }),
      junk,
    );
    const warned = warnings.length;
    await page.reload();
    await ready(page);
    check(
      warnings.slice(warned).some((w) => w.includes("tastebud") && w.includes("starting afresh")),
      `a console warning for the ${junk} value`,
    );
    check(JSON.stringify(await rail(page)) === JSON.stringify(coldRail), `the cold-start rail after ${junk} storage`);
  }
  await context.close();
});

await test("every request goes to the page's own origin", async () => {
  const elsewhere = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"));
  check(requests.length > 0, "requests were recorded");
  check(elsewhere.length === 0, `requests elsewhere: ${elsewhere.join(", ")}`);
  console.log(`     ${requests.length} requests, all to ${origin}`);
});

await test("no page errors and no console errors", async () => {
  check(problems.length === 0, problems.join("\n"));
});

await browser.close();
await server.close();
if (failed) {
  console.log("storefront tests FAILED");
  process.exit(1);
}
console.log(`storefront tests passed; screenshot: ${SCREENSHOT}`);
