import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import EN from '../src/words/en.js';
import ZH from '../src/words/zh.js';

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(vue|js)$/.test(name) ? [path] : [];
  });
}

// vitest runs in console/
const files = sources(join(process.cwd(), 'src'));
const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
// forms and lists are in the pages and components (router.js names routes the same way)
const pages = files.filter((f) => /\/(pages|components)\//.test(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
// every word a page names outright: t('x.y'), submit-label="x.y", label: 'x.y'
const named = new Set([
  ...[...text.matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z_]+)'/g)].map((m) => m[1]),
  ...[...text.matchAll(/submit-label="([a-zA-Z]+\.[a-zA-Z_]+)"/g)].map((m) => m[1]),
  ...[...text.matchAll(/label: '([a-zA-Z]+\.[a-zA-Z_]+)'/g)].map((m) => m[1]),
  // a form field or list column without a label of its own is labelled field.<name>
  ...[...pages.matchAll(/\{ (?:name|prop): '([a-z_]+)'(?![^}]*label:)/g)].map((m) => `field.${m[1]}`),
]);

describe('the console speaks Chinese, and English on request', () => {
  it('has a Chinese word for everything it names', () => {
    expect([...named].filter((key) => !(key in ZH))).toEqual([]);
  });

  it('has the same words in English', () => {
    expect(Object.keys(ZH).filter((key) => !(key in EN))).toEqual([]);
    expect(Object.keys(EN).filter((key) => !(key in ZH))).toEqual([]);
  });

  it('has every role, service and audit outcome the pages build a key for', () => {
    for (const role of ['ORG_ADMIN', 'DISCIPLINE_OFFICER', 'CARE_OFFICER', 'UNIT_ADMIN', 'CADRE', 'AUDITOR']) {
      expect(ZH[`role.${role}`]).toBeTruthy();
    }
    for (const service of ['appraisal', 'accountability', 'tolerance', 'talent', 'care']) expect(ZH[`service.${service}`]).toBeTruthy();
    for (const outcome of ['OK', 'DENIED', 'REFUSED', 'ERROR']) expect(ZH[`audit.${outcome}`]).toBeTruthy();
  });
});
