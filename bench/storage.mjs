// Shared by the benchmark scripts: write a `bench_fixture` vault record to localStorage
// and its conversations to IndexedDB, from a same-origin page without the app, before
// the app starts.

/** `page` must be on the app's origin (any file the host serves that runs no app). */
export async function writeFixture(page, { vaultRecord, conversations = [] }) {
  await page.evaluate(async ({ vaultRecord, conversations }) => {
    localStorage.setItem('byok.vault', vaultRecord);
    if (!conversations.length) return;
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('byok', 1);
      r.onupgradeneeded = () => { for (const s of ['conversations', 'usage']) r.result.createObjectStore(s); };
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    await new Promise((ok, fail) => {
      const tx = db.transaction('conversations', 'readwrite');
      for (const c of conversations) tx.objectStore('conversations').put(c.record, c.id);
      tx.oncomplete = ok;
      tx.onerror = () => fail(tx.error);
    });
    db.close();
  }, { vaultRecord, conversations });
}
