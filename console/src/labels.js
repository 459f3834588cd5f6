// Every code the suite speaks, with its Chinese and English label, from GET /labels (one request, then
// the browser's cache by its ETag).
import { reactive } from 'vue';

import { language } from './i18n.js';

const catalogue = reactive({ families: {} });

export async function loadLabels() {
  const answer = await fetch('/labels');
  if (answer.ok) catalogue.families = (await answer.json()).families;
}

export function setLabels(families) {
  catalogue.families = families;
}

// the label of a code in the chosen language; the code itself when the catalogue has none
export function label(family, code) {
  if (code === null || code === undefined || code === '') return '';
  const entry = catalogue.families[family]?.[code];
  if (!entry) return String(code);
  return language.value === 'en' ? entry.en : entry.zh;
}

// a family's codes as options for a select: [{ value, label }]
export function options(family) {
  return Object.keys(catalogue.families[family] || {}).map((code) => ({ value: code, label: label(family, code) }));
}
