"""A test PKI made with `cryptography`: root, intermediate and signer, as files.

`make_pki(folder)` writes root.pem, intermediate.pem, signer key and certificate (PEM and
DER) and a PKCS#12 holding the signer's key, certificate and the chain. Variants (expired,
not yet valid, without the signing key usage, issued by another root) come from the same
function's arguments, so each bad-input test names what it changes.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import os
import shutil
import tempfile
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "clave-de-prueba ñ"
SIGNER_NAME = "PAULA QUINTANA MELÉNDEZ"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN, SO_PIN = "1234", "5678"


@dataclass(frozen=True)
class Pki:
    """The files of a test PKI; `p12` holds the signer's key and chain under PASSWORD."""

    folder: Path
    root: Path
    intermediate: Path
    signer_cert: Path
    signer_key_der: Path
    signer_cert_der: Path
    intermediate_der: Path
    p12: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CL"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministerio de Planificación"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, public_key, issuer: str, issuer_key, *, ca: bool,
                 not_before: dt.datetime, not_after: dt.datetime,
                 key_usage: x509.KeyUsage | None) -> x509.Certificate:
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=not sign,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                         crl_sign=ca, encipher_only=False, decipher_only=False)


def make_pki(folder: Path, *, root_name: str = "Raíz de Prueba", days_valid: tuple[int, int] = (-1, 365),
             signing_usage: bool = True, rsa_signer: bool = True) -> Pki:
    """Writes a root, an intermediate and a signer into `folder`.

    `days_valid` is the signer certificate's validity, in days from now (e.g. (-30, -1) for an
    expired one, (10, 20) for one not yet valid); `signing_usage` False gives a signer whose
    key usage is key encipherment only.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    inter_key = ec.generate_private_key(ec.SECP256R1())
    signer_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if rsa_signer
                  else ec.generate_private_key(ec.SECP256R1()))
    long = dict(not_before=now - dt.timedelta(days=30), not_after=now + dt.timedelta(days=3650))
    root = _certificate(root_name, root_key.public_key(), root_name, root_key, ca=True,
                        key_usage=_usage(ca=True), **long)
    inter_name = f"Intermedia de {root_name}"
    inter = _certificate(inter_name, inter_key.public_key(), root_name, root_key, ca=True,
                         key_usage=_usage(ca=True), **long)
    signer = _certificate(SIGNER_NAME, signer_key.public_key(), inter_name, inter_key, ca=False,
                          not_before=now + dt.timedelta(days=days_valid[0]),
                          not_after=now + dt.timedelta(days=days_valid[1]),
                          key_usage=_usage(sign=signing_usage))
    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    files = dict(root=folder / "root.pem", intermediate=folder / "intermediate.pem",
                 signer_cert=folder / "signer.pem", signer_key_der=folder / "signer-key.der",
                 signer_cert_der=folder / "signer.der", intermediate_der=folder / "intermediate.der",
                 p12=folder / "firma.p12")
    files["root"].write_bytes(root.public_bytes(pem))
    files["intermediate"].write_bytes(inter.public_bytes(pem))
    files["intermediate_der"].write_bytes(inter.public_bytes(der))
    files["signer_cert"].write_bytes(signer.public_bytes(pem))
    files["signer_cert_der"].write_bytes(signer.public_bytes(der))
    files["signer_key_der"].write_bytes(signer_key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files["p12"].write_bytes(pkcs12.serialize_key_and_certificates(
        b"firma", signer_key, signer, [inter, root],
        serialization.BestAvailableEncryption(PASSWORD.encode("utf-8"))))
    return Pki(folder=folder, **files)


def make_token(folder: Path, pki: Pki | None, label: str = "oficios",
               key_label: str = "firma") -> Path:
    """A SoftHSM2 token in `folder` holding `pki`'s signer key and certificates (none if
    `pki` is None); returns the SOFTHSM2_CONF file to point the environment at."""
    tokens = folder / "tokens"  # several tokens may share the folder
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", "utf-8")
    env = {"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN,
                    "--so-pin", SO_PIN], env=env, check=True, capture_output=True)
    if pki is not None:
        tool = shutil.which("pkcs11-tool") or "pkcs11-tool"
        for path, kind, ident, name in ((pki.signer_key_der, "privkey", "01", key_label),
                                        (pki.signer_cert_der, "cert", "01", key_label),
                                        (pki.intermediate_der, "cert", "02", "intermedia")):
            subprocess.run([tool, "--module", SOFTHSM_MODULE, "--token-label", label, "--login",
                            "--pin", PIN, "--write-object", str(path), "--type", kind,
                            "--id", ident, "--label", name], env=env, check=True,
                           capture_output=True)
    return conf


@functools.cache
def shared() -> tuple[Pki, Path]:
    """One PKI and one SoftHSM2 setup for the whole test process: tokens 'oficios' (holding
    the PKI's signer key as 'firma') and 'vacio' (empty).

    SoftHSM2 reads SOFTHSM2_CONF once, when a process first loads it, and pyHanko keeps the
    library loaded: every test in a process must use the same token folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="oficios-pki-"))
    atexit.register(shutil.rmtree, folder, True)
    ca = make_pki(folder / "pki")
    conf = make_token(folder / "hsm", ca)
    make_token(folder / "hsm", None, label="vacio")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return ca, conf
