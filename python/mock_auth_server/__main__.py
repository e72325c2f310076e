"""``python -m mock_auth_server [ARGS..]``: runs the binary with the same arguments.

The process is replaced by the server (``exec``) where the system allows it,
so signals reach the server directly and its exit status is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys

from ._binary import find_binary


def main() -> int:
    """Runs ``mock-auth-server`` with this command's arguments."""
    try:
        binary = find_binary()
    except FileNotFoundError as error:
        print(f"mock-auth-server: error: {error}", file=sys.stderr)
        return 2
    args = [binary, *sys.argv[1:]]
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(binary, args)
    # Windows has no exec that keeps the console and the exit status.
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main())
