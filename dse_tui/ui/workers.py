"""Worker failures in one place: a worker of any screen or widget that raises is said by the app
(DseApp.on_worker_failed) instead of ending the console. Every worker is made with exit_on_error=False
(tests/test_keys_and_help.py holds them to it)."""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker, WorkerState


class WorkerFailed(Message):
    """A worker raised: bubbles from the node that ran it up to the app."""

    def __init__(self, worker: Worker):
        super().__init__()
        self.worker = worker


class ReportsWorkerFailures:
    """For the nodes that run workers. Worker.StateChanged does not bubble, so the node hands an error on;
    a node that must also undo a busy state handles the same message itself (both handlers run)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker))
