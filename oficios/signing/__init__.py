"""Electronic signatures (PAdES) on letters and the archive copy, and checking them.

The only package that imports pyHanko. `keys`: where the key is and whether it can sign;
`appearance`: how the signature shows; `signer`: signing a letter or a file; `check`:
validating the signatures of a PDF. A letter is signed as an incremental update: every byte
of the rendered PDF stays, and the signature covers them all.
"""

from oficios.signing.appearance import Appearance
from oficios.signing.check import (SignatureCheck, SignatureReport, check_signatures,
                                   describe_signatures)
from oficios.signing.keys import SignerSpec, SigningError
from oficios.signing.signer import LetterSigner

__all__ = ["Appearance", "LetterSigner", "SignatureCheck", "SignatureReport", "SignerSpec",
           "SigningError", "check_signatures", "describe_signatures"]
