"""What the screens use of the console application. Screens annotate `self.app` with ConsoleApp instead
of importing DseApp: the app imports the screens, so a screen importing the app would close a cycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, ContextManager, Protocol, runtime_checkable

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.schedule import RepoStatus
from dse_tui.core.profile.model import Profile


@runtime_checkable
class ConsoleApp(Protocol):
    profile: Profile | None
    catalog: Catalog | None  # the console's own connection, for the UI thread only
    statuses: list[RepoStatus]
    statuses_version: int  # grows each time `statuses` is computed again: screens watch it
    language: str
    now: Callable[[], datetime]

    def refresh_statuses(self) -> None: ...

    def reload(self) -> None: ...

    # Textual's App, as the screens call it.
    def push_screen(self, screen: Any, callback: Callable[[Any], Any] | None = None,
                    wait_for_dismiss: bool = False) -> Any: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None) -> None: ...

    def exit(self, result: Any = None, return_code: int = 0, message: Any = None) -> None: ...

    def batch_update(self) -> ContextManager[None]: ...
