"""The loop watchdog: names the line that blocks an event loop, and says whether it computed or waited."""

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
