// The meeting pack needs the token, which a plain link cannot carry: fetch it with the
// Authorization header and hand the browser a blob (a new tab for the printable HTML,
// a file for the Excel workbook). Errors become the same ApiError as every other call.

import { ApiError } from '../api.js';

export async function fetchBlob(api, path, accept) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${api.token()}`, Accept: accept }, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'Network error', String(e?.message || e));
  }
  if (!response.ok) {
    let p = {};
    try { p = await response.json(); } catch { /* not a problem document */ }
    throw new ApiError(response.status, p.title || response.statusText, p.detail || '', p.problems || [], p);
  }
  return response.blob();
}

/** Opens a blob in a new tab (the window is opened first so popup blockers allow it). */
export async function openBlob(makeBlob) {
  const win = window.open('', '_blank');
  try {
    const blob = await makeBlob();
    const url = URL.createObjectURL(blob);
    if (win) win.location.href = url;
    else window.location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (err) {
    win?.close();
    throw err;
  }
}

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
