"""The loop watchdog: names the line that blocks an event loop, and says whether it computed or waited.

    from awaitbench.detect.watchdog import watch_loop
    with watch_loop(threshold_ms=50) as watch:
        ...
    for group in watch.groups:
        print(group.describe())

Modules: `config` (WatchConfig, FrameFilter), `heartbeat` (the loop's own beat), `alarm` (the timer it
pushes), `monitor` (the thread), `loops` (finding loops), `stacks` (sampling, attribution), `cpu`
(running vs parked), `threadpool` (anyio's limiter), `warnings_capture` (never-awaited coroutines,
ResourceWarnings), `leaks` (tasks, threads), `audit` and `strict` (blocking calls of any length),
`routes` (which request), `groups` (blocks by location), `report` (the frozen results), `render`
(text), `watch` (`watch_loop`).
"""

from awaitbench.detect.watchdog.config import DEFAULT_THRESHOLD_MS, LEAK_KINDS, FrameFilter, Leak, WatchConfig
from awaitbench.detect.watchdog.errors import WatchConfigError, WatchdogError
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.render import (
    describe_blocking_call,
    describe_leaked_task,
    describe_leaked_thread,
    describe_never_awaited,
    render_block,
    render_report,
)
from awaitbench.detect.watchdog.report import (
    Block,
    BlockGroup,
    BlockingCall,
    BlockState,
    Frame,
    LagSummary,
    LeakedTask,
    LeakedThread,
    NeverAwaited,
    ResourceLeak,
    ThreadpoolUsage,
    WatchReport,
)
from awaitbench.detect.watchdog.watch import LoopWatch, watch_loop

__all__ = [
    "DEFAULT_THRESHOLD_MS",
    "LEAK_KINDS",
    "Block",
    "BlockGroup",
    "BlockState",
    "BlockingCall",
    "Frame",
    "FrameFilter",
    "LagSummary",
    "Leak",
    "LeakedTask",
    "LeakedThread",
    "LoopWatch",
    "NeverAwaited",
    "ResourceLeak",
    "ThreadpoolUsage",
    "WatchConfig",
    "WatchConfigError",
    "WatchListener",
    "WatchReport",
    "WatchdogError",
    "describe_blocking_call",
    "describe_leaked_task",
    "describe_leaked_thread",
    "describe_never_awaited",
    "render_block",
    "render_report",
    "watch_loop",
]
