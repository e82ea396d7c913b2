/* audit_assets.c: the frame of the HTML report: its style sheet and its
 * script, written for pscan (no library, no file from elsewhere), and the
 * page head that carries them.
 *
 * The page loads nothing: a Content-Security-Policy of default-src 'none'
 * allows only this one style sheet and this one script, each named by its
 * SHA-256.  Escaping (escape.h) is what keeps a hostile banner from
 * becoming markup; the policy is the second wall: a <script> or an inline
 * event handler that got through anyway would not run, and nothing could
 * be fetched from anywhere.
 *
 * The script makes the open-port table sortable (host, port, service,
 * product), filterable (a box per column) and paged (100 rows by
 * default), so a table of 100,000 rows stays responsive: it takes the rows
 * out of the document once and shows one page at a time.  Without script
 * the table is all there, in address order, and prints.  It never builds
 * markup from text (no innerHTML): rows are moved, never re-created.  It
 * records its own timings on <body> (data-init-ms, data-last-ms) and
 * reads a view from the address, #sort=-port&service=http&page=2. */
#include <openssl/evp.h>
#include <string.h>

#include "output_int.h"

static const char css[] =
    ":root{--fg:#1d232a;--muted:#5b6670;--bg:#fff;--line:#d8dee4;--head:#f2f4f7;--bad:#a4231b;--badbg:#fdecea;--warn:#7a4f00;--warnbg:#fff3d1;--ok:#1d6531;--okbg:#e6f4e9;--link:#0b5cad}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:1440px;padding:1.25rem 1.5rem 3rem;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif;color:var(--fg);background:var(--bg)}\n"
    "h1{font-size:1.6rem;margin:0 0 .2rem}\n"
    "h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}\n"
    "h3{font-size:1rem;margin:1.2rem 0 .4rem}\n"
    "p{margin:.4rem 0}\n"
    "a{color:var(--link)}\n"
    ".sub,.note{color:var(--muted)}\n"
    "nav{margin:.8rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}\n"
    "table{border-collapse:collapse;width:100%;margin:.4rem 0}\n"
    "th,td{border-bottom:1px solid var(--line);padding:.28rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
    "th{background:var(--head);font-weight:600;position:sticky;top:0;white-space:nowrap}\n"
    ".a,#findings-table td:nth-child(2),#changes-table td:nth-child(3),#cert-table td:nth-child(2),#cert-table td:nth-child(6){white-space:nowrap}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "#port-table{table-layout:fixed}\n"
    ".js #port-table tbody.c{display:none}\n"
    "#port-table col.c-host{width:14%}#port-table col.c-port{width:7%}#port-table col.c-svc{width:11%}\n"
    "#port-table col.c-ver{width:24%}#port-table col.c-reg{width:11%}#port-table col.c-tls{width:9%}\n"
    ".stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.6rem;margin:.4rem 0}\n"
    ".stats div{border:1px solid var(--line);border-radius:6px;padding:.45rem .7rem}\n"
    ".stats dt{color:var(--muted);font-size:.82rem}\n"
    ".stats dd{margin:0;font-size:1.35rem;font-weight:600}\n"
    ".bad{background:var(--badbg);color:var(--bad)}\n"
    ".warn{background:var(--warnbg);color:var(--warn)}\n"
    ".good{background:var(--okbg);color:var(--ok)}\n"
    ".verdict{padding:.5rem .8rem;border-radius:6px;font-weight:600}\n"
    "td.mm{background:var(--warnbg);color:var(--warn);font-weight:600}\n"
    ".tag{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.78rem;font-weight:600}\n"
    "code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,\"DejaVu Sans Mono\",monospace}\n"
    "code{background:var(--head);padding:0 .2rem;border-radius:3px}\n"
    ".controls{display:flex;flex-wrap:wrap;gap:.5rem .8rem;align-items:center;margin:.5rem 0}\n"
    ".controls label{font-size:.85rem;color:var(--muted)}\n"
    ".controls input,.controls select{font:inherit;padding:.2rem .4rem;border:1px solid var(--line);border-radius:4px}\n"
    ".controls input{width:10rem}\n"
    ".controls button{font:inherit;padding:.2rem .7rem}\n"
    "th button{all:unset;cursor:pointer;font-weight:600}\n"
    "th button::after{content:\" \\2195\";color:var(--muted)}\n"
    "th[aria-sort=ascending] button::after{content:\" \\2191\"}\n"
    "th[aria-sort=descending] button::after{content:\" \\2193\"}\n"
    "footer{margin-top:2.5rem;color:var(--muted);font-size:.85rem}\n"
    "@media print{nav,.controls,noscript{display:none}body{max-width:none;padding:0;font-size:10.5px}th{position:static}h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}\n";

/* Run in <head>: with script, the rows stay out of layout while the page
 * loads (a 100,000-row table laid out again at every pause of the parser
 * took 23 s in Chromium; hidden, the page is ready in about 2 s). */
static const char js_head[] = "document.documentElement.className = 'js';";

static const char js[] =
    "(function () {\n"
    "  'use strict';\n"
    "  var table = document.getElementById('port-table');\n"
    "  var bar = document.getElementById('port-controls');\n"
    "  if (!table || !bar) return;\n"
    "  var t0 = performance.now();\n"
    "  var rows = [], bodies = [], i;\n"
    "  for (i = 0; i < table.tBodies.length; i++) bodies.push(table.tBodies[i]);\n"
    "  bodies.forEach(function (b) {\n"
    "    for (var j = 0; j < b.rows.length; j++) rows.push(b.rows[j]);\n"
    "  });\n"
    "  var n = rows.length, view = document.createElement('tbody');\n"
    "  bodies.forEach(function (b) { b.remove(); });\n"
    "  table.appendChild(view);\n"
    "  var cache = {}, ports = null;\n"
    "  function col(c) {\n"
    "    if (!cache[c]) {\n"
    "      var k = new Array(n);\n"
    "      for (var j = 0; j < n; j++) k[j] = rows[j].cells[c].textContent.toLowerCase();\n"
    "      cache[c] = k;\n"
    "    }\n"
    "    return cache[c];\n"
    "  }\n"
    "  function portOf(j) {\n"
    "    if (!ports) {\n"
    "      ports = new Int32Array(n);\n"
    "      for (var m = 0; m < n; m++) ports[m] = parseInt(rows[m].cells[1].textContent, 10) || 0;\n"
    "    }\n"
    "    return ports[j];\n"
    "  }\n"
    "  var base = [], shown, page = 0, size = 100, sortCol = -1, sortDir = 1;\n"
    "  for (i = 0; i < n; i++) base.push(i);\n"
    "  shown = base;\n"
    "  var inputs = bar.querySelectorAll('input[data-col]');\n"
    "  var sizeSel = bar.querySelector('select');\n"
    "  var prev = bar.querySelector('button[data-go=\"-1\"]');\n"
    "  var next = bar.querySelector('button[data-go=\"1\"]');\n"
    "  var status = bar.querySelector('output');\n"
    "  function render() {\n"
    "    var pages = Math.max(1, Math.ceil(shown.length / size));\n"
    "    if (page >= pages) page = pages - 1;\n"
    "    if (page < 0) page = 0;\n"
    "    var a = page * size, b = Math.min(shown.length, a + size);\n"
    "    var frag = document.createDocumentFragment();\n"
    "    for (var j = a; j < b; j++) frag.appendChild(rows[shown[j]]);\n"
    "    view.replaceChildren(frag);\n"
    "    status.textContent = shown.length === 0 ? 'no row matches' :\n"
    "      'rows ' + (a + 1) + '\\u2013' + b + ' of ' + shown.length +\n"
    "      (shown.length < n ? ' (filtered from ' + n + ')' : '') + ', page ' + (page + 1) + ' of ' + pages;\n"
    "    prev.disabled = page === 0;\n"
    "    next.disabled = page >= pages - 1;\n"
    "  }\n"
    "  function filter() {\n"
    "    var terms = [];\n"
    "    inputs.forEach(function (inp) {\n"
    "      var v = inp.value.trim().toLowerCase();\n"
    "      if (v) terms.push([parseInt(inp.getAttribute('data-col'), 10), v]);\n"
    "    });\n"
    "    var keys = terms.map(function (t) { return col(t[0]); });\n"
    "    shown = terms.length === 0 ? base : base.filter(function (j) {\n"
    "      for (var t = 0; t < terms.length; t++) if (keys[t][j].indexOf(terms[t][1]) < 0) return false;\n"
    "      return true;\n"
    "    });\n"
    "  }\n"
    "  function sort() {\n"
    "    var cmp;\n"
    "    if (sortCol === 1) {\n"
    "      cmp = function (x, y) { return (portOf(x) - portOf(y)) * sortDir || x - y; };\n"
    "    } else if (sortCol > 1) {\n"
    "      var k = col(sortCol);\n"
    "      cmp = function (x, y) { return (k[x] < k[y] ? -1 : k[x] > k[y] ? 1 : 0) * sortDir || x - y; };\n"
    "    } else {\n"
    "      cmp = function (x, y) { return (x - y) * sortDir; };\n"
    "    }\n"
    "    base.sort(cmp);\n"
    "  }\n"
    "  function update(resort) {\n"
    "    var t = performance.now();\n"
    "    if (resort) sort();\n"
    "    filter();\n"
    "    render();\n"
    "    document.body.setAttribute('data-last-ms', (performance.now() - t).toFixed(1));\n"
    "  }\n"
    "  var heads = table.tHead.rows[0].cells;\n"
    "  function mark() {\n"
    "    for (var h = 0; h < heads.length; h++) {\n"
    "      if (!heads[h].hasAttribute('data-col')) continue;\n"
    "      var c = parseInt(heads[h].getAttribute('data-col'), 10);\n"
    "      heads[h].setAttribute('aria-sort', c === sortCol ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');\n"
    "    }\n"
    "  }\n"
    "  for (var h = 0; h < heads.length; h++) {\n"
    "    var th = heads[h];\n"
    "    if (!th.hasAttribute('data-col')) continue;\n"
    "    var btn = document.createElement('button');\n"
    "    btn.type = 'button';\n"
    "    btn.textContent = th.textContent;\n"
    "    th.replaceChildren(btn);\n"
    "    btn.addEventListener('click', (function (c) {\n"
    "      return function () {\n"
    "        sortDir = sortCol === c ? -sortDir : 1;\n"
    "        sortCol = c;\n"
    "        mark();\n"
    "        page = 0;\n"
    "        update(true);\n"
    "      };\n"
    "    })(parseInt(th.getAttribute('data-col'), 10)));\n"
    "  }\n"
    "  var timer = 0;\n"
    "  inputs.forEach(function (inp) {\n"
    "    inp.addEventListener('input', function () {\n"
    "      clearTimeout(timer);\n"
    "      timer = setTimeout(function () { page = 0; update(false); }, 120);\n"
    "    });\n"
    "  });\n"
    "  sizeSel.addEventListener('change', function () { size = parseInt(sizeSel.value, 10) || 100; page = 0; render(); });\n"
    "  prev.addEventListener('click', function () { page--; render(); });\n"
    "  next.addEventListener('click', function () { page++; render(); });\n"
    "  window.addEventListener('beforeprint', function () {\n"
    "    var frag = document.createDocumentFragment();\n"
    "    for (var j = 0; j < shown.length; j++) frag.appendChild(rows[shown[j]]);\n"
    "    view.replaceChildren(frag);\n"
    "  });\n"
    "  window.addEventListener('afterprint', render);\n"
    "  /* #sort=port&service=http&page=2: a view to link to (and to test). */\n"
    "  var names = {host: 0, port: 1, service: 2, product: 3};\n"
    "  location.hash.replace(/^#/, '').split('&').forEach(function (kv) {\n"
    "    var p = kv.split('='), k = decodeURIComponent(p[0] || ''), v = decodeURIComponent(p.slice(1).join('=') || '');\n"
    "    if (k === 'sort') {\n"
    "      sortDir = v.charAt(0) === '-' ? -1 : 1;\n"
    "      if (names.hasOwnProperty(v.replace(/^-/, ''))) sortCol = names[v.replace(/^-/, '')];\n"
    "    } else if (k === 'page') {\n"
    "      page = (parseInt(v, 10) || 1) - 1;\n"
    "    } else if (names.hasOwnProperty(k)) {\n"
    "      inputs.forEach(function (inp) { if (parseInt(inp.getAttribute('data-col'), 10) === names[k]) inp.value = v; });\n"
    "    }\n"
    "  });\n"
    "  bar.hidden = false;\n"
    "  mark();\n"
    "  update(sortCol >= 0);\n"
    "  document.body.setAttribute('data-rows', String(n));\n"
    "  document.body.setAttribute('data-init-ms', (performance.now() - t0).toFixed(1));\n"
    "})();\n";

/* 'sha256-BASE64' of s, for the Content-Security-Policy. */
static void csp_hash(const char *s, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    out[0] = '\0';
    if (!EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL)) return;
    EVP_EncodeBlock(b64, md, (int)n);
    snprintf(out, cap, "'sha256-%s'", (const char *)b64);
}

void ps_html_head(FILE *fp, const char *title)
{
    char hs[128], hj[128], hh[128];
    csp_hash(css, hs, sizeof hs);
    csp_hash(js, hj, sizeof hj);
    csp_hash(js_head, hh, sizeof hh);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", fp);
    fprintf(fp, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src %s; "
            "script-src %s %s; img-src 'none'; base-uri 'none'; form-action 'none'\">\n", hs, hh, hj);
    fprintf(fp, "<meta name=\"generator\" content=\"pscan %s\">\n<title>", PSCAN_VERSION);
    ps_html_text(fp, title);
    fprintf(fp, "</title>\n<style>%s</style>\n<script>%s</script>\n</head>\n<body>\n", css, js_head);
}

void ps_html_foot(FILE *fp)
{
    fprintf(fp, "<script>%s</script>\n</body>\n</html>\n", js);
}

void ps_html_text(FILE *fp, const char *s)
{
    ps_esc_puts(fp, s, PS_ESC_XML);
}
