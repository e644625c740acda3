// Playwright's web-first `expect` is part of @playwright/test, which we do not use (it
// would bring its own runner). This is the small part we need: polling assertions on
// locators, with readable failures. No retries of whole tests, no timeouts hidden.
import assert from 'node:assert/strict';

const TIMEOUT = Number(process.env.E2E_EXPECT_TIMEOUT || 10_000);

/** Waits until `check` returns true; anything else it returns is shown on failure. */
export async function eventually(check, describe, timeout = TIMEOUT) {
  return poll(check, describe, timeout);
}

async function poll(check, describe, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const r = await check();
      if (r === true) return;
      last = r;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > end) throw new assert.AssertionError({ message: `${describe} (last seen: ${last})` });
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function expect(locator) {
  const api = (negate) => ({
    async toBeVisible(opts) {
      await poll(async () => (await locator.isVisible()) !== negate || 'visible=' + negate, `${locator} ${negate ? 'hidden' : 'visible'}`, opts?.timeout);
    },
    async toHaveCount(n, opts) {
      await poll(async () => (await locator.count()) === n || `count=${await locator.count()}`, `${locator} count ${n}`, opts?.timeout);
    },
    async toContainText(text, opts) {
      await poll(async () => {
        const t = (await locator.allInnerTexts()).join('\n');
        const has = text instanceof RegExp ? text.test(t) : t.includes(text);
        return has !== negate || t;
      }, `${locator} ${negate ? 'not ' : ''}contains ${text}`, opts?.timeout);
    },
    // Some part of the element is inside the window's viewport.
    async toBeInViewport(opts) {
      await poll(async () => {
        const inside = await locator.evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
        });
        return inside !== negate || `in viewport=${inside}`;
      }, `${locator} ${negate ? 'outside' : 'inside'} the viewport`, opts?.timeout);
    },
    async toBeChecked(opts) {
      await poll(async () => (await locator.isChecked()) !== negate || 'checked=' + negate, `${locator} ${negate ? 'not ' : ''}checked`, opts?.timeout);
    },
    async toBeFocused(opts) {
      await poll(async () => (await locator.evaluate((el) => el === document.activeElement)) !== negate || 'focus elsewhere', `${locator} focused`, opts?.timeout);
    },
  });
  const a = api(false);
  a.not = api(true);
  return a;
}
