// An export as a file the officer keeps: fetched with the token (a plain link would carry none), read as
// it streams so the page can show how much has come, then handed to the browser as a download.
import { ApiError, url } from './api.js';
import { accessToken } from './auth.js';
import { language } from './i18n.js';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export async function download(path, query, filename, onProgress = () => {}) {
  let answer;
  try {
    answer = await fetch(url(path, { ...query, format: 'xlsx' }), {
      headers: { Authorization: `Bearer ${accessToken()}`, 'Accept-Language': language.value, Accept: XLSX },
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { code: 'NETWORK' });
  }
  if (!answer.ok) {
    let error = {};
    try { error = (await answer.json()).error || {}; } catch { /* no body */ }
    throw new ApiError(answer.status, error);
  }
  const reader = answer.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received);
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(chunks, { type: XLSX }));
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return received;
}
