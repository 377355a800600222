// The signed-in token and who it belongs to, kept for the browser tab's session only
// (sessionStorage: closing the tab signs out; nothing lands in long-lived storage).

const KEY = 'wangge.session';

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && typeof s.token === 'string' && typeof s.role === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

/** Settings that outlive a session (the optional external base map URL). */
export function loadSettings() {
  try {
    return { baseMapUrl: '', ...JSON.parse(localStorage.getItem('wangge.settings') || '{}') };
  } catch {
    return { baseMapUrl: '' };
  }
}

export function saveSettings(settings) {
  localStorage.setItem('wangge.settings', JSON.stringify(settings));
}
