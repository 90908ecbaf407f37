"""`awaitbench demo` as a library: the pitfall and its fix under the same live load, in a browser page.

`config`, `runner`, `stage` (fake_llm, the two apps, a `live_loop` driver each), `live` (ticks, controls),
`figure_stream`, `server`, `recording`/`replay`, `page` and `static/` (the page); docs/demo.md explains."""
