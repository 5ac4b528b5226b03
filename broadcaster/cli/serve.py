"""`broadcaster serve`: the web desk (broadcaster/desk), which needs the `desk` extra."""
from __future__ import annotations

from pathlib import Path

import click

from broadcaster.cli.options import engine_option, log_option
from broadcaster.errors import BadInput, BroadcasterError
from broadcaster.i18n import _


@click.command("serve")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; another than 127.0.0.1 (e.g. 0.0.0.0 for the office LAN) needs a password.")
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
@click.option("--password-file", default=None, type=click.Path(dir_okay=False),
              help="Set the desk's password from the first line of this file (stored hashed), then serve.")
@click.option("--set-password", "set_password", is_flag=True, help="Type a new password for the desk, then serve.")
@engine_option("Speech engine the desk renders with unless a page chooses another.")
@log_option()
@click.option("--name", "names", multiple=True, metavar="HOSTNAME",
              help="Also answer to this host name (repeatable), e.g. --name guangbo.lan; by IP address and "
                   "as localhost it always answers.")
def serve_command(folder: str, host: str, port: int, password_file: str | None, set_password: bool, engine: str,
              log_path: str | None, names: tuple[str, ...]) -> None:
    """Open a web page to write, hear, schedule and check the notices in FOLDER.

    \b
    Examples:
      broadcaster serve examples/          # then open http://127.0.0.1:8750
      broadcaster serve notices/ --host 0.0.0.0 --set-password    # for the office LAN
      broadcaster serve notices/ --host 0.0.0.0 --name guangbo.lan  # also at http://guangbo.lan:8750
    \b
    Every change is a YAML file in FOLDER (comments kept), checked as `broadcaster check`
    does. Audio is made in the background into the user's cache folder.
    Needs the `desk` extra: pip install 'broadcaster[desk]'.
    """
    try:
        import uvicorn

        from broadcaster.desk import security
        from broadcaster.desk.app import DeskSettings, create_app, jobs_dir_for
    except ImportError as exc:
        raise BroadcasterError(_("the web desk is not installed ({reason}) — install it with "
                                 "pip install 'broadcaster[desk]'").format(reason=exc)) from None
    root = Path(folder)
    if not root.is_dir():
        raise BadInput(_("no folder '{folder}'").format(folder=folder), _("give the folder that holds your notices"))
    if password_file and set_password:
        raise click.UsageError(_("give --password-file or --set-password, not both"))
    if password_file:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadInput(_("cannot read the password file ({reason})").format(reason=exc.strerror),
                           _("check its name and permissions"), password_file) from None
        security.set_password(lines[0] if lines else "")
    elif set_password:
        security.set_password(click.prompt(_("new password for the desk"), hide_input=True,
                                           confirmation_prompt=True))
    loopback = security.is_loopback(host)
    stored = security.stored_password_hash()
    if not loopback and stored is None:
        raise BadInput(_("--host {host} lets other computers in, but the desk has no password").format(host=host),
                       _("run `broadcaster serve --host {host} --set-password` first").format(host=host))
    login = not loopback or bool(password_file or set_password)
    # the names it answers to besides any IP address: a DNS name rebound to this address gets nothing
    served = ("localhost", *([host] if not _is_address(host) else []), *(n.strip() for n in names if n.strip()))
    settings = DeskSettings(folder=root.resolve(), jobs_dir=jobs_dir_for(root), engine=engine,
                            log_path=Path(log_path) if log_path else None,
                            password_hash=stored if login else None,
                            password_file=security.config_dir() / security.PASSWORD_FILE if login else None,
                            secret=security.session_secret(), names=served)
    shown = f"[{host}]" if ":" in host else host
    click.echo(_("the desk for {folder} is open at http://{host}:{port} (Ctrl-C stops it)").format(
        folder=root, host=shown, port=port))
    _desk_log()
    # proxy_headers off: the client address that login attempts are counted by is the connection's
    # own, never an X-Forwarded-For header that a page on this computer could make up
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _desk_log() -> None:
    """Logins and refused logins go to stderr with the time (the journal, under systemd)."""
    import logging

    logger = logging.getLogger("broadcaster.desk")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s desk: %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
