"""A LayoutSource no machine has: what the session and App tests hand in instead of patching proc."""

from __future__ import annotations


class FakeProcess:
    """A process that is not there: each refresh hands out the next layout, or raises the next error."""

    refreshable = True

    def __init__(self, *results) -> None:
        self.results = list(results)
        self.reads = 0

    @property
    def name(self) -> str:
        return "pid-4242"

    @property
    def pid(self) -> int:
        return 4242

    def spec(self):
        return None  # a live process takes its params from the kernel

    def trial(self, overrides):
        raise AssertionError("a process has no params to try")

    def load(self, overrides):
        return self.refresh(overrides)

    def refresh(self, overrides):
        self.reads += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result

    def overlays(self):
        return ()
