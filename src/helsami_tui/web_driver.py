"""The Textual driver of one browser tab of `helsami-tui serve-web`: Textual's web driver, and the app
ends when serve-web goes away (its pipe to the app closes) as it does when the tab closes. Without
this an app whose serve-web was killed would run on, polling the portal, with nobody watching."""

from __future__ import annotations

from textual import messages
from textual.drivers.web_driver import WebDriver


class SessionDriver(WebDriver):
    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        finally:
            if not self.exit_event.is_set():  # the input ended before the app did: serve-web is gone
                self._app.post_message(messages.ExitApp())
