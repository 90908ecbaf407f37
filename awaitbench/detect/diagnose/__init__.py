"""What `awaitbench diagnose` judges and runs inside a team's own app.

- Plain data: `evidence` (what was measured per route and phase), `findings` (`Finding`, severities),
  `document` (a whole `Diagnosis`, its versioned JSON and `schema.json`), `cost` (the cost phrases).
- The judgement: `judge` runs `classify/` — one evidence classifier per pitfall of the catalogue, each a
  pure function of the numbers.
- Inside the app: `agent` (the harness `awaitbench.detect.serve` puts around the app, and its snapshot),
  `deadlines` (the loop that notes the timers each request arms; the in-flight report).

Nothing is imported here; `detect` imports none of bench, reports or scenarios (the bench drives this
package, never the other way), and reports read only `document`, `evidence` and `findings`.
"""

__all__ = list[str]()  # nothing at package level: import the module you use
