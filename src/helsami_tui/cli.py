"""`helsami-tui`: the terminal inbox, its demo, sign-in and settings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Settings, describe, load
from .i18n import set_language, t

if TYPE_CHECKING:
    from .client.auth import Tokens

DEMO_USERS = {"physician": "lege", "nurse": "sykepleier", "switchboard": "sentralbord", "it": "it"}


def main(argv: list[str] | None = None) -> int:
    """The command, with any crash outside the app reported as the app does: a saved report of
    types and places only (helsami_tui.crash), never Python's traceback with its messages."""
    try:
        return _main(argv)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 - deliberate: any crash becomes a report without messages
        from .crash import write_report

        path = write_report(e)
        print(t("app.crashed", kind=type(e).__name__, path=str(path) if path else "-"), file=sys.stderr)
        return 1


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="helsami-tui",
        description="HelsaMi Innboks: the terminal inbox for "
        "patient-portal staff. Without a command it opens the inbox of the configured "
        "portal, signing in first when needed.",
    )
    ap.add_argument("--version", action="version", version=f"helsami-tui {__version__}")
    ap.add_argument("--portal", help="the portal's address (overrides the config file and HELSAMI_PORTAL)")
    ap.add_argument("--web-session", action="store_true", help=argparse.SUPPRESS)  # one browser tab of serve-web
    sub = ap.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="start an embedded portal with synthetic data and open the inbox")
    d.add_argument(
        "--as",
        dest="role",
        choices=sorted(DEMO_USERS),
        default="physician",
        help="which demo user to sign in as (default: physician)",
    )
    d.add_argument("--fresh", action="store_true", help="start from newly generated demo data")
    d.add_argument("--db", help="demo database URL (default: a SQLite file in the user data directory)")
    sub.add_parser("login", help="sign in to the portal (device code) and keep the session in the keyring")
    sub.add_parser("logout", help="sign out: revoke the session on the portal and forget it here")
    w = sub.add_parser(
        "serve-web",
        help="serve the app to web browsers (textual-serve): each browser tab runs "
        "its own app, which signs in on its first screen; the page loads nothing from elsewhere",
    )
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    w.add_argument("--port", type=_bounded_int(1, 65535), default=8000, help="port to listen on (default: 8000)")
    w.add_argument("--public-url", help="the address browsers use, when not http://HOST:PORT (behind a proxy)")
    w.add_argument(
        "--max-sessions", type=_bounded_int(1, 1000), default=20, help="browser sessions at once (default: 20)"
    )
    w.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo (an embedded portal with synthetic data) instead of the configured portal",
    )
    w.add_argument(
        "--as",
        dest="role",
        choices=sorted(DEMO_USERS),
        default="physician",
        help="with --demo: which demo user each session signs in as (default: physician)",
    )
    sub.add_parser("config", help="show where the settings file is and what is in effect")
    sub.add_parser(
        "doctor",
        help="check the portal address, TLS, sign-in, clock, keyring and terminal; "
        "prints a report safe to paste into a ticket (no patient data, no tokens)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, filename=None)

    settings = load()
    try:
        set_language(settings.language)
    except ValueError:
        pass
    if args.portal:
        settings.portal = args.portal.rstrip("/")
        settings.sources["portal"] = "flag"
    if args.command == "config":
        print(describe(settings))
        return 0
    if args.command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(settings.portal or None)
    if args.command == "demo":
        return run_demo(settings, DEMO_USERS[args.role], fresh=args.fresh, db=args.db)
    if args.command == "serve-web":
        from .web import serve_web

        return serve_web(
            settings,
            host=args.host,
            port=args.port,
            public_url=args.public_url,
            max_sessions=args.max_sessions,
            demo_role=args.role if args.demo else None,
        )
    if not settings.portal:
        print(t("cli.no_portal", path=str(settings.path)), file=sys.stderr)
        return 2
    try:
        if args.command == "login":
            return asyncio.run(_login_cli(settings))
        if args.command == "logout":
            return asyncio.run(_logout_cli(settings))
    except KeyboardInterrupt:  # Ctrl-C while waiting for the approval: no traceback, nothing kept
        print("\n" + t("cli.sign_in_interrupted"), file=sys.stderr)
        return 130
    return run_portal(settings, web=args.web_session)


# -- sign-in in the plain terminal ------------------------------------------------------------------


def _show_code(code: str, uri: str) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from .safetext import safe_text
    from .widgets.bigcode import big

    console = Console(stderr=True)
    art = big(code) or Text(code, style="bold")
    body = Text.assemble(
        Text(t("login.go_to") + "\n"),
        safe_text(uri, multiline=False, style="bold underline"),
        Text("\n\n" + t("login.enter_code") + "\n\n"),
        art,
        Text(f"\n\n{code}"),
    )
    console.print(Panel(body, title=t("login.title"), expand=False))


async def _device_sign_in(settings: Settings) -> Any:
    from .client.auth import poll_device_flow, start_device_flow

    flow = await start_device_flow(settings.portal)
    _show_code(flow.user_code, flow.verification_uri)
    print(t("login.waiting"), file=sys.stderr)
    return await poll_device_flow(flow)


async def _login_cli(settings: Settings) -> int:
    from .client.auth import TokenStore
    from .client.errors import ClientError

    store = TokenStore(discover=True)  # the explicit set-up: choose the keyring anew
    try:
        tokens = await _device_sign_in(settings)
    except ClientError as e:
        from .refusals import error_text

        print(error_text(e), file=sys.stderr)
        return 1
    store.save(settings.portal, tokens)
    if store.memory_only:
        print(t("cli.no_keyring_login"), file=sys.stderr)
    else:
        print(t("cli.signed_in"))
    return 0


async def _logout_cli(settings: Settings) -> int:
    from .client.auth import TokenSession, TokenStore

    store = TokenStore()
    tokens = store.load(settings.portal)
    if tokens is None:
        print(t("cli.not_signed_in"))
        return 0
    await TokenSession(settings.portal, tokens, store=store).sign_out()
    print(t("cli.signed_out"))
    return 0


# -- running the app ----------------------------------------------------------------------------------


def run_portal(settings: Settings, *, web: bool = False) -> int:
    """The inbox of the configured portal. Without a saved session the app opens on its sign-in
    screen (screens/sign_in.py): one sign-in path for the terminal and the browser. A browser
    session (`web`, started by `serve-web`) keeps its tokens in memory only: the server account's
    keyring is not the user's."""
    import shutil

    from .client.api import PortalClient
    from .client.auth import TokenSession, TokenStore
    from .startup import send_early

    store = TokenStore.in_memory() if web else TokenStore()
    tokens = store.load(settings.portal)
    # The start-up requests leave now, on a thread of their own, and the portal answers them while
    # Textual and the app's screens load (the height as Textual's driver will read it; a browser
    # session's is not known here).
    early = send_early(settings.portal, tokens, None if web else shutil.get_terminal_size().lines)
    from .app import HelsamiApp

    session = TokenSession(settings.portal, tokens, store=store)

    async def relogin(show: Callable[[str, str], None]) -> Tokens:
        """A new device sign-in; the app checks whose it is before it uses the tokens."""
        from .client.auth import poll_device_flow, start_device_flow

        flow = await start_device_flow(settings.portal)
        show(flow.user_code, flow.verification_uri)
        return await poll_device_flow(flow)

    client = PortalClient(settings.portal, session)
    note = t("app.keyring_unavailable") if store.memory_only and not web else None
    app = HelsamiApp(client, settings, relogin=relogin, keyring_note=note, sign_in=tokens is None, early=early)
    app.run()
    return app.return_code or 0


def run_demo(settings: Settings, username: str, *, fresh: bool, db: str | None) -> int:
    from helsami_portal.embedded import EmbeddedPortal, demo_db_path

    from .app import HelsamiApp
    from .client.api import PortalClient
    from .client.auth import TokenSession, demo_login

    path = demo_db_path()
    if fresh and not db:
        for suffix in ("", "-wal", "-shm"):
            p = path.with_name(path.name + suffix)
            if p.exists():
                p.unlink()
    url = db or f"sqlite:///{path}"
    print(t("cli.demo_starting"), file=sys.stderr, flush=True)
    portal = EmbeddedPortal(url, demo=True, seed=True)
    portal.start()
    app: HelsamiApp | None = None
    try:
        tokens = asyncio.run(demo_login(portal.base_url, username))
        session = TokenSession(portal.base_url, tokens)

        async def relogin(show: Callable[[str, str], None]) -> Tokens:
            return await demo_login(portal.base_url, username)

        settings.portal = portal.base_url
        client = PortalClient(portal.base_url, session)
        app = HelsamiApp(client, settings, demo_user=username, relogin=relogin)
        app.run()
    finally:
        portal.stop()
    return (app.return_code or 0) if app is not None else 1


if __name__ == "__main__":
    sys.exit(main())
