// The console's own words in Chinese (the default) and English; every code's label comes from the
// gateway's catalogue (labels.js). The choice is a preference kept in this browser, nothing more.
import en from 'element-plus/es/locale/lang/en.mjs';
import zhCn from 'element-plus/es/locale/lang/zh-cn.mjs';
import { computed, ref } from 'vue';

import EN from './words/en.js';
import ZH from './words/zh.js';

export const LANGUAGES = { 'zh-CN': { words: ZH, element: zhCn }, en: { words: EN, element: en } };
const KEPT = 'cadre-console-language';

function initial() {
  const kept = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEPT);
  return kept in LANGUAGES ? kept : 'zh-CN';
}

export const language = ref(initial());
export const elementLocale = computed(() => LANGUAGES[language.value].element);

export function setLanguage(code) {
  if (!(code in LANGUAGES)) return;
  language.value = code;
  localStorage.setItem(KEPT, code);
  document.documentElement.lang = code;
}

// t('desk.title') or t('appraisal.quotaLeft', { left: 3 }): {name} is replaced by its value
export function t(key, values = {}) {
  const text = LANGUAGES[language.value].words[key] ?? ZH[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));
}
