"""`awaitbench demo` as a library: the pitfall and its fix under the same live load, in a browser page.

`config` (`DemoConfig`), `runner` (prepare, then serve until interrupted), `stage` (fake_llm and the two apps;
one `bench.loadgen.live_loop` driver per side), `live` (the tick loop and the page's controls), `figures`
(intervals to a sliding window, `run`'s validity rule), `server` (the page, its event stream, its guards),
`recording` and `replay` (`--record`, `--replay`), `page` (the style and choices the page is told), and
`static/` (the page itself: HTML, CSS and its own canvas charts). docs/demo.md explains the page.
"""
