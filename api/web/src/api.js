// The one way the web client talks to wangge (docs/web.md "api.js"): the Bearer token
// from the session, problem+json turned into ApiError, and plain Chinese messages.

import { actionLabel } from './labels.js';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the server could not be reached
   * @param {string} title problem title (English, from the server)
   * @param {string} detail problem detail
   * @param {Array<object>} problems validation findings (422), else []
   * @param {object|null} body the whole problem document
   */
  constructor(status, title, detail, problems = [], body = null) {
    super(`${status} ${title}: ${detail}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.problems = problems;
    this.body = body;
  }
}

const MESSAGES = {
  0: '无法连接服务器，请检查网络或稍后重试。',
  400: '请求内容有误，请检查填写的条件。',
  401: '登录已失效或令牌无效，请重新登录。',
  403: '无权执行此操作或查看此镇街的数据。',
  404: '未找到所请求的内容，可能已被删除。',
  409: '操作与当前状态冲突（可能已被他人处理），请刷新后重试。',
  412: '数据已被他人修改，请刷新后在最新版本上重试。',
  413: '提交的内容过大。',
  415: '提交的内容格式不受支持。',
  422: '提交的数据未通过校验。',
  503: '数据库暂不可用，请稍后重试。',
};

/** A plain Chinese sentence for any error a view may catch. */
export function describeError(err) {
  if (err instanceof ApiError) {
    let text = MESSAGES[err.status];
    if (!text) text = err.status >= 500 ? '服务器暂时无法处理请求，请稍后重试。' : `请求失败（${err.status}）。`;
    if (err.status === 422 && err.problems.length > 0) text += `共 ${err.problems.length} 处问题。`;
    if (err.status === 409 && Array.isArray(err.body?.allowed_actions)) {
      text += `当前可执行：${err.body.allowed_actions.map(actionLabel).join('、') || '无'}。`;
    }
    return text;
  }
  return '页面出现意外错误，请刷新后重试。';
}

async function parseBody(response) {
  const type = response.headers.get('content-type') || '';
  if (response.status === 204 || response.status === 304) return null;
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return response.text();
}

/**
 * @param {() => string|null} getToken the session's token
 * @param {(err: ApiError) => void} onUnauthorized called on every 401 (the app signs out)
 */
export function createApi(getToken, onUnauthorized = () => {}) {
  async function request(method, path, { body, headers = {}, token } = {}) {
    const h = { Accept: 'application/json, application/geo+json, application/problem+json', ...headers };
    const t = token ?? getToken();
    if (t) h.Authorization = `Bearer ${t}`;
    let payload;
    if (body !== undefined && body !== null) {
      if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) {
        payload = body;
      } else {
        payload = JSON.stringify(body);
        h['Content-Type'] = h['Content-Type'] || 'application/json';
      }
    }
    let response;
    try {
      response = await fetch(path, { method, headers: h, body: payload, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'Network error', String(e?.message || e));
    }
    const data = await parseBody(response);
    if (!response.ok && response.status !== 304) {
      const p = data && typeof data === 'object' ? data : {};
      const err = new ApiError(response.status, p.title || response.statusText, p.detail || '', p.problems || [], p);
      if (response.status === 401 && !token) onUnauthorized(err);
      throw err;
    }
    return { status: response.status, data, etag: response.headers.get('etag') };
  }

  return {
    /**
     * GET a JSON resource. Without options: resolves to the parsed body.
     * With `{etag}` (even null): resolves to `{data, etag, notModified}`; when the server
     * answers 304 to If-None-Match, `notModified` is true and `data` null.
     */
    async get(path, options) {
      if (options && 'etag' in options) {
        const headers = options.etag ? { 'If-None-Match': options.etag } : {};
        const r = await request('GET', path, { headers });
        return { data: r.data, etag: r.etag || options.etag, notModified: r.status === 304 };
      }
      return (await request('GET', path)).data;
    },
    /** Any verb with a JSON (or string) body; resolves to the parsed answer. */
    async send(method, path, body, headers = {}) {
      return (await request(method, path, { body, headers })).data;
    },
    /** Checks a token that is not the session's yet (sign-in). */
    async whoAmI(token) {
      return (await request('GET', '/api/v1/me', { token })).data;
    },
    /** The session's token, for URLs that cannot carry a header (map tiles). */
    token: () => getToken(),
  };
}

/** "?a=1&b=2" from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
