"""The signing key: where it is (`SignerSpec`), opening it, and checking it can sign now.

A `SignerSpec` is small and picklable, sent once to every rendering worker; `load()` opens
the key in that process and refuses, with a message in the user's language and exit code 8,
anything that would make a bad signature: a wrong password or PIN, a certificate outside its
dates or not for signing, a token without the key, a missing PKCS#11 library.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from oficios.errors import OficiosError
from oficios.i18n import gettext as _
from oficios.signing.appearance import Appearance

if TYPE_CHECKING:
    from oficios.signing.signer import LetterSigner


@functools.cache
def quiet_pyhanko() -> None:
    # pyHanko logs every failed check (an untrusted chain, a bad password) with its traceback;
    # our messages say what went wrong, so its log reaches no one unless a program asks.
    import logging

    logging.getLogger("pyhanko").addHandler(logging.NullHandler())
    logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class SigningError(OficiosError):
    """The signing key cannot be used (password, certificate, token), or a signature fails."""

    exit_code = 8


@dataclass(frozen=True)
class SignerSpec:
    """Where the signing key is and how signatures look; picklable, loaded once per process.

    Either `pkcs12` (a .p12/.pfx file) or `pkcs11_token` (the token's label, with
    `pkcs11_module` the PKCS#11 library and `pkcs11_key` the key's label) is set. `secret` is
    the PKCS#12 password or the token's PIN (never shown in a repr). `tsa_url` None signs
    PAdES B-B; a URL adds a timestamp from that authority (B-T).
    """

    pkcs12: Path | None = None
    pkcs11_module: str | None = None
    pkcs11_token: str | None = None
    pkcs11_key: str | None = None
    secret: str = field(default="", repr=False)
    tsa_url: str | None = None
    appearance: Appearance = Appearance()

    def load(self, now: dt.datetime | None = None) -> LetterSigner:
        """Opens the key and checks it can sign now; raises SigningError saying why not."""
        quiet_pyhanko()
        if (self.pkcs12 is None) == (self.pkcs11_token is None):
            raise SigningError(_("give one source of the signing key"),
                               hint=_("use --pkcs12 FILE or --pkcs11-token LABEL"))
        if self.pkcs12 is not None:
            signer, cert, source = _load_pkcs12(self.pkcs12, self.secret)
        else:
            signer, cert, source = _load_pkcs11(self)
        try:
            _check_certificate(cert, source, now or dt.datetime.now(dt.timezone.utc))
        except SigningError:
            close_key(signer)
            raise
        from oficios.signing.signer import LetterSigner

        return LetterSigner(self, signer, _common_name(cert))


def _load_pkcs12(path: Path, secret: str):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SigningError(_("the signing key file does not exist"), file=path,
                           hint=_("give a .p12 or .pfx file with --pkcs12")) from None
    except OSError as exc:
        raise SigningError(_("the signing key file cannot be read: {reason}").format(
            reason=exc.strerror), file=path) from None
    password = secret.encode("utf-8") if secret else None
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        hint = (_("the password is taken from OFICIOS_FIRMA_CLAVE or asked for") if secret else
                _("the file asks for a password: set OFICIOS_FIRMA_CLAVE or type it when asked"))
        raise SigningError(_("the password does not open the PKCS#12 file (or the file is not a "
                             "PKCS#12)"), file=path, hint=hint) from None
    if key is None or cert is None:
        raise SigningError(_("the PKCS#12 file does not hold a private key with its certificate"),
                           file=path) from None
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise SigningError(_("the private key of the PKCS#12 file does not match its certificate"),
                           file=path)
    loaded = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    signer = _key_signer_class()(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                                 cert_registry=loaded.cert_registry)
    signer.key = key
    return signer, cert, str(path)


def _key_signer_class():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from pyhanko.sign.signers import SimpleSigner

    class KeySigner(SimpleSigner):
        """SimpleSigner with its RSA key parsed once: SimpleSigner parses (and checks) the
        key at every signature, which was a third of the time of signing a letter."""

        key = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if isinstance(self.key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
                algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                             "sha512": hashes.SHA512()}.get(digest_algorithm)
                if algorithm is not None:
                    return self.key.sign(data, padding.PKCS1v15(), algorithm)
            return super().sign_raw(data, digest_algorithm)

    return KeySigner


def _load_pkcs11(spec: SignerSpec):
    module = spec.pkcs11_module
    source = f"token '{spec.pkcs11_token}'"
    if not module or not Path(module).is_file():
        raise SigningError(_("the PKCS#11 library '{module}' is not found").format(module=module or ""),
                           hint=_("install the token's software (e.g. softhsm2 or opensc) and "
                                  "give its .so library with --pkcs11-module"))
    from cryptography import x509
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    criteria = TokenCriteria(label=spec.pkcs11_token)
    try:
        try:
            session = open_pkcs11_session(module, token_criteria=criteria,
                                          user_pin=spec.secret or None)
        except Exception as exc:
            if type(exc).__name__ != "UserAlreadyLoggedIn":
                raise
            # PKCS#11 logs in per process: another session of ours already did.
            session = open_pkcs11_session(module, token_criteria=criteria)
    except Exception as exc:  # python-pkcs11 raises one class per PKCS#11 return code
        name = type(exc).__name__
        if "Pin" in name:
            raise SigningError(_("the PIN does not open the {source}").format(source=source),
                               hint=_("check OFICIOS_PIN")) from None
        if "No token" in str(exc):
            raise SigningError(_("no {source} is connected").format(source=source),
                               hint=_("connect the token or check --pkcs11-token")) from None
        raise SigningError(_("the {source} could not be opened with {module}: {reason}").format(
            source=source, module=module, reason=f"{name} {exc}".strip()),
            hint=_("check --pkcs11-module and --pkcs11-token")) from None
    key = spec.pkcs11_key or "firma"
    signer = PKCS11Signer(session, key_label=key, cert_label=key, other_certs_to_pull=None)
    try:
        cert = signer.signing_cert  # pulls the certificate and finds the private key
    except Exception:
        session.close()
        raise SigningError(_("the {source} has no signing key labelled '{key}' (with its "
                             "certificate)").format(source=source, key=key),
                           hint=_("check --pkcs11-key; `pkcs11-tool -O` lists what the token "
                                  "holds")) from None
    return signer, x509.load_der_x509_certificate(cert.dump()), source


def close_key(signer) -> None:
    """Closes a token's session (logging out); nothing for a key held in memory."""
    session = getattr(signer, "pkcs11_session", None)
    if session is not None:
        session.close()


def _check_certificate(cert, source: str, now: dt.datetime) -> None:
    """Refuses a certificate that cannot sign now: outside its dates or not for signing."""
    from cryptography import x509

    name = _common_name(cert)
    if now < cert.not_valid_before_utc:
        raise SigningError(_("the certificate of {name} ({source}) is not valid yet: it is valid "
                             "from {start} UTC").format(
                               name=name, source=source,
                               start=f"{cert.not_valid_before_utc:%d-%m-%Y %H:%M}"),
                           hint=_("sign from that date or use another certificate"))
    if now > cert.not_valid_after_utc:
        raise SigningError(_("the certificate of {name} ({source}) expired on {end} UTC").format(
                               name=name, source=source,
                               end=f"{cert.not_valid_after_utc:%d-%m-%Y %H:%M}"),
                           hint=_("renew the signing certificate"))
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280: no key usage extension means any use
    if not (usage.digital_signature or usage.content_commitment):
        raise SigningError(_("the certificate of {name} ({source}) does not allow signing: its key "
                             "usage includes neither digital signature nor non-repudiation").format(
                               name=name, source=source),
                           hint=_("use the signing certificate, not the encryption one"))


def _common_name(cert) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()
