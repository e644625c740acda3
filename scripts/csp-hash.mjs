// Trunk post_build hook: Trunk injects an inline <script type="module"> that loads the
// wasm. The meta CSP allows exactly that script by its sha256, never 'unsafe-inline'.
// Runs on TRUNK_STAGING_DIR/index.html; fails the build if the placeholder is missing.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR || 'dist';
const file = join(dir, 'index.html');
const html = readFileSync(file, 'utf8');
const placeholder = "'sha256-BYOK-INLINE-SCRIPT-HASH'";
if (!html.includes(placeholder)) {
  console.error(`csp-hash: ${file} has no ${placeholder} placeholder`);
  process.exit(1);
}
const hashes = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (/\bsrc\s*=/i.test(m[1])) continue;
  hashes.push(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
}
if (hashes.length === 0) {
  console.error('csp-hash: no inline script found; remove the placeholder or check the build');
  process.exit(1);
}
writeFileSync(file, html.replace(placeholder, hashes.join(' ')));
console.log(`csp-hash: ${hashes.length} inline script hash(es) added to the meta CSP`);
