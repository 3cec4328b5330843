"""The lab's Ironic: the single-process ``ironic`` command, with its Redfish session key remembered.

Runs inside the lab venv (``python dcctl_ironic.py --config-file ironic.conf``). Ironic's
Redfish driver looks up its cached BMC connection (``SessionCache``) before every Redfish call,
and builds the cache key each time from a PBKDF2-SHA512 hash of the BMC password with 600,000
rounds: about 0.25 s of CPU per call. Verifying one node makes about seven such calls and the
power-state sync one per node every interval, so on the lab's two shared cores 20 nodes
verifying at once queued for some 15 s on hashing alone (py-spy: 90 % of Ironic's samples in
``SessionCache.__init__``), and an idle lab spent a third of a core on it.

PBKDF2 is a pure function of its arguments, so remembering its results (same password and
BMC address, same key) changes nothing Ironic does: a changed password still gives a new key
and a new session. The connection it keys already holds the password in memory. Real
conductors pay the cost on many cores; the lab has two, as it already uses cheap bcrypt rounds
for the BMC emulator's htpasswd.
"""

from __future__ import annotations

import functools
import hashlib
import sys


class _RememberingHashlib:
    """``hashlib`` as Ironic's Redfish utilities see it, with ``pbkdf2_hmac`` remembered."""

    def __getattr__(self, name):
        return getattr(hashlib, name)

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def pbkdf2_hmac(hash_name, password, salt, iterations, dklen=None):
        return hashlib.pbkdf2_hmac(hash_name, password, salt, iterations, dklen)


def main() -> int:
    # ironic.command first: it picks oslo.service's threading backend before anything else loads
    from ironic.command import singleprocess
    from ironic.drivers.modules.redfish import utils as redfish_utils

    redfish_utils.hashlib = _RememberingHashlib()
    sys.argv[0] = "ironic"
    return singleprocess.main()


if __name__ == "__main__":
    sys.exit(main())
