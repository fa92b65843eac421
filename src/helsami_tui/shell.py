"""The app's shell below its behaviour: what reaches the terminal (only what changed, frames.py)
and how a crash ends it (a report without patient data, crash.py)."""

from __future__ import annotations

import inspect
from typing import Any

from textual.app import App
from textual.screen import Screen

from .frames import FrameEncoder
from .i18n import t


class ShellApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self._frames = FrameEncoder()
        self._frames_cursor: Any = None  # where the last frame left the terminal's text cursor

    # -- stylesheets: a screen's CSS parsed with the app's, once --------------------------------
    def load_screen_css(self, screen_type: type[Screen[Any]]) -> None:
        """Add a screen's CSS to the app's stylesheet before the first parse, under the name Textual
        gives it when the screen is pushed (`App._load_screen_css`): pushing the screen then finds
        it there and does not parse every stylesheet of the app again (it did, for each screen type
        on its first push). The same rules, scoped to the screen as Textual scopes them."""
        if not screen_type.CSS:
            return
        try:
            path = inspect.getfile(screen_type)
        except (TypeError, OSError):
            path = ""
        read_from = (path, f"{screen_type.__name__}.CSS")
        if not self.stylesheet.has_source(*read_from):
            self.stylesheet.add_source(
                screen_type.CSS,
                read_from=read_from,
                is_default_css=False,
                scope=screen_type._css_type_name if screen_type.SCOPED_CSS else "",
            )

    # -- frames: only what changed reaches the terminal (frames.py) ------------------------------
    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        # Only a frame Textual will write changes the copy of the screen (the same conditions).
        if (
            renderable is not None
            and not self._batch_count
            and not self.is_inline
            and self._running
            and not self._closed
            and self._driver is not None
        ):
            from .frames import encode_frame

            size = self.screen.outer_size
            renderable = encode_frame(self._frames, renderable, self.console, size.width, size.height)
            cursor = self.cursor_position
            if renderable is None:
                if cursor == self._frames_cursor:
                    return  # a repaint that changed nothing on the terminal: nothing to write
                from .frames import EncodedUpdate

                renderable = EncodedUpdate("")  # only the text cursor moves
            self._frames_cursor = cursor
        super()._display(screen, renderable)

    # -- crashes -----------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled exception ends the app, as in Textual, but never with Textual's traceback:
        it shows local variables (patient data on screen). A report with types and places only
        is saved instead, and the user is told where (helsami_tui.crash)."""
        from rich.text import Text

        from . import crash

        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it for the test framework
            self._exception = error
            self._exception_event.set()
        path = crash.write_report(error)
        self._exit_renderables.append(
            Text(t("app.crashed", kind=type(error).__name__, path=str(path) if path else "-"))
        )
        self.bell()
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:  # Textual's other way in: the same safe ending
        import sys

        err = sys.exc_info()[1]
        self._handle_exception(err if isinstance(err, Exception) else RuntimeError("fatal error"))
