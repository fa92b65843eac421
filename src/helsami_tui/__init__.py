"""HelsaMi Innboks: the terminal inbox (Textual)."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (click, pygments, rich.progress, rich.syntax: about
# 0.1 s) whenever click happens to be installed, as it is beside the portal's web server. The app
# never runs that client; a None here makes httpx take its documented fallback instead.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
