"""Where the web application finds templates, output and accounts, and the limits it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


ACCOUNTS_FILE = "usuarios-web.sqlite"


@dataclass(frozen=True)
class WebConfig:
    """What a running server uses; every path as given (relative ones to the working folder).

    `register` None is the register in the output root, as `oficios generate` uses it;
    `accounts` None is the accounts file beside the register (kept out of the register,
    which is archived and copied; password hashes must not travel with it). `language`
    None takes it from the environment (oficios.i18n.language).
    """

    templates: Path = Path("templates")
    output: Path = Path("output")
    register: Path | None = None
    accounts: Path | None = None
    language: str | None = None
    workers: int | None = None
    session_seconds: int = 8 * 3600
    secure_cookies: bool = False  # True behind HTTPS
    max_upload_bytes: int = 5 * 1024 * 1024
    max_unzipped_bytes: int = 50 * 1024 * 1024
    max_rows: int = 5000
    verify_per_minute: int = 20
    sign_in_per_minute: int = 10  # attempts per client address: password guessing is slow

    def register_path(self) -> Path:
        """The register's file, found by the rule every command uses (oficios.register.locate)."""
        from oficios.register import locate

        return locate(self.register, self.output).path

    def accounts_path(self) -> Path:
        """The staff accounts' file."""
        return self.accounts if self.accounts is not None else \
            self.register_path().parent / ACCOUNTS_FILE

    def uploads_folder(self) -> Path:
        """Where uploaded rosters are kept, under names the server makes."""
        return self.output / ".web" / "subidas"
