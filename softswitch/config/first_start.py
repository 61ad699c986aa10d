"""The first start: write a working, commented configuration with demo extensions, so a
fresh install answers phones without editing anything first."""

from __future__ import annotations

import os
import random
from importlib import resources
from pathlib import Path
from string import Template

CONFIG_NAME = "softswitch.toml"
DEMO_EXTENSIONS = range(1000, 1010)
PASSWORD_LENGTH = 16
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def random_password(rng: random.Random, length: int = PASSWORD_LENGTH) -> str:
    """Like secrets.token_urlsafe, but drawn from `rng` so tests can fix it."""
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def default_config_text(rng: random.Random) -> str:
    template = (resources.files("softswitch.data") / "softswitch.toml.template").read_text(
        encoding="utf-8")
    users = "\n".join(
        f'[[users]]\nextension = "{ext}"\npassword = "{random_password(rng)}"\n'
        f'name = "Extension {ext}"\nvoicemail = true\n'
        f'voicemail_pin = "{rng.randrange(10_000):04d}"\n' for ext in DEMO_EXTENSIONS)
    return Template(template).substitute(users=users)


def ensure_config(data_dir: Path, rng: random.Random) -> tuple[Path, bool]:
    """DATA_DIR/softswitch.toml, written (mode 0600) if absent; True when just written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CONFIG_NAME
    if path.exists():
        return path, False
    text = default_config_text(rng)
    try:  # O_EXCL: never overwrite a file that appeared meanwhile
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)
    return path, True
