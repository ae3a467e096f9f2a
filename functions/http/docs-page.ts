/**
 * GET /docs: a short guide (the conflict scenarios, and what every problem
 * type means and what to do about it, one anchor each) above the API
 * reference, which Redoc renders in the browser from /v1/openapi.json. The
 * guide is plain HTML, so a problem `type` link lands on its explanation
 * before any script runs; Redoc's standalone bundle is served by the API
 * itself (GET /docs/redoc.standalone.js), never from a CDN.
 */
import { STATUS } from './problem';
import { PROBLEM_GUIDE, type ProblemType, problemTypeUri } from './problem-types';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** `code` spans for the backquoted parts of a guide sentence. */
const inline = (text: string): string =>
  escapeHtml(text).replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`);

const EXTRA_TITLES: Record<Exclude<ProblemType, keyof typeof STATUS>, string> = {
  internal: 'Internal server error',
  'request-header-fields-too-large': 'Request header fields too large',
  'request-timeout': 'Request timeout',
  'expectation-failed': 'Expectation failed',
};

const titleOf = (type: ProblemType): string =>
  type in STATUS
    ? STATUS[type as keyof typeof STATUS].title
    : EXTRA_TITLES[type as keyof typeof EXTRA_TITLES];

const section = (type: ProblemType): string => {
  const entry = PROBLEM_GUIDE[type];
  const anchor = problemTypeUri(type).split('#')[1] ?? type;
  const members = entry.members?.length
    ? `<p class="members">Members: ${entry.members.map((m) => `<code>${escapeHtml(m)}</code>`).join(', ')}</p>`
    : '';
  return `<section class="problem" id="${anchor}">
<h3><a href="#${anchor}">${escapeHtml(type)}</a> <span class="status">${entry.status.join(' / ')}</span></h3>
<p class="title">${escapeHtml(titleOf(type))}</p>
<p>${inline(entry.meaning)}</p>
<p><strong>What to do:</strong> ${inline(entry.action)}</p>
${members}
</section>`;
};

const TYPES = Object.keys(PROBLEM_GUIDE) as ProblemType[];

const STYLE = `body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;line-height:1.5}
.guide{max-width:60rem;margin:0 auto;padding:1.5rem 2rem}
.guide h1{margin:0 0 .25rem}
.problem{border-left:4px solid #c33;padding:.25rem 1rem;margin:1rem 0;background:#fafafa}
.problem h3{margin:.25rem 0}.problem h3 a{color:inherit;text-decoration:none}
.problem:target{background:#fff4d6;border-left-color:#e90}
.status{font-weight:normal;color:#666;font-size:.9em}
.title{margin:0;font-style:italic}
code{background:#eee;padding:0 .25em;border-radius:3px}
nav.types a{margin-right:.6em;white-space:nowrap}
#reference{border-top:1px solid #ddd}
#reference img[src^="https:"]{display:none}`;

/** The whole /docs page. */
export const docsPage = (): string => {
  const conflicts = TYPES.filter((t) => PROBLEM_GUIDE[t].conflict);
  const others = TYPES.filter((t) => !PROBLEM_GUIDE[t].conflict);
  const links = TYPES.map(
    (t) => `<a href="${problemTypeUri(t).replace('/docs', '')}">${t}</a>`,
  ).join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Concord API</title>
<style>${STYLE}</style>
</head>
<body>
<main class="guide">
<h1>Concord API</h1>
<p>Conflict-safe JSON documents: every write names the version it was based on, and a write that lost a race is refused with the winner's state, never applied over it. The <a href="#reference">API reference</a> below is rendered from <a href="v1/openapi.json">/v1/openapi.json</a>.</p>
<h2 id="conflicts">Conflict scenarios</h2>
<p>Read a document: its <code>ETag</code> names its version. Send your change with <code>If-Match: &lt;that ETag&gt;</code>. If someone else wrote first, the answer is <code>409 version-mismatch</code> and its body carries <code>current</code>: the version, ETag and document that won. Apply your change to <code>current.document</code> and send it again with <code>If-Match: current.etag</code>; no second read is needed. Creates use <code>If-None-Match: *</code> (or <code>POST</code>) and get <code>409 already-exists</code> with the document that is there. Every 409 says in its <code>type</code> which conflict it is; each is explained here, with what the client should do.</p>
${conflicts.map(section).join('\n')}
<h2 id="problem-types">Other problem types</h2>
<p>Every error is <code>application/problem+json</code> (RFC 9457): <code>type</code> (a link to its explanation here), <code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code>, <code>retryable</code>, and the members named below. Under the strict-HTTP profile, failed <code>If-Match</code> / <code>If-None-Match</code> preconditions answer 412 instead of 409.</p>
<nav class="types">${links}</nav>
${others.map(section).join('\n')}
</main>
<div id="reference"></div>
<script src="docs/redoc.standalone.js"></script>
<script>
Redoc.init('v1/openapi.json', { hideDownloadButton: false, expandResponses: '409', disableSearch: false }, document.getElementById('reference'));
</script>
</body>
</html>
`;
};
