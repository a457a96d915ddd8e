"""`mktint auth`: login, logout, status. A secret is never taken as a flag value."""

from __future__ import annotations

import os
import sys

import click

from mktint.cli.options import complete_service_names, json_option, pass_state
from mktint.cli.render import snake_keys
from mktint.cli.state import AppState
from mktint.core.kinds import KINDS

SERVICE_ARG = dict(shell_complete=complete_service_names(
    tuple(name for name, kind in KINDS.items() if kind.secrets)))


@click.group()
def auth() -> None:
    """Store, check and remove credentials (keyring, else a 0600 secrets file).

    \b
    Examples:
      mktint auth login red
      mktint auth status
      mktint auth logout qbittorrent
    """


# Where a person finds each secret: (site, secret) → where. The site is the gazelle
# flavour (red, ops) or the kind. Sources: Prowlarr's indexer help texts (Redacted, Orpheus:
# "Settings => Access Settings"; MyAnonamouse: "Preferences -> Security"), qBittorrent's
# src/webui/www/private/views/preferences.html (Web UI tab: Authentication, API Key).
WHERE = {
    ("red", "API_KEY"): "Settings → Access Settings → API keys; scopes: User, Torrents",
    ("ops", "API_KEY"): "Settings → Access Settings → API keys",
    ("red", "PASSKEY"): "stored for you by `mktint red whoami`",
    ("ops", "PASSKEY"): "stored for you by `mktint red whoami -s ops`",
    ("mam", "MAM_ID"): "Preferences → Security: create a session; allow Dynamic Seedbox for `mam seedbox`",
    ("mam", "PASSKEY"): "the key in your personal announce URL on the site",
    ("qbittorrent", "PASSWORD"): "the WebUI password: Options → Web UI → Authentication",
    ("qbittorrent", "API_KEY"): "qBittorrent 5.2+: Options → Web UI → API Key",
}
LABELS = {"API_KEY": "API key", "PASSKEY": "Passkey", "MAM_ID": "mam_id", "PASSWORD": "Password"}


def prompt_text(service: str, site: str, secret: str) -> str:
    """`API key for red (Settings → Access Settings → API keys; scopes: User, Torrents)`."""
    where = WHERE.get((site, secret))
    return f"{LABELS.get(secret, secret)} for {service}" + (f" ({where})" if where else "")


def _secret_name(kind, secret: str | None) -> str:
    from mktint.core.errors import UsageError

    if not kind.secrets:
        raise UsageError(f"{kind.name} services need no credentials")
    if secret is None:
        return kind.secrets[0]
    secret = secret.upper().replace("-", "_")
    if secret not in kind.secrets:
        raise UsageError(f"{kind.name} services have no secret {secret!r}",
                         hint="choose one of: " + ", ".join(kind.secrets))
    return secret


def _read_secret(secret: str, with_token: bool, prompt: str, note: str | None = None) -> str:
    from mktint.core.errors import UsageError

    if with_token:
        from mktint.core.paths import TOKEN_LIMIT

        line = sys.stdin.readline(TOKEN_LIMIT + 1)
        if len(line) > TOKEN_LIMIT:
            raise UsageError(f"the {secret} on stdin is longer than {TOKEN_LIMIT // 1024} KiB",
                             hint="give one line holding only the secret")
        value = line.strip()
    elif sys.stdin.isatty():
        value = click.prompt(f"{note}; {prompt}" if note else prompt, hide_input=True, err=True).strip()
    else:
        raise UsageError("no terminal to ask for the secret on",
                         hint="pipe it in with --with-token: printf '%s\\n' \"$KEY\" | mktint auth login ...")
    if not value:
        raise UsageError(f"empty {secret}: nothing stored")
    return value


@auth.command()
@click.argument("service", **SERVICE_ARG)
@click.option("--with-token", is_flag=True, help="Read the secret as one line from stdin.")
@click.option("--secret", metavar="NAME",
              help="Which secret: PASSWORD or API_KEY (qbittorrent), API_KEY or PASSKEY (gazelle), MAM_ID or PASSKEY (mam).")
@click.option("--no-verify", is_flag=True, help="Store without asking the service to confirm it.")
@click.option("--force", is_flag=True,
              help="Send the secret even if the service rejected this very value before (qBittorrent "
                   "bans the IP after 5 failed logins).")
@json_option
@pass_state
def login(state: AppState, service: str, with_token: bool, secret: str | None, no_verify: bool,
          force: bool) -> None:
    """Store a credential for SERVICE after the service confirms it.

    \b
    Examples:
      mktint auth login red                      # prompts for the API key
      printf '%s\\n' "$KEY" | mktint auth login red --with-token
      mktint auth login home --secret API_KEY    # qBittorrent 5.2+ API key
    """
    from mktint.core import redact
    from mktint.core.errors import TemporaryError

    factory, out = state.factory, state.output
    service_config = factory.service_config(service)
    secret_name = _secret_name(KINDS[service_config.kind], secret)
    client = None if no_verify else factory.service(service)
    site = service_config.values.get("flavour") or service_config.kind
    value = _read_secret(secret_name, with_token, prompt_text(service, site, secret_name),
                         client and client.rejected_secret_note(secret_name))
    redact.register(value)

    account, verified = None, False
    if client:
        if force:
            client.forget_rejected_secret(secret_name)
        try:
            account = client.confirm_credential(secret_name, value)
            verified = True
        except TemporaryError as e:
            out.warn(f"stored without confirmation: {e.message}")
    stored_in = (client.store_credential(secret_name, value) if client
                 else factory.credentials.store(service, secret_name, value))
    where = "the system keyring" if stored_in == "keyring" else str(factory.credentials.file.path)
    result = {"service": service, "secret": secret_name, "stored_in": stored_in,
              "verified": verified, "account": account}
    out.emit(result, lambda: out.success(
        f"{secret_name} for {service} stored in {where}" + (f" ({account})" if account else "")))


@auth.command()
@click.argument("service", **SERVICE_ARG)
@json_option
@pass_state
def logout(state: AppState, service: str) -> None:
    """End SERVICE's server session (where it has one) and remove its stored secrets.

    \b
    Example:
      mktint auth logout seedbox
    """
    from mktint.core.config import env_name
    from mktint.core.errors import TemporaryError

    factory, out = state.factory, state.output
    service_config = factory.service_config(service)
    kind = KINDS[service_config.kind]
    if kind.secrets:
        client = factory.service(service)
        try:
            client.end_session()
        except TemporaryError as e:
            out.warn(f"could not end the server session: {e.message}")
    removed = {}
    for secret in kind.secrets:
        places = factory.credentials.delete(service, secret)
        if places:
            removed[secret] = places
        if env_name(service, secret) in os.environ:
            out.warn(f"{env_name(service, secret)} is set in the environment; unset it yourself")
    out.emit({"service": service, "removed": snake_keys(removed)},
             lambda: out.success(f"removed {', '.join(removed)} for {service}" if removed
                                 else f"nothing stored for {service}"))


@auth.command()
@json_option
@pass_state
def status(state: AppState) -> None:
    """Which secrets each service has and where they come from (env, file, keyring).

    Each secret is looked up in the environment, then the secrets file, then the keyring;
    the first value found is used, and a different value in a later store is shown as
    unused. Exits 4 when a service named in the config file lacks its credential.

    \b
    Examples:
      mktint auth status
      mktint auth status --json | jq -r '.[] | select(.ok | not) | .name'
    """
    from mktint.core.errors import EXIT_AUTH
    from mktint.core.output import Column

    from mktint.core.credentials import credential_report

    report = credential_report(state.factory.config, state.factory.credentials)

    def human() -> None:
        rows = [{"name": r["name"], "kind": r["kind"],
                 "secrets": ", ".join(f"{k}={v or 'missing'}" + "".join(
                     f" ({other} differs, unused)" for other in r["shadowed"].get(k, []))
                     for k, v in r["secrets"].items()),
                 "configured": r["configured"], "ok": "ok" if r["ok"] else "MISSING"}
                for r in report]
        state.output.table(rows, [Column("name", "SERVICE"), Column("kind", "KIND"),
                                  Column("configured", "IN CONFIG"), Column("secrets", "SECRETS"),
                                  Column("ok", "STATUS")])

    state.output.emit([{**r, "secrets": snake_keys(r["secrets"]), "shadowed": snake_keys(r["shadowed"])}
                       for r in report], human)
    if not state.output.json:
        state.output.info("lookup order: environment, secrets file, keyring (the first value found is used)")
    if any(r["configured"] and not r["ok"] for r in report):
        raise click.exceptions.Exit(EXIT_AUTH)
