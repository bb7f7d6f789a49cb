"""The page at ``/``: version, links, budget, views and their state, the plan."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from exporter import __version__

if TYPE_CHECKING:
    from exporter.server import Endpoints


def landing_page(e: Endpoints) -> bytes:
    esc = html.escape
    limits, used = e.budget()
    rows = []
    for s in e.statuses():
        state = "ok" if s.up else ("not yet" if s.up is None else "failing")
        rows.append(
            f"<tr><td>{esc(s.dataset)}</td><td>{esc(s.view)}</td><td>{state}</td>"
            f"<td>{esc(s.error or '')}</td></tr>"
        )
    budget = ", ".join(f"{esc(w)}: {used.get(w, 0)}/{limits[w]}" for w in sorted(limits))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>OpenRouter exporter</title></head>
<body>
<h1>OpenRouter exporter</h1>
<p>Version {esc(__version__)} &middot; upstream {esc(e.upstream)}</p>
<ul>
<li><a href="{esc(e.telemetry_path)}">Metrics</a></li>
<li><a href="/healthz">Health</a> &middot; <a href="/readyz">Readiness</a></li>
</ul>
<h2>Budget</h2><p>{budget}</p>
<h2>Views</h2>
<table border="1" cellpadding="3"><tr><th>dataset</th><th>view</th><th>state</th><th>error</th></tr>
{"".join(rows)}
</table>
<h2>Plan</h2><pre>{esc(e.plan_text())}</pre>
<p>Data: Source: OpenRouter (openrouter.ai/apps, openrouter.ai/rankings), CC BY 4.0.</p>
</body></html>
""".encode()
